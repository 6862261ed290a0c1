// test_cuda_layer_norm.cu — both LayerNorm kernels of norm.cu: a warp per row (C <= 1024, what the op-case table's
// shapes reach) and a block per row (longer rows), with and without the affine parameters, in place.
#include "cuda_test_util.h"
#include <math.h>
#include <vector>

// Oracle: y = (x − mean) / sqrt(var + eps)·gamma + beta per row in double (biased variance, as torch), fp32 error
// <= 2e-5 relative to max |y| + 1e-6; rows of 37, 1024 (warp kernel) and 1500, 3000 (block kernel) values.
TEST(cuda_layer_norm_warp_and_block_rows) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be != NULL, "fz_backend_cuda(0): %s", err.msg);
  const int64_t Cs[4] = {37, 1024, 1500, 3000}, rows = 5;
  for (int ci = 0; ci < 4; ci++)
    for (int affine = 0; affine < 2; affine++) {
      int64_t C = Cs[ci], n = rows * C, sx[2] = {rows, C}, sg[1] = {C};
      std::vector<float> x(n), g(C), b(C), y(n);
      fz_philox_fill_uniform(x.data(), (uint64_t)n, 5, (uint64_t)C, 0);
      fz_philox_fill_uniform(g.data(), (uint64_t)C, 6, 1, 0);
      fz_philox_fill_uniform(b.data(), (uint64_t)C, 6, 2, 0);
      for (int64_t i = 0; i < n; i++) x[i] = 3.0f * x[i] + 0.5f;  // an offset, so the mean matters
      fz_tensor tx, tg, tb;
      CHECK_OK(fz_tensor_alloc(&tx, be, FZ_F32, 2, sx, &err), &err);
      CHECK_OK(fz_tensor_alloc(&tg, be, FZ_F32, 1, sg, &err), &err);
      CHECK_OK(fz_tensor_alloc(&tb, be, FZ_F32, 1, sg, &err), &err);
      CHECK_OK(fz_tensor_upload(&tx, x.data(), n * 4, &err), &err);
      CHECK_OK(fz_tensor_upload(&tg, g.data(), C * 4, &err), &err);
      CHECK_OK(fz_tensor_upload(&tb, b.data(), C * 4, &err), &err);
      CHECK_OK(fz_op_layer_norm(be, &tx, &tx, affine ? &tg : NULL, affine ? &tb : NULL, 1e-5f, &err), &err);  // in place
      CHECK_OK(fz_tensor_download(&tx, y.data(), n * 4, &err), &err);
      double worst = 0, mag = 0;
      for (int64_t r = 0; r < rows; r++) {
        double m = 0, v = 0;
        for (int64_t j = 0; j < C; j++) m += x[r * C + j];
        m /= C;
        for (int64_t j = 0; j < C; j++) v += (x[r * C + j] - m) * (x[r * C + j] - m);
        v /= C;
        for (int64_t j = 0; j < C; j++) {
          double want = (x[r * C + j] - m) / sqrt(v + 1e-5);
          if (affine) want = want * g[j] + b[j];
          worst = fmax(worst, fabs(want - y[r * C + j]));
          mag = fmax(mag, fabs(want));
        }
      }
      fz_tensor_free(&tx); fz_tensor_free(&tg); fz_tensor_free(&tb);
      CHECKF(worst <= 2e-5 * mag + 1e-6, "C %lld affine %d: max error %.3g (max |y| %.3g)", (long long)C, affine, worst, mag);
    }
}
