// cases_seq.h — small helpers for the seq op cases (tests/cases_seq_*.c): a bag of backend tensors and host
// buffers that is freed in one call, random inputs with host copies, downloads, and error bookkeeping.
#ifndef FZ_CASES_SEQ_H
#define FZ_CASES_SEQ_H
#include "op_cases.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_MAX 24
typedef struct {
  const fz_backend *be;
  uint64_t seed;
  fz_err *err;
  fz_tensor t[SC_MAX];
  void *mem[SC_MAX * 2];
  int nt, nm, rc;
} seq_case;

// Starts a bag for backend be, inputs from seed.
static inline void sc_init(seq_case *c, const fz_backend *be, uint64_t seed, fz_err *err) {
  memset(c, 0, sizeof *c);
  c->be = be; c->seed = seed; c->err = err;
}
// Tracks a malloc'd host buffer (freed by sc_done); returns p.
static inline void *sc_track(seq_case *c, void *p) {
  if (p && c->nm < SC_MAX * 2) c->mem[c->nm++] = p;
  else if (p) { free(p); p = NULL; }
  if (!p && !c->rc) c->rc = fz_fail(c->err, FZ_ENOMEM, "op case: no memory");
  return p;
}
// Zeroed host memory of n bytes, tracked.
static inline void *sc_mem(seq_case *c, size_t n) { return sc_track(c, calloc(n ? n : 1, 1)); }
// A backend f32 tensor with uniform values in [lo, hi) from (seed, stream); *host gets a tracked copy.
static inline fz_tensor *sc_rand(seq_case *c, int ndim, const int64_t *shape, uint64_t stream, float lo, float hi,
                                 float **host) {
  if (c->rc || c->nt >= SC_MAX) { if (!c->rc) c->rc = fz_fail(c->err, FZ_EINTERNAL, "op case: too many tensors"); return NULL; }
  float *h = NULL;
  int rc = fz_case_rand(c->be, &c->t[c->nt], ndim, shape, c->seed, stream, lo, hi, &h, c->err);
  if (rc) { c->rc = rc; return NULL; }
  sc_track(c, h);
  if (host) *host = h;
  return &c->t[c->nt++];
}
// A backend tensor of dtype dt, uploaded from host data (NULL: left uninitialised).
static inline fz_tensor *sc_new(seq_case *c, fz_dtype dt, int ndim, const int64_t *shape, const void *data) {
  if (c->rc || c->nt >= SC_MAX) { if (!c->rc) c->rc = fz_fail(c->err, FZ_EINTERNAL, "op case: too many tensors"); return NULL; }
  fz_tensor *t = &c->t[c->nt];
  int rc = fz_tensor_alloc(t, c->be, dt, ndim, shape, c->err);
  if (!rc && data) rc = fz_tensor_upload(t, data, fz_tensor_nbytes(t), c->err);
  if (rc) { if (!t->owns) memset(t, 0, sizeof *t); else fz_tensor_free(t); c->rc = rc; return NULL; }
  c->nt++;
  return t;
}
// Downloads t into a tracked host buffer (any 4-byte dtype).
static inline void *sc_get(seq_case *c, const fz_tensor *t) {
  if (c->rc) return NULL;
  size_t nb = fz_tensor_nbytes(t);
  void *h = sc_mem(c, nb);
  if (h && fz_tensor_download(t, h, nb, c->err)) { c->rc = c->err->code; return NULL; }
  return h;
}
// Records the return code of an op call; returns 1 while the case can go on.
static inline int sc_ok(seq_case *c, int rc) {
  if (rc && !c->rc) c->rc = rc;
  return !c->rc;
}
// Raises res->max_err to the mixed error of got against ref over n values.
static inline void sc_err(fz_op_result *res, const float *got, const double *ref, int64_t n) {
  double e = fz_case_err(got, ref, n);
  if (!(e <= res->max_err)) res->max_err = e;
}
// Frees everything; returns the first error code (0 on success).
static inline int sc_done(seq_case *c) {
  for (int i = 0; i < c->nt; i++) fz_tensor_free(&c->t[i]);
  for (int i = 0; i < c->nm; i++) free(c->mem[i]);
  return c->rc;
}
// Shape literal helper: SHAPE(2, 3, 4) -> (const int64_t[]){2, 3, 4}.
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#endif
