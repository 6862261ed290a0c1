// test_count_backend.c — the op-counting backend wrapper of bench/bench_roofline.c (bench/count_backend.h).
// Oracle: closed forms for the shapes issued — conv2d FLOPs 2·N·Co·Ho·Wo·Ci·kh·kw and bytes the sum of the four
// tensors; linear 2·M·N·K; the results equal the CPU backend's own (the wrapper only forwards); the per-call
// roofline max(bytes / bw, flops / peak) recomputed by hand.
#include "test.h"
#include "fusor.h"
#include "../bench/count_backend.h"
#include <stdlib.h>
#include <string.h>

TEST(count_backend_conv_linear) {
  fz_err err = {0};
  static fz_count_backend cb;
  fz_count_backend_init(&cb, fz_backend_cpu(1));
  cb.bw = 1e9; cb.peak_fp32 = 1e9; cb.peak_bf16 = 1e10;
  const fz_backend *be = &cb.tab;
  fz_tensor x, w, b, y, l, lw;
  int64_t xs[4] = {2, 3, 10, 12}, ws[4] = {5, 3, 3, 3}, bs[1] = {5}, ys[4] = {2, 5, 10, 12}, ls[2] = {2 * 5 * 10, 7}, lws[2] = {7, 12};
  CHECK_OK(fz_tensor_alloc(&x, be, FZ_F32, 4, xs, &err), &err);
  CHECK_OK(fz_tensor_alloc(&w, be, FZ_F32, 4, ws, &err), &err);
  CHECK_OK(fz_tensor_alloc(&b, be, FZ_F32, 1, bs, &err), &err);
  CHECK_OK(fz_tensor_alloc(&y, be, FZ_F32, 4, ys, &err), &err);
  CHECK_OK(fz_tensor_alloc(&lw, be, FZ_F32, 2, lws, &err), &err);
  CHECK_OK(fz_tensor_alloc(&l, be, FZ_F32, 2, ls, &err), &err);
  for (int64_t i = 0; i < fz_tensor_numel(&x); i++) ((float *)x.data)[i] = (float)(i % 7) - 3;
  for (int64_t i = 0; i < fz_tensor_numel(&w); i++) ((float *)w.data)[i] = (float)(i % 5) - 2;
  for (int64_t i = 0; i < fz_tensor_numel(&lw); i++) ((float *)lw.data)[i] = (float)(i % 3) - 1;
  memset(b.data, 0, sizeof(float) * 5);
  fz_conv2d_params p = {.pad_h = 1, .pad_w = 1};
  CHECK_OK(fz_op_conv2d(be, &y, &x, &w, &b, &p, &err), &err);
  fz_tensor yv = y;  // [2·5·10, 12] view for linear
  yv.ndim = 2; yv.shape[0] = 100; yv.shape[1] = 12;
  CHECK_OK(fz_op_linear(be, &l, &yv, &lw, NULL, FZ_ACT_NONE, 0, 0, &err), &err);
  CHECK(cb.nrows == 2 && !strcmp(cb.rows[0].op, "conv2d") && !strcmp(cb.rows[1].op, "linear"));
  double cf = 2.0 * 2 * 5 * 10 * 12 * 3 * 3 * 3, cbytes = 4.0 * (720 + 135 + 5 + 1200);
  CHECK_NEAR(cb.rows[0].flops, cf, 0);
  CHECK_NEAR(cb.rows[0].bytes, cbytes, 0);
  CHECK_NEAR(cb.rows[0].t_fp32, fmax(cbytes / 1e9, cf / 1e9), 1e-15);
  CHECK_NEAR(cb.rows[0].t_bf16, fmax(cbytes / 2 / 1e9, cf / 1e10), 1e-15);
  CHECK_NEAR(cb.rows[1].flops, 2.0 * 100 * 7 * 12, 0);
  CHECK_NEAR(cb.rows[1].bytes, 4.0 * (700 + 1200 + 84), 0);
  CHECK(cb.rows[0].calls == 1 && cb.rows[1].calls == 1);
  // The forwarded result: y[0,0,0,0] by hand (zero padding, 3×3 window at the corner).
  const float *X = x.data, *W = w.data;
  double r = 0;
  for (int c = 0; c < 3; c++)
    for (int ky = 1; ky < 3; ky++)
      for (int kx = 1; kx < 3; kx++) r += (double)W[(c * 3 + ky) * 3 + kx] * X[(c * 10 + ky - 1) * 12 + kx - 1];
  CHECK_NEAR(((float *)y.data)[0], r, 1e-4);
  fz_tensor *all[] = {&x, &w, &b, &y, &l, &lw};
  for (int i = 0; i < 6; i++) fz_tensor_free(all[i]);
}
