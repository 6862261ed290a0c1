// ops_fir.c — checked wrappers of the fir op family: validate dtypes and shapes, then call the backend.
#include "backend.h"
#include <math.h>
#include <stdio.h>

#define NEED_ENTRY(be, fn, op) \
  if (!(be)->fn) return fz_fail(err, FZ_EUNSUP, "%s: not implemented by backend %s", op, (be)->name)

// Checks that t is an f32 4-D (NCHW) tensor with data.
static int need_nchw(const fz_tensor *t, const char *op, const char *what, fz_err *err) {
  char b[96];
  if (!t || !t->data) return fz_fail(err, FZ_EINVAL, "%s: %s tensor is missing", op, what);
  if (t->dtype != FZ_F32)
    return fz_fail(err, FZ_EINVAL, "%s: %s has dtype %s, expected f32", op, what, fz_dtype_name(t->dtype));
  if (t->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected 4 dims (N, C, H, W)", op, what,
                   fz_shape_str(t->ndim, t->shape, b, sizeof b));
  for (int i = 0; i < 4; i++)
    if (t->shape[i] < 1 || t->shape[i] > (1 << 24))
      return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected every dim in 1..2^24", op, what,
                     fz_shape_str(t->ndim, t->shape, b, sizeof b));
  return FZ_OK;
}

int fz_op_fir2d(const fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, fz_fir_pad pad,
                fz_err *err) {
  NEED_ENTRY(be, fir2d, "fir2d");
  char b1[96], b2[96];
  int rc = need_nchw(in, "fir2d", "input", err);
  if (!rc) rc = need_nchw(out, "fir2d", "output", err);
  if (rc) return rc;
  if (!fz_tensor_same_shape(in, out))
    return fz_fail(err, FZ_EINVAL, "fir2d: output shape %s differs from input shape %s",
                   fz_shape_str(out->ndim, out->shape, b1, sizeof b1), fz_shape_str(in->ndim, in->shape, b2, sizeof b2));
  if (!kernel || !kernel->data || kernel->dtype != FZ_F32 || (kernel->ndim != 2 && kernel->ndim != 3))
    return fz_fail(err, FZ_EINVAL, "fir2d: kernel must be an f32 tensor [kh, kw] or [C, kh, kw]");
  if (kernel->ndim == 3 && kernel->shape[0] != in->shape[1])
    return fz_fail(err, FZ_EINVAL, "fir2d: kernel has %lld channels, input has %lld", (long long)kernel->shape[0],
                   (long long)in->shape[1]);
  int64_t kh = kernel->shape[kernel->ndim - 2], kw = kernel->shape[kernel->ndim - 1];
  if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096)
    return fz_fail(err, FZ_EINVAL, "fir2d: kernel %lldx%lld, expected sides in 1..4096", (long long)kh, (long long)kw);
  if ((int)pad < FZ_FIR_PAD_ZERO || (int)pad > FZ_FIR_PAD_CIRCULAR)
    return fz_fail(err, FZ_EINVAL, "fir2d: pad mode %d, expected zero, replicate, symmetric or circular", (int)pad);
  if (in->data == out->data) return fz_fail(err, FZ_EINVAL, "fir2d: output must not alias the input");
  return be->fir2d(be, out, in, kernel, (int)pad, err);
}

int fz_op_imresize(const fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw,
                   fz_imresize_method method, int antialias, fz_err *err) {
  NEED_ENTRY(be, imresize, "imresize");
  int rc = need_nchw(in, "imresize", "input", err);
  if (!rc) rc = need_nchw(out, "imresize", "output", err);
  if (rc) return rc;
  if (out->shape[0] != in->shape[0] || out->shape[1] != in->shape[1])
    return fz_fail(err, FZ_EINVAL, "imresize: output N×C %lld×%lld differs from input %lld×%lld", (long long)out->shape[0],
                   (long long)out->shape[1], (long long)in->shape[0], (long long)in->shape[1]);
  if (!(sh > 0) || !(sw > 0) || !isfinite(sh) || !isfinite(sw) || sh > 1e4 || sw > 1e4 || sh < 1e-4 || sw < 1e-4)
    return fz_fail(err, FZ_EINVAL, "imresize: scale factors (%g, %g) must lie in [1e-4, 1e4]", sh, sw);
  if ((int)method < FZ_IMRESIZE_NEAREST || (int)method > FZ_IMRESIZE_BICUBIC)
    return fz_fail(err, FZ_EINVAL, "imresize: method %d, expected nearest, bilinear or bicubic", (int)method);
  if (in->data == out->data) return fz_fail(err, FZ_EINVAL, "imresize: output must not alias the input");
  return be->imresize(be, out, in, sh, sw, (int)method, antialias, err);
}

int fz_op_interp23tap(const fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err) {
  NEED_ENTRY(be, interp23tap, "interp23tap");
  int rc = need_nchw(in, "interp23tap", "input", err);
  if (!rc) rc = need_nchw(out, "interp23tap", "output", err);
  if (rc) return rc;
  if (ratio < 2 || ratio > 64 || (ratio & (ratio - 1)))
    return fz_fail(err, FZ_EINVAL, "interp23tap: ratio %d, expected a power of 2 in 2..64", ratio);
  if (out->shape[0] != in->shape[0] || out->shape[1] != in->shape[1] || out->shape[2] != in->shape[2] * ratio ||
      out->shape[3] != in->shape[3] * ratio) {
    char b1[96], b2[96];
    return fz_fail(err, FZ_EINVAL, "interp23tap: output shape %s, expected the input %s with H and W times %d",
                   fz_shape_str(out->ndim, out->shape, b1, sizeof b1), fz_shape_str(in->ndim, in->shape, b2, sizeof b2), ratio);
  }
  return be->interp23tap(be, out, in, ratio, err);
}
