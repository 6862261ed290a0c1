// test_nn_bad.c — bad-input tests of the nn op wrappers: wrong shapes, dtypes, parameters and indices
// give FZ_EINVAL with a message naming the op, the operand and the expectation; a backend without an
// entry gives FZ_EUNSUP; nothing aborts.
#include "test.h"
#include "fusor.h"
#include <stdlib.h>
#include <string.h>

// Allocates a zero-filled f32 host-backend tensor of the given shape (test helper).
static int mk(fz_tensor *t, const fz_backend *be, int ndim, const int64_t *shape, fz_err *err) {
  int rc = fz_tensor_alloc(t, be, FZ_F32, ndim, shape, err);
  if (!rc) memset(t->data, 0, fz_tensor_nbytes(t));
  return rc;
}

// 1 when err has code and its message contains every needle.
static int says(const fz_err *err, int code, const char *a, const char *b) {
  return (int)err->code == code && strstr(err->msg, a) && (!b || strstr(err->msg, b));
}

// Oracle: the contract of ops_nn.h — shape/parameter errors are FZ_EINVAL naming op, operand, expectation.
TEST(nn_conv_bad_inputs) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  fz_tensor x, w, o, wbad, obad, b3;
  CHECK_OK(mk(&x, be, 4, (int64_t[]){1, 4, 5, 5}, &err), &err);
  CHECK_OK(mk(&w, be, 4, (int64_t[]){6, 4, 3, 3}, &err), &err);
  CHECK_OK(mk(&o, be, 4, (int64_t[]){1, 6, 5, 5}, &err), &err);
  CHECK_OK(mk(&wbad, be, 4, (int64_t[]){6, 3, 3, 3}, &err), &err);
  CHECK_OK(mk(&obad, be, 4, (int64_t[]){1, 6, 4, 5}, &err), &err);
  CHECK_OK(mk(&b3, be, 1, (int64_t[]){3}, &err), &err);
  fz_conv2d_params p = {.pad_h = 1, .pad_w = 1};
  CHECK_OK(fz_op_conv2d(be, &o, &x, &w, NULL, &p, &err), &err);
  CHECK(fz_op_conv2d(be, &o, &x, &wbad, NULL, &p, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "conv2d: w has shape [6, 3, 3, 3]", "expected"));
  CHECK(fz_op_conv2d(be, &obad, &x, &w, NULL, &p, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "conv2d: out has shape [1, 6, 4, 5]", "expected [1, 6, 5, 5]"));
  CHECK(fz_op_conv2d(be, &o, &x, &w, &b3, &p, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "conv2d: bias", "[6]"));
  fz_conv2d_params refl = {.pad_h = 5, .pad_w = 5, .pad_mode = FZ_PAD_REFLECT};
  CHECK(fz_op_conv2d(be, &o, &x, &w, NULL, &refl, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "reflect padding", "smaller than"));
  fz_conv2d_params grp = {.pad_h = 1, .pad_w = 1, .groups = 3};
  CHECK(fz_op_conv2d(be, &o, &x, &w, NULL, &grp, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "groups 3 must divide", NULL));
  fz_conv2d_params neg = {.stride_h = -1};
  CHECK(fz_op_conv2d(be, &o, &x, &w, NULL, &neg, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "stride", ">= 1"));
  fz_conv2d_params big = {0};
  fz_tensor wk;
  CHECK_OK(mk(&wk, be, 4, (int64_t[]){6, 4, 7, 7}, &err), &err);
  CHECK(fz_op_conv2d(be, &o, &x, &wk, NULL, &big, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "larger than the padded input", NULL));
  CHECK(fz_op_conv2d(be, &x, &x, &w, NULL, &p, &err) == FZ_EINVAL);  // out aliases x (and has the wrong shape)
  fz_conv2d_params small_ws = {.pad_h = 1, .pad_w = 1, .workspace = x.data, .workspace_bytes = 4};
  CHECK(fz_op_conv2d(be, &o, &x, &w, NULL, &small_ws, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "workspace of 4 bytes", "needed"));
  fz_conv2d_params op = {.stride_h = 2, .stride_w = 2, .out_pad_h = 2};
  CHECK(fz_op_conv_transpose2d(be, &o, &x, &w, NULL, &op, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "conv_transpose2d", NULL));
  fz_tensor x3;
  CHECK_OK(mk(&x3, be, 3, (int64_t[]){1, 4, 5}, &err), &err);
  CHECK(fz_op_conv2d(be, &o, &x3, &w, NULL, &p, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "conv2d: x has shape [1, 4, 5]", "4 dims"));
  fz_tensor xi;
  CHECK_OK(fz_tensor_alloc(&xi, be, FZ_I32, 4, (int64_t[]){1, 4, 5, 5}, &err), &err);
  CHECK(fz_op_conv2d(be, &o, &xi, &w, NULL, &p, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "x has dtype i32", "expected f32"));
  fz_tensor *all[] = {&x, &w, &o, &wbad, &obad, &b3, &wk, &x3, &xi};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) fz_tensor_free(all[i]);
}

// Oracle: the contract of ops_nn.h for GEMM, norms, softmax, glu, binary and the segmented GEMM's idx range.
TEST(nn_other_bad_inputs) {
  const fz_backend *be = fz_backend_cpu(2);
  fz_err err = {0};
  fz_tensor a, b, o, v5, x4, o4, idx, w3, os;
  CHECK_OK(mk(&a, be, 2, (int64_t[]){3, 4}, &err), &err);
  CHECK_OK(mk(&b, be, 2, (int64_t[]){5, 6}, &err), &err);
  CHECK_OK(mk(&o, be, 2, (int64_t[]){3, 6}, &err), &err);
  CHECK_OK(mk(&v5, be, 1, (int64_t[]){5}, &err), &err);
  CHECK_OK(mk(&x4, be, 4, (int64_t[]){2, 6, 3, 3}, &err), &err);
  CHECK_OK(mk(&o4, be, 4, (int64_t[]){2, 3, 3, 3}, &err), &err);
  CHECK(fz_op_gemm(be, &o, &a, &b, 0, 0, 1, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "gemm: a [3, 4]", "does not give out"));
  CHECK(fz_op_linear(be, &o, &a, &b, NULL, FZ_ACT_NONE, 0, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "linear: x has shape [3, 4]", NULL));
  CHECK(fz_op_layer_norm(be, &x4, &x4, &v5, NULL, 1e-5f, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "layer_norm: gamma has shape [5]", "expected [3]"));
  CHECK(fz_op_layer_norm(be, &x4, &x4, NULL, NULL, -1.0f, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "eps", NULL));
  CHECK(fz_op_group_norm(be, &x4, &x4, 4, NULL, NULL, 1e-5f, FZ_ACT_NONE, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "group_norm: 4 groups", "6 channels"));
  CHECK(fz_op_batch_norm(be, &x4, &x4, NULL, NULL, NULL, NULL, 1e-5f, FZ_ACT_NONE, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "batch_norm", "required"));
  CHECK(fz_op_softmax(be, &x4, &x4, 4, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "softmax: dim 4", NULL));
  CHECK(fz_op_glu(be, &o4, &x4, 2, FZ_ACT_NONE, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "glu: x has 3 entries along dim 2", "even"));
  CHECK_OK(fz_op_glu(be, &o4, &x4, 1, FZ_ACT_NONE, 0, &err), &err);
  CHECK(fz_op_act(be, &x4, &x4, FZ_ACT_SOFTPLUS, 0.0f, 20, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "softplus beta", NULL));
  CHECK(fz_op_act(be, &x4, &x4, 99, 0, 0, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "activation 99", NULL));
  CHECK(fz_op_binary(be, &o, &a, &b, FZ_BIN_ADD, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "do not broadcast", NULL));
  CHECK(fz_op_binary(be, &v5, &v5, &a, FZ_BIN_ADD, &err) == FZ_EINVAL);
  CHECK(fz_op_modulate(be, &x4, &x4, &v5, NULL, FZ_LAYOUT_NCHW, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "modulate: shift has shape [5]", "[2, 6]"));
  CHECK(fz_op_global_pool(be, &o, &x4, FZ_POOL_AVG, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "global_pool: out", "[2, 6, 1, 1]"));
  // Segmented GEMM: an out-of-range cluster index is caught by the kernel, not a crash.
  CHECK_OK(fz_tensor_alloc(&idx, be, FZ_I32, 1, (int64_t[]){3}, &err), &err);
  CHECK_OK(mk(&w3, be, 3, (int64_t[]){2, 4, 6}, &err), &err);
  CHECK_OK(mk(&os, be, 2, (int64_t[]){3, 6}, &err), &err);
  int32_t bad[3] = {0, 2, 1};
  memcpy(idx.data, bad, sizeof bad);
  CHECK(fz_op_gemm_segmented(be, &os, &a, &w3, NULL, &idx, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "idx[1] = 2", "[0, 2)"));
  bad[1] = 1;
  memcpy(idx.data, bad, sizeof bad);
  CHECK_OK(fz_op_gemm_segmented(be, &os, &a, &w3, NULL, &idx, &err), &err);
  CHECK(fz_op_gemm_segmented(be, &os, &a, &w3, NULL, &a, &err) == FZ_EINVAL && says(&err, FZ_EINVAL, "idx must be an i32", NULL));
  fz_tensor *all[] = {&a, &b, &o, &v5, &x4, &o4, &idx, &w3, &os};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) fz_tensor_free(all[i]);
}

// Oracle: backend.h's rule — an entry left NULL means "not implemented": FZ_EUNSUP naming op and backend.
TEST(nn_missing_entry_is_unsupported) {
  fz_backend be = *fz_backend_cpu(1);
  be.conv2d = NULL;
  be.softmax = NULL;
  be.gemm_segmented = NULL;
  fz_err err = {0};
  fz_tensor x, w, o;
  CHECK_OK(mk(&x, &be, 4, (int64_t[]){1, 1, 2, 2}, &err), &err);
  CHECK_OK(mk(&w, &be, 4, (int64_t[]){1, 1, 1, 1}, &err), &err);
  CHECK_OK(mk(&o, &be, 4, (int64_t[]){1, 1, 2, 2}, &err), &err);
  CHECK(fz_op_conv2d(&be, &o, &x, &w, NULL, NULL, &err) == FZ_EUNSUP && says(&err, FZ_EUNSUP, "conv2d: not implemented by backend cpu", NULL));
  CHECK(fz_op_softmax(&be, &o, &x, -1, &err) == FZ_EUNSUP && says(&err, FZ_EUNSUP, "softmax", NULL));
  CHECK(fz_op_gemm_segmented(&be, &o, &x, &w, NULL, NULL, &err) == FZ_EUNSUP);
  CHECK_OK(fz_op_act(&be, &o, &x, FZ_ACT_RELU, 0, 0, &err), &err);  // other entries still work
  fz_tensor_free(&x);
  fz_tensor_free(&w);
  fz_tensor_free(&o);
}
