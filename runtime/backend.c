// backend.c — backend lookup and the checked op wrappers every caller goes through.
#include "backend.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const fz_backend *fz_backend_cuda(int device, fz_err *err);  // kernels/cuda (or a stub without nvcc)

const fz_backend *fz_backend_get(const char *device, int nthreads, fz_err *err) {
  if (!device || strcmp(device, "cpu") == 0) return fz_backend_cpu(nthreads);
  if (strncmp(device, "cuda", 4) == 0) {
    int idx = 0;
    if (device[4] == ':') {
      char *end;
      long v = strtol(device + 5, &end, 10);
      if (*end || v < 0 || v > 1024) {
        fz_fail(err, FZ_EINVAL, "--device: '%s' is not a device; expected cpu or cuda:N", device);
        return NULL;
      }
      idx = (int)v;
    } else if (device[4]) {
      fz_fail(err, FZ_EINVAL, "--device: '%s' is not a device; expected cpu or cuda:N", device);
      return NULL;
    }
    const fz_backend *be = fz_backend_cuda(idx, err);
    if (!be && err && err->code == FZ_EUNSUP) {  // no driver / no GPU / built without CUDA: say so, run on the CPU
      fz_log(FZ_LOG_WARN, "%s; the CPU backend runs instead", err->msg);
      fz_err_clear(err);
      return fz_backend_cpu(nthreads);
    }
    return be;
  }
  fz_fail(err, FZ_EINVAL, "--device: '%s' is not a device; expected cpu or cuda:N", device);
  return NULL;
}

static int need_f32(const fz_tensor *t, const char *op, const char *what, fz_err *err) {
  if (!t || !t->data) return fz_fail(err, FZ_EINVAL, "%s: %s tensor is missing", op, what);
  if (t->dtype != FZ_F32)
    return fz_fail(err, FZ_EINVAL, "%s: %s has dtype %s, expected f32", op, what, fz_dtype_name(t->dtype));
  return FZ_OK;
}

#define NEED_ENTRY(be, fn, op) \
  if (!(be)->fn) return fz_fail(err, FZ_EUNSUP, "%s: not implemented by backend %s", op, (be)->name)

int fz_op_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err) {
  NEED_ENTRY(be, lincomb, "lincomb");
  int rc = need_f32(out, "lincomb", "out", err);
  if (rc) return rc;
  if (n < 0 || n > 64) return fz_fail(err, FZ_EINVAL, "lincomb: %d terms, expected 0..64", n);
  for (int i = 0; i < n; i++) {
    if ((rc = need_f32(xs[i], "lincomb", "input", err))) return rc;
    if (fz_tensor_numel(xs[i]) != fz_tensor_numel(out))
      return fz_fail(err, FZ_EINVAL, "lincomb: input %d has %lld elements, out has %lld", i,
                     (long long)fz_tensor_numel(xs[i]), (long long)fz_tensor_numel(out));
  }
  return be->lincomb(be, out, n, coef, xs, err);
}

int fz_op_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err) {
  NEED_ENTRY(be, randn, "randn");
  int rc = need_f32(out, "randn", "out", err);
  return rc ? rc : be->randn(be, out, seed, stream, offset, err);
}

int fz_op_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base,
                      int64_t y0, int64_t x0, int64_t global_w, fz_err *err) {
  NEED_ENTRY(be, randn_image, "randn_image");
  int rc = need_f32(out, "randn_image", "out", err);
  if (rc) return rc;
  if (out->ndim != 4) return fz_fail(err, FZ_EINVAL, "randn_image: out has %d dims, expected 4 (NCHW)", out->ndim);
  if (y0 < 0 || x0 < 0 || global_w < x0 + out->shape[3])
    return fz_fail(err, FZ_EINVAL, "randn_image: tile at (%lld,%lld) width %lld lies outside an image of width %lld",
                   (long long)y0, (long long)x0, (long long)out->shape[3], (long long)global_w);
  return be->randn_image(be, out, seed, stream_base, y0, x0, global_w, err);
}

int fz_tensor_upload(fz_tensor *dst, const void *host, size_t nbytes, fz_err *err) {
  if (nbytes != fz_tensor_nbytes(dst))
    return fz_fail(err, FZ_EINVAL, "upload: %zu bytes given for a tensor of %zu bytes", nbytes, fz_tensor_nbytes(dst));
  if (!dst->be) { memcpy(dst->data, host, nbytes); return FZ_OK; }
  return dst->be->upload(dst->be, dst->data, host, nbytes, err);
}

int fz_tensor_download(const fz_tensor *src, void *host, size_t nbytes, fz_err *err) {
  if (nbytes != fz_tensor_nbytes(src))
    return fz_fail(err, FZ_EINVAL, "download: %zu bytes asked of a tensor of %zu bytes", nbytes, fz_tensor_nbytes(src));
  if (!src->be) { memcpy(host, src->data, nbytes); return FZ_OK; }
  return src->be->download(src->be, host, src->data, nbytes, err);
}
