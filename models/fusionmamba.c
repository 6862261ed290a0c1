// fusionmamba.c — FusionMamba (PSRben/FusionMamba 6bd5cbd model/u2net.py + model/fusion_mamba.py, IEEE TGRS 2024):
// skip = PixelShuffle4(conv3x3 8->128 (no bias)(ms)); pan = leaky(conv(pan)), ms = leaky(conv(skip));
// stage0..3 = FusionMamba block + Down (conv 2x2/2 + leaky) / Up (convT 2x2/2 + leaky, + skip, dw3x3, 1x1,
// leaky); stage4 = final FusionMamba block; out = to_hrms(fusion) * SpeAttention(ms) + skip.
// FusionMamba block on tokens: pan1 = pan + v6(LN(pan)), ms1 = ms + v6(LN(ms)); spa = pan1 + v7(LN0(pan1),
// LN1(ms1)); spe = ms1 + v7(LN0(ms1), LN1(pan1)); f = out_proj((spa + spe)/2); returns ((pan1+f)/2, (ms1+f)/2)
// or f (final). SpeAttention: sigmoid(Linear(32->1)(v2 Mamba(LN(Linear(1->32)(maxpool(ms)))))) over the bands.
// It reads the LOW-resolution MS (no lms). The official test runs 256x256 tiles (H, W fixed at construction);
// the weights do not depend on H, W, so fusor runs any multiple of 4 and `fusor run` uses 256 tiles.
#include "mamba_block.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  F_UP = 0, F_SKIP, F_PA, F_MA, F_PS0, F_MS0, F_PS1, F_MS1, F_PB, F_MB, F_T1, F_T2, F_FP, F_FM, F_FIN, F_SPE,
  F_TP = 20, F_TM, F_LA, F_LB, F_MO, F_P1, F_M1, F_SPA, F_SPE2, F_FT, F_FN, F_SA1, F_SA2, F_SA3,
  F_MAMBA = 36, F_WS = FZ_MODEL_MAX_SLOTS - 1
};

typedef struct fm_block {
  fz_tensor *ln_pan_w, *ln_pan_b, *ln_ms_w, *ln_ms_b;   // spa/spe_mamba_layers.0.norm
  fz_mamba v6_pan, v6_ms, v7_spa, v7_spe;
  fz_tensor *spa_n0w, *spa_n0b, *spa_n1w, *spa_n1b, *spe_n0w, *spe_n0b, *spe_n1w, *spe_n1b;
  fz_tensor *out_w, *out_b;
  int dim, final;
} fm_block;

typedef struct fusionmamba {
  int dim, bands;
  fz_conv up, raise_pan, raise_ms, hrms0, hrms2, down[2], upT[2], updw[2], uppw[2];
  fm_block st[5];
  fz_tensor *sa_l0w, *sa_l0b, *sa_lnw, *sa_lnb, *sa_l3w, *sa_l3b;
  fz_mamba sa_mamba;
} fusionmamba;

// 1 for a FusionMamba checkpoint.
static int fm_detect(const fz_weights *w) {
  return fz_weights_find(w, "spe_attn.block.2.A_log") && fz_weights_find(w, "stage4.out_proj.weight");
}

// Loads a LayerNorm <prefix>.weight/.bias [c].
static int ln_load(fz_pan_model *m, const char *prefix, int c, fz_tensor **w, fz_tensor **b, fz_err *err) {
  char n[160];
  int64_t s[1] = {c};
  snprintf(n, sizeof n, "%s.weight", prefix);
  if (fz_param(m, n, 1, s, w, err)) return err->code;
  snprintf(n, sizeof n, "%s.bias", prefix);
  return fz_param(m, n, 1, s, b, err);
}

// Loads FusionMamba block `prefix` (stage<i>.fm or stage4) of dim channels.
static int block_load(fz_pan_model *m, fm_block *b, const char *p, int dim, int final, fz_err *err) {
  char n[160];
  b->dim = dim;
  b->final = final;
  snprintf(n, sizeof n, "%s.spa_mamba_layers.0.norm", p);
  if (ln_load(m, n, dim, &b->ln_pan_w, &b->ln_pan_b, err)) return err->code;
  snprintf(n, sizeof n, "%s.spe_mamba_layers.0.norm", p);
  if (ln_load(m, n, dim, &b->ln_ms_w, &b->ln_ms_b, err)) return err->code;
  snprintf(n, sizeof n, "%s.spa_mamba_layers.0.block", p);
  if (fz_mamba_load(m, &b->v6_pan, n, dim, FZ_MAMBA_V6, err)) return err->code;
  snprintf(n, sizeof n, "%s.spe_mamba_layers.0.block", p);
  if (fz_mamba_load(m, &b->v6_ms, n, dim, FZ_MAMBA_V6, err)) return err->code;
  snprintf(n, sizeof n, "%s.spa_cross_mamba.block", p);
  if (fz_mamba_load(m, &b->v7_spa, n, dim, FZ_MAMBA_V7, err)) return err->code;
  snprintf(n, sizeof n, "%s.spe_cross_mamba.block", p);
  if (fz_mamba_load(m, &b->v7_spe, n, dim, FZ_MAMBA_V7, err)) return err->code;
  snprintf(n, sizeof n, "%s.spa_cross_mamba.norm0", p);
  if (ln_load(m, n, dim, &b->spa_n0w, &b->spa_n0b, err)) return err->code;
  snprintf(n, sizeof n, "%s.spa_cross_mamba.norm1", p);
  if (ln_load(m, n, dim, &b->spa_n1w, &b->spa_n1b, err)) return err->code;
  snprintf(n, sizeof n, "%s.spe_cross_mamba.norm0", p);
  if (ln_load(m, n, dim, &b->spe_n0w, &b->spe_n0b, err)) return err->code;
  snprintf(n, sizeof n, "%s.spe_cross_mamba.norm1", p);
  if (ln_load(m, n, dim, &b->spe_n1w, &b->spe_n1b, err)) return err->code;
  int64_t ow[2] = {dim, dim}, ob[1] = {dim};
  snprintf(n, sizeof n, "%s.out_proj.weight", p);
  if (fz_param(m, n, 2, ow, &b->out_w, err)) return err->code;
  snprintf(n, sizeof n, "%s.out_proj.bias", p);
  return fz_param(m, n, 1, ob, &b->out_b, err);
}

// Loads every layer; dim from raise_pan_dim.0.weight [dim, 1, 3, 3], bands from upsample.upsamle.0.weight.
static int fm_init(fz_pan_model *m, fz_err *err) {
  const fz_wtensor *rp = fz_param_info(m, "raise_pan_dim.0.weight"), *up = fz_param_info(m, "upsample.upsamle.0.weight");
  if (!rp || rp->ndim != 4 || !up || up->ndim != 4 || up->shape[0] != up->shape[1] * 16)
    return fz_fail(err, FZ_EINVAL, "%s: raise_pan_dim.0.weight [dim, 1, 3, 3] / upsample.upsamle.0.weight [16C, C, 3, 3] missing or "
                   "malformed for fusionmamba", m->display);
  fusionmamba *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  int dim = (int)rp->shape[0], C = (int)up->shape[1];
  p->dim = dim;
  p->bands = C;
  const float lk = 0.01f;  // nn.LeakyReLU() default slope
  if (fz_conv_load(m, &p->up, "upsample.upsamle.0", 16 * C, C, 3, 1, 1, 1, 0, FZ_ACT_NONE, 0, err) ||
      fz_conv_load(m, &p->raise_pan, "raise_pan_dim.0", dim, 1, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, lk, err) ||
      fz_conv_load(m, &p->raise_ms, "raise_ms_dim.0", dim, C, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, lk, err) ||
      fz_conv_load(m, &p->hrms0, "to_hrms.0", dim, dim, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, lk, err) ||
      fz_conv_load(m, &p->hrms2, "to_hrms.2", C, dim, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  static const int sdim[5] = {1, 2, 4, 2, 1};
  for (int s = 0; s < 5; s++) {
    char n[48];
    snprintf(n, sizeof n, s < 4 ? "stage%d.fm" : "stage%d", s);
    if (block_load(m, &p->st[s], n, dim * sdim[s], s == 4, err)) return err->code;
  }
  for (int i = 0; i < 2; i++) {
    char n[64];
    snprintf(n, sizeof n, "stage%d.sample.down.0", i);
    if (fz_conv_load(m, &p->down[i], n, 2 * dim << i, dim << i, 2, 2, 0, 1, 1, FZ_ACT_LEAKY_RELU, lk, err)) return err->code;
    int ci = dim << (2 - i), co = ci / 2;  // stage2: 4d -> 2d, stage3: 2d -> d
    snprintf(n, sizeof n, "stage%d.sample.up.0", i + 2);
    if (fz_convt_load(m, &p->upT[i], n, ci, co, 2, 2, 0, 1, FZ_ACT_LEAKY_RELU, lk, err)) return err->code;
    snprintf(n, sizeof n, "stage%d.sample.conv.0", i + 2);
    if (fz_conv_load(m, &p->updw[i], n, co, co, 3, 1, 1, co, 1, FZ_ACT_NONE, 0, err)) return err->code;
    snprintf(n, sizeof n, "stage%d.sample.conv.1", i + 2);
    if (fz_conv_load(m, &p->uppw[i], n, co, co, 1, 1, 0, 1, 1, FZ_ACT_LEAKY_RELU, lk, err)) return err->code;
  }
  int64_t l0[2] = {dim, 1}, vd[1] = {dim}, l3[2] = {1, dim}, one[1] = {1};
  if (fz_param(m, "spe_attn.block.0.weight", 2, l0, &p->sa_l0w, err) || fz_param(m, "spe_attn.block.0.bias", 1, vd, &p->sa_l0b, err) ||
      fz_param(m, "spe_attn.block.1.weight", 1, vd, &p->sa_lnw, err) || fz_param(m, "spe_attn.block.1.bias", 1, vd, &p->sa_lnb, err) ||
      fz_param(m, "spe_attn.block.3.weight", 2, l3, &p->sa_l3w, err) || fz_param(m, "spe_attn.block.3.bias", 1, one, &p->sa_l3b, err) ||
      fz_mamba_load(m, &p->sa_mamba, "spe_attn.block.2", dim, FZ_MAMBA_V2, err))
    return err->code;
  fz_model_info *I = &m->info;
  I->bands = C;
  I->inputs = FZ_MODEL_IN_MS | FZ_MODEL_IN_PAN;
  I->multiple = 4;
  I->fixed_tile = 256;
  I->halo = 64;
  I->clamp01 = 1;
  if (!I->sensor[0] && C == 8 && I->scale == 0) { snprintf(I->sensor, sizeof I->sensor, "WV3"); I->scale = 2047; }
  return FZ_OK;
}

// A header over image n of t with the first dim dropped to 1... (tokens [N, L, C] -> [L, C]).
static fz_tensor tokens_of(const fz_tensor *t, int64_t n, int64_t L, int64_t C) {
  fz_tensor v = *t;
  v.owns = 0;
  v.ndim = 2;
  v.shape[0] = L;
  v.shape[1] = C;
  v.data = (char *)t->data + (size_t)n * L * C * sizeof(float);
  return v;
}

// out = LN(x) over the last dim into slot.
static int ln(fz_pan_model *m, const fz_tensor *x, const fz_tensor *w, const fz_tensor *b, int slot, fz_tensor *out, fz_err *err) {
  if (fz_tmp(m, slot, x->ndim, x->shape, out, err)) return err->code;
  return fz_op_layer_norm(m->be, out, x, w, b, 1e-5f, err);
}

// y = x + mamba(norm(x)) per image; x, y tokens [N, L, C]; extra (v7) tokens or NULL.
static int mamba_res(fz_pan_model *m, const fz_mamba *mb, const fz_tensor *x, const fz_tensor *normed, const fz_tensor *extra,
                     int64_t h, int64_t w, fz_tensor *y, fz_err *err) {
  int64_t N = x->shape[0], L = h * w, C = x->shape[2];
  fz_tensor mo;
  if (fz_tmp(m, F_MO, 3, x->shape, &mo, err)) return err->code;
  for (int64_t n = 0; n < N; n++) {
    fz_tensor xi = tokens_of(normed, n, L, C), oi = tokens_of(&mo, n, L, C), ei;
    if (extra) ei = tokens_of(extra, n, L, C);
    if (fz_mamba_forward(m, mb, &xi, extra ? &ei : NULL, h, w, &oi, F_MAMBA, err)) return err->code;
  }
  return fz_add(m, y, x, &mo, err);
}

// out = a·ca + b·cb (same numel).
static int mix(fz_pan_model *m, fz_tensor *out, const fz_tensor *a, float ca, const fz_tensor *b, float cb, fz_err *err) {
  const fz_tensor *xs[2] = {a, b};
  float c[2] = {ca, cb};
  return fz_op_lincomb(m->be, out, 2, c, xs, err);
}

// The FusionMamba block on pan, ms [N, C, h, w]: writes (pan1+f)/2, (ms1+f)/2 into slots op, om, or f into slot of
// (final). Results in *po, *mo (or *fo).
static int block_forward(fz_pan_model *m, const fm_block *b, const fz_tensor *pan, const fz_tensor *ms, int op, int om,
                         fz_tensor *po, fz_tensor *mo, fz_err *err) {
  const fz_backend *be = m->be;
  int64_t N = pan->shape[0], C = pan->shape[1], h = pan->shape[2], w = pan->shape[3], L = h * w;
  int64_t st[3] = {N, L, C};
  int to_tok[4] = {0, 2, 3, 1}, to_img[4] = {0, 3, 1, 2};
  fz_tensor tp, tm, la, lb, p1, m1, spa, spe, ft;
  if (fz_tmp(m, F_TP, 3, st, &tp, err) || fz_tmp(m, F_TM, 3, st, &tm, err) || fz_tmp(m, F_P1, 3, st, &p1, err) ||
      fz_tmp(m, F_M1, 3, st, &m1, err) || fz_tmp(m, F_SPA, 3, st, &spa, err) || fz_tmp(m, F_SPE2, 3, st, &spe, err) ||
      fz_tmp(m, F_FT, 3, st, &ft, err))
    return err->code;
  int64_t s4[4] = {N, h, w, C};
  fz_tensor tp4 = tp, tm4 = tm;
  tp4.ndim = tm4.ndim = 4;
  for (int i = 0; i < 4; i++) tp4.shape[i] = tm4.shape[i] = s4[i];
  if (fz_op_permute(be, &tp4, pan, to_tok, err) || fz_op_permute(be, &tm4, ms, to_tok, err)) return err->code;  // b c h w -> b (h w) c
  // single-input Mamba on each stream
  if (ln(m, &tp, b->ln_pan_w, b->ln_pan_b, F_LA, &la, err) || mamba_res(m, &b->v6_pan, &tp, &la, NULL, h, w, &p1, err)) return err->code;
  if (ln(m, &tm, b->ln_ms_w, b->ln_ms_b, F_LA, &la, err) || mamba_res(m, &b->v6_ms, &tm, &la, NULL, h, w, &m1, err)) return err->code;
  // cross Mamba both ways
  if (ln(m, &p1, b->spa_n0w, b->spa_n0b, F_LA, &la, err) || ln(m, &m1, b->spa_n1w, b->spa_n1b, F_LB, &lb, err) ||
      mamba_res(m, &b->v7_spa, &p1, &la, &lb, h, w, &spa, err))
    return err->code;
  if (ln(m, &m1, b->spe_n0w, b->spe_n0b, F_LA, &la, err) || ln(m, &p1, b->spe_n1w, b->spe_n1b, F_LB, &lb, err) ||
      mamba_res(m, &b->v7_spe, &m1, &la, &lb, h, w, &spe, err))
    return err->code;
  if (mix(m, &spa, &spa, 0.5f, &spe, 0.5f, err)) return err->code;  // (spa + spe) / 2
  if (fz_op_linear(be, &ft, &spa, b->out_w, b->out_b, FZ_ACT_NONE, 0, 0, err)) return err->code;
  int64_t si[4] = {N, C, h, w};
  fz_tensor ft4 = ft, p14 = p1, m14 = m1;
  ft4.ndim = p14.ndim = m14.ndim = 4;
  for (int i = 0; i < 4; i++) ft4.shape[i] = p14.shape[i] = m14.shape[i] = s4[i];
  if (b->final) {
    if (fz_tmp(m, op, 4, si, po, err)) return err->code;
    return fz_op_permute(be, po, &ft4, to_img, err);
  }
  fz_tensor fi;
  if (fz_tmp(m, F_FN, 4, si, &fi, err) || fz_tmp(m, op, 4, si, po, err) || fz_tmp(m, om, 4, si, mo, err)) return err->code;
  if (fz_op_permute(be, &fi, &ft4, to_img, err) || fz_op_permute(be, po, &p14, to_img, err) || fz_op_permute(be, mo, &m14, to_img, err))
    return err->code;
  if (mix(m, po, po, 0.5f, &fi, 0.5f, err)) return err->code;  // (pan + output) / 2
  return mix(m, mo, mo, 0.5f, &fi, 0.5f, err);
}

// Up block i (stage2 / stage3): leaky(convT(x)) + skip -> dw3x3 -> leaky(1x1) into slot out.
static int up(fz_pan_model *m, int i, const fz_tensor *x, const fz_tensor *skip, int out, fz_tensor *y, fz_err *err) {
  fusionmamba *p = m->priv;
  fz_tensor a, b;
  if (fz_conv_run(m, &p->upT[i], x, F_T1, F_WS, &a, err)) return err->code;
  if (!fz_tensor_same_shape(&a, skip)) return fz_fail(err, FZ_EINVAL, "stage%d up: size mismatch (H, W must be multiples of 4)", i + 2);
  if (fz_add(m, &a, &a, skip, err) || fz_conv_run(m, &p->updw[i], &a, F_T2, F_WS, &b, err)) return err->code;
  return fz_conv_run(m, &p->uppw[i], &b, out, F_WS, y, err);
}

// SpeAttention of the low-resolution ms [N, C, h, w] -> weights [N, C, 1, 1] in slot F_SPE.
static int spe_attention(fz_pan_model *m, const fz_tensor *ms, fz_tensor *att, fz_err *err) {
  fusionmamba *p = m->priv;
  int64_t N = ms->shape[0], C = ms->shape[1], d = p->dim;
  int64_t sp[4] = {N, C, 1, 1}, st[3] = {N, C, d}, s1[3] = {N, C, 1};
  fz_tensor pool, t, tn, mo;
  if (fz_tmp(m, F_SPE, 4, sp, att, err) || fz_tmp(m, F_SA1, 4, sp, &pool, err) || fz_tmp(m, F_SA2, 3, st, &t, err) ||
      fz_tmp(m, F_SA3, 3, st, &tn, err) || fz_tmp(m, F_MO, 3, st, &mo, err))
    return err->code;
  if (fz_op_global_pool(m->be, &pool, ms, FZ_POOL_MAX, err)) return err->code;  // AdaptiveMaxPool2d(1)
  fz_tensor p3 = pool;
  p3.ndim = 3;
  p3.shape[2] = 1;  // [N, C, 1] tokens of one feature
  if (fz_op_linear(m->be, &t, &p3, p->sa_l0w, p->sa_l0b, FZ_ACT_NONE, 0, 0, err)) return err->code;
  if (fz_op_layer_norm(m->be, &tn, &t, p->sa_lnw, p->sa_lnb, 1e-5f, err)) return err->code;
  for (int64_t n = 0; n < N; n++) {
    fz_tensor xi = tokens_of(&tn, n, C, d), oi = tokens_of(&mo, n, C, d);
    if (fz_mamba_forward(m, &p->sa_mamba, &xi, NULL, 1, C, &oi, F_MAMBA, err)) return err->code;
  }
  fz_tensor a3 = *att;
  a3.ndim = 3;
  for (int i = 0; i < 3; i++) a3.shape[i] = s1[i];
  return fz_op_linear(m->be, &a3, &mo, p->sa_l3w, p->sa_l3b, FZ_ACT_SIGMOID, 0, 0, err);
}

// ms [N,C,H/4,W/4], pan [N,1,H,W] -> out [N,C,H,W].
static int fm_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  fusionmamba *p = m->priv;
  fz_tensor u, skip, pa, ma, ps0, ms0, ps1, ms1, pb, mb, fp, fmm, fin, t1, t2, att;
  int64_t N = in->ms->shape[0], H = in->pan->shape[2], W = in->pan->shape[3], s_skip[4] = {N, p->bands, H, W};
  if (fz_conv_run(m, &p->up, in->ms, F_UP, F_WS, &u, err) || fz_tmp(m, F_SKIP, 4, s_skip, &skip, err) ||
      fz_op_pixel_shuffle(m->be, &skip, &u, 4, 0, err))
    return fz_wrap(err, "upsample");                                                   // skip [N, C, H, W]
  if (fz_conv_run(m, &p->raise_pan, in->pan, F_PA, F_WS, &pa, err) || fz_conv_run(m, &p->raise_ms, &skip, F_MA, F_WS, &ma, err))
    return err->code;                                                                  // [N, dim, H, W]
  if (block_forward(m, &p->st[0], &pa, &ma, F_PS0, F_MS0, &ps0, &ms0, err)) return fz_wrap(err, "stage0");
  if (fz_conv_run(m, &p->down[0], &ps0, F_PB, F_WS, &pb, err) || fz_conv_run(m, &p->down[0], &ms0, F_MB, F_WS, &mb, err)) return err->code;
  if (block_forward(m, &p->st[1], &pb, &mb, F_PS1, F_MS1, &ps1, &ms1, err)) return fz_wrap(err, "stage1");
  if (fz_conv_run(m, &p->down[1], &ps1, F_PA, F_WS, &pa, err) || fz_conv_run(m, &p->down[1], &ms1, F_MA, F_WS, &ma, err)) return err->code;
  if (block_forward(m, &p->st[2], &pa, &ma, F_FP, F_FM, &fp, &fmm, err)) return fz_wrap(err, "stage2");
  if (up(m, 0, &fp, &ps1, F_PB, &pb, err) || up(m, 0, &fmm, &ms1, F_MB, &mb, err)) return err->code;
  if (block_forward(m, &p->st[3], &pb, &mb, F_FP, F_FM, &fp, &fmm, err)) return fz_wrap(err, "stage3");
  if (up(m, 1, &fp, &ps0, F_PA, &pa, err) || up(m, 1, &fmm, &ms0, F_MA, &ma, err)) return err->code;
  if (block_forward(m, &p->st[4], &pa, &ma, F_FIN, 0, &fin, NULL, err)) return fz_wrap(err, "stage4");
  if (fz_conv_run(m, &p->hrms0, &fin, F_T1, F_WS, &t1, err) || fz_conv_run(m, &p->hrms2, &t1, F_T2, F_WS, &t2, err)) return err->code;
  if (spe_attention(m, in->ms, &att, err)) return fz_wrap(err, "spe_attn");
  if (fz_op_binary(m->be, out, &t2, &att, FZ_BIN_MUL, err)) return err->code;        // to_hrms(.) * spe_attn
  return fz_add(m, out, out, &skip, err);                                              // + upsampled ms
}

// Frees the layer table.
static void fm_release(fz_pan_model *m) { free(m->priv); }

// Key map: checks the checkpoint and records spectral_num and the WV3 defaults (8 bands).
static int fm_keymap(fz_weights *w, fz_err *err) {
  const fz_wtensor *t = fz_weights_find(w, "upsample.upsamle.0.weight");
  if (!t || t->ndim != 4 || !fm_detect(w))
    return fz_fail(err, FZ_EINVAL, "upsample.upsamle.0.weight / spe_attn.block.2.A_log missing: not a FusionMamba checkpoint");
  return fz_keymap_common(w, "fusionmamba", (int)t->shape[1], err);
}

const fz_arch fz_arch_fusionmamba = {"fusionmamba", "FusionMamba (TGRS 2024): dual-input cross-scan Mamba U-nets, WV3 (256x256 tiles)",
                                     fm_detect, fm_init, fm_forward, fm_release, fm_keymap, NULL};
