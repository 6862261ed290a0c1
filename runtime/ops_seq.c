// ops_seq.c — checked wrappers of the seq op family, part 1: attention, selective scan, cross-scan, windows and
// layout ops. Each validates dtypes and shapes with a message naming op, operand and expectation, resolves
// defaults, then calls the backend entry (FZ_EUNSUP when the backend has none). Part 2 is ops_seq_signal.c.
#include "ops_seq_check.h"
#include <math.h>

// ---- attention -----------------------------------------------------------------------------------
typedef struct { int64_t B, H, Nq, Nk, d, dv; } attn_dims;

// Shapes of q/k/v (headers only) for full attention; fills *a.
static int attention_dims(const fz_tensor *q, const fz_tensor *k, const fz_tensor *v, const fz_attn_params *p,
                          attn_dims *a, fz_err *err) {
  const char *op = "attention";
  if (!p) return fz_fail(err, FZ_EINVAL, "attention: parameters are missing");
  if (!q || !k || !v) return fz_fail(err, FZ_EINVAL, "attention: q, k and v are required");
  char b1[96], b2[96];
  if (p->layout == FZ_ATTN_BHND) {
    SEQ_TRY(seq_need_ndim(q, 4, op, "q", "[B, heads, Nq, d]", err));
    SEQ_TRY(seq_need_ndim(k, 4, op, "k", "[B, heads, Nk, d]", err));
    SEQ_TRY(seq_need_ndim(v, 4, op, "v", "[B, heads, Nk, dv]", err));
    a->B = q->shape[0]; a->H = q->shape[1]; a->Nq = q->shape[2]; a->d = q->shape[3];
    a->Nk = k->shape[2]; a->dv = v->shape[3];
    if (p->heads != 0 && p->heads != a->H)
      return fz_fail(err, FZ_EINVAL, "attention: heads = %d but q %s has %lld heads", p->heads, seq_shp(q, b1),
                     (long long)a->H);
    int64_t ks[4] = {a->B, a->H, a->Nk, a->d}, vs[4] = {a->B, a->H, a->Nk, a->dv};
    SEQ_TRY(seq_need_shape(k, 4, ks, op, "k", err));
    SEQ_TRY(seq_need_shape(v, 4, vs, op, "v", err));
  } else if (p->layout == FZ_ATTN_BNHD) {
    SEQ_TRY(seq_need_ndim(q, 3, op, "q", "[B, Nq, heads·d]", err));
    SEQ_TRY(seq_need_ndim(k, 3, op, "k", "[B, Nk, heads·d]", err));
    SEQ_TRY(seq_need_ndim(v, 3, op, "v", "[B, Nk, heads·dv]", err));
    if (p->heads < 1) return fz_fail(err, FZ_EINVAL, "attention: heads = %d, expected >= 1 for the [B, N, heads·d] layout", p->heads);
    a->H = p->heads; a->B = q->shape[0]; a->Nq = q->shape[1]; a->Nk = k->shape[1];
    if (q->shape[2] % a->H || v->shape[2] % a->H)
      return fz_fail(err, FZ_EINVAL, "attention: q %s / v %s channels are not divisible by heads = %d", seq_shp(q, b1),
                     seq_shp(v, b2), p->heads);
    a->d = q->shape[2] / a->H; a->dv = v->shape[2] / a->H;
    int64_t ks[3] = {a->B, a->Nk, q->shape[2]}, vs[3] = {a->B, a->Nk, v->shape[2]};
    SEQ_TRY(seq_need_shape(k, 3, ks, op, "k", err));
    SEQ_TRY(seq_need_shape(v, 3, vs, op, "v", err));
  } else {
    return fz_fail(err, FZ_EINVAL, "attention: layout %d is not one of FZ_ATTN_BHND (0), FZ_ATTN_BNHD (1); "
                   "the channels-first layout is for channel attention only", (int)p->layout);
  }
  if (a->d < 1 || a->dv < 1) return fz_fail(err, FZ_EINVAL, "attention: head dims d = %lld, dv = %lld, expected >= 1",
                                            (long long)a->d, (long long)a->dv);
  if (a->Nk < 1 && a->Nq > 0) return fz_fail(err, FZ_EINVAL, "attention: k %s has no tokens; softmax over 0 keys is undefined", seq_shp(k, b1));
  if (!isfinite(p->scale)) return fz_fail(err, FZ_EINVAL, "attention: scale %g is not finite", (double)p->scale);
  if (p->v_lambda != p->v_lambda) return fz_fail(err, FZ_EINVAL, "attention: v_lambda is NaN");
  return FZ_OK;
}

// fz_op_attention_workspace: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_attention_workspace(const fz_backend *be, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                              const fz_attn_params *p, size_t *bytes, fz_err *err) {
  SEQ_ENTRY(attention_workspace, "attention");
  attn_dims a;
  SEQ_TRY(attention_dims(q, k, v, p, &a, err));
  *bytes = be->attention_workspace(be, a.d, a.dv);
  return FZ_OK;
}

// fz_op_attention: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                    const fz_tensor *v_first, const fz_attn_params *p, fz_err *err) {
  const char *op = "attention";
  SEQ_ENTRY(attention, op);
  attn_dims a;
  SEQ_TRY(attention_dims(q, k, v, p, &a, err));
  SEQ_TRY(seq_need(be, q, FZ_F32, op, "q", err));
  SEQ_TRY(seq_need(be, k, FZ_F32, op, "k", err));
  SEQ_TRY(seq_need(be, v, FZ_F32, op, "v", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  if (p->layout == FZ_ATTN_BHND) {
    int64_t os[4] = {a.B, a.H, a.Nq, a.dv};
    SEQ_TRY(seq_need_shape(out, 4, os, op, "out", err));
  } else {
    int64_t os[3] = {a.B, a.Nq, a.H * a.dv};
    SEQ_TRY(seq_need_shape(out, 3, os, op, "out", err));
  }
  if (v_first) {
    SEQ_TRY(seq_need(be, v_first, FZ_F32, op, "v_first", err));
    SEQ_TRY(seq_need_shape(v_first, v->ndim, v->shape, op, "v_first (the shape of v)", err));
    SEQ_TRY(seq_no_alias(out, v_first, op, "v_first", err));
  }
  SEQ_TRY(seq_no_alias(out, q, op, "q", err));
  SEQ_TRY(seq_no_alias(out, k, op, "k", err));
  SEQ_TRY(seq_no_alias(out, v, op, "v", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  float scale = p->scale != 0.0f ? p->scale : (float)(1.0 / sqrt((double)a.d));
  size_t need = be->attention_workspace ? be->attention_workspace(be, a.d, a.dv) : 0;
  void *ws = p->workspace;
  if (ws && p->workspace_bytes < need)
    return fz_fail(err, FZ_EINVAL, "attention: workspace of %zu bytes given, expected >= %zu (fz_op_attention_workspace)",
                   p->workspace_bytes, need);
  size_t ws_bytes = ws ? p->workspace_bytes : need;
  if (!ws && need && !(ws = be->alloc(be, need, err))) return err ? (int)err->code : FZ_ENOMEM;
  int rc = be->attention(be, out, q, k, v, v_first, (int)a.H, (int)p->layout, scale, p->causal != 0, p->v_lambda, ws,
                         ws_bytes, err);
  if (ws && !p->workspace) be->free(be, ws);
  return rc;
}

// fz_op_channel_attention: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                            const fz_tensor *v, const fz_tensor *temperature, const fz_chattn_params *p, fz_err *err) {
  const char *op = "channel_attention";
  SEQ_ENTRY(channel_attention, op);
  if (!p) return fz_fail(err, FZ_EINVAL, "%s: parameters are missing", op);
  SEQ_TRY(seq_need(be, q, FZ_F32, op, "q", err));
  SEQ_TRY(seq_need(be, k, FZ_F32, op, "k", err));
  SEQ_TRY(seq_need(be, v, FZ_F32, op, "v", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  int64_t H, d, N;
  char b1[96];
  if (p->layout == FZ_ATTN_BHND || p->layout == FZ_ATTN_BHDN) {
    SEQ_TRY(seq_need_ndim(q, 4, op, "q", p->layout == FZ_ATTN_BHND ? "[B, heads, N, d]" : "[B, heads, d, N]", err));
    H = q->shape[1];
    d = p->layout == FZ_ATTN_BHND ? q->shape[3] : q->shape[2];
    N = p->layout == FZ_ATTN_BHND ? q->shape[2] : q->shape[3];
    if (p->heads != 0 && p->heads != H)
      return fz_fail(err, FZ_EINVAL, "%s: heads = %d but q %s has %lld heads", op, p->heads, seq_shp(q, b1), (long long)H);
  } else if (p->layout == FZ_ATTN_BNHD) {
    SEQ_TRY(seq_need_ndim(q, 3, op, "q", "[B, N, heads·d]", err));
    if (p->heads < 1 || q->shape[2] % p->heads)
      return fz_fail(err, FZ_EINVAL, "%s: heads = %d does not divide the %lld channels of q %s", op, p->heads,
                     (long long)q->shape[2], seq_shp(q, b1));
    H = p->heads; d = q->shape[2] / H; N = q->shape[1];
  } else {
    return fz_fail(err, FZ_EINVAL, "%s: layout %d is not a fz_attn_layout", op, (int)p->layout);
  }
  SEQ_TRY(seq_need_shape(k, q->ndim, q->shape, op, "k (the shape of q)", err));
  SEQ_TRY(seq_need_shape(v, q->ndim, q->shape, op, "v (the shape of q)", err));
  SEQ_TRY(seq_need_shape(out, q->ndim, q->shape, op, "out (the shape of q)", err));
  if (d < 1 || N < 1) return fz_fail(err, FZ_EINVAL, "%s: q %s has no channels or no tokens", op, seq_shp(q, b1));
  if (temperature) {
    SEQ_TRY(seq_need(be, temperature, FZ_F32, op, "temperature", err));
    if (fz_tensor_numel(temperature) != H)
      return fz_fail(err, FZ_EINVAL, "%s: temperature %s has %lld values, expected one per head (%lld)", op,
                     seq_shp(temperature, b1), (long long)fz_tensor_numel(temperature), (long long)H);
  }
  SEQ_TRY(seq_no_alias(out, q, op, "q", err));
  SEQ_TRY(seq_no_alias(out, k, op, "k", err));
  SEQ_TRY(seq_no_alias(out, v, op, "v", err));
  if (!isfinite(p->scale)) return fz_fail(err, FZ_EINVAL, "%s: scale %g is not finite", op, (double)p->scale);
  float scale = p->scale != 0.0f ? p->scale : 1.0f;
  return be->channel_attention(be, out, q, k, v, temperature, (int)H, (int)p->layout, p->normalize != 0, scale,
                               p->transpose_attn != 0, err);
}

// ---- selective scan ------------------------------------------------------------------------------
// B or C: [B,N,L] or [B,G,N,L] with G dividing D.
static int scan_bc(const fz_backend *be, const fz_tensor *t, int64_t B, int64_t D, int64_t N, int64_t L,
                   const char *what, fz_err *err) {
  const char *op = "selective_scan";
  SEQ_TRY(seq_need(be, t, FZ_F32, op, what, err));
  char b1[96];
  if (t->ndim == 3) {
    int64_t s[3] = {B, N, L};
    return seq_need_shape(t, 3, s, op, what, err);
  }
  if (t->ndim == 4) {
    int64_t G = t->shape[1], s[4] = {B, G, N, L};
    if (G < 1 || D % G)
      return fz_fail(err, FZ_EINVAL, "%s: %s %s has %lld groups, which do not divide D = %lld", op, what,
                     seq_shp(t, b1), (long long)G, (long long)D);
    return seq_need_shape(t, 4, s, op, what, err);
  }
  return fz_fail(err, FZ_EINVAL, "%s: %s has shape %s, expected [B, N, L] or [B, G, N, L]", op, what, seq_shp(t, b1));
}

// fz_op_selective_scan: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_scan_inputs *in,
                         fz_err *err) {
  const char *op = "selective_scan";
  SEQ_ENTRY(selective_scan, op);
  if (!in) return fz_fail(err, FZ_EINVAL, "%s: inputs are missing", op);
  SEQ_TRY(seq_need(be, in->u, FZ_F32, op, "u", err));
  SEQ_TRY(seq_need_ndim(in->u, 3, op, "u", "[B, D, L]", err));
  const int64_t B = in->u->shape[0], D = in->u->shape[1], L = in->u->shape[2];
  SEQ_TRY(seq_need(be, in->A, FZ_F32, op, "A", err));
  SEQ_TRY(seq_need_ndim(in->A, 2, op, "A", "[D, N]", err));
  const int64_t N = in->A->shape[1];
  char b1[96];
  if (B < 1 || D < 1 || L < 1 || N < 1)
    return fz_fail(err, FZ_EINVAL, "%s: u %s and A %s must have B, D, L, N >= 1", op, seq_shp(in->u, b1),
                   fz_shape_str(2, in->A->shape, (char[96]){0}, 96));
  int64_t bdl[3] = {B, D, L}, dn[2] = {D, N}, bdn[3] = {B, D, N}, d1[1] = {D};
  SEQ_TRY(seq_need_shape(in->A, 2, dn, op, "A", err));
  SEQ_TRY(seq_need(be, in->delta, FZ_F32, op, "delta", err));
  SEQ_TRY(seq_need_shape(in->delta, 3, bdl, op, "delta", err));
  SEQ_TRY(scan_bc(be, in->Bm, B, D, N, L, "B", err));
  SEQ_TRY(scan_bc(be, in->Cm, B, D, N, L, "C", err));
  if (in->Dskip) {
    SEQ_TRY(seq_need(be, in->Dskip, FZ_F32, op, "D", err));
    SEQ_TRY(seq_need_shape(in->Dskip, 1, d1, op, "D", err));
  }
  if (in->z) {
    SEQ_TRY(seq_need(be, in->z, FZ_F32, op, "z", err));
    SEQ_TRY(seq_need_shape(in->z, 3, bdl, op, "z", err));
  }
  if (in->delta_bias) {
    SEQ_TRY(seq_need(be, in->delta_bias, FZ_F32, op, "delta_bias", err));
    SEQ_TRY(seq_need_shape(in->delta_bias, 1, d1, op, "delta_bias", err));
  }
  if (in->state_in) {
    SEQ_TRY(seq_need(be, in->state_in, FZ_F32, op, "state_in", err));
    SEQ_TRY(seq_need_shape(in->state_in, 3, bdn, op, "state_in", err));
  }
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_shape(out, 3, bdl, op, "out", err));
  const fz_tensor *ins[9] = {in->u, in->delta, in->A, in->Bm, in->Cm, in->Dskip, in->z, in->delta_bias, in->state_in};
  const char *names[9] = {"u", "delta", "A", "B", "C", "D", "z", "delta_bias", "state_in"};
  for (int i = 0; i < 9; i++) SEQ_TRY(seq_no_alias(out, ins[i], op, names[i], err));
  if (state_out) {
    SEQ_TRY(seq_need(be, state_out, FZ_F32, op, "state_out", err));
    SEQ_TRY(seq_need_shape(state_out, 3, bdn, op, "state_out", err));
    for (int i = 0; i < 9; i++) SEQ_TRY(seq_no_alias(state_out, ins[i], op, names[i], err));
    SEQ_TRY(seq_no_alias(state_out, out, op, "out", err));
  }
  return be->selective_scan(be, out, state_out, in->u, in->delta, in->A, in->Bm, in->Cm, in->Dskip, in->z,
                            in->delta_bias, in->state_in, in->delta_softplus != 0, err);
}

// ---- cross-scan, windows ---------------------------------------------------------------------------
// Image dims (B, C, H, W) of a 4-D tensor in NCHW or NHWC memory order.
static void image_dims(const fz_tensor *t, int channels_last, int64_t *B, int64_t *C, int64_t *H, int64_t *W) {
  *B = t->shape[0];
  *C = channels_last ? t->shape[3] : t->shape[1];
  *H = channels_last ? t->shape[1] : t->shape[2];
  *W = channels_last ? t->shape[2] : t->shape[3];
}

// The 4-direction sequence tensor: [B,4,C,L] or [B,4·C,L].
static int seq4_shape(const fz_tensor *t, int64_t B, int64_t C, int64_t L, const char *op, const char *what, fz_err *err) {
  int64_t s4[4] = {B, 4, C, L}, s3[3] = {B, 4 * C, L};
  if (t->ndim == 3) return seq_need_shape(t, 3, s3, op, what, err);
  return seq_need_shape(t, 4, s4, op, what, err);
}

// fz_op_cross_scan: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int channels_last, fz_err *err) {
  const char *op = "cross_scan";
  SEQ_ENTRY(cross_scan, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need_ndim(x, 4, op, "x", channels_last ? "[B, H, W, C]" : "[B, C, H, W]", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  int64_t B, C, H, W;
  image_dims(x, channels_last, &B, &C, &H, &W);
  SEQ_TRY(seq4_shape(out, B, C, H * W, op, "out", err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  return be->cross_scan(be, out, x, B, C, H, W, channels_last != 0, err);
}

// fz_op_cross_merge: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int channels_last, fz_err *err) {
  const char *op = "cross_merge";
  SEQ_ENTRY(cross_merge, op);
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_ndim(out, 4, op, "out", channels_last ? "[B, H, W, C]" : "[B, C, H, W]", err));
  SEQ_TRY(seq_need(be, y, FZ_F32, op, "y", err));
  int64_t B, C, H, W;
  image_dims(out, channels_last, &B, &C, &H, &W);
  SEQ_TRY(seq4_shape(y, B, C, H * W, op, "y", err));
  SEQ_TRY(seq_no_alias(out, y, op, "y", err));
  return be->cross_merge(be, out, y, B, C, H, W, channels_last != 0, err);
}

// Shared checks of window partition (img = x) and reverse (img = out).
static int windows_check(const fz_backend *be, const fz_tensor *img, const fz_tensor *win, int wh, int ww,
                         int channels_last, const char *op, const char *img_name, const char *win_name, int64_t d[4],
                         fz_err *err) {
  SEQ_TRY(seq_need(be, img, FZ_F32, op, img_name, err));
  SEQ_TRY(seq_need(be, win, FZ_F32, op, win_name, err));
  SEQ_TRY(seq_need_ndim(img, 4, op, img_name, channels_last ? "[B, H, W, C]" : "[B, C, H, W]", err));
  image_dims(img, channels_last, &d[0], &d[1], &d[2], &d[3]);
  char b1[96];
  if (wh < 1 || ww < 1 || d[2] % wh || d[3] % ww)
    return fz_fail(err, FZ_EINVAL, "%s: window %d×%d does not tile the %lld×%lld image of %s %s", op, wh, ww,
                   (long long)d[2], (long long)d[3], img_name, seq_shp(img, b1));
  int64_t nw = d[0] * (d[2] / wh) * (d[3] / ww);
  int64_t s_cl[4] = {nw, wh, ww, d[1]}, s_cf[4] = {nw, d[1], wh, ww};
  SEQ_TRY(seq_need_shape(win, 4, channels_last ? s_cl : s_cf, op, win_name, err));
  return seq_no_alias(img, win, op, win_name, err);
}

// fz_op_window_partition: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_window_partition(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int wh, int ww, int channels_last,
                           fz_err *err) {
  const char *op = "window_partition";
  SEQ_ENTRY(window_partition, op);
  int64_t d[4];
  SEQ_TRY(windows_check(be, x, out, wh, ww, channels_last, op, "x", "out", d, err));
  return be->window_partition(be, out, x, d[0], d[1], d[2], d[3], wh, ww, channels_last != 0, 0, err);
}

// fz_op_window_reverse: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_window_reverse(const fz_backend *be, fz_tensor *out, const fz_tensor *windows, int wh, int ww,
                         int channels_last, fz_err *err) {
  const char *op = "window_reverse";
  SEQ_ENTRY(window_partition, op);
  int64_t d[4];
  SEQ_TRY(windows_check(be, out, windows, wh, ww, channels_last, op, "out", "windows", d, err));
  return be->window_partition(be, out, windows, d[0], d[1], d[2], d[3], wh, ww, channels_last != 0, 1, err);
}

// ---- layout --------------------------------------------------------------------------------------
int fz_op_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err) {
  const char *op = inverse ? "pixel_unshuffle" : "pixel_shuffle";
  SEQ_ENTRY(pixel_shuffle, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_ndim(x, 4, op, "x", "[N, C, H, W]", err));
  if (r < 1) return fz_fail(err, FZ_EINVAL, "%s: factor %d, expected >= 1", op, r);
  char b1[96];
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], rr = (int64_t)r * r;
  if (!inverse) {
    if (C % rr) return fz_fail(err, FZ_EINVAL, "%s: x %s has %lld channels, not divisible by r² = %lld", op,
                               seq_shp(x, b1), (long long)C, (long long)rr);
    int64_t s[4] = {N, C / rr, H * r, W * r};
    SEQ_TRY(seq_need_shape(out, 4, s, op, "out", err));
  } else {
    if (H % r || W % r) return fz_fail(err, FZ_EINVAL, "%s: x %s has H, W not divisible by %d", op, seq_shp(x, b1), r);
    int64_t s[4] = {N, C * rr, H / r, W / r};
    SEQ_TRY(seq_need_shape(out, 4, s, op, "out", err));
  }
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  return be->pixel_shuffle(be, out, x, r, inverse != 0, err);
}

// fz_op_patchify: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, fz_patch_order order, int inverse,
                   fz_err *err) {
  const char *op = inverse ? "unpatchify" : "patchify";
  SEQ_ENTRY(patchify, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  if (p < 1) return fz_fail(err, FZ_EINVAL, "%s: patch size %d, expected >= 1", op, p);
  if (order != FZ_PATCH_PQC && order != FZ_PATCH_CPQ)
    return fz_fail(err, FZ_EINVAL, "%s: order %d is not FZ_PATCH_PQC (0) or FZ_PATCH_CPQ (1)", op, (int)order);
  const fz_tensor *img = inverse ? out : x, *tok = inverse ? x : out;
  const char *img_name = inverse ? "out" : "x", *tok_name = inverse ? "x" : "out";
  SEQ_TRY(seq_need_ndim(img, 4, op, img_name, "[N, C, H, W]", err));
  char b1[96];
  int64_t N = img->shape[0], C = img->shape[1], H = img->shape[2], W = img->shape[3];
  if (H % p || W % p)
    return fz_fail(err, FZ_EINVAL, "%s: %s %s has H, W not divisible by the patch size %d", op, img_name,
                   seq_shp(img, b1), p);
  int64_t s[3] = {N, (H / p) * (W / p), (int64_t)p * p * C};
  SEQ_TRY(seq_need_shape(tok, 3, s, op, tok_name, err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  return be->patchify(be, out, x, p, (int)order, inverse != 0, err);
}

// fz_op_permute: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err) {
  const char *op = "permute";
  SEQ_ENTRY(permute, op);
  if (!x || !out || !perm) return fz_fail(err, FZ_EINVAL, "%s: x, out and perm are required", op);
  fz_dtype dt = x->dtype == FZ_I32 ? FZ_I32 : FZ_F32;
  SEQ_TRY(seq_need(be, x, dt, op, "x", err));
  SEQ_TRY(seq_need(be, out, dt, op, "out (the dtype of x)", err));
  int seen[FZ_MAX_DIMS] = {0};
  int64_t s[FZ_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) {
    if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]])
      return fz_fail(err, FZ_EINVAL, "%s: perm[%d] = %d; expected a permutation of 0..%d", op, i, perm[i], x->ndim - 1);
    seen[perm[i]] = 1;
    s[i] = x->shape[perm[i]];
  }
  SEQ_TRY(seq_need_shape(out, x->ndim, s, op, "out", err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  return be->permute(be, out, x, perm, err);
}
