// cases_core.c — op cases for lincomb and randn (oracles: a double loop; the Philox definition).
#include "op_cases.h"
#include <stdlib.h>
#include <string.h>

FZ_OP_CASE(lincomb_3terms_odd) {
  int64_t shape[3] = {3, 7, 33};
  fz_tensor x[3], out;
  float *h[3];
  const fz_tensor *xs[3];
  float coef[3] = {0.7f, -1.5f, 0.25f};
  for (int i = 0; i < 3; i++) {
    int rc = fz_case_rand(be, &x[i], 3, shape, seed, (uint64_t)i, -2, 2, &h[i], err);
    if (rc) return rc;
    xs[i] = &x[i];
  }
  int rc = fz_tensor_alloc(&out, be, FZ_F32, 3, shape, err);
  if (!rc) rc = fz_op_lincomb(be, &out, 3, coef, xs, err);
  int64_t n = fz_tensor_numel(&out);
  float *got = rc ? NULL : fz_case_download(&out, err);
  double *ref = malloc((size_t)n * sizeof *ref);
  for (int64_t j = 0; j < n; j++) {
    ref[j] = 0;
    for (int i = 0; i < 3; i++) ref[j] += (double)coef[i] * h[i][j];
  }
  if (got) { res->max_err = fz_case_err(got, ref, n); res->tol = 1e-6; snprintf(res->detail, sizeof res->detail, "[3,7,33]"); }
  else if (!rc) rc = err->code;
  free(got); free(ref);
  for (int i = 0; i < 3; i++) { free(h[i]); fz_tensor_free(&x[i]); }
  fz_tensor_free(&out);
  return rc;
}

FZ_OP_CASE(randn_offset) {
  int64_t shape[1] = {1001};
  fz_tensor out;
  int rc = fz_tensor_alloc(&out, be, FZ_F32, 1, shape, err);
  if (!rc) rc = fz_op_randn(be, &out, seed, 5, 3, err);
  float *got = rc ? NULL : fz_case_download(&out, err);
  if (got) {
    double *ref = malloc(1001 * sizeof *ref);
    for (int i = 0; i < 1001; i++) ref[i] = fz_philox_normal(seed, 5, 3 + (uint64_t)i);
    res->max_err = fz_case_err(got, ref, 1001);
    res->tol = 0;  // bit-exact: the numbers are defined by (seed, stream, index)
    free(ref);
  } else if (!rc) rc = err->code;
  free(got);
  fz_tensor_free(&out);
  return rc;
}
