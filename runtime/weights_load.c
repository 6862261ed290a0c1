// weights_load.c — format detection for weights files and copying a file tensor into an fz_tensor.
#include "weights.h"
#include "backend.h"
#include "pth.h"
#include "safetensors.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fz_weights_load(const char *path, fz_weights *w, fz_err *err) {
  fz_weights_init(w);
  FILE *f = fopen(path, "rb");
  if (!f) return fz_fail(err, FZ_EIO, "%s: cannot open: %s", path, strerror(errno));
  static const unsigned char legacy[14] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  unsigned char magic[14] = {0};
  size_t got = fread(magic, 1, sizeof magic, f);
  fclose(f);
  // A zip, or a legacy torch pickle (pth_open explains); anything else is read as safetensors,
  // whose first byte is the header length (so a first byte 0x80 alone proves nothing).
  if (got >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) return pth_open(path, w, err);
  if (got == sizeof legacy && !memcmp(magic, legacy, sizeof legacy)) return pth_open(path, w, err);
  int rc = st_open(path, w, err);
  if (rc == FZ_EFORMAT && got >= 2 && magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5 && err) {
    size_t l = strlen(err->msg);
    snprintf(err->msg + l, sizeof err->msg - l, " (the file starts like a pickle: a bare torch pickle is not a .pth zip)");
  }
  return rc;
}

int fz_wtensor_to_tensor(const fz_wtensor *t, const fz_backend *be, int flags, fz_tensor *out, fz_err *err) {
  char pn[160], sb[256];
  memset(out, 0, sizeof *out);
  if (t->ndim > FZ_MAX_DIMS)
    return fz_fail(err, FZ_EUNSUP, "tensor '%s': %d dims %s, fusor tensors hold at most %d", fz_printable(t->name, pn, sizeof pn),
                   t->ndim, fz_wshape_str(t->ndim, t->shape, sb, sizeof sb), FZ_MAX_DIMS);
  int dt = fz_wdtype_to_fz(t->dtype);
  int from_f64 = t->dtype == FZ_W_F64 && (flags & FZ_WLOAD_F64_TO_F32);
  if (from_f64) dt = FZ_F32;
  if (dt < 0)
    return fz_fail(err, FZ_EUNSUP, "tensor '%s': dtype %s has no fusor tensor type (f32 f16 bf16 u8 u16 i32%s)",
                   fz_printable(t->name, pn, sizeof pn), fz_wdtype_name(t->dtype),
                   t->dtype == FZ_W_F64 ? "; ask for F64 -> f32 conversion" : "");
  int rc = fz_tensor_alloc(out, be, (fz_dtype)dt, t->ndim, t->shape, err);
  if (rc) return fz_wrap(err, "tensor '%s'", fz_printable(t->name, pn, sizeof pn));
  size_t nb = fz_tensor_nbytes(out);
  if (!from_f64) {
    if (nb) rc = fz_tensor_upload(out, t->data, nb, err);
  } else {
    float *tmp = malloc(nb ? nb : 1);
    if (!tmp) { fz_tensor_free(out); return fz_fail(err, FZ_ENOMEM, "tensor '%s': cannot allocate %zu bytes", fz_printable(t->name, pn, sizeof pn), nb); }
    for (int64_t i = 0; i < t->numel; i++) tmp[i] = (float)fz_wtensor_get_f64(t, i);
    if (nb) rc = fz_tensor_upload(out, tmp, nb, err);
    free(tmp);
  }
  if (rc) { fz_tensor_free(out); return fz_wrap(err, "tensor '%s'", fz_printable(t->name, pn, sizeof pn)); }
  return FZ_OK;
}

int st_load_tensor(const fz_weights *w, const char *name, const struct fz_backend *be, int flags, fz_tensor *out, fz_err *err) {
  const fz_wtensor *t = fz_weights_find(w, name);
  char pn[160];
  if (!t) return fz_fail(err, FZ_EINVAL, "weights: no tensor named '%s'", fz_printable(name, pn, sizeof pn));
  return fz_wtensor_to_tensor(t, be, flags, out, err);
}
