// test_nn_threads.c — the nn kernels give bitwise identical results on 1 and 2 threads (the blocking of
// the work, and so every sgemm call and summation order, depends on the shapes only).
#include "test.h"
#include "fusor.h"
#include <stdlib.h>
#include <string.h>

// A host-filled f32 CPU tensor with a deterministic pattern in [-1, 1).
static int mk(fz_tensor *t, int ndim, const int64_t *shape, uint64_t salt, fz_err *err) {
  int rc = fz_tensor_alloc(t, fz_backend_cpu(1), FZ_F32, ndim, shape, err);
  if (rc) return rc;
  float *d = t->data;
  for (int64_t i = 0; i < fz_tensor_numel(t); i++) d[i] = (float)(((uint64_t)i * 2654435761u + salt * 97) % 2001) * 0.001f - 1.0f;
  return FZ_OK;
}

typedef int (*op_fn)(const fz_backend *be, fz_tensor *out, fz_tensor *in, fz_err *err);

// Runs op on 1 and 2 threads into two outputs of shape (ndim, shape) and compares them bitwise.
static int same_on_1_and_2(op_fn op, fz_tensor *in, int ndim, const int64_t *shape, int *equal, fz_err *err) {
  fz_tensor a, b;
  int rc = fz_tensor_alloc(&a, NULL, FZ_F32, ndim, shape, err);
  if (rc) return rc;
  if ((rc = fz_tensor_alloc(&b, NULL, FZ_F32, ndim, shape, err))) { fz_tensor_free(&a); return rc; }
  rc = op(fz_backend_cpu(1), &a, in, err);
  if (!rc) rc = op(fz_backend_cpu(2), &b, in, err);
  *equal = !rc && memcmp(a.data, b.data, fz_tensor_nbytes(&a)) == 0;
  fz_tensor_free(&a);
  fz_tensor_free(&b);
  return rc;
}

// in[0] x, in[1] w, in[2] bias (the tensors each op needs).
static int op_linear(const fz_backend *be, fz_tensor *o, fz_tensor *in, fz_err *err) { return fz_op_linear(be, o, &in[0], &in[1], &in[2], FZ_ACT_NONE, 0, 0, err); }
static int op_bgemm(const fz_backend *be, fz_tensor *o, fz_tensor *in, fz_err *err) { return fz_op_gemm_batched(be, o, &in[0], &in[1], 0, 1, 1.0f, 0.0f, err); }
static int op_conv(const fz_backend *be, fz_tensor *o, fz_tensor *in, fz_err *err) {
  fz_conv2d_params p = {.pad_h = 1, .pad_w = 1};
  return fz_op_conv2d(be, o, &in[0], &in[1], &in[2], &p, err);
}
static int op_convt(const fz_backend *be, fz_tensor *o, fz_tensor *in, fz_err *err) {
  fz_conv2d_params p = {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .out_pad_h = 1, .out_pad_w = 1};
  return fz_op_conv_transpose2d(be, o, &in[0], &in[1], &in[2], &p, err);
}
static int op_gn(const fz_backend *be, fz_tensor *o, fz_tensor *in, fz_err *err) { return fz_op_group_norm(be, o, &in[0], 2, NULL, NULL, 1e-5f, FZ_ACT_NONE, 0, err); }

// Oracle: the determinism contract of docs/PERFORMANCE.md — the work split into sgemm calls and partial
// sums is a function of the shapes, so the thread count cannot change a single bit of the result.
TEST(nn_results_independent_of_threads) {
  fz_err err = {0};
  fz_tensor in[3];
  int eq = 0;
  // linear: 33 rows (split into column blocks), 300 rows (row blocks)
  static const int64_t rows[2] = {33, 300};
  for (int r = 0; r < 2; r++) {
    CHECK_OK(mk(&in[0], 2, (int64_t[]){rows[r], 64}, 1, &err), &err);
    CHECK_OK(mk(&in[1], 2, (int64_t[]){200, 64}, 2, &err), &err);
    CHECK_OK(mk(&in[2], 1, (int64_t[]){200}, 3, &err), &err);
    CHECK_OK(same_on_1_and_2(op_linear, in, 2, (int64_t[]){rows[r], 200}, &eq, &err), &err);
    for (int i = 0; i < 3; i++) fz_tensor_free(&in[i]);
    CHECKF(eq, "linear with %lld rows differs between 1 and 2 threads", (long long)rows[r]);
  }
  // batched gemm, 3 matrices of 70×50 (k 40)
  CHECK_OK(mk(&in[0], 3, (int64_t[]){3, 70, 40}, 4, &err), &err);
  CHECK_OK(mk(&in[1], 3, (int64_t[]){3, 50, 40}, 5, &err), &err);
  CHECK_OK(same_on_1_and_2(op_bgemm, in, 3, (int64_t[]){3, 70, 50}, &eq, &err), &err);
  fz_tensor_free(&in[0]);
  fz_tensor_free(&in[1]);
  CHECKF(eq, "gemm_batched differs between 1 and 2 threads");
  // conv 3×3 (im2col blocks) and transposed conv (channel chunks) on one image
  CHECK_OK(mk(&in[0], 4, (int64_t[]){1, 12, 33, 47}, 6, &err), &err);
  CHECK_OK(mk(&in[1], 4, (int64_t[]){10, 12, 3, 3}, 7, &err), &err);
  CHECK_OK(mk(&in[2], 1, (int64_t[]){10}, 8, &err), &err);
  CHECK_OK(same_on_1_and_2(op_conv, in, 4, (int64_t[]){1, 10, 33, 47}, &eq, &err), &err);
  CHECKF(eq, "conv2d differs between 1 and 2 threads");
  fz_tensor_free(&in[1]);
  CHECK_OK(mk(&in[1], 4, (int64_t[]){12, 10, 3, 3}, 9, &err), &err);
  CHECK_OK(same_on_1_and_2(op_convt, in, 4, (int64_t[]){1, 10, 66, 94}, &eq, &err), &err);
  CHECKF(eq, "conv_transpose2d differs between 1 and 2 threads");
  for (int i = 0; i < 3; i++) fz_tensor_free(&in[i]);
  // group norm with 2 large groups (the chunked statistics path)
  CHECK_OK(mk(&in[0], 4, (int64_t[]){1, 4, 200, 190}, 10, &err), &err);
  CHECK_OK(same_on_1_and_2(op_gn, in, 4, (int64_t[]){1, 4, 200, 190}, &eq, &err), &err);
  fz_tensor_free(&in[0]);
  CHECKF(eq, "group_norm differs between 1 and 2 threads");
}
