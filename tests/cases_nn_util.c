// cases_nn_util.c — the nn_case helpers of cases_nn.h (tensor bookkeeping, comparison, activation reference).
#include "cases_nn.h"
#include <math.h>
#include <string.h>

void nc_init(nn_case *c, const fz_backend *be, uint64_t seed, fz_err *err) {
  memset(c, 0, sizeof *c);
  c->be = be;
  c->seed = seed;
  c->err = err;
}

// The next free tensor slot, or NULL (and rc set) when the case failed or ran out.
static fz_tensor *slot(nn_case *c) {
  if (c->rc) return NULL;
  if (c->nt >= NC_MAX) { c->rc = fz_fail(c->err, FZ_EINTERNAL, "nn case: more than %d tensors", NC_MAX); return NULL; }
  return &c->t[c->nt];
}

// Records host buffer p to be freed by nc_free; NULL (rc set) on allocation failure.
static void *keep(nn_case *c, void *p) {
  if (!p) { if (!c->rc) c->rc = fz_fail(c->err, FZ_ENOMEM, "nn case: no memory"); return NULL; }
  if (c->nh >= NC_MAX * 2) { free(p); if (!c->rc) c->rc = fz_fail(c->err, FZ_EINTERNAL, "nn case: too many buffers"); return NULL; }
  c->host[c->nh++] = p;
  return p;
}

fz_tensor *nc_rand(nn_case *c, int ndim, const int64_t *shape, float lo, float hi, float **host) {
  fz_tensor *t = slot(c);
  if (!t) return NULL;
  float *h = NULL;
  int rc = fz_case_rand(c->be, t, ndim, shape, c->seed, 1000 + c->stream++, lo, hi, &h, c->err);
  if (rc) { c->rc = rc; return NULL; }
  c->nt++;
  keep(c, h);
  if (host) *host = h;
  return t;
}

fz_tensor *nc_from(nn_case *c, int ndim, const int64_t *shape, const float *vals) {
  fz_tensor *t = slot(c);
  if (!t) return NULL;
  int rc = fz_tensor_alloc(t, c->be, FZ_F32, ndim, shape, c->err);
  if (!rc) rc = fz_tensor_upload(t, vals, fz_tensor_nbytes(t), c->err);
  if (rc) { fz_tensor_free(t); c->rc = rc; return NULL; }
  c->nt++;
  return t;
}

fz_tensor *nc_out(nn_case *c, int ndim, const int64_t *shape) {
  int64_t n = fz_shape_numel(ndim, shape);
  float *h = keep(c, malloc((size_t)(n > 0 ? n : 1) * sizeof *h));
  if (!h) return NULL;
  for (int64_t i = 0; i < n; i++) h[i] = NAN;
  return nc_from(c, ndim, shape, h);
}

fz_tensor *nc_i32(nn_case *c, int ndim, const int64_t *shape, const int32_t *vals) {
  fz_tensor *t = slot(c);
  if (!t) return NULL;
  int rc = fz_tensor_alloc(t, c->be, FZ_I32, ndim, shape, c->err);
  if (!rc) rc = fz_tensor_upload(t, vals, fz_tensor_nbytes(t), c->err);
  if (rc) { fz_tensor_free(t); c->rc = rc; return NULL; }
  c->nt++;
  return t;
}

void nc_check(nn_case *c, int rc) {
  if (!c->rc && rc) c->rc = rc;
}

double *nc_ref(nn_case *c, int64_t n) {
  if (c->rc) return NULL;
  return keep(c, calloc((size_t)(n > 0 ? n : 1), sizeof(double)));
}

// Downloads t and records its mixed error against ref in res (more: keep the worst comparison).
static void compare(nn_case *c, fz_op_result *res, const fz_tensor *t, const double *ref, double tol, const char *detail, int more) {
  if (c->rc || !t || !ref) return;
  float *got = fz_case_download(t, c->err);
  if (!got) { c->rc = c->err->code ? (int)c->err->code : FZ_EINTERNAL; return; }
  double e = fz_case_err(got, ref, fz_tensor_numel(t));
  free(got);
  // A case passes when every comparison passes: keep the comparison with the largest error/tolerance ratio.
  if (!more || !(e / tol <= res->max_err / (res->tol > 0 ? res->tol : 1e-300))) {
    res->max_err = e;
    res->tol = tol;
    snprintf(res->detail, sizeof res->detail, "%s", detail);
  }
}

void nc_compare(nn_case *c, fz_op_result *res, const fz_tensor *t, const double *ref, double tol, const char *detail) {
  compare(c, res, t, ref, tol, detail, 0);
}

void nc_compare_more(nn_case *c, fz_op_result *res, const fz_tensor *t, const double *ref, double tol, const char *detail) {
  compare(c, res, t, ref, tol, detail, 1);
}

int nc_free(nn_case *c) {
  for (int i = 0; i < c->nt; i++) fz_tensor_free(&c->t[i]);
  for (int i = 0; i < c->nh; i++) free(c->host[i]);
  c->nt = c->nh = 0;
  return c->rc;
}

double nc_act_ref(double x, int act, double p0, double p1) {
  switch (act) {
    case FZ_ACT_RELU: return x > 0 ? x : 0;
    case FZ_ACT_LEAKY_RELU: return x > 0 ? x : x * p0;
    case FZ_ACT_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case FZ_ACT_GELU_TANH: return 0.5 * x * (1 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case FZ_ACT_SILU: return x / (1 + exp(-x));
    case FZ_ACT_SIGMOID: return 1 / (1 + exp(-x));
    case FZ_ACT_SOFTPLUS: return x * p0 > p1 ? x : log1p(exp(p0 * x)) / p0;
    case FZ_ACT_SIN: return sin(x);
    case FZ_ACT_TANH: return tanh(x);
    default: return x;
  }
}
