// ops_nn.c — the checked wrappers of the nn op family: validate dtypes, shapes and parameters, give errors
// naming the op, the operand and the expected shape, then call the backend entry (FZ_EUNSUP when NULL).
#include "backend.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NEED_ENTRY(be, fn, op) \
  do { if (!(be)) return fz_fail(err, FZ_EINVAL, "%s: backend is NULL", op); \
       if (!(be)->fn) return fz_fail(err, FZ_EUNSUP, "%s: not implemented by backend %s", op, (be)->name); } while (0)
#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static const char *act_names[FZ_ACT_COUNT] = {"none", "relu", "leaky_relu", "gelu", "gelu_tanh",
                                             "silu", "sigmoid", "softplus", "sin", "tanh"};

// Name of activation a.
const char *fz_act_name(fz_act a) { return (unsigned)a < FZ_ACT_COUNT ? act_names[a] : "?"; }

// Checks t is present, f32, has data and (when ndim_min > 0) at least ndim_min dims / exactly ndim_exact.
static int need_f32(const fz_tensor *t, const char *op, const char *what, int ndim_exact, fz_err *err) {
  if (!t) return fz_fail(err, FZ_EINVAL, "%s: %s tensor is missing", op, what);
  if (t->dtype != FZ_F32)
    return fz_fail(err, FZ_EINVAL, "%s: %s has dtype %s, expected f32", op, what, fz_dtype_name(t->dtype));
  if (ndim_exact > 0 && t->ndim != ndim_exact) {
    char b[96];
    return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected %d dims", op, what,
                   fz_shape_str(t->ndim, t->shape, b, sizeof b), ndim_exact);
  }
  if (fz_tensor_numel(t) < 0) return fz_fail(err, FZ_EINVAL, "%s: %s has an invalid shape", op, what);
  if (!t->data && fz_tensor_numel(t) > 0) return fz_fail(err, FZ_EINVAL, "%s: %s has no data", op, what);
  return FZ_OK;
}

// Checks t has exactly the shape (ndim, shape); the message names op, operand and both shapes.
static int need_shape(const fz_tensor *t, int ndim, const int64_t *shape, const char *op, const char *what, fz_err *err) {
  int ok = t->ndim == ndim;
  for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
  if (ok) return FZ_OK;
  char a[96], b[96];
  return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected %s", op, what, fz_shape_str(t->ndim, t->shape, a, sizeof a),
                 fz_shape_str(ndim, shape, b, sizeof b));
}

// Checks an optional per-channel vector ([C]) is f32 with C elements.
static int need_vec(const fz_tensor *t, int64_t c, const char *op, const char *what, fz_err *err) {
  if (!t) return FZ_OK;
  TRY(need_f32(t, op, what, 1, err));
  return need_shape(t, 1, &c, op, what, err);
}

// Checks an activation kind and, for softplus, its beta.
static int check_act(int act, float p0, const char *op, fz_err *err) {
  if (act < 0 || act >= FZ_ACT_COUNT) return fz_fail(err, FZ_EINVAL, "%s: activation %d is unknown, expected 0..%d", op, act, FZ_ACT_COUNT - 1);
  if (act == FZ_ACT_SOFTPLUS && !(p0 != 0 && isfinite(p0)))
    return fz_fail(err, FZ_EINVAL, "%s: softplus beta = %g, expected a finite non-zero value", op, (double)p0);
  return FZ_OK;
}

// Fails when out shares its data pointer with input in (ops that cannot run in place).
static int no_alias(const fz_tensor *out, const fz_tensor *in, const char *op, const char *what, fz_err *err) {
  if (in && out->data && out->data == in->data)
    return fz_fail(err, FZ_EINVAL, "%s: out must not share memory with %s", op, what);
  return FZ_OK;
}

// ---- convolutions --------------------------------------------------------------------------------

// Copy of p (or defaults) with zero stride / dilation / groups replaced by 1.
static fz_conv2d_params norm_conv(const fz_conv2d_params *p) {
  fz_conv2d_params q = p ? *p : (fz_conv2d_params){0};
  if (!q.stride_h) q.stride_h = 1;
  if (!q.stride_w) q.stride_w = 1;
  if (!q.dil_h) q.dil_h = 1;
  if (!q.dil_w) q.dil_w = 1;
  if (!q.groups) q.groups = 1;
  return q;
}

// Output length of a convolution along one dim; -1 when the kernel does not fit.
static int64_t conv_out(int64_t in, int pad_lo, int pad_hi, int dil, int64_t k, int stride) {
  int64_t span = in + pad_lo + pad_hi - (int64_t)dil * (k - 1) - 1;
  return span < 0 ? -1 : span / stride + 1;
}

void fz_conv2d_out_size(const fz_conv2d_params *p, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t *ho, int64_t *wo) {
  fz_conv2d_params q = norm_conv(p);
  *ho = conv_out(h, q.pad_h, q.pad_h + q.pad_h_extra, q.dil_h, kh, q.stride_h);
  *wo = conv_out(w, q.pad_w, q.pad_w + q.pad_w_extra, q.dil_w, kw, q.stride_w);
}

void fz_conv_transpose2d_out_size(const fz_conv2d_params *p, int64_t h, int64_t w, int64_t kh, int64_t kw,
                                  int64_t *ho, int64_t *wo) {
  fz_conv2d_params q = norm_conv(p);
  *ho = (h - 1) * q.stride_h - 2 * (int64_t)q.pad_h - q.pad_h_extra + (int64_t)q.dil_h * (kh - 1) + q.out_pad_h + 1;
  *wo = (w - 1) * q.stride_w - 2 * (int64_t)q.pad_w - q.pad_w_extra + (int64_t)q.dil_w * (kw - 1) + q.out_pad_w + 1;
  if (*ho < 1 || h < 1) *ho = -1;
  if (*wo < 1 || w < 1) *wo = -1;
}

// Checks the parameter values common to conv2d and conv_transpose2d.
static int check_conv_params(const fz_conv2d_params *q, const char *op, fz_err *err) {
  if (q->stride_h < 1 || q->stride_w < 1 || q->dil_h < 1 || q->dil_w < 1 || q->groups < 1)
    return fz_fail(err, FZ_EINVAL, "%s: stride (%d,%d), dilation (%d,%d) and groups %d must be >= 1", op, q->stride_h,
                   q->stride_w, q->dil_h, q->dil_w, q->groups);
  if (q->pad_h < 0 || q->pad_w < 0 || q->pad_h_extra < -q->pad_h || q->pad_w_extra < -q->pad_w)
    return fz_fail(err, FZ_EINVAL, "%s: padding (%d,%d) extra (%d,%d): pads must be >= 0 and extras >= -pad", op,
                   q->pad_h, q->pad_w, q->pad_h_extra, q->pad_w_extra);
  if ((unsigned)q->pad_mode >= FZ_PAD_COUNT) return fz_fail(err, FZ_EINVAL, "%s: pad_mode %d is unknown", op, (int)q->pad_mode);
  return check_act(q->act, q->act_p0, op, err);
}

// Validates conv2d shapes (x [N,Ci,H,W], w [Co,Ci/g,kh,kw]) and parameters; out_shape receives the output shape.
static int check_conv2d(const int64_t *xs, const int64_t *ws, const fz_conv2d_params *q, int64_t out_shape[4], fz_err *err) {
  const char *op = "conv2d";
  TRY(check_conv_params(q, op, err));
  if (q->out_pad_h || q->out_pad_w) return fz_fail(err, FZ_EINVAL, "conv2d: out_pad (%d,%d) applies only to conv_transpose2d, expected 0", q->out_pad_h, q->out_pad_w);
  int64_t g = q->groups;
  if (xs[1] % g || ws[0] % g)
    return fz_fail(err, FZ_EINVAL, "conv2d: groups %lld must divide in channels %lld and out channels %lld", (long long)g,
                   (long long)xs[1], (long long)ws[0]);
  if (ws[1] != xs[1] / g || ws[2] < 1 || ws[3] < 1 || ws[0] < 1)
    return fz_fail(err, FZ_EINVAL, "conv2d: w has shape [%lld, %lld, %lld, %lld], expected [Cout, %lld, kh >= 1, kw >= 1] for x with %lld channels in %lld groups",
                   (long long)ws[0], (long long)ws[1], (long long)ws[2], (long long)ws[3], (long long)(xs[1] / g),
                   (long long)xs[1], (long long)g);
  int pb = q->pad_h + q->pad_h_extra, pr = q->pad_w + q->pad_w_extra;
  if (q->pad_mode == FZ_PAD_REFLECT && (q->pad_h >= xs[2] || pb >= xs[2] || q->pad_w >= xs[3] || pr >= xs[3]))
    return fz_fail(err, FZ_EINVAL, "conv2d: reflect padding (%d/%d, %d/%d) must be smaller than the input size %lldx%lld",
                   q->pad_h, pb, q->pad_w, pr, (long long)xs[2], (long long)xs[3]);
  if (q->pad_mode == FZ_PAD_CIRCULAR && (q->pad_h > xs[2] || pb > xs[2] || q->pad_w > xs[3] || pr > xs[3]))
    return fz_fail(err, FZ_EINVAL, "conv2d: circular padding (%d/%d, %d/%d) must not exceed the input size %lldx%lld",
                   q->pad_h, pb, q->pad_w, pr, (long long)xs[2], (long long)xs[3]);
  if (q->pad_mode != FZ_PAD_ZERO && (xs[2] < 1 || xs[3] < 1))
    return fz_fail(err, FZ_EINVAL, "conv2d: non-zero padding modes need a non-empty input, got %lldx%lld", (long long)xs[2], (long long)xs[3]);
  int64_t ho, wo;
  fz_conv2d_out_size(q, xs[2], xs[3], ws[2], ws[3], &ho, &wo);
  if (ho < 1 || wo < 1)
    return fz_fail(err, FZ_EINVAL, "conv2d: kernel %lldx%lld (dilation %d,%d) is larger than the padded input %lldx%lld",
                   (long long)ws[2], (long long)ws[3], q->dil_h, q->dil_w, (long long)(xs[2] + q->pad_h + pb),
                   (long long)(xs[3] + q->pad_w + pr));
  out_shape[0] = xs[0]; out_shape[1] = ws[0]; out_shape[2] = ho; out_shape[3] = wo;
  return FZ_OK;
}

int fz_op_conv2d_workspace(const fz_backend *be, const int64_t x_shape[4], const int64_t w_shape[4],
                           const fz_conv2d_params *p, size_t *bytes, fz_err *err) {
  NEED_ENTRY(be, conv2d_workspace, "conv2d_workspace");
  fz_conv2d_params q = norm_conv(p);
  int64_t os[4];
  TRY(check_conv2d(x_shape, w_shape, &q, os, err));
  *bytes = be->conv2d_workspace(be, x_shape, w_shape, &q);
  return FZ_OK;
}

int fz_op_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                 const fz_conv2d_params *p, fz_err *err) {
  NEED_ENTRY(be, conv2d, "conv2d");
  TRY(need_f32(x, "conv2d", "x", 4, err));
  TRY(need_f32(w, "conv2d", "w", 4, err));
  TRY(need_f32(out, "conv2d", "out", 4, err));
  fz_conv2d_params q = norm_conv(p);
  int64_t os[4];
  TRY(check_conv2d(x->shape, w->shape, &q, os, err));
  TRY(need_vec(bias, w->shape[0], "conv2d", "bias", err));
  TRY(need_shape(out, 4, os, "conv2d", "out", err));
  TRY(no_alias(out, x, "conv2d", "x", err));
  if (q.workspace && be->conv2d_workspace) {
    size_t need = be->conv2d_workspace(be, x->shape, w->shape, &q);
    if (q.workspace_bytes < need)
      return fz_fail(err, FZ_EINVAL, "conv2d: workspace of %zu bytes given, %zu needed (fz_op_conv2d_workspace)", q.workspace_bytes, need);
  }
  return be->conv2d(be, out, x, w, bias, &q, err);
}

// Validates conv_transpose2d shapes (x [N,Ci,H,W], w [Ci,Co/g,kh,kw]) and parameters.
static int check_convt(const int64_t *xs, const int64_t *ws, const fz_conv2d_params *q, int64_t out_shape[4], fz_err *err) {
  const char *op = "conv_transpose2d";
  TRY(check_conv_params(q, op, err));
  if (q->pad_mode != FZ_PAD_ZERO) return fz_fail(err, FZ_EINVAL, "conv_transpose2d: only zero padding is defined (PyTorch), got pad_mode %d", (int)q->pad_mode);
  int64_t g = q->groups;
  if (ws[0] != xs[1] || xs[1] % g || ws[1] < 1 || ws[2] < 1 || ws[3] < 1)
    return fz_fail(err, FZ_EINVAL, "conv_transpose2d: w has shape [%lld, %lld, %lld, %lld], expected [%lld (in channels, divisible by groups %lld), Cout/groups, kh, kw]",
                   (long long)ws[0], (long long)ws[1], (long long)ws[2], (long long)ws[3], (long long)xs[1], (long long)g);
  if (q->out_pad_h < 0 || q->out_pad_w < 0 || (q->out_pad_h >= q->stride_h && q->out_pad_h >= q->dil_h) ||
      (q->out_pad_w >= q->stride_w && q->out_pad_w >= q->dil_w))
    return fz_fail(err, FZ_EINVAL, "conv_transpose2d: out_pad (%d,%d) must be >= 0 and smaller than stride or dilation", q->out_pad_h, q->out_pad_w);
  int64_t ho, wo;
  fz_conv_transpose2d_out_size(q, xs[2], xs[3], ws[2], ws[3], &ho, &wo);
  if (ho < 1 || wo < 1)
    return fz_fail(err, FZ_EINVAL, "conv_transpose2d: input %lldx%lld with padding (%d,%d) gives an empty output", (long long)xs[2],
                   (long long)xs[3], q->pad_h, q->pad_w);
  out_shape[0] = xs[0]; out_shape[1] = ws[1] * g; out_shape[2] = ho; out_shape[3] = wo;
  return FZ_OK;
}

int fz_op_conv_transpose2d_workspace(const fz_backend *be, const int64_t x_shape[4], const int64_t w_shape[4],
                                     const fz_conv2d_params *p, size_t *bytes, fz_err *err) {
  NEED_ENTRY(be, conv_transpose2d_workspace, "conv_transpose2d_workspace");
  fz_conv2d_params q = norm_conv(p);
  int64_t os[4];
  TRY(check_convt(x_shape, w_shape, &q, os, err));
  *bytes = be->conv_transpose2d_workspace(be, x_shape, w_shape, &q);
  return FZ_OK;
}

int fz_op_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                           const fz_tensor *bias, const fz_conv2d_params *p, fz_err *err) {
  NEED_ENTRY(be, conv_transpose2d, "conv_transpose2d");
  TRY(need_f32(x, "conv_transpose2d", "x", 4, err));
  TRY(need_f32(w, "conv_transpose2d", "w", 4, err));
  TRY(need_f32(out, "conv_transpose2d", "out", 4, err));
  fz_conv2d_params q = norm_conv(p);
  int64_t os[4];
  TRY(check_convt(x->shape, w->shape, &q, os, err));
  TRY(need_vec(bias, os[1], "conv_transpose2d", "bias", err));
  TRY(need_shape(out, 4, os, "conv_transpose2d", "out", err));
  TRY(no_alias(out, x, "conv_transpose2d", "x", err));
  if (q.workspace && be->conv_transpose2d_workspace) {
    size_t need = be->conv_transpose2d_workspace(be, x->shape, w->shape, &q);
    if (q.workspace_bytes < need)
      return fz_fail(err, FZ_EINVAL, "conv_transpose2d: workspace of %zu bytes given, %zu needed", q.workspace_bytes, need);
  }
  return be->conv_transpose2d(be, out, x, w, bias, &q, err);
}

int fz_op_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                 const fz_conv1d_params *p, fz_err *err) {
  NEED_ENTRY(be, conv1d, "conv1d");
  TRY(need_f32(x, "conv1d", "x", 3, err));
  TRY(need_f32(w, "conv1d", "w", 3, err));
  TRY(need_f32(out, "conv1d", "out", 3, err));
  fz_conv1d_params q = p ? *p : (fz_conv1d_params){0};
  if (!q.stride) q.stride = 1;
  if (!q.dil) q.dil = 1;
  if (!q.groups) q.groups = 1;
  if (q.stride < 1 || q.dil < 1 || q.groups < 1 || q.pad_left < 0 || q.pad_right < 0)
    return fz_fail(err, FZ_EINVAL, "conv1d: stride %d, dilation %d, groups %d must be >= 1 and pads (%d,%d) >= 0", q.stride, q.dil,
                   q.groups, q.pad_left, q.pad_right);
  if ((unsigned)q.pad_mode >= FZ_PAD_COUNT) return fz_fail(err, FZ_EINVAL, "conv1d: pad_mode %d is unknown", (int)q.pad_mode);
  TRY(check_act(q.act, q.act_p0, "conv1d", err));
  int64_t g = q.groups, L = x->shape[2];
  if (x->shape[1] % g || w->shape[0] % g || w->shape[1] != x->shape[1] / g || w->shape[2] < 1)
    return fz_fail(err, FZ_EINVAL, "conv1d: w has shape [%lld, %lld, %lld], expected [Cout (divisible by %lld), %lld, k >= 1]",
                   (long long)w->shape[0], (long long)w->shape[1], (long long)w->shape[2], (long long)g, (long long)(x->shape[1] / g));
  if ((q.pad_mode == FZ_PAD_REFLECT && (q.pad_left >= L || q.pad_right >= L)) ||
      (q.pad_mode == FZ_PAD_CIRCULAR && (q.pad_left > L || q.pad_right > L)) || (q.pad_mode != FZ_PAD_ZERO && L < 1))
    return fz_fail(err, FZ_EINVAL, "conv1d: padding (%d,%d) is too large for mode %d and length %lld", q.pad_left, q.pad_right,
                   (int)q.pad_mode, (long long)L);
  int64_t lo = conv_out(L, q.pad_left, q.pad_right, q.dil, w->shape[2], q.stride);
  if (lo < 1) return fz_fail(err, FZ_EINVAL, "conv1d: kernel %lld (dilation %d) is longer than the padded input %lld", (long long)w->shape[2], q.dil, (long long)(L + q.pad_left + q.pad_right));
  int64_t os[3] = {x->shape[0], w->shape[0], lo};
  TRY(need_vec(bias, w->shape[0], "conv1d", "bias", err));
  TRY(need_shape(out, 3, os, "conv1d", "out", err));
  TRY(no_alias(out, x, "conv1d", "x", err));
  return be->conv1d(be, out, x, w, bias, &q, err);
}

// ---- GEMM ----------------------------------------------------------------------------------------

int fz_op_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                 fz_act act, float act_p0, float act_p1, fz_err *err) {
  NEED_ENTRY(be, linear, "linear");
  TRY(need_f32(x, "linear", "x", 0, err));
  TRY(need_f32(w, "linear", "w", 2, err));
  TRY(need_f32(out, "linear", "out", 0, err));
  TRY(check_act(act, act_p0, "linear", err));
  if (x->ndim < 1 || x->shape[x->ndim - 1] != w->shape[1]) {
    char a[96], b[96];
    return fz_fail(err, FZ_EINVAL, "linear: x has shape %s and w %s; expected x [..., %lld] to match w [N, K]",
                   fz_shape_str(x->ndim, x->shape, a, sizeof a), fz_shape_str(2, w->shape, b, sizeof b), (long long)w->shape[1]);
  }
  int64_t os[FZ_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) os[i] = x->shape[i];
  os[x->ndim - 1] = w->shape[0];
  TRY(need_vec(bias, w->shape[0], "linear", "bias", err));
  TRY(need_shape(out, x->ndim, os, "linear", "out", err));
  TRY(no_alias(out, x, "linear", "x", err));
  return be->linear(be, out, x, w, bias, act, act_p0, act_p1, err);
}

// Shared check for gemm / gemm_batched: matrices are the last two dims; leading dims batch or broadcast.
static int gemm_common(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int trans_a,
                       int trans_b, float alpha, float beta, int batched, fz_err *err) {
  const char *op = batched ? "gemm_batched" : "gemm";
  NEED_ENTRY(be, gemm_batched, op);
  TRY(need_f32(a, op, "a", batched ? 0 : 2, err));
  TRY(need_f32(b, op, "b", batched ? 0 : 2, err));
  TRY(need_f32(out, op, "out", batched ? 0 : 2, err));
  if (a->ndim < 2 || b->ndim < 2 || out->ndim < 2)
    return fz_fail(err, FZ_EINVAL, "%s: a, b and out need at least 2 dims (got %d, %d, %d)", op, a->ndim, b->ndim, out->ndim);
  int64_t m = out->shape[out->ndim - 2], n = out->shape[out->ndim - 1];
  int64_t am = trans_a ? a->shape[a->ndim - 1] : a->shape[a->ndim - 2];
  int64_t k = trans_a ? a->shape[a->ndim - 2] : a->shape[a->ndim - 1];
  int64_t bk = trans_b ? b->shape[b->ndim - 1] : b->shape[b->ndim - 2];
  int64_t bn = trans_b ? b->shape[b->ndim - 2] : b->shape[b->ndim - 1];
  if (am != m || bn != n || bk != k) {
    char s1[96], s2[96], s3[96];
    return fz_fail(err, FZ_EINVAL, "%s: a %s%s · b %s%s does not give out %s (expected a [..,M,K], b [..,K,N], out [..,M,N])", op,
                   fz_shape_str(a->ndim, a->shape, s1, sizeof s1), trans_a ? "ᵀ" : "", fz_shape_str(b->ndim, b->shape, s2, sizeof s2),
                   trans_b ? "ᵀ" : "", fz_shape_str(out->ndim, out->shape, s3, sizeof s3));
  }
  int64_t batch = fz_shape_numel(out->ndim - 2, out->shape), ab = 1, bb = 1;
  const fz_tensor *ops[2] = {a, b};
  int64_t *nb[2] = {&ab, &bb};
  for (int i = 0; i < 2; i++) {
    const fz_tensor *t = ops[i];
    int64_t tb = fz_shape_numel(t->ndim - 2, t->shape);
    int same = t->ndim == out->ndim;
    for (int d = 0; same && d < out->ndim - 2; d++) same = t->shape[d] == out->shape[d];
    if (same) *nb[i] = batch;
    else if (tb == 1) *nb[i] = 1;
    else {
      char s1[96], s3[96];
      return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s; its leading dims must equal out's %s or all be 1", op, i ? "b" : "a",
                     fz_shape_str(t->ndim, t->shape, s1, sizeof s1), fz_shape_str(out->ndim, out->shape, s3, sizeof s3));
    }
  }
  if (!isfinite(alpha) || !isfinite(beta)) return fz_fail(err, FZ_EINVAL, "%s: alpha %g and beta %g must be finite", op, (double)alpha, (double)beta);
  TRY(no_alias(out, a, op, "a", err));
  TRY(no_alias(out, b, op, "b", err));
  return be->gemm_batched(be, out, a, b, batch, ab, bb, m, n, k, !!trans_a, !!trans_b, alpha, beta, err);
}

int fz_op_gemm(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int trans_a, int trans_b,
               float alpha, float beta, fz_err *err) {
  return gemm_common(be, out, a, b, trans_a, trans_b, alpha, beta, 0, err);
}

int fz_op_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int trans_a,
                       int trans_b, float alpha, float beta, fz_err *err) {
  return gemm_common(be, out, a, b, trans_a, trans_b, alpha, beta, 1, err);
}

int fz_op_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                         const fz_tensor *idx, fz_err *err) {
  const char *op = "gemm_segmented";
  NEED_ENTRY(be, gemm_segmented, op);
  TRY(need_f32(x, op, "x", 2, err));
  TRY(need_f32(w, op, "w", 3, err));
  TRY(need_f32(out, op, "out", 2, err));
  if (!idx || idx->dtype != FZ_I32 || idx->ndim != 1 || idx->shape[0] != x->shape[0] || (!idx->data && idx->shape[0]))
    return fz_fail(err, FZ_EINVAL, "%s: idx must be an i32 tensor of shape [%lld] (one cluster index per row of x)", op, (long long)x->shape[0]);
  if (w->shape[1] != x->shape[1] || w->shape[0] < 1) {
    char s1[96], s2[96];
    return fz_fail(err, FZ_EINVAL, "%s: w has shape %s, expected [G >= 1, %lld, N] for x %s", op, fz_shape_str(3, w->shape, s1, sizeof s1),
                   (long long)x->shape[1], fz_shape_str(2, x->shape, s2, sizeof s2));
  }
  if (bias) {
    TRY(need_f32(bias, op, "bias", 2, err));
    int64_t bs[2] = {w->shape[0], w->shape[2]};
    TRY(need_shape(bias, 2, bs, op, "bias", err));
  }
  int64_t os[2] = {x->shape[0], w->shape[2]};
  TRY(need_shape(out, 2, os, op, "out", err));
  TRY(no_alias(out, x, op, "x", err));
  return be->gemm_segmented(be, out, x, w, bias, idx, err);
}

// ---- normalisation -------------------------------------------------------------------------------

// Checks a norm's eps is finite and >= 0.
static int check_eps(float eps, const char *op, fz_err *err) {
  if (!(eps >= 0) || !isfinite(eps)) return fz_fail(err, FZ_EINVAL, "%s: eps = %g, expected a finite value >= 0", op, (double)eps);
  return FZ_OK;
}

// Checks x (at least min_ndim dims) and out have the same shape.
static int same_shape_io(const fz_tensor *out, const fz_tensor *x, int min_ndim, const char *op, fz_err *err) {
  TRY(need_f32(x, op, "x", 0, err));
  TRY(need_f32(out, op, "out", 0, err));
  if (x->ndim < min_ndim) {
    char s[96];
    return fz_fail(err, FZ_EINVAL, "%s: x has shape %s, expected at least %d dims", op, fz_shape_str(x->ndim, x->shape, s, sizeof s), min_ndim);
  }
  return need_shape(out, x->ndim, x->shape, op, "out", err);
}

int fz_op_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, const fz_tensor *beta,
                     float eps, fz_err *err) {
  NEED_ENTRY(be, layer_norm, "layer_norm");
  TRY(same_shape_io(out, x, 1, "layer_norm", err));
  TRY(check_eps(eps, "layer_norm", err));
  int64_t c = x->shape[x->ndim - 1];
  TRY(need_vec(gamma, c, "layer_norm", "gamma", err));
  TRY(need_vec(beta, c, "layer_norm", "beta", err));
  return be->layer_norm(be, out, x, gamma, beta, eps, err);
}

int fz_op_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                              const fz_tensor *beta, float eps, fz_err *err) {
  NEED_ENTRY(be, layer_norm_channels, "layer_norm_channels");
  TRY(same_shape_io(out, x, 2, "layer_norm_channels", err));
  TRY(check_eps(eps, "layer_norm_channels", err));
  TRY(need_vec(gamma, x->shape[1], "layer_norm_channels", "gamma", err));
  TRY(need_vec(beta, x->shape[1], "layer_norm_channels", "beta", err));
  return be->layer_norm_channels(be, out, x, gamma, beta, eps, err);
}

int fz_op_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma,
                     const fz_tensor *beta, float eps, fz_act act, float act_p0, fz_err *err) {
  NEED_ENTRY(be, group_norm, "group_norm");
  TRY(same_shape_io(out, x, 2, "group_norm", err));
  TRY(check_eps(eps, "group_norm", err));
  TRY(check_act(act, act_p0, "group_norm", err));
  if (act == FZ_ACT_SOFTPLUS) return fz_fail(err, FZ_EINVAL, "group_norm: fused softplus is not supported (it needs two parameters)");
  if (groups < 1 || x->shape[1] % groups)
    return fz_fail(err, FZ_EINVAL, "group_norm: %d groups must be >= 1 and divide the %lld channels", groups, (long long)x->shape[1]);
  TRY(need_vec(gamma, x->shape[1], "group_norm", "gamma", err));
  TRY(need_vec(beta, x->shape[1], "group_norm", "beta", err));
  return be->group_norm(be, out, x, groups, gamma, beta, eps, act, act_p0, err);
}

int fz_op_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean, const fz_tensor *var,
                     const fz_tensor *gamma, const fz_tensor *beta, float eps, fz_act act, float act_p0, fz_err *err) {
  NEED_ENTRY(be, batch_norm, "batch_norm");
  TRY(same_shape_io(out, x, 2, "batch_norm", err));
  TRY(check_eps(eps, "batch_norm", err));
  TRY(check_act(act, act_p0, "batch_norm", err));
  if (act == FZ_ACT_SOFTPLUS) return fz_fail(err, FZ_EINVAL, "batch_norm: fused softplus is not supported (it needs two parameters)");
  int64_t c = x->shape[1];
  if (!mean || !var) return fz_fail(err, FZ_EINVAL, "batch_norm: running mean and var [%lld] are required", (long long)c);
  TRY(need_vec(mean, c, "batch_norm", "mean", err));
  TRY(need_vec(var, c, "batch_norm", "var", err));
  TRY(need_vec(gamma, c, "batch_norm", "gamma", err));
  TRY(need_vec(beta, c, "batch_norm", "beta", err));
  return be->batch_norm(be, out, x, mean, var, gamma, beta, eps, act, act_p0, err);
}

int fz_op_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps, fz_err *err) {
  NEED_ENTRY(be, rms_norm, "rms_norm");
  TRY(same_shape_io(out, x, 1, "rms_norm", err));
  TRY(check_eps(eps, "rms_norm", err));
  TRY(need_vec(gamma, x->shape[x->ndim - 1], "rms_norm", "gamma", err));
  return be->rms_norm(be, out, x, gamma, eps, err);
}

// Checks a [B,C] per-(batch, channel) operand (any shape of B·C elements whose first dim is B).
static int need_bc(const fz_tensor *t, int64_t b, int64_t c, const char *op, const char *what, fz_err *err) {
  if (!t) return FZ_OK;
  TRY(need_f32(t, op, what, 0, err));
  if (t->ndim < 1 || t->shape[0] != b || fz_tensor_numel(t) != b * c) {
    char s[96];
    return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected [%lld, %lld] (or [%lld, 1, %lld])", op, what,
                   fz_shape_str(t->ndim, t->shape, s, sizeof s), (long long)b, (long long)c, (long long)b, (long long)c);
  }
  return FZ_OK;
}

// Checks layout and returns the channel count of x under it in *c.
static int check_layout(const fz_tensor *x, int layout, const char *op, int64_t *c, fz_err *err) {
  if (layout != FZ_LAYOUT_NCHW && layout != FZ_LAYOUT_NLC) return fz_fail(err, FZ_EINVAL, "%s: layout %d is unknown", op, layout);
  *c = layout == FZ_LAYOUT_NCHW ? x->shape[1] : x->shape[x->ndim - 1];
  return FZ_OK;
}

int fz_op_modulate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift, const fz_tensor *scale,
                   fz_layout layout, fz_err *err) {
  NEED_ENTRY(be, modulate, "modulate");
  TRY(same_shape_io(out, x, 2, "modulate", err));
  int64_t c = 0;
  TRY(check_layout(x, layout, "modulate", &c, err));
  TRY(need_bc(shift, x->shape[0], c, "modulate", "shift", err));
  TRY(need_bc(scale, x->shape[0], c, "modulate", "scale", err));
  return be->modulate(be, out, x, shift, scale, layout, err);
}

int fz_op_gate_residual(const fz_backend *be, fz_tensor *out, const fz_tensor *residual, const fz_tensor *gate,
                        const fz_tensor *y, fz_layout layout, fz_err *err) {
  NEED_ENTRY(be, gate_residual, "gate_residual");
  TRY(same_shape_io(out, residual, 2, "gate_residual", err));
  TRY(need_f32(y, "gate_residual", "y", 0, err));
  TRY(need_shape(y, residual->ndim, residual->shape, "gate_residual", "y", err));
  int64_t c = 0;
  TRY(check_layout(residual, layout, "gate_residual", &c, err));
  TRY(need_bc(gate, residual->shape[0], c, "gate_residual", "gate", err));
  return be->gate_residual(be, out, residual, gate, y, layout, err);
}

// ---- activations, softmax, elementwise, pooling --------------------------------------------------

int fz_op_act(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_act act, float p0, float p1, fz_err *err) {
  NEED_ENTRY(be, act, "act");
  TRY(same_shape_io(out, x, 0, "act", err));
  TRY(check_act(act, p0, "act", err));
  return be->act(be, out, x, act, p0, p1, err);
}

// Resolves a possibly negative dim of a tensor with ndim dims; -1 when out of range.
static int resolve_dim(int dim, int ndim) {
  if (dim < 0) dim += ndim;
  return (dim >= 0 && dim < ndim) ? dim : -1;
}

int fz_op_glu(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int dim, fz_act act, float p0, fz_err *err) {
  NEED_ENTRY(be, glu, "glu");
  TRY(need_f32(x, "glu", "x", 0, err));
  TRY(need_f32(out, "glu", "out", 0, err));
  TRY(check_act(act, p0, "glu", err));
  if (act == FZ_ACT_SOFTPLUS) return fz_fail(err, FZ_EINVAL, "glu: softplus gate is not supported (it needs two parameters)");
  int d = resolve_dim(dim, x->ndim);
  if (d < 0) return fz_fail(err, FZ_EINVAL, "glu: dim %d is out of range for a %d-dim x", dim, x->ndim);
  if (x->shape[d] % 2) return fz_fail(err, FZ_EINVAL, "glu: x has %lld entries along dim %d, expected an even number", (long long)x->shape[d], dim);
  int64_t os[FZ_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) os[i] = x->shape[i];
  os[d] /= 2;
  TRY(need_shape(out, x->ndim, os, "glu", "out", err));
  TRY(no_alias(out, x, "glu", "x", err));
  int64_t outer = fz_shape_numel(d, x->shape), inner = fz_shape_numel(x->ndim - d - 1, x->shape + d + 1);
  return be->glu(be, out, x, outer, os[d], inner, act, p0, err);
}

int fz_op_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int dim, fz_err *err) {
  NEED_ENTRY(be, softmax, "softmax");
  TRY(same_shape_io(out, x, 1, "softmax", err));
  int d = resolve_dim(dim, x->ndim);
  if (d < 0) return fz_fail(err, FZ_EINVAL, "softmax: dim %d is out of range for a %d-dim x", dim, x->ndim);
  int64_t outer = fz_shape_numel(d, x->shape), inner = fz_shape_numel(x->ndim - d - 1, x->shape + d + 1);
  return be->softmax(be, out, x, outer, x->shape[d], inner, err);
}

int fz_op_clamp(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err) {
  NEED_ENTRY(be, clamp, "clamp");
  TRY(same_shape_io(out, x, 0, "clamp", err));
  if (isnan(lo) || isnan(hi)) return fz_fail(err, FZ_EINVAL, "clamp: bounds %g, %g must not be NaN", (double)lo, (double)hi);
  return be->clamp(be, out, x, lo, hi, err);
}

int fz_op_affine(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err) {
  NEED_ENTRY(be, affine, "affine");
  TRY(same_shape_io(out, x, 0, "affine", err));
  return be->affine(be, out, x, mul, add, err);
}

int fz_op_binary(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, fz_binop op, fz_err *err) {
  NEED_ENTRY(be, binary, "binary");
  TRY(need_f32(a, "binary", "a", 0, err));
  TRY(need_f32(b, "binary", "b", 0, err));
  TRY(need_f32(out, "binary", "out", 0, err));
  if ((unsigned)op >= FZ_BIN_COUNT) return fz_fail(err, FZ_EINVAL, "binary: operator %d is unknown", (int)op);
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  int64_t as[FZ_MAX_DIMS], bs[FZ_MAX_DIMS], os[FZ_MAX_DIMS];
  for (int i = 0; i < nd; i++) {
    int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
    as[i] = ia >= 0 ? a->shape[ia] : 1;
    bs[i] = ib >= 0 ? b->shape[ib] : 1;
    if (as[i] != bs[i] && as[i] != 1 && bs[i] != 1) {
      char s1[96], s2[96];
      return fz_fail(err, FZ_EINVAL, "binary: a %s and b %s do not broadcast (dim %d: %lld vs %lld)", fz_shape_str(a->ndim, a->shape, s1, sizeof s1),
                     fz_shape_str(b->ndim, b->shape, s2, sizeof s2), i, (long long)as[i], (long long)bs[i]);
    }
    os[i] = as[i] == 1 ? bs[i] : as[i];
  }
  TRY(need_shape(out, nd, os, "binary", "out (the broadcast shape)", err));
  if (out->data == a->data && fz_tensor_numel(a) != fz_tensor_numel(out))
    return fz_fail(err, FZ_EINVAL, "binary: out shares memory with a broadcast operand a");
  if (out->data == b->data && fz_tensor_numel(b) != fz_tensor_numel(out))
    return fz_fail(err, FZ_EINVAL, "binary: out shares memory with a broadcast operand b");
  return be->binary(be, out, a, b, nd, as, bs, op, err);
}

int fz_op_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_pool mode, fz_err *err) {
  NEED_ENTRY(be, global_pool, "global_pool");
  TRY(need_f32(x, "global_pool", "x", 0, err));
  TRY(need_f32(out, "global_pool", "out", 0, err));
  if (mode != FZ_POOL_AVG && mode != FZ_POOL_MAX) return fz_fail(err, FZ_EINVAL, "global_pool: mode %d is unknown", (int)mode);
  if (x->ndim < 3) return fz_fail(err, FZ_EINVAL, "global_pool: x needs [N, C, spatial...] (>= 3 dims), got %d dims", x->ndim);
  int64_t n = x->shape[0], c = x->shape[1], hw = fz_shape_numel(x->ndim - 2, x->shape + 2);
  if (hw < 1 && mode == FZ_POOL_MAX) return fz_fail(err, FZ_EINVAL, "global_pool: max over an empty image is undefined");
  int ok = out->ndim >= 2 && out->shape[0] == n && out->shape[1] == c && fz_tensor_numel(out) == n * c;
  if (!ok) {
    char s[96];
    return fz_fail(err, FZ_EINVAL, "global_pool: out has shape %s, expected [%lld, %lld, 1, 1] or [%lld, %lld]",
                   fz_shape_str(out->ndim, out->shape, s, sizeof s), (long long)n, (long long)c, (long long)n, (long long)c);
  }
  TRY(no_alias(out, x, "global_pool", "x", err));
  return be->global_pool(be, out, x, n * c, hw, mode, err);
}
