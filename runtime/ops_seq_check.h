// ops_seq_check.h — validation helpers shared by the seq wrappers (runtime/ops_seq.c, ops_seq_signal.c).
// Internal to runtime/: every helper fills err with a message naming the op, the operand and the expectation.
#ifndef FZ_OPS_SEQ_CHECK_H
#define FZ_OPS_SEQ_CHECK_H
#include "backend.h"
#include <stdio.h>
#include <string.h>

// Writes t's shape as "[2, 3]" into b (size 96).
static inline const char *seq_shp(const fz_tensor *t, char *b) { return fz_shape_str(t->ndim, t->shape, b, 96); }

// t must exist, have data, dtype dt and live on a backend of be's kind (or be plain host memory).
static inline int seq_need(const fz_backend *be, const fz_tensor *t, fz_dtype dt, const char *op, const char *what,
                           fz_err *err) {
  if (!t || !t->data) return fz_fail(err, FZ_EINVAL, "%s: %s tensor is missing", op, what);
  if (t->dtype != dt)
    return fz_fail(err, FZ_EINVAL, "%s: %s has dtype %s, expected %s", op, what, fz_dtype_name(t->dtype),
                   fz_dtype_name(dt));
  if (t->be && t->be != be && strcmp(t->be->name, be->name) != 0)
    return fz_fail(err, FZ_EINVAL, "%s: %s lives on backend %s, the op runs on %s", op, what, t->be->name, be->name);
  return FZ_OK;
}

// t must have exactly ndim dims equal to shape.
static inline int seq_need_shape(const fz_tensor *t, int ndim, const int64_t *shape, const char *op, const char *what,
                                 fz_err *err) {
  int ok = t->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
  if (!ok) {
    char a[96], b[96];
    return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected %s", op, what, seq_shp(t, a),
                   fz_shape_str(ndim, shape, b, sizeof b));
  }
  return FZ_OK;
}

// t must have ndim dims.
static inline int seq_need_ndim(const fz_tensor *t, int ndim, const char *op, const char *what, const char *form,
                                fz_err *err) {
  if (t->ndim != ndim) {
    char a[96];
    return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected %d dims %s", op, what, seq_shp(t, a), ndim, form);
  }
  return FZ_OK;
}

// out must not share memory with in.
static inline int seq_no_alias(const fz_tensor *out, const fz_tensor *in, const char *op, const char *what, fz_err *err) {
  if (in && out && in->data && out->data) {
    const char *o0 = out->data, *o1 = o0 + fz_tensor_nbytes(out), *i0 = in->data, *i1 = i0 + fz_tensor_nbytes(in);
    if (o0 < i1 && i0 < o1) return fz_fail(err, FZ_EINVAL, "%s: out overlaps %s; expected separate memory", op, what);
  }
  return FZ_OK;
}

#define SEQ_ENTRY(fn, op) \
  if (!be) return fz_fail(err, FZ_EINVAL, "%s: backend is missing", op); \
  if (!be->fn) return fz_fail(err, FZ_EUNSUP, "%s: not implemented by backend %s", op, be->name)
#define SEQ_TRY(call) do { int rc_ = (call); if (rc_) return rc_; } while (0)
#endif
