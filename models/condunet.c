// condunet.c — the conditional U-Net backbone (see condunet.h; PyTorch twin tools/python/fusor_ref/condunet.py):
// loading under a name prefix with every shape checked, and one forward evaluation on the model's backend.
#include "condunet.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  U_T = 0, U_TEMB, U_T1, U_EMB, U_EA, U_EVS, U_EVB, U_CAT, U_A, U_B, U_R1, U_R2, U_UPN, U_AQ, U_AK, U_AV, U_AWS, U_WS,
  U_SK0, U_COUNT = U_SK0 + FZ_CONDUNET_MAX_LEVELS
};
_Static_assert(U_COUNT == FZ_CONDUNET_SLOTS, "FZ_CONDUNET_SLOTS must match the slot list");
#define CU_EPS 1e-5f

// ---- hyper-parameters ------------------------------------------------------------------------------

// Reads integer hyper-parameter key into *v (default kept when absent); fails when not an integer in [lo, hi].
static int hp_int(const fz_pan_model *m, const char *key, int lo, int hi, int *v, fz_err *err) {
  double d;
  if (!fz_hp_num(m->hparams, key, &d)) return FZ_OK;
  if (!(d >= lo && d <= hi && d == (int)d))
    return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams %s = %g; expected an integer in %d..%d", m->display, key, d, lo, hi);
  *v = (int)d;
  return FZ_OK;
}

int fz_condunet_read_hparams(const fz_pan_model *m, fz_condunet_cfg *c, fz_err *err) {
  c->width = 32, c->levels = 2, c->blocks = 1, c->groups = 8, c->attn = 1, c->heads = 4;
  if (hp_int(m, "width", 1, 4096, &c->width, err) || hp_int(m, "levels", 1, FZ_CONDUNET_MAX_LEVELS, &c->levels, err) ||
      hp_int(m, "blocks", 1, FZ_CONDUNET_MAX_BLOCKS, &c->blocks, err) || hp_int(m, "groups", 1, 4096, &c->groups, err) ||
      hp_int(m, "attn", 0, 1, &c->attn, err) || hp_int(m, "heads", 1, 4096, &c->heads, err))
    return err->code;
  for (int l = 0; l < FZ_CONDUNET_MAX_LEVELS; l++) c->mult[l] = l < 2 ? 1 << l : 4;
  char s[64];
  if (fz_hp_str(m->hparams, "ch_mult", s, sizeof s)) {
    const char *p = s;
    for (int l = 0; l < c->levels; l++) {
      char *e;
      long v = strtol(p, &e, 10);
      if (e == p || v < 1 || v > 64 || (l < c->levels - 1 ? *e != ',' : *e != 0))
        return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams ch_mult = \"%s\"; expected %d comma-separated integers in 1..64",
                       m->display, s, c->levels);
      c->mult[l] = (int)v;
      p = e + 1;
    }
  }
  for (int l = 0; l < c->levels; l++)
    if ((c->width * c->mult[l]) % c->groups)
      return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams groups = %d does not divide the level-%d width %d", m->display, c->groups,
                     l, c->width * c->mult[l]);
  if (c->attn && (c->width * c->mult[c->levels - 1]) % c->heads)
    return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams heads = %d does not divide the lowest width %d", m->display, c->heads,
                   c->width * c->mult[c->levels - 1]);
  return FZ_OK;
}

// ---- loading ---------------------------------------------------------------------------------------

// Loads a vector / matrix parameter <prefix><name> of shape [a] (b == 0) or [a, b].
static int ld(fz_pan_model *m, const char *prefix, const char *name, int64_t a, int64_t b, fz_tensor **out, fz_err *err) {
  char n[192];
  int64_t s[2] = {a, b};
  snprintf(n, sizeof n, "%s%s", prefix, name);
  return fz_param(m, n, b ? 2 : 1, s, out, err);
}

// Loads a 3x3 (or k x k) conv <prefix><name> cin -> cout with bias.
static int conv_ld(fz_pan_model *m, fz_conv *c, const char *prefix, const char *name, int cout, int cin, int k, int stride,
                   fz_err *err) {
  char n[192];
  snprintf(n, sizeof n, "%s%s", prefix, name);
  return fz_conv_load(m, c, n, cout, cin, k, stride, k / 2, 1, 1, FZ_ACT_NONE, 0, err);
}

// A view of rows [r0, r0 + rows) of the row-major matrix / vector t (its first dim split).
static fz_tensor rows_view(const fz_tensor *t, int64_t r0, int64_t rows) {
  fz_tensor v = *t;
  v.owns = 0;
  int64_t inner = 1;
  for (int i = 1; i < t->ndim; i++) inner *= t->shape[i];
  v.shape[0] = rows;
  v.data = (char *)t->data + (size_t)(r0 * inner) * sizeof(float);
  return v;
}

// Loads ResBlock <p> (cin -> cout) with time-embedding width te and `groups` GroupNorm groups.
static int res_ld(fz_pan_model *m, fz_condunet_res *r, const char *p, int cin, int cout, int te, fz_err *err) {
  r->cin = cin, r->cout = cout, r->has_skip = cin != cout;
  if (ld(m, p, "norm1.weight", cin, 0, &r->n1w, err) || ld(m, p, "norm1.bias", cin, 0, &r->n1b, err) ||
      conv_ld(m, &r->c1, p, "conv1", cout, cin, 3, 1, err) || ld(m, p, "emb.weight", 2 * cout, te, &r->ew, err) ||
      ld(m, p, "emb.bias", 2 * cout, 0, &r->eb, err) || ld(m, p, "norm2.weight", cout, 0, &r->n2w, err) ||
      ld(m, p, "norm2.bias", cout, 0, &r->n2b, err) || conv_ld(m, &r->c2, p, "conv2", cout, cout, 3, 1, err))
    return err->code;
  if (r->has_skip && conv_ld(m, &r->skip, p, "skip", cout, cin, 1, 1, err)) return err->code;
  if (!r->has_skip) {
    char n[192];
    snprintf(n, sizeof n, "%sskip.weight", p);
    if (fz_param_info(m, n))
      return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is present but block %s keeps its width %d (no skip conv expected)",
                     m->display, n, p, cin);
  }
  r->es_w = rows_view(r->ew, 0, cout), r->eh_w = rows_view(r->ew, cout, cout);
  r->es_b = rows_view(r->eb, 0, cout), r->eh_b = rows_view(r->eb, cout, cout);
  return FZ_OK;
}

int fz_condunet_load(fz_pan_model *m, fz_condunet *u, const fz_condunet_cfg *cfg, const char *prefix, int slot0, fz_err *err) {
  memset(u, 0, sizeof *u);
  u->cfg = *cfg;
  u->slot0 = slot0;
  const fz_condunet_cfg *c = &u->cfg;
  if (slot0 < 0 || slot0 + FZ_CONDUNET_SLOTS > FZ_MODEL_MAX_SLOTS)
    return fz_fail(err, FZ_EINTERNAL, "condunet: slots %d..%d exceed the model pool (%d)", slot0, slot0 + FZ_CONDUNET_SLOTS - 1,
                   FZ_MODEL_MAX_SLOTS);
  if (c->in_ch < 1 || c->cond_ch < 0 || c->out_ch < 1 || c->levels < 1 || c->levels > FZ_CONDUNET_MAX_LEVELS || c->blocks < 1 ||
      c->blocks > FZ_CONDUNET_MAX_BLOCKS || c->width < 1 || c->groups < 1 || c->heads < 1)
    return fz_fail(err, FZ_EINVAL, "%s: condunet configuration out of range", m->display);
  int L = c->levels, te = 4 * c->width, ch[FZ_CONDUNET_MAX_LEVELS];
  for (int l = 0; l < L; l++) ch[l] = c->width * c->mult[l];
  char p[160], q[192];
  if (ld(m, prefix, "temb.0.weight", te, c->width, &u->te0w, err) || ld(m, prefix, "temb.0.bias", te, 0, &u->te0b, err) ||
      ld(m, prefix, "temb.2.weight", te, te, &u->te2w, err) || ld(m, prefix, "temb.2.bias", te, 0, &u->te2b, err) ||
      conv_ld(m, &u->in_conv, prefix, "in_conv", ch[0], c->in_ch + c->cond_ch, 3, 1, err))
    return err->code;
  int prev = ch[0];
  for (int l = 0; l < L; l++) {
    for (int b = 0; b < c->blocks; b++) {
      snprintf(p, sizeof p, "%sdown.%d.res.%d.", prefix, l, b);
      if (res_ld(m, &u->down[l][b], p, prev, ch[l], te, err)) return err->code;
      prev = ch[l];
    }
    snprintf(q, sizeof q, "down.%d.down", l);
    if (l < L - 1 && conv_ld(m, &u->dconv[l], prefix, q, ch[l], ch[l], 3, 2, err)) return err->code;
  }
  snprintf(p, sizeof p, "%smid.res1.", prefix);
  if (res_ld(m, &u->mid1, p, prev, prev, te, err)) return err->code;
  if (c->attn) {
    snprintf(p, sizeof p, "%smid.attn.", prefix);
    fz_condunet_attn *a = &u->at;
    if (ld(m, p, "norm.weight", prev, 0, &a->nw, err) || ld(m, p, "norm.bias", prev, 0, &a->nb, err) ||
        ld(m, p, "q.weight", prev, prev, &a->qw, err) || ld(m, p, "q.bias", prev, 0, &a->qb, err) ||
        ld(m, p, "k.weight", prev, prev, &a->kw, err) || ld(m, p, "k.bias", prev, 0, &a->kb, err) ||
        ld(m, p, "v.weight", prev, prev, &a->vw, err) || ld(m, p, "v.bias", prev, 0, &a->vb, err) ||
        ld(m, p, "proj.weight", prev, prev, &a->pw, err) || ld(m, p, "proj.bias", prev, 0, &a->pb, err))
      return err->code;
  } else {
    snprintf(q, sizeof q, "%smid.attn.q.weight", prefix);
    if (fz_param_info(m, q))
      return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is present but fusor.hparams attn = 0", m->display, q);
  }
  snprintf(p, sizeof p, "%smid.res2.", prefix);
  if (res_ld(m, &u->mid2, p, prev, prev, te, err)) return err->code;
  for (int l = L - 1; l >= 0; l--) {
    for (int b = 0; b < c->blocks; b++) {
      snprintf(p, sizeof p, "%sup.%d.res.%d.", prefix, l, b);
      if (res_ld(m, &u->up[l][b], p, b == 0 ? prev + ch[l] : ch[l], ch[l], te, err)) return err->code;
      prev = ch[l];
    }
    if (l > 0) {
      snprintf(q, sizeof q, "up.%d.up", l);
      if (conv_ld(m, &u->uconv[l], prefix, q, ch[l - 1], ch[l], 3, 1, err)) return err->code;
      prev = ch[l - 1];
    }
  }
  if (ld(m, prefix, "out_norm.weight", ch[0], 0, &u->onw, err) || ld(m, prefix, "out_norm.bias", ch[0], 0, &u->onb, err) ||
      conv_ld(m, &u->out_conv, prefix, "out_conv", c->out_ch, ch[0], 3, 1, err))
    return err->code;
  snprintf(q, sizeof q, "%sdown.%d.res.0.norm1.weight", prefix, L);
  if (fz_param_info(m, q))
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' exists but fusor.hparams levels = %d", m->display, q, L);
  snprintf(q, sizeof q, "%sdown.0.res.%d.norm1.weight", prefix, c->blocks);
  if (fz_param_info(m, q))
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' exists but fusor.hparams blocks = %d", m->display, q, c->blocks);
  return FZ_OK;
}

int fz_condunet_multiple(const fz_condunet *u) { return 1 << (u->cfg.levels - 1); }

// ---- forward ---------------------------------------------------------------------------------------

// A view of t with a new shape (same numel, same data).
static fz_tensor reshaped(const fz_tensor *t, int ndim, const int64_t *shape) {
  fz_tensor v = *t;
  v.owns = 0;
  v.ndim = ndim;
  for (int i = 0; i < ndim; i++) v.shape[i] = shape[i];
  return v;
}

// ResBlock r: out (slot `slot`) = skip(x) + conv2(SiLU(GN(conv1(SiLU(GN(x))))·(1+scale) + shift)); ea [B, 4w] = SiLU(emb).
static int resblock(fz_pan_model *m, const fz_condunet *u, const fz_condunet_res *r, const fz_tensor *x, const fz_tensor *ea,
                    int slot, fz_tensor *out, fz_err *err) {
  const fz_backend *be = m->be;
  int s0 = u->slot0, G = u->cfg.groups;
  int64_t B = x->shape[0], sv[2] = {B, r->cout};
  fz_tensor t1, h, t2, sc, sh, sk;
  if (fz_tmp(m, s0 + U_R1, 4, x->shape, &t1, err) ||
      fz_op_group_norm(be, &t1, x, G, r->n1w, r->n1b, CU_EPS, FZ_ACT_SILU, 0, err) ||
      fz_conv_run(m, &r->c1, &t1, s0 + U_R2, s0 + U_WS, &h, err))
    return err->code;
  if (fz_tmp(m, s0 + U_EVS, 2, sv, &sc, err) || fz_tmp(m, s0 + U_EVB, 2, sv, &sh, err) ||
      fz_op_linear(be, &sc, ea, &r->es_w, &r->es_b, FZ_ACT_NONE, 0, 0, err) ||
      fz_op_linear(be, &sh, ea, &r->eh_w, &r->eh_b, FZ_ACT_NONE, 0, 0, err))
    return err->code;
  if (fz_tmp(m, s0 + U_R1, 4, h.shape, &t2, err) ||
      fz_op_group_norm(be, &t2, &h, G, r->n2w, r->n2b, CU_EPS, FZ_ACT_NONE, 0, err) ||
      fz_op_modulate(be, &t2, &t2, &sh, &sc, FZ_LAYOUT_NCHW, err) || fz_op_act(be, &t2, &t2, FZ_ACT_SILU, 0, 0, err) ||
      fz_conv_run(m, &r->c2, &t2, slot, s0 + U_WS, out, err))
    return err->code;
  if (!r->has_skip) return fz_add(m, out, out, x, err);
  if (fz_conv_run(m, &r->skip, x, s0 + U_R2, s0 + U_WS, &sk, err)) return err->code;
  return fz_add(m, out, out, &sk, err);
}

// Middle self-attention: out (slot `slot`) = x + proj(MHA(q, k, v of GN(x) as tokens)), x [B, C, H, W].
static int attention(fz_pan_model *m, const fz_condunet *u, const fz_tensor *x, int slot, fz_tensor *out, fz_err *err) {
  const fz_backend *be = m->be;
  const fz_condunet_attn *a = &u->at;
  int s0 = u->slot0;
  int64_t B = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], N = H * W;
  int64_t nhwc[4] = {B, H, W, C}, tok[3] = {B, N, C};
  static const int to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};
  fz_tensor g, tk, q, k, v, o, pr;
  if (fz_tmp(m, s0 + U_R1, 4, x->shape, &g, err) ||
      fz_op_group_norm(be, &g, x, u->cfg.groups, a->nw, a->nb, CU_EPS, FZ_ACT_NONE, 0, err) ||
      fz_tmp(m, s0 + U_R2, 4, nhwc, &tk, err) || fz_op_permute(be, &tk, &g, to_nhwc, err))
    return err->code;
  tk = reshaped(&tk, 3, tok);
  if (fz_tmp(m, s0 + U_AQ, 3, tok, &q, err) || fz_tmp(m, s0 + U_AK, 3, tok, &k, err) || fz_tmp(m, s0 + U_AV, 3, tok, &v, err) ||
      fz_op_linear(be, &q, &tk, a->qw, a->qb, FZ_ACT_NONE, 0, 0, err) ||
      fz_op_linear(be, &k, &tk, a->kw, a->kb, FZ_ACT_NONE, 0, 0, err) ||
      fz_op_linear(be, &v, &tk, a->vw, a->vb, FZ_ACT_NONE, 0, 0, err))
    return err->code;
  fz_attn_params ap = {.heads = u->cfg.heads, .layout = FZ_ATTN_BNHD, .scale = (float)(1.0 / sqrt((double)(C / u->cfg.heads)))};
  size_t wsb = 0;
  if (fz_op_attention_workspace(be, &q, &k, &v, &ap, &wsb, err)) return err->code;
  if (wsb) {
    if (!(ap.workspace = fz_tmp_bytes(m, s0 + U_AWS, wsb, err))) return err->code;
    ap.workspace_bytes = wsb;
  }
  if (fz_tmp(m, s0 + U_R1, 3, tok, &o, err) || fz_op_attention(be, &o, &q, &k, &v, NULL, &ap, err))
    return fz_wrap(err, "condunet attention (N = %lld)", (long long)N);
  if (fz_op_linear(be, &q, &o, a->pw, a->pb, FZ_ACT_NONE, 0, 0, err)) return err->code;
  pr = reshaped(&q, 4, nhwc);
  if (fz_tmp(m, slot, 4, x->shape, out, err) || fz_op_permute(be, out, &pr, to_nchw, err)) return err->code;
  return fz_add(m, out, out, x, err);
}

// The ping-pong slot after `cur` (A unless cur is A).
static int other(const fz_condunet *u, int cur) { return cur == u->slot0 + U_A ? u->slot0 + U_B : u->slot0 + U_A; }

int fz_condunet_forward(fz_pan_model *m, const fz_condunet *u, const fz_tensor *x_t, const fz_tensor *const *cond, int ncond,
                        const float *t, fz_tensor *out, fz_err *err) {
  if (!x_t || !x_t->data || x_t->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): x_t must be an f32 [B, %d, H, W] tensor", m->display, u->cfg.in_ch);
  if (!t) return fz_fail(err, FZ_EINVAL, "%s (condunet): the time inputs are missing", m->display);
  int64_t sb[1] = {x_t->shape[0]};
  fz_tensor tt;
  if (fz_tmp(m, u->slot0 + U_T, 1, sb, &tt, err) || fz_tensor_upload(&tt, t, (size_t)sb[0] * sizeof *t, err)) return err->code;
  return fz_condunet_forward_dev(m, u, x_t, cond, ncond, &tt, out, err);
}

int fz_condunet_forward_dev(fz_pan_model *m, const fz_condunet *u, const fz_tensor *x_t, const fz_tensor *const *cond, int ncond,
                            const fz_tensor *t_dev, fz_tensor *out, fz_err *err) {
  const fz_backend *be = m->be;
  const fz_condunet_cfg *c = &u->cfg;
  int s0 = u->slot0, L = c->levels;
  char a[96], b[96];
  if (!x_t || !x_t->data || x_t->dtype != FZ_F32 || x_t->ndim != 4 || x_t->shape[1] != c->in_ch)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): x_t must be an f32 [B, %d, H, W] tensor", m->display, c->in_ch);
  int64_t B = x_t->shape[0], H = x_t->shape[2], W = x_t->shape[3], mul = fz_condunet_multiple(u);
  if (H % mul || W % mul)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): input is %lldx%lld; %d levels need H and W multiples of %lld", m->display,
                   (long long)H, (long long)W, L, (long long)mul);
  if (ncond < 0 || ncond > FZ_CONDUNET_MAX_COND || (ncond && !cond))
    return fz_fail(err, FZ_EINVAL, "%s (condunet): %d conditioning tensors; expected 0..%d", m->display, ncond, FZ_CONDUNET_MAX_COND);
  int64_t cc = 0;
  for (int i = 0; i < ncond; i++) {
    const fz_tensor *k = cond[i];
    if (!k || !k->data || k->dtype != FZ_F32 || k->ndim != 4 || k->shape[0] != B || k->shape[2] != H || k->shape[3] != W)
      return fz_fail(err, FZ_EINVAL, "%s (condunet): conditioning tensor %d is %s; expected f32 [%lld, c, %lld, %lld]", m->display, i,
                     k ? fz_shape_str(k->ndim, k->shape, a, sizeof a) : "missing", (long long)B, (long long)H, (long long)W);
    cc += k->shape[1];
  }
  if (cc != c->cond_ch)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): the conditioning has %lld channels; the network takes %d", m->display, (long long)cc,
                   c->cond_ch);
  int64_t so[4] = {B, c->out_ch, H, W};
  if (!out || !out->data || out->dtype != FZ_F32 || out->ndim != 4 || out->shape[0] != B || out->shape[1] != c->out_ch ||
      out->shape[2] != H || out->shape[3] != W)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): out is %s; expected f32 %s", m->display,
                   out ? fz_shape_str(out->ndim, out->shape, a, sizeof a) : "missing", fz_shape_str(4, so, b, sizeof b));
  if (!t_dev || !t_dev->data || t_dev->dtype != FZ_F32 || t_dev->ndim != 1 || t_dev->shape[0] != B)
    return fz_fail(err, FZ_EINVAL, "%s (condunet): the time inputs must be an f32 [%lld] device tensor", m->display, (long long)B);
  // emb = temb.2(SiLU(temb.0(sinusoid(t)))); ea = SiLU(emb)
  int64_t st[2] = {B, c->width}, se[2] = {B, 4 * (int64_t)c->width};
  fz_tensor temb, t1, emb, ea;
  fz_temb_params tp = {0};
  if (fz_tmp(m, s0 + U_TEMB, 2, st, &temb, err) || fz_tmp(m, s0 + U_T1, 2, se, &t1, err) ||
      fz_tmp(m, s0 + U_EMB, 2, se, &emb, err) || fz_tmp(m, s0 + U_EA, 2, se, &ea, err) ||
      fz_op_timestep_embedding(be, &temb, t_dev, &tp, err) ||
      fz_op_linear(be, &t1, &temb, u->te0w, u->te0b, FZ_ACT_SILU, 0, 0, err) ||
      fz_op_linear(be, &emb, &t1, u->te2w, u->te2b, FZ_ACT_NONE, 0, 0, err) || fz_op_act(be, &ea, &emb, FZ_ACT_SILU, 0, 0, err))
    return err->code;
  // h = in_conv(cat[x_t, cond...])
  int64_t sc[4] = {B, c->in_ch + c->cond_ch, H, W};
  fz_tensor cat, h, sk[FZ_CONDUNET_MAX_LEVELS], nx;
  if (fz_tmp(m, s0 + U_CAT, 4, sc, &cat, err) || fz_copy_channels(m, &cat, 0, x_t, err)) return err->code;
  for (int i = 0, c0 = c->in_ch; i < ncond; c0 += (int)cond[i]->shape[1], i++)
    if (fz_copy_channels(m, &cat, c0, cond[i], err)) return err->code;
  int cur = s0 + U_A;
  if (fz_conv_run(m, &u->in_conv, &cat, cur, s0 + U_WS, &h, err)) return err->code;
  for (int l = 0; l < L; l++) {
    for (int bl = 0; bl < c->blocks; bl++) {
      int dst = bl == c->blocks - 1 ? s0 + U_SK0 + l : other(u, cur);
      if (resblock(m, u, &u->down[l][bl], &h, &ea, dst, &nx, err)) return fz_wrap(err, "condunet down.%d.res.%d", l, bl);
      h = nx, cur = dst;
    }
    sk[l] = h;
    if (l < L - 1) {
      if (fz_conv_run(m, &u->dconv[l], &h, s0 + U_A, s0 + U_WS, &nx, err)) return err->code;
      h = nx, cur = s0 + U_A;
    }
  }
  if (resblock(m, u, &u->mid1, &h, &ea, other(u, cur), &nx, err)) return fz_wrap(err, "condunet mid.res1");
  h = nx, cur = other(u, cur);
  if (c->attn) {
    if (attention(m, u, &h, other(u, cur), &nx, err)) return fz_wrap(err, "condunet mid.attn");
    h = nx, cur = other(u, cur);
  }
  if (resblock(m, u, &u->mid2, &h, &ea, other(u, cur), &nx, err)) return fz_wrap(err, "condunet mid.res2");
  h = nx, cur = other(u, cur);
  for (int l = L - 1; l >= 0; l--) {
    fz_tensor hc;
    if (fz_cat2(m, &h, &sk[l], s0 + U_CAT, &hc, err)) return err->code;
    h = hc, cur = s0 + U_CAT;
    for (int bl = 0; bl < c->blocks; bl++) {
      int dst = other(u, cur);
      if (resblock(m, u, &u->up[l][bl], &h, &ea, dst, &nx, err)) return fz_wrap(err, "condunet up.%d.res.%d", l, bl);
      h = nx, cur = dst;
    }
    if (l > 0) {
      int64_t su[4] = {B, h.shape[1], 2 * h.shape[2], 2 * h.shape[3]};
      fz_tensor upn;
      if (fz_tmp(m, s0 + U_UPN, 4, su, &upn, err) || fz_op_interpolate(be, &upn, &h, FZ_INTERP_NEAREST, 0, 2.0, 2.0, err) ||
          fz_conv_run(m, &u->uconv[l], &upn, other(u, cur), s0 + U_WS, &nx, err))
        return fz_wrap(err, "condunet up.%d.up", l);
      h = nx, cur = other(u, cur);
    }
  }
  fz_tensor g;
  if (fz_tmp(m, s0 + U_R1, 4, h.shape, &g, err) ||
      fz_op_group_norm(be, &g, &h, c->groups, u->onw, u->onb, CU_EPS, FZ_ACT_SILU, 0, err))
    return err->code;
  return fz_conv_into(m, &u->out_conv, &g, out, s0 + U_WS, err);
}
