// test_models_util.h — helpers for the model parity tests: reading golden safetensors files
// (tests/golden/, see README.md there) into host floats, and running a model on the golden inputs
// (rebuilt from ../shared at test time by golden_inputs.h).
#ifndef FZ_TEST_MODELS_UTIL_H
#define FZ_TEST_MODELS_UTIL_H
#include "fusor.h"
#include "safetensors.h"
#include "../models/model.h"
#include "golden_inputs.h"
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

// A new f32 backend tensor [shape] holding the DNs x (numel(shape) floats) divided by scale (DN -> [0,1] as the official loaders do it
// in f32: (float)dn / scale).
static inline int golden_input(const fz_backend *be, const float *x, int nd, const int64_t *shape, float scale, fz_tensor *t,
                               fz_err *err) {
  int64_t n = fz_shape_numel(nd, shape);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  if (!f) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) f[i] = x[i] / scale;
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

// Runs m on the golden inputs of case cname (golden_inputs.h: rebuilt from ../shared, DN / scale) and returns the
// output [N, C, H, W] as a malloc'd host array in *out (shape in shp). Inputs the model does not read are still built.
// Callers skip first when golden_inputs_missing(cname) says the scene is absent.
static inline int golden_forward(fz_pan_model *m, const char *cname, float scale, float **out, int64_t shp[4], fz_err *err) {
  *out = NULL;
  const golden_inputs *gi = golden_inputs_get(cname, err);
  if (!gi) return err->code ? err->code : FZ_EIO;
  const fz_backend *be = fz_model_backend(m);
  fz_tensor ms = {0}, lms = {0}, pan = {0}, o = {0};
  int64_t sm[4] = {1, gi->c, gi->h / GI_RATIO, gi->w / GI_RATIO}, sl[4] = {1, gi->c, gi->h, gi->w}, sp[4] = {1, 1, gi->h, gi->w};
  int rc = golden_input(be, gi->ms, 4, sm, scale, &ms, err);
  if (!rc) rc = golden_input(be, gi->lms, 4, sl, scale, &lms, err);
  if (!rc) rc = golden_input(be, gi->pan, 4, sp, scale, &pan, err);
  if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, 4, lms.shape, err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  if (!rc) rc = fz_model_forward(m, &in, &o, err);
  int64_t n = rc ? 0 : fz_tensor_numel(&o);
  if (!rc && !(*out = malloc((size_t)n * sizeof **out))) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
  if (!rc) rc = fz_tensor_download(&o, *out, (size_t)n * sizeof **out, err);
  if (!rc) for (int i = 0; i < 4; i++) shp[i] = o.shape[i];
  if (rc) { free(*out); *out = NULL; }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&o);
  return rc;
}

// max |got - golden| where golden is tensor gname of tests/golden/<file>; when sub3 the golden holds
// got[..., ::3, ::3]. Returns the difference, or -1 with err set.
static inline double golden_compare(const float *got, const int64_t shp[4], const char *file, const char *gname, int sub3,
                                    fz_err *err) {
  char path[600];
  if (!golden_path(file, path, sizeof path)) { fz_fail(err, FZ_EIO, "golden file tests/golden/%s is missing", file); return -1; }
  fz_weights go;
  if (st_open(path, &go, err)) return -1;
  int64_t nref = 0, C = shp[0] * shp[1], H = shp[2], W = shp[3];
  float *ref = golden_floats(&go, gname, &nref, NULL, NULL, err);
  st_close(&go);
  if (!ref) return -1;
  int64_t h = sub3 ? (H + 2) / 3 : H, w = sub3 ? (W + 2) / 3 : W, n = C * h * w;
  float *sel = malloc((size_t)(n ? n : 1) * sizeof *sel);
  double md = -1;
  if (!sel) fz_fail(err, FZ_ENOMEM, "out of memory");
  else if (n != nref) fz_fail(err, FZ_EINVAL, "golden %s has %lld values, fusor gives %lld", gname, (long long)nref, (long long)n);
  else {
    int st = sub3 ? 3 : 1;
    int64_t k = 0;
    for (int64_t c = 0; c < C; c++)
      for (int64_t y = 0; y < H; y += st)
        for (int64_t x = 0; x < W; x += st) sel[k++] = got[(c * H + y) * W + x];
    md = max_abs_diff(sel, ref, n);
  }
  free(sel);
  free(ref);
  return md;
}

// A backend tensor from golden tensor `name`; when batch2, a [2, ...] batch of image 0 and image 0 mirrored
// left-right (the generator's flip(-1) batch).
static inline int golden_tensor_batch2(const fz_backend *be, const fz_weights *g, const char *name, int batch2, fz_tensor *t, fz_err *err) {
  int64_t n, sh[5];
  int nd;
  float *f = golden_floats(g, name, &n, &nd, sh, err);
  if (!f) return err->code ? err->code : FZ_EIO;
  float *b = f;
  if (batch2) {
    int64_t w = sh[3], rows = n / w;
    b = malloc((size_t)(2 * n) * sizeof *b);
    if (!b) { free(f); return fz_fail(err, FZ_ENOMEM, "out of memory"); }
    memcpy(b, f, (size_t)n * sizeof *b);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t x = 0; x < w; x++) b[n + r * w + x] = f[r * w + (w - 1 - x)];
    sh[0] = 2;
    n *= 2;
  }
  int rc = fz_tensor_alloc(t, be, FZ_F32, nd, sh, err);
  if (!rc) rc = fz_tensor_upload(t, b, (size_t)n * sizeof *b, err);
  if (b != f) free(b);
  free(f);
  return rc;
}
#endif
