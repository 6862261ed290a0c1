// precision.c — `--precision` parsing and the choice of a backend table for a compute precision.
#include "precision.h"
#include <stdlib.h>
#include <string.h>

int fz_precision_parse(const char *s, fz_dtype *dt, fz_err *err) {
  if (!s || !strcmp(s, "fp32") || !strcmp(s, "f32")) *dt = FZ_F32;
  else if (!strcmp(s, "bf16")) *dt = FZ_BF16;
  else if (!strcmp(s, "fp16") || !strcmp(s, "f16")) *dt = FZ_F16;
  else return fz_fail(err, FZ_EINVAL, "--precision: '%s' is not a precision; expected fp32, bf16 or fp16", s);
  return FZ_OK;
}

const fz_backend *fz_backend_with_precision(const fz_backend *be, const char *precision, fz_err *err) {
  fz_dtype dt;
  if (!be || fz_precision_parse(precision, &dt, err)) return NULL;
  if (dt == FZ_F32) return be;
  if (strncmp(be->name, "cuda:", 5) != 0 || strchr(be->name, '/')) {
    fz_fail(err, FZ_EUNSUP, "--precision %s needs --device cuda:N (the %s backend computes in fp32 only; use --precision fp32)",
            precision, be->name);
    return NULL;
  }
  return fz_backend_cuda_precision(atoi(be->name + 5), dt, err);
}
