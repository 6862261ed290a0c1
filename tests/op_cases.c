// op_cases.c — the op-case registry and helpers shared by all case files (tests/cases_*.c).
#include "op_cases.h"
#include <math.h>
#include <stdlib.h>

static fz_op_case g_cases[1024];
static int g_ncases;

void fz_op_case_register(const char *name, fz_op_case_fn fn) {
  if (g_ncases < 1024) g_cases[g_ncases++] = (fz_op_case){name, fn};
}
int fz_op_case_count(void) { return g_ncases; }
const fz_op_case *fz_op_case_get(int i) { return (i >= 0 && i < g_ncases) ? &g_cases[i] : NULL; }

fz_dtype fz_case_input_dtype = FZ_F32;

int fz_case_rand(const fz_backend *be, fz_tensor *t, int ndim, const int64_t *shape, uint64_t seed,
                 uint64_t stream, float lo, float hi, float **host, fz_err *err) {
  int rc = fz_tensor_alloc(t, be, FZ_F32, ndim, shape, err);
  if (rc) return rc;
  int64_t n = fz_tensor_numel(t);
  float *h = malloc((size_t)(n ? n : 1) * sizeof *h);
  if (!h) { fz_tensor_free(t); return fz_fail(err, FZ_ENOMEM, "op case: no memory"); }
  fz_philox_fill_uniform(h, (uint64_t)n, seed, stream, 0);
  for (int64_t i = 0; i < n; i++) h[i] = lo + (hi - lo) * h[i];
  if (fz_case_input_dtype == FZ_BF16)
    for (int64_t i = 0; i < n; i++) h[i] = fz_bf16_to_f32(fz_f32_to_bf16(h[i]));
  else if (fz_case_input_dtype == FZ_F16)
    for (int64_t i = 0; i < n; i++) h[i] = fz_f16_to_f32(fz_f32_to_f16(h[i]));
  rc = fz_tensor_upload(t, h, (size_t)n * sizeof *h, err);
  if (rc || !host) free(h);
  else *host = h;
  if (rc) fz_tensor_free(t);
  return rc;
}

float *fz_case_download(const fz_tensor *t, fz_err *err) {
  size_t nb = fz_tensor_nbytes(t);
  float *h = malloc(nb ? nb : 4);
  if (!h) { fz_fail(err, FZ_ENOMEM, "op case: no memory"); return NULL; }
  if (fz_tensor_download(t, h, nb, err)) { free(h); return NULL; }
  return h;
}

double fz_case_err(const float *got, const double *ref, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs((double)got[i] - ref[i]) / (1.0 + fabs(ref[i]));
    if (!(e <= m)) m = e;  // NaN propagates as failure
  }
  return m;
}
