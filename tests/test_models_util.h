// test_models_util.h — helpers for the model parity tests: reading golden safetensors files
// (tests/golden/, see README.md there) into host floats and building backend input tensors.
#ifndef FZ_TEST_MODELS_UTIL_H
#define FZ_TEST_MODELS_UTIL_H
#include "fusor.h"
#include "safetensors.h"
#include "../models/model.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Path of a golden file: tests/golden/<name> relative to the repository root (the test runner's cwd),
// or $FUSOR_GOLDEN/<name> when set. Returns NULL when the file is absent.
static inline const char *golden_path(const char *name, char *buf, size_t n) {
  const char *root = getenv("FUSOR_GOLDEN");
  snprintf(buf, n, "%s/%s", root ? root : "tests/golden", name);
  FILE *f = fopen(buf, "rb");
  if (!f) return NULL;
  fclose(f);
  return buf;
}

// Copies golden tensor `name` of w into a malloc'd float array (any dtype the loader maps); *numel and
// shape (up to 5 dims, ndim in *ndim) are returned. NULL when absent.
static inline float *golden_floats(const fz_weights *w, const char *name, int64_t *numel, int *ndim, int64_t shape[5],
                                   fz_err *err) {
  fz_tensor t = {0};
  if (st_load_tensor(w, name, NULL, 0, &t, err)) return NULL;
  int64_t n = fz_tensor_numel(&t);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  if (f) fz_convert_to_f32(f, t.data, t.dtype, (size_t)n);
  if (numel) *numel = n;
  if (ndim) *ndim = t.ndim;
  if (shape) for (int i = 0; i < t.ndim && i < 5; i++) shape[i] = t.shape[i];
  fz_tensor_free(&t);
  return f;
}

// A new f32 backend tensor [shape] holding golden tensor `name` divided by scale (u16 DN -> [0,1] as
// the official loaders do it in f32: (float)dn / scale).
static inline int golden_input(const fz_backend *be, const fz_weights *w, const char *name, float scale, fz_tensor *t,
                               fz_err *err) {
  int64_t n, shape[5];
  int nd;
  float *f = golden_floats(w, name, &n, &nd, shape, err);
  if (!f) return err->code ? err->code : FZ_EIO;
  for (int64_t i = 0; i < n; i++) f[i] = f[i] / scale;
  int rc = fz_tensor_alloc(t, be, FZ_F32, nd, shape, err);
  if (!rc) rc = fz_tensor_upload(t, f, (size_t)n * sizeof *f, err);
  free(f);
  return rc;
}

// max |a[i] - b[i]| over n floats (NaN counts as infinite).
static inline double max_abs_diff(const float *a, const float *b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (!(d <= m)) m = isnan(d) ? INFINITY : d;
  }
  return m;
}
#endif
