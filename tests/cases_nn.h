// cases_nn.h — helpers for the nn op cases (tests/cases_nn_*.c): a case context that owns every tensor
// and host buffer it hands out, so each case is "make inputs, run op, compute double reference, compare".
#ifndef FZ_CASES_NN_H
#define FZ_CASES_NN_H
#include "op_cases.h"
#include <stdlib.h>

#define NC_MAX 24

typedef struct {
  const fz_backend *be;
  uint64_t seed, stream;
  fz_err *err;
  int rc;                 // first failure (0 while all is well); later helpers become no-ops
  fz_tensor t[NC_MAX];
  int nt;
  void *host[NC_MAX * 2]; // host buffers freed by nc_free
  int nh;
} nn_case;

// Shape literal helpers: SH(2, 3, 4) expands to "3, (int64_t[]){2, 3, 4}" (ndim, shape).
#define SH(...) (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__}

// Starts a case on backend be with inputs derived from seed.
void nc_init(nn_case *c, const fz_backend *be, uint64_t seed, fz_err *err);
// A backend tensor of uniform values in [lo, hi) (fresh stream per call); host copy in *host when non-NULL.
fz_tensor *nc_rand(nn_case *c, int ndim, const int64_t *shape, float lo, float hi, float **host);
// A backend tensor from host values vals (copied).
fz_tensor *nc_from(nn_case *c, int ndim, const int64_t *shape, const float *vals);
// An output tensor pre-filled with NaN, so an element the op forgets to write fails the comparison.
fz_tensor *nc_out(nn_case *c, int ndim, const int64_t *shape);
// An i32 backend tensor from host values.
fz_tensor *nc_i32(nn_case *c, int ndim, const int64_t *shape, const int32_t *vals);
// Records the op's return code (fails the case with err's message when non-zero).
void nc_check(nn_case *c, int rc);
// A zeroed double array of n elements owned by the case (n may be 0).
double *nc_ref(nn_case *c, int64_t n);
// Downloads t, compares with ref by fz_case_err and stores max_err/tol/detail in res (when the case is ok).
void nc_compare(nn_case *c, fz_op_result *res, const fz_tensor *t, const double *ref, double tol, const char *detail);
// Like nc_compare but keeps the worse of this and earlier comparisons in res (several outputs per case).
void nc_compare_more(nn_case *c, fz_op_result *res, const fz_tensor *t, const double *ref, double tol, const char *detail);
// Frees everything and returns the case's return code.
int nc_free(nn_case *c);

// Double-precision activation reference (PyTorch definitions; act is fz_act).
double nc_act_ref(double x, int act, double p0, double p1);
#endif
