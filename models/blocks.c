// blocks.c — building blocks shared by the architectures: parameter loading (shape-checked, f32,
// subnormals flushed), the scratch pool, conv / transposed-conv layers, channel concat and copies.
#include "model_internal.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- parameters -----------------------------------------------------------------------------------

const fz_wtensor *fz_param_info(const fz_pan_model *m, const char *name) { return m->w ? fz_weights_find(m->w, name) : NULL; }

// Appends an owned tensor slot to m->params; returns it or NULL.
static fz_tensor *new_param(fz_pan_model *m, fz_err *err) {
  if (m->nparams == m->cap_params) {
    int cap = m->cap_params ? 2 * m->cap_params : 64;
    fz_tensor **p = realloc(m->params, (size_t)cap * sizeof *p);
    if (!p) { fz_fail(err, FZ_ENOMEM, "out of memory loading parameters"); return NULL; }
    m->params = p;
    m->cap_params = cap;
  }
  fz_tensor *t = calloc(1, sizeof *t);
  if (!t) { fz_fail(err, FZ_ENOMEM, "out of memory loading parameters"); return NULL; }
  m->params[m->nparams++] = t;
  return t;
}

// Copies file tensor t into a new f32 parameter on m->be with subnormals flushed to zero, then f applied
// to every value when f is not NULL.
static int load_f32(fz_pan_model *m, const fz_wtensor *t, float (*f_map)(float), fz_tensor **out, fz_err *err) {
  fz_tensor host = {0};
  if (fz_wtensor_to_tensor(t, NULL, FZ_WLOAD_F64_TO_F32, &host, err))
    return fz_wrap(err, "%s: tensor '%s'", m->display, t->name);
  int64_t n = fz_tensor_numel(&host);
  float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
  if (!f) { fz_tensor_free(&host); return fz_fail(err, FZ_ENOMEM, "out of memory loading '%s'", t->name); }
  if (host.dtype == FZ_F32 || host.dtype == FZ_F16 || host.dtype == FZ_BF16) fz_convert_to_f32(f, host.data, host.dtype, (size_t)n);
  else {
    fz_tensor_free(&host);
    free(f);
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has dtype %s; a model parameter must be a float tensor", m->display,
                   t->name, fz_wdtype_name(t->dtype));
  }
  for (int64_t i = 0; i < n; i++)
    if (f[i] != 0 && fabsf(f[i]) < FLT_MIN) f[i] = 0;
  if (f_map)
    for (int64_t i = 0; i < n; i++) f[i] = f_map(f[i]);
  fz_tensor *p = new_param(m, err);
  int rc = p ? fz_tensor_alloc(p, m->be, FZ_F32, host.ndim, host.shape, err) : err->code;
  if (!rc) rc = fz_tensor_upload(p, f, (size_t)n * sizeof *f, err);
  fz_tensor_free(&host);
  free(f);
  if (rc) return rc;
  *out = p;
  return FZ_OK;
}

int fz_param_any(fz_pan_model *m, const char *name, int ndim, fz_tensor **out, fz_err *err) {
  const fz_wtensor *t = fz_param_info(m, name);
  char got[96];
  if (!t)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is missing; a %s checkpoint has it (is this file another architecture?)",
                   m->display, name, m->info.arch);
  if (t->ndim != ndim)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has shape %s; expected %d dims for %s", m->display, name,
                   fz_wshape_str(t->ndim, t->shape, got, sizeof got), ndim, m->info.arch);
  return load_f32(m, t, NULL, out, err);
}

int fz_param_map(fz_pan_model *m, const char *name, int ndim, const int64_t *shape, float (*f)(float), fz_tensor **out,
                 fz_err *err) {
  const fz_wtensor *t = fz_param_info(m, name);
  char got[96], want[96];
  if (!t)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is missing; a %s checkpoint has it (is this file another architecture?)",
                   m->display, name, m->info.arch);
  int ok = t->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
  if (!ok)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has shape %s; %s expects %s", m->display, name,
                   fz_wshape_str(t->ndim, t->shape, got, sizeof got), m->info.arch, fz_shape_str(ndim, shape, want, sizeof want));
  return load_f32(m, t, f, out, err);
}

int fz_param(fz_pan_model *m, const char *name, int ndim, const int64_t *shape, fz_tensor **out, fz_err *err) {
  return fz_param_map(m, name, ndim, shape, NULL, out, err);
}

void fz_param_count(fz_pan_model *m) {
  int64_t n = 0;
  for (int i = 0; i < m->nparams; i++) n += fz_tensor_numel(m->params[i]);
  m->info.params = n;
}

// ---- scratch pool ---------------------------------------------------------------------------------

void *fz_tmp_bytes(fz_pan_model *m, int slot, size_t bytes, fz_err *err) {
  if (slot < 0 || slot >= FZ_MODEL_MAX_SLOTS) {
    fz_fail(err, FZ_EINTERNAL, "%s: scratch slot %d out of range", m->info.arch, slot);
    return NULL;
  }
  fz_slot *s = &m->slots[slot];
  if (s->bytes < bytes || !s->data) {
    if (s->data) m->be->free(m->be, s->data);
    s->data = NULL;
    s->bytes = 0;
    void *p = m->be->alloc(m->be, bytes ? bytes : 64, err);
    if (!p) return NULL;
    s->data = p;
    s->bytes = bytes;
  }
  return s->data;
}

int fz_tmp(fz_pan_model *m, int slot, int ndim, const int64_t *shape, fz_tensor *t, fz_err *err) {
  if (fz_tensor_init(t, FZ_F32, ndim, shape, err)) return err->code;
  void *p = fz_tmp_bytes(m, slot, fz_tensor_nbytes(t), err);
  if (!p) return err->code;
  t->data = p;
  t->be = m->be;
  t->owns = 0;
  return FZ_OK;
}

// ---- conv layers ----------------------------------------------------------------------------------

int fz_conv_load(fz_pan_model *m, fz_conv *c, const char *prefix, int cout, int cin, int k, int stride, int pad, int groups,
                 int has_bias, fz_act act, float act_p0, fz_err *err) {
  char name[128];
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", prefix);
  if (groups < 1) groups = 1;
  int64_t ws[4] = {cout, cin / groups, k, k}, bs[1] = {cout};
  snprintf(name, sizeof name, "%s.weight", prefix);
  if (fz_param(m, name, 4, ws, &c->w, err)) return err->code;
  if (has_bias) {
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (fz_param(m, name, 1, bs, &c->b, err)) return err->code;
  }
  c->p = (fz_conv2d_params){.stride_h = stride, .stride_w = stride, .pad_h = pad, .pad_w = pad, .groups = groups,
                            .act = act, .act_p0 = act_p0};
  return FZ_OK;
}

int fz_convt_load(fz_pan_model *m, fz_conv *c, const char *prefix, int cin, int cout, int k, int stride, int pad, int has_bias,
                  fz_act act, float act_p0, fz_err *err) {
  char name[128];
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", prefix);
  int64_t ws[4] = {cin, cout, k, k}, bs[1] = {cout};
  snprintf(name, sizeof name, "%s.weight", prefix);
  if (fz_param(m, name, 4, ws, &c->w, err)) return err->code;
  if (has_bias) {
    snprintf(name, sizeof name, "%s.bias", prefix);
    if (fz_param(m, name, 1, bs, &c->b, err)) return err->code;
  }
  c->transposed = 1;
  c->p = (fz_conv2d_params){.stride_h = stride, .stride_w = stride, .pad_h = pad, .pad_w = pad, .act = act, .act_p0 = act_p0};
  return FZ_OK;
}

int fz_conv_into(fz_pan_model *m, const fz_conv *c, const fz_tensor *x, fz_tensor *out, int ws_slot, fz_err *err) {
  fz_conv2d_params p = c->p;
  size_t bytes = 0;
  int rc = c->transposed ? fz_op_conv_transpose2d_workspace(m->be, x->shape, c->w->shape, &p, &bytes, err)
                         : fz_op_conv2d_workspace(m->be, x->shape, c->w->shape, &p, &bytes, err);
  if (rc) return fz_wrap(err, "%s", c->name);
  if (bytes) {
    p.workspace = fz_tmp_bytes(m, ws_slot, bytes, err);
    if (!p.workspace) return err->code;
    p.workspace_bytes = bytes;
  }
  rc = c->transposed ? fz_op_conv_transpose2d(m->be, out, x, c->w, c->b, &p, err) : fz_op_conv2d(m->be, out, x, c->w, c->b, &p, err);
  return rc ? fz_wrap(err, "%s", c->name) : FZ_OK;
}

int fz_conv_run(fz_pan_model *m, const fz_conv *c, const fz_tensor *x, int slot, int ws_slot, fz_tensor *y, fz_err *err) {
  int64_t ho, wo;
  if (x->ndim != 4) return fz_fail(err, FZ_EINTERNAL, "%s: input is not 4-D", c->name);
  if (c->transposed) fz_conv_transpose2d_out_size(&c->p, x->shape[2], x->shape[3], c->w->shape[2], c->w->shape[3], &ho, &wo);
  else fz_conv2d_out_size(&c->p, x->shape[2], x->shape[3], c->w->shape[2], c->w->shape[3], &ho, &wo);
  if (ho <= 0 || wo <= 0)
    return fz_fail(err, FZ_EINVAL, "%s: input %lldx%lld is too small for this layer", c->name, (long long)x->shape[2],
                   (long long)x->shape[3]);
  int64_t cout = c->transposed ? c->w->shape[1] * (c->p.groups > 1 ? c->p.groups : 1) : c->w->shape[0];
  int64_t s[4] = {x->shape[0], cout, ho, wo};
  if (fz_tmp(m, slot, 4, s, y, err)) return err->code;
  return fz_conv_into(m, c, x, y, ws_slot, err);
}

// ---- plumbing -------------------------------------------------------------------------------------

// A flat f32 view of numel elements of t starting at element off.
static fz_tensor flat_view(const fz_tensor *t, int64_t off, int64_t numel) {
  fz_tensor v = {0};
  v.dtype = FZ_F32;
  v.ndim = 1;
  v.shape[0] = numel;
  v.data = (char *)t->data + off * (int64_t)sizeof(float);
  v.be = t->be;
  return v;
}

int fz_copy_channels(fz_pan_model *m, fz_tensor *dst, int64_t c0, const fz_tensor *src, fz_err *err) {
  if (dst->ndim != 4 || src->ndim != 4 || dst->shape[0] != src->shape[0] || dst->shape[2] != src->shape[2] ||
      dst->shape[3] != src->shape[3] || c0 < 0 || c0 + src->shape[1] > dst->shape[1])
    return fz_fail(err, FZ_EINTERNAL, "%s: channel concat of mismatched tensors", m->info.arch);
  int64_t hw = src->shape[2] * src->shape[3], cs = src->shape[1], cd = dst->shape[1];
  float one = 1.0f;
  for (int64_t n = 0; n < src->shape[0]; n++) {
    fz_tensor d = flat_view(dst, (n * cd + c0) * hw, cs * hw), s = flat_view(src, n * cs * hw, cs * hw);
    const fz_tensor *xs[1] = {&s};
    if (fz_op_lincomb(m->be, &d, 1, &one, xs, err)) return err->code;
  }
  return FZ_OK;
}

int fz_cat2(fz_pan_model *m, const fz_tensor *first, const fz_tensor *second, int slot, fz_tensor *y, fz_err *err) {
  int64_t s[4] = {first->shape[0], first->shape[1] + second->shape[1], first->shape[2], first->shape[3]};
  if (fz_tmp(m, slot, 4, s, y, err)) return err->code;
  if (fz_copy_channels(m, y, 0, first, err)) return err->code;
  return fz_copy_channels(m, y, first->shape[1], second, err);
}

int fz_copy(fz_pan_model *m, fz_tensor *dst, const fz_tensor *src, fz_err *err) {
  int64_t n = fz_tensor_numel(src);
  if (fz_tensor_numel(dst) != n) return fz_fail(err, FZ_EINTERNAL, "%s: copy of mismatched tensors", m->info.arch);
  fz_tensor d = flat_view(dst, 0, n), s = flat_view(src, 0, n);
  float one = 1.0f;
  const fz_tensor *xs[1] = {&s};
  return fz_op_lincomb(m->be, &d, 1, &one, xs, err);
}

int fz_add(fz_pan_model *m, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, fz_err *err) {
  return fz_op_binary(m->be, out, a, b, FZ_BIN_ADD, err);
}

// ---- weights editing for the key maps ---------------------------------------------------------------

void fz_weights_remove(fz_weights *w, int i) {
  if (i < 0 || i >= w->count) return;
  free(w->tensors[i].name);
  memmove(&w->tensors[i], &w->tensors[i + 1], (size_t)(w->count - i - 1) * sizeof w->tensors[0]);
  w->count--;
}
