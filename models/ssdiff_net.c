// ssdiff_net.c — SSNet, the SSDiff denoiser, as released (Z-ypnos/SSdiff_main@9a648a5 model/SSNet.py,
// model/fusformer.py, model/nn.py). One evaluation forward_impl(lms, pan, ms, x_t, t):
//   emb   = Linear(4m->4m)(SiLU(Linear(m->4m)(sinusoid_m(t))))                      m = model_channels (128)
//   skip0 = PixelShuffle4(conv3x3(ms; C -> 16C, no bias))                             the learned MS upsampling
//   y     = stem_pan(conv3x3(cat[pan, x_t]) + Lin(SiLU emb)) ; x = stem_lms(conv3x3(cat[lms, x_t]) + ...)
//           stem = BatchNorm (eval) -> SiLU -> conv3x3 (zero-init in training)
//   level k = 0..4 (widths d, 2d, 4d, 2d, d; sizes H, H/2, H/4, H/2, H):
//     x[:, :n_k] *= b_k  (n = 16, 32, 64, 32, 16 literally, b = 1.2, 1.4, 1.6, 1.4, 1.2: channel boost)
//     x = APFM_k(x, FMIM(y, s_k))   (s = 0.9, 0.6, 0.3, 0.6, 0.9)
//     levels 0, 1: skip_x = x, x = Down_k(x); y = ResBlock_k(y), skip_y = y, y = Down_k(y)   (Down shared)
//     levels 2, 3: x = Up(x, skip_x); y = Up(ResBlock_k(y), skip_y)                       (Up shared)
//   out = conv3x3(LeakyReLU(conv3x3(x))) + skip0      (the residual x0 − lms)
// APFM (Fusformer, depth 1): with one LayerNorm applied to both token sets, y1 = Wsa1·ŷ, y2 = Wsa2·ŷ,
// x1 = Wse1·x̂, x2 = Wse2·x̂ (heads of dim_head); out = to_out(softmax(y1·y2ᵀ/√dh)·x1 ⊙ y1·softmax(x1ᵀ·x2
// /√dh/(N/dh))) + x, then + FF(LN(.)) with LeakyReLU. The N×N spatial map runs as flash attention (no N×N
// matrix); the spectral map is the dh×dh channel attention. FMIM = real(ifft2(ifftshift(fftshift(fft2(y)) ⊙
// M))) with M = s on the 2×2 block [H/2−1, H/2+1)², i.e. on the unshifted bins {0, H−1} × {0, W−1}; the mask
// is applied to the unshifted spectrum (fftshift is a permutation, so the values are the same); the block is
// not Hermitian-symmetric, hence the real part. LeakyReLU slopes are PyTorch's default 0.01; norms eps 1e-5.
#include "ssdiff_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  S_T = 0, S_TEMB, S_T1, S_EMB, S_EA, S_EV, S_SKIP0, S_UPC, S_CAT, S_STEM, S_X, S_XB, S_Y, S_YB, S_SK10, S_SK11, S_SK20,
  S_SK21, S_YF, S_SPEC, S_SPEC2, S_XT, S_YT, S_XN, S_YN, S_P1, S_P2, S_P3, S_P4, S_O1, S_O2, S_FFH, S_AWS, S_R1, S_R2,
  S_R3, S_D1, S_D2, S_U1, S_HR, S_WS, S_COUNT
};
_Static_assert(S_COUNT <= FZ_MODEL_MAX_SLOTS, "ssdiff uses more scratch slots than the model pool has");

static const float k_boost[5] = {1.2f, 1.4f, 1.6f, 1.4f, 1.2f};  // b1 b2 b3 b2 b1 in forward_impl
static const int k_boost_n[5] = {16, 32, 64, 32, 16};           // x[:, :16], x[:, :32], x[:, :64], ...
static const float k_fmim[5] = {0.9f, 0.6f, 0.3f, 0.6f, 0.9f};  // s1 s2 s3 s2 s1
#define SD_LEAK 0.01f
#define SD_EPS 1e-5f

// ---- loading ---------------------------------------------------------------------------------------

// Loads tensor <prefix><suffix> with exactly the given shape.
static int ld(fz_pan_model *m, const char *prefix, const char *suffix, int ndim, const int64_t *shape, fz_tensor **out,
              fz_err *err) {
  char n[160];
  snprintf(n, sizeof n, "%s%s", prefix, suffix);
  return fz_param(m, n, ndim, shape, out, err);
}

// Loads a Linear <prefix>.weight [o, i] and, when b is not NULL, <prefix>.bias [o].
static int lin_load(fz_pan_model *m, const char *prefix, int o, int i, fz_tensor **w, fz_tensor **b, fz_err *err) {
  int64_t ws[2] = {o, i}, bs[1] = {o};
  if (ld(m, prefix, ".weight", 2, ws, w, err)) return err->code;
  return b ? ld(m, prefix, ".bias", 1, bs, b, err) : FZ_OK;
}

// Loads a norm's affine <prefix>.weight / .bias [c].
static int aff_load(fz_pan_model *m, const char *prefix, int c, fz_tensor **w, fz_tensor **b, fz_err *err) {
  int64_t s[1] = {c};
  if (ld(m, prefix, ".weight", 1, s, w, err)) return err->code;
  return ld(m, prefix, ".bias", 1, s, b, err);
}

// dim 0 of tensor name (a shape probe before loading); fails naming the tensor when absent or of wrong rank.
static int probe(fz_pan_model *m, const char *name, int ndim, int dim, int64_t *v, fz_err *err) {
  const fz_wtensor *t = fz_param_info(m, name);
  if (!t) return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is missing; an SSDiff (SSNet) checkpoint has it", m->display, name);
  if (t->ndim != ndim) {
    char b[96];
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has shape %s; expected %d dims", m->display, name,
                   fz_wshape_str(t->ndim, t->shape, b, sizeof b), ndim);
  }
  *v = t->shape[dim];
  return FZ_OK;
}

// Loads Fusformer `fusformer<k>` of width w (heads = w / dim_head).
static int apfm_load(fz_pan_model *m, sd_apfm *a, int k, int w, int dh, fz_err *err) {
  char p[96], q[128];
  int64_t hid;
  a->width = w;
  a->heads = w / dh;
  snprintf(q, sizeof q, "fusformer%d.layers.0.1.fn.fn.net.0.weight", k);
  if (probe(m, q, 2, 0, &hid, err)) return err->code;
  if (hid < 1 || hid > 65536) return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has %lld rows; expected 1..65536", m->display, q, (long long)hid);
  a->hidden = (int)hid;
  snprintf(p, sizeof p, "fusformer%d.layers.0.0.fn.", k);
  snprintf(q, sizeof q, "%snorm", p);
  if (aff_load(m, q, w, &a->ln1_w, &a->ln1_b, err)) return err->code;
  const char *nm[4] = {"sa1", "sa2", "se1", "se2"};
  fz_tensor **dst[4] = {&a->sa1, &a->sa2, &a->se1, &a->se2};
  for (int i = 0; i < 4; i++) {
    snprintf(q, sizeof q, "%sfn.%s", p, nm[i]);
    if (lin_load(m, q, w, w, dst[i], NULL, err)) return err->code;
  }
  snprintf(q, sizeof q, "%sfn.to_out.0", p);
  if (lin_load(m, q, w, w, &a->out_w, &a->out_b, err)) return err->code;
  snprintf(p, sizeof p, "fusformer%d.layers.0.1.fn.", k);
  snprintf(q, sizeof q, "%snorm", p);
  if (aff_load(m, q, w, &a->ln2_w, &a->ln2_b, err)) return err->code;
  snprintf(q, sizeof q, "%sfn.net.0", p);
  if (lin_load(m, q, a->hidden, w, &a->ff0_w, &a->ff0_b, err)) return err->code;
  snprintf(q, sizeof q, "%sfn.net.3", p);
  return lin_load(m, q, w, a->hidden, &a->ff3_w, &a->ff3_b, err);
}

// Loads resblock<k> of width w with time-embedding width e.
static int res_load(fz_pan_model *m, sd_res *r, int k, int w, int e, int *hidden, fz_err *err) {
  char p[64], q[128];
  int64_t h;
  snprintf(q, sizeof q, "resblock%d.conv0.weight", k);
  if (probe(m, q, 4, 0, &h, err)) return err->code;
  if (h < 1 || h > 65536) return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has %lld filters; expected 1..65536", m->display, q, (long long)h);
  *hidden = (int)h;
  snprintf(p, sizeof p, "resblock%d.", k);
  snprintf(q, sizeof q, "%sconv0", p);
  if (fz_conv_load(m, &r->c0, q, (int)h, w, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
  snprintf(q, sizeof q, "%sconv1", p);
  if (fz_conv_load(m, &r->c1, q, w, (int)h, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  snprintf(q, sizeof q, "%semb_layers.1", p);
  if (lin_load(m, q, w, e, &r->emb_w, &r->emb_b, err)) return err->code;
  snprintf(q, sizeof q, "%sout_layers.0", p);
  if (aff_load(m, q, w, &r->gn_w, &r->gn_b, err)) return err->code;
  snprintf(q, sizeof q, "%sout_layers.3", p);
  return fz_conv_load(m, &r->zc, q, w, w, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err);
}

// Loads a stem: conv_<img>2x_t (cin -> d), emb_layers_<img>.1, out_layers_<img> (norm kind from the tensors).
static int stem_load(fz_pan_model *m, sd_stem *s, const char *img, int cin, int d, int e, int *norm, fz_err *err) {
  char q[128];
  snprintf(q, sizeof q, "conv_%s2x_t", img);
  if (fz_conv_load(m, &s->in, q, d, cin, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  snprintf(q, sizeof q, "emb_layers_%s.1.weight", img);
  int64_t eo;
  if (probe(m, q, 2, 0, &eo, err)) return err->code;
  if (eo == 2 * d)
    return fz_fail(err, FZ_EUNSUP, "%s: '%s' has %lld rows (use_scale_shift_norm=True); the released SSDiff uses "
                   "use_scale_shift_norm=False and fusor implements only that", m->display, q, (long long)eo);
  snprintf(q, sizeof q, "emb_layers_%s.1", img);
  if (lin_load(m, q, d, e, &s->emb_w, &s->emb_b, err)) return err->code;
  snprintf(q, sizeof q, "out_layers_%s.0.running_mean", img);
  int kind = fz_param_info(m, q) ? 0 : 1;
  snprintf(q, sizeof q, "out_layers_%s.0.weight", img);
  if (kind == 1 && !fz_param_info(m, q)) kind = 2;
  snprintf(q, sizeof q, "out_layers_%s.0", img);
  if (kind < 2 && aff_load(m, q, d, &s->n_w, &s->n_b, err)) return err->code;
  if (kind == 0) {
    int64_t c1[1] = {d};
    if (ld(m, q, ".running_mean", 1, c1, &s->n_mean, err) || ld(m, q, ".running_var", 1, c1, &s->n_var, err)) return err->code;
  }
  if (kind == 1 && d % 32)
    return fz_fail(err, FZ_EINVAL, "%s: out_layers_%s is a GroupNorm(32, %d): %d channels are not divisible into 32 groups",
                   m->display, img, d, d);
  *norm = kind;
  snprintf(q, sizeof q, "out_layers_%s.3", img);
  return fz_conv_load(m, &s->zc, q, d, d, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err);
}

// Makes the [1, w, 1, 1] channel-boost vector of level k (b for the first min(n, w) channels, 1 after).
static int boost_make(fz_pan_model *m, fz_tensor *t, int k, int w, fz_err *err) {
  int64_t s[4] = {1, w, 1, 1};
  float *h = malloc((size_t)w * sizeof *h);
  if (!h) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int c = 0; c < w; c++) h[c] = c < k_boost_n[k] ? k_boost[k] : 1.0f;
  int rc = fz_tensor_alloc(t, m->be, FZ_F32, 4, s, err);
  if (!rc) rc = fz_tensor_upload(t, h, (size_t)w * sizeof *h, err);
  free(h);
  return rc;
}

int fz__ssdiff_net_load(fz_pan_model *m, ssdiff *s, fz_err *err) {
  fz_ssdiff_info *I = &s->info;
  int64_t v, c, d, e;
  if (probe(m, "upsample.upsamle.0.weight", 4, 1, &c, err)) return err->code;
  if (c < 1 || c > 1024) return fz_fail(err, FZ_EINVAL, "%s: 'upsample.upsamle.0.weight' gives %lld bands; expected 1..1024", m->display, (long long)c);
  if (probe(m, "conv_pan2x_t.weight", 4, 0, &d, err)) return err->code;
  if (d < 1 || d > 4096) return fz_fail(err, FZ_EINVAL, "%s: 'conv_pan2x_t.weight' gives dim %lld; expected 1..4096", m->display, (long long)d);
  if (probe(m, "time_embed.0.weight", 2, 1, &v, err)) return err->code;
  if (v < 2 || v > 65536) return fz_fail(err, FZ_EINVAL, "%s: 'time_embed.0.weight' gives model_channels %lld; expected 2..65536", m->display, (long long)v);
  I->bands = (int)c;
  I->dim = (int)d;
  I->model_channels = (int)v;
  e = 4 * v;
  double dh = 16;
  if (fz_hp_num(m->hparams, "dim_head", &dh) && !(dh >= 1 && dh <= 4096 && dh == (int)dh))
    return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams dim_head = %g; expected a positive integer (16 released)", m->display, dh);
  I->dim_head = (int)dh;
  if (I->dim % I->dim_head)
    return fz_fail(err, FZ_EUNSUP, "%s: dim %d is not a multiple of dim_head %d (the released code then has inner_dim != dim); "
                   "fusor needs dim = heads·dim_head", m->display, I->dim, I->dim_head);
  if (I->dim % 32)
    return fz_fail(err, FZ_EINVAL, "%s: dim %d: the ResBlocks' GroupNorm32(32, C) needs a multiple of 32 channels", m->display, I->dim);
  int W[5] = {I->dim, 2 * I->dim, 4 * I->dim, 2 * I->dim, I->dim};
  if (lin_load(m, "time_embed.0", (int)e, (int)v, &s->te0_w, &s->te0_b, err)) return err->code;
  if (lin_load(m, "time_embed.2", (int)e, (int)e, &s->te2_w, &s->te2_b, err)) return err->code;
  if (fz_conv_load(m, &s->up, "upsample.upsamle.0", 16 * (int)c, (int)c, 3, 1, 1, 1, 0, FZ_ACT_NONE, 0, err)) return err->code;
  int npan, nlms;
  if (stem_load(m, &s->pan, "pan", (int)c + 1, (int)d, (int)e, &npan, err)) return err->code;
  if (stem_load(m, &s->lms, "lms", 2 * (int)c, (int)d, (int)e, &nlms, err)) return err->code;
  if (npan != nlms)
    return fz_fail(err, FZ_EINVAL, "%s: out_layers_pan and out_layers_lms are different norm kinds; SSNet uses one norm_type", m->display);
  I->norm = npan;
  for (int k = 0; k < 5; k++) {
    if (apfm_load(m, &s->ap[k], k, W[k], I->dim_head, err)) return err->code;
    I->ff_hidden[k] = s->ap[k].hidden;
    if (boost_make(m, &s->boost[k], k, W[k], err)) return err->code;
  }
  for (int k = 0; k < 4; k++)
    if (res_load(m, &s->rb[k], k, W[k], (int)e, &I->rb_hidden[k], err)) return err->code;
  for (int k = 0; k < 2; k++) {
    char p[64];
    int ci = W[k], co = W[k + 1];
    snprintf(p, sizeof p, "down%d.conv.0", k);
    if (fz_conv_load(m, &s->dn[k].c0, p, ci, ci, 2, 2, 0, 1, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
    snprintf(p, sizeof p, "down%d.conv.2", k);
    if (fz_conv_load(m, &s->dn[k].c2, p, co, ci, 1, 1, 0, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
    snprintf(p, sizeof p, "down%d.conv.3", k);
    if (fz_conv_load(m, &s->dn[k].c3, p, co, co, 3, 1, 1, co, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
    ci = W[k + 2];
    co = W[k + 3];
    snprintf(p, sizeof p, "up%d.up1.0", k);
    if (fz_convt_load(m, &s->upm[k].t, p, ci, co, 2, 2, 0, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
    snprintf(p, sizeof p, "up%d.conv", k);
    if (fz_conv_load(m, &s->upm[k].conv, p, co, co, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
  }
  if (fz_conv_load(m, &s->hr0, "to_hrms.0", (int)d, (int)d, 3, 1, 1, 1, 1, FZ_ACT_LEAKY_RELU, SD_LEAK, err)) return err->code;
  return fz_conv_load(m, &s->hr2, "to_hrms.2", (int)c, (int)d, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err);
}

void fz__ssdiff_net_release(ssdiff *s) {
  for (int k = 0; k < 5; k++) fz_tensor_free(&s->boost[k]);
  for (int k = 0; k < 3; k++) fz_tensor_free(&s->mask[k].t);
}

// ---- blocks ----------------------------------------------------------------------------------------

// A view of t with a new shape (same numel, same data).
static fz_tensor reshaped(const fz_tensor *t, int ndim, const int64_t *shape) {
  fz_tensor v = *t;
  v.owns = 0;
  v.ndim = ndim;
  for (int i = 0; i < ndim; i++) v.shape[i] = shape[i];
  return v;
}

// out[B, ci] = Linear(ea[B, e]) as a [B, ci, 1, 1] tensor in slot S_EV.
static int emb_vec(fz_pan_model *m, const fz_tensor *ea, const fz_tensor *w, const fz_tensor *b, fz_tensor *out, fz_err *err) {
  int64_t s2[2] = {ea->shape[0], w->shape[0]}, s4[4] = {ea->shape[0], w->shape[0], 1, 1};
  fz_tensor t;
  if (fz_tmp(m, S_EV, 2, s2, &t, err)) return err->code;
  if (fz_op_linear(m->be, &t, ea, w, b, FZ_ACT_NONE, 0, 0, err)) return err->code;
  *out = reshaped(&t, 4, s4);
  return FZ_OK;
}

// The FMIM mask [h·w·2] of level k for an h x w map (s->mask[0] levels 0/4, [1] levels 1/3, [2] level 2; rebuilt
// when the size changes).
static int fmim_mask(fz_pan_model *m, ssdiff *s, int k, int h, int w, const fz_tensor **out, fz_err *err) {
  sd_mask *mk = &s->mask[k == 2 ? 2 : k == 1 || k == 3 ? 1 : 0];
  if (!mk->t.data || mk->h != h || mk->w != w || mk->s != k_fmim[k]) {
    fz_tensor_free(&mk->t);
    int64_t sh[1] = {(int64_t)h * w * 2};
    float *hm = malloc((size_t)sh[0] * sizeof *hm);
    if (!hm) return fz_fail(err, FZ_ENOMEM, "out of memory for the FMIM mask");
    for (int64_t i = 0; i < sh[0]; i++) hm[i] = 1.0f;
    int rows[2] = {0, h - 1}, cols[2] = {0, w - 1};
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++) {
        int64_t o = ((int64_t)rows[a] * w + cols[b]) * 2;
        hm[o] = hm[o + 1] = k_fmim[k];
      }
    int rc = fz_tensor_alloc(&mk->t, m->be, FZ_F32, 1, sh, err);
    if (!rc) rc = fz_tensor_upload(&mk->t, hm, (size_t)sh[0] * sizeof *hm, err);
    free(hm);
    if (rc) return rc;
    mk->h = h;
    mk->w = w;
    mk->s = k_fmim[k];
  }
  *out = &mk->t;
  return FZ_OK;
}

// FMIM of level k: out = real(ifft2(fft2(y) ⊙ mask)) for y [B, C, h, w]; out in slot S_YF.
static int fmim(fz_pan_model *m, ssdiff *s, int k, const fz_tensor *y, fz_tensor *out, fz_err *err) {
  int64_t B = y->shape[0], C = y->shape[1], h = y->shape[2], w = y->shape[3];
  int64_t sc[5] = {B, C, h, w, 2}, s2[2] = {B * C, h * w * 2};
  fz_tensor spec, spec2;
  const fz_tensor *mask = NULL;
  if (fmim_mask(m, s, k, (int)h, (int)w, &mask, err)) return err->code;
  if (fz_tmp(m, S_SPEC, 5, sc, &spec, err) || fz_tmp(m, S_SPEC2, 5, sc, &spec2, err) || fz_tmp(m, S_YF, 4, y->shape, out, err))
    return err->code;
  if (fz_op_fft2(m->be, &spec, y, 0, err)) return fz_wrap(err, "FMIM level %d fft2", k);
  fz_tensor flat = reshaped(&spec, 2, s2);
  if (fz_op_binary(m->be, &flat, &flat, mask, FZ_BIN_MUL, err)) return err->code;
  if (fz_op_fft2(m->be, &spec2, &spec, 1, err)) return fz_wrap(err, "FMIM level %d ifft2", k);
  return fz_op_complex_part(m->be, out, &spec2, FZ_COMPLEX_REAL, err);
}

// APFM (Fusformer) of level k: out [B, C, H, W] = Fusformer(x, y) for x, y [B, C, H, W] (out may not alias them).
static int apfm(fz_pan_model *m, const sd_apfm *a, const fz_tensor *x, const fz_tensor *y, fz_tensor *out, fz_err *err) {
  const fz_backend *be = m->be;
  int64_t B = x->shape[0], C = x->shape[1], H = x->shape[2], Wd = x->shape[3], N = H * Wd;
  int64_t st[3] = {B, N, C}, sh[3] = {B, N, a->hidden}, nhwc[4] = {B, H, Wd, C};
  static const int to_nhwc[4] = {0, 2, 3, 1}, to_nchw[4] = {0, 3, 1, 2};
  fz_tensor xt, yt, xn, yn, p1, p2, p3, p4, o1, o2, fh;
  int rc = fz_tmp(m, S_XT, 4, nhwc, &xt, err);
  if (!rc) rc = fz_tmp(m, S_YT, 4, nhwc, &yt, err);
  if (!rc) rc = fz_op_permute(be, &xt, x, to_nhwc, err);
  if (!rc) rc = fz_op_permute(be, &yt, y, to_nhwc, err);
  if (rc) return rc;
  xt = reshaped(&xt, 3, st);
  yt = reshaped(&yt, 3, st);
  fz_tensor *tmp[8] = {&xn, &yn, &p1, &p2, &p3, &p4, &o1, &o2};
  int slots[8] = {S_XN, S_YN, S_P1, S_P2, S_P3, S_P4, S_O1, S_O2};
  for (int i = 0; i < 8; i++)
    if (fz_tmp(m, slots[i], 3, st, tmp[i], err)) return err->code;
  if (fz_tmp(m, S_FFH, 3, sh, &fh, err)) return err->code;
  // PreNorm: the same LayerNorm on x and y; projections without bias
  if (fz_op_layer_norm(be, &xn, &xt, a->ln1_w, a->ln1_b, SD_EPS, err) || fz_op_layer_norm(be, &yn, &yt, a->ln1_w, a->ln1_b, SD_EPS, err) ||
      fz_op_linear(be, &p1, &yn, a->sa1, NULL, FZ_ACT_NONE, 0, 0, err) || fz_op_linear(be, &p2, &yn, a->sa2, NULL, FZ_ACT_NONE, 0, 0, err) ||
      fz_op_linear(be, &p3, &xn, a->se1, NULL, FZ_ACT_NONE, 0, 0, err) || fz_op_linear(be, &p4, &xn, a->se2, NULL, FZ_ACT_NONE, 0, 0, err))
    return err->code;
  int dh = (int)(C / a->heads);
  float scale = (float)pow((double)dh, -0.5);
  // spatial: softmax(y1·y2ᵀ·scale)·x1 over the N pixels (flash attention, no N×N matrix)
  fz_attn_params ap = {.heads = a->heads, .layout = FZ_ATTN_BNHD, .scale = scale};
  size_t wsb = 0;
  if (fz_op_attention_workspace(be, &p1, &p2, &p3, &ap, &wsb, err)) return err->code;
  if (wsb) {
    if (!(ap.workspace = fz_tmp_bytes(m, S_AWS, wsb, err))) return err->code;
    ap.workspace_bytes = wsb;
  }
  if (fz_op_attention(be, &o1, &p1, &p2, &p3, NULL, &ap, err)) return fz_wrap(err, "APFM spatial attention (N = %lld)", (long long)N);
  // spectral: y1 · softmax_j(x1ᵀ·x2 · scale / (N/dh)) (dh×dh per head)
  fz_chattn_params cp = {.heads = a->heads, .layout = FZ_ATTN_BNHD, .normalize = 0,
                         .scale = (float)((double)scale / ((double)N / dh)), .transpose_attn = 1};
  if (fz_op_channel_attention(be, &o2, &p3, &p4, &p1, NULL, &cp, err)) return fz_wrap(err, "APFM spectral attention");
  if (fz_op_binary(be, &o1, &o1, &o2, FZ_BIN_MUL, err)) return err->code;
  if (fz_op_linear(be, &xn, &o1, a->out_w, a->out_b, FZ_ACT_NONE, 0, 0, err)) return err->code;
  if (fz_op_binary(be, &xt, &xt, &xn, FZ_BIN_ADD, err)) return err->code;
  // feed-forward: x + Linear(LeakyReLU(Linear(LN(x))))
  if (fz_op_layer_norm(be, &yn, &xt, a->ln2_w, a->ln2_b, SD_EPS, err) ||
      fz_op_linear(be, &fh, &yn, a->ff0_w, a->ff0_b, FZ_ACT_LEAKY_RELU, SD_LEAK, 0, err) ||
      fz_op_linear(be, &o2, &fh, a->ff3_w, a->ff3_b, FZ_ACT_NONE, 0, 0, err) || fz_op_binary(be, &xt, &xt, &o2, FZ_BIN_ADD, err))
    return err->code;
  fz_tensor x4 = reshaped(&xt, 4, nhwc);
  return fz_op_permute(be, out, &x4, to_nchw, err);
}

// ResBlock k: out = y + zc(SiLU(GN32(c1(leaky(c0(y))) + Lin(ea)))) for y [B, C, H, W].
static int resblock(fz_pan_model *m, const sd_res *r, const fz_tensor *y, const fz_tensor *ea, fz_tensor *out, fz_err *err) {
  fz_tensor h1, h2, h3, ev;
  if (fz_conv_run(m, &r->c0, y, S_R1, S_WS, &h1, err) || fz_conv_run(m, &r->c1, &h1, S_R2, S_WS, &h2, err)) return err->code;
  if (emb_vec(m, ea, r->emb_w, r->emb_b, &ev, err) || fz_op_binary(m->be, &h2, &h2, &ev, FZ_BIN_ADD, err)) return err->code;
  if (fz_tmp(m, S_R3, 4, h2.shape, &h3, err)) return err->code;
  if (fz_op_group_norm(m->be, &h3, &h2, 32, r->gn_w, r->gn_b, SD_EPS, FZ_ACT_SILU, 0, err)) return err->code;
  if (fz_conv_run(m, &r->zc, &h3, S_R1, S_WS, &h1, err)) return err->code;
  return fz_add(m, out, y, &h1, err);
}

// Down: out = dw3x3(conv1x1(conv2x2/2(x))) with LeakyReLUs; out [B, 2C, H/2, W/2] in `slot`.
static int down(fz_pan_model *m, const sd_down *d, const fz_tensor *x, int slot, fz_tensor *out, fz_err *err) {
  fz_tensor a, b;
  if (fz_conv_run(m, &d->c0, x, S_D1, S_WS, &a, err) || fz_conv_run(m, &d->c2, &a, S_D2, S_WS, &b, err)) return err->code;
  return fz_conv_run(m, &d->c3, &b, slot, S_WS, out, err);
}

// Up: out = leaky(conv3x3(leaky(convT2x2/2(x)) + skip)); out [B, C/2, 2H, 2W] in `slot`.
static int up(fz_pan_model *m, const sd_up *u, const fz_tensor *x, const fz_tensor *skip, int slot, fz_tensor *out, fz_err *err) {
  fz_tensor t;
  if (fz_conv_run(m, &u->t, x, S_U1, S_WS, &t, err)) return err->code;
  if (!fz_tensor_same_shape(&t, skip))
    return fz_fail(err, FZ_EINTERNAL, "ssdiff: Up output and skip differ in shape");
  if (fz_add(m, &t, &t, skip, err)) return err->code;
  return fz_conv_run(m, &u->conv, &t, slot, S_WS, out, err);
}

// A stem: out = zc(SiLU(norm(conv(cat[img, x_t]) + Lin(ea)))) [B, d, H, W] in `slot`.
static int stem(fz_pan_model *m, const sd_stem *s, const fz_tensor *img, const fz_tensor *x_t, const fz_tensor *ea, int slot,
                fz_tensor *out, fz_err *err) {
  fz_tensor cat, h, ev, hn;
  if (fz_cat2(m, img, x_t, S_CAT, &cat, err) || fz_conv_run(m, &s->in, &cat, S_STEM, S_WS, &h, err)) return err->code;
  if (emb_vec(m, ea, s->emb_w, s->emb_b, &ev, err) || fz_op_binary(m->be, &h, &h, &ev, FZ_BIN_ADD, err)) return err->code;
  if (fz_tmp(m, S_CAT, 4, h.shape, &hn, err)) return err->code;
  int rc;
  if (s->n_mean) rc = fz_op_batch_norm(m->be, &hn, &h, s->n_mean, s->n_var, s->n_w, s->n_b, SD_EPS, FZ_ACT_SILU, 0, err);
  else if (s->n_w) rc = fz_op_group_norm(m->be, &hn, &h, 32, s->n_w, s->n_b, SD_EPS, FZ_ACT_SILU, 0, err);
  else rc = fz_op_act(m->be, &hn, &h, FZ_ACT_SILU, 0, 0, err);
  if (rc) return rc;
  return fz_conv_run(m, &s->zc, &hn, slot, S_WS, out, err);
}

// Checks that t is an f32 [n, c, h, w] tensor on the model's backend; names role in the error.
static int need4(const fz_pan_model *m, const fz_tensor *t, const char *role, int64_t n, int64_t c, int64_t h, int64_t w, fz_err *err) {
  char got[96], want[96];
  int64_t s[4] = {n, c, h, w};
  if (!t || !t->data) return fz_fail(err, FZ_EINVAL, "%s (ssdiff): input '%s' is missing", m->display, role);
  if (t->dtype != FZ_F32 || t->ndim != 4 || t->shape[0] != n || t->shape[1] != c || t->shape[2] != h || t->shape[3] != w)
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): %s is %s %s; expected f32 %s", m->display, role, fz_dtype_name(t->dtype),
                   fz_shape_str(t->ndim, t->shape, got, sizeof got), fz_shape_str(4, s, want, sizeof want));
  if (t->be != m->be) return fz_fail(err, FZ_EINVAL, "%s (ssdiff): %s lives on another backend than the model (%s)", m->display, role, m->be->name);
  return FZ_OK;
}

int fz_ssdiff_net(fz_pan_model *m, const fz_tensor *lms, const fz_tensor *pan, const fz_tensor *ms, const fz_tensor *x_t,
                  const float *t, fz_tensor *out, fz_err *err) {
  if (!fz_is_ssdiff(m)) return fz_fail(err, FZ_EINVAL, "ssdiff net: the model is not an SSDiff model");
  if (!pan || !pan->data || pan->ndim != 4) return fz_fail(err, FZ_EINVAL, "%s (ssdiff): pan must be an [N, 1, H, W] tensor", m->display);
  if (!t) return fz_fail(err, FZ_EINVAL, "%s (ssdiff): the timesteps are missing", m->display);
  int64_t sb[1] = {pan->shape[0]};
  fz_tensor tt;
  if (fz_tmp(m, S_T, 1, sb, &tt, err) || fz_tensor_upload(&tt, t, (size_t)sb[0] * sizeof *t, err)) return err->code;
  return fz_ssdiff_net_dev(m, lms, pan, ms, x_t, &tt, out, err);
}

int fz_ssdiff_net_dev(fz_pan_model *m, const fz_tensor *lms, const fz_tensor *pan, const fz_tensor *ms, const fz_tensor *x_t,
                      const fz_tensor *t_dev, fz_tensor *out, fz_err *err) {
  if (!fz_is_ssdiff(m)) return fz_fail(err, FZ_EINVAL, "ssdiff net: the model is not an SSDiff model");
  ssdiff *s = m->priv;
  const fz_ssdiff_info *I = &s->info;
  const fz_backend *be = m->be;
  if (!pan || !pan->data || pan->ndim != 4) return fz_fail(err, FZ_EINVAL, "%s (ssdiff): pan must be an [N, 1, H, W] tensor", m->display);
  int64_t B = pan->shape[0], H = pan->shape[2], W = pan->shape[3], C = I->bands;
  if (B < 1 || H < 4 || W < 4 || H % 4 || W % 4)
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): PAN is %lldx%lld; SSNet needs H and W multiples of 4 (two 2x downsamplings; MS = PAN/4)",
                   m->display, (long long)H, (long long)W);
  if (need4(m, pan, "pan", B, 1, H, W, err) || need4(m, lms, "lms", B, C, H, W, err) || need4(m, ms, "ms", B, C, H / 4, W / 4, err) ||
      need4(m, x_t, "x_t", B, C, H, W, err) || need4(m, out, "out", B, C, H, W, err))
    return err->code;
  if (!t_dev || !t_dev->data || t_dev->dtype != FZ_F32 || t_dev->ndim != 1 || t_dev->shape[0] != B)
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): the timesteps must be an f32 [%lld] device tensor", m->display, (long long)B);
  // time embedding: emb = te2(SiLU(te0(sinusoid(t)))), ea = SiLU(emb)
  int64_t st[2] = {B, I->model_channels}, se[2] = {B, 4 * (int64_t)I->model_channels};
  fz_tensor temb, t1, emb, ea;
  fz_temb_params tp = {0};
  int rc = fz_tmp(m, S_TEMB, 2, st, &temb, err);
  if (!rc) rc = fz_tmp(m, S_T1, 2, se, &t1, err);
  if (!rc) rc = fz_tmp(m, S_EMB, 2, se, &emb, err);
  if (!rc) rc = fz_tmp(m, S_EA, 2, se, &ea, err);
  if (!rc) rc = fz_op_timestep_embedding(be, &temb, t_dev, &tp, err);
  if (!rc) rc = fz_op_linear(be, &t1, &temb, s->te0_w, s->te0_b, FZ_ACT_SILU, 0, 0, err);
  if (!rc) rc = fz_op_linear(be, &emb, &t1, s->te2_w, s->te2_b, FZ_ACT_NONE, 0, 0, err);
  if (!rc) rc = fz_op_act(be, &ea, &emb, FZ_ACT_SILU, 0, 0, err);
  if (rc) return rc;
  // skip_c0 = PixelShuffle4(conv(ms))
  fz_tensor upc, skip0, y, x, yf, sk10, sk11, sk20, sk21, xb, yb, hr;
  int64_t s0[4] = {B, C, H, W};
  if (fz_conv_run(m, &s->up, ms, S_UPC, S_WS, &upc, err) || fz_tmp(m, S_SKIP0, 4, s0, &skip0, err) ||
      fz_op_pixel_shuffle(be, &skip0, &upc, 4, 0, err))
    return err->code;
  if (stem(m, &s->pan, pan, x_t, &ea, S_Y, &y, err) || stem(m, &s->lms, lms, x_t, &ea, S_X, &x, err)) return err->code;
  // level 0
  if (fz_op_binary(be, &x, &x, &s->boost[0], FZ_BIN_MUL, err) || fmim(m, s, 0, &y, &yf, err)) return err->code;
  if (fz_tmp(m, S_SK10, 4, x.shape, &sk10, err) || apfm(m, &s->ap[0], &x, &yf, &sk10, err)) return fz_wrap(err, "level 0");
  if (down(m, &s->dn[0], &sk10, S_X, &x, err)) return err->code;
  if (fz_tmp(m, S_SK11, 4, y.shape, &sk11, err) || resblock(m, &s->rb[0], &y, &ea, &sk11, err)) return err->code;
  if (down(m, &s->dn[0], &sk11, S_Y, &y, err)) return err->code;
  // level 1
  if (fz_op_binary(be, &x, &x, &s->boost[1], FZ_BIN_MUL, err) || fmim(m, s, 1, &y, &yf, err)) return err->code;
  if (fz_tmp(m, S_SK20, 4, x.shape, &sk20, err) || apfm(m, &s->ap[1], &x, &yf, &sk20, err)) return fz_wrap(err, "level 1");
  if (down(m, &s->dn[1], &sk20, S_X, &x, err)) return err->code;
  if (fz_tmp(m, S_SK21, 4, y.shape, &sk21, err) || resblock(m, &s->rb[1], &y, &ea, &sk21, err)) return err->code;
  if (down(m, &s->dn[1], &sk21, S_Y, &y, err)) return err->code;
  // level 2
  if (fz_op_binary(be, &x, &x, &s->boost[2], FZ_BIN_MUL, err) || fmim(m, s, 2, &y, &yf, err)) return err->code;
  if (fz_tmp(m, S_XB, 4, x.shape, &xb, err) || apfm(m, &s->ap[2], &x, &yf, &xb, err)) return fz_wrap(err, "level 2");
  if (up(m, &s->upm[0], &xb, &sk20, S_X, &x, err)) return err->code;
  if (fz_tmp(m, S_YB, 4, y.shape, &yb, err) || resblock(m, &s->rb[2], &y, &ea, &yb, err)) return err->code;
  if (up(m, &s->upm[0], &yb, &sk21, S_Y, &y, err)) return err->code;
  // level 3
  if (fz_op_binary(be, &x, &x, &s->boost[3], FZ_BIN_MUL, err) || fmim(m, s, 3, &y, &yf, err)) return err->code;
  if (fz_tmp(m, S_XB, 4, x.shape, &xb, err) || apfm(m, &s->ap[3], &x, &yf, &xb, err)) return fz_wrap(err, "level 3");
  if (up(m, &s->upm[1], &xb, &sk10, S_X, &x, err)) return err->code;
  if (fz_tmp(m, S_YB, 4, y.shape, &yb, err) || resblock(m, &s->rb[3], &y, &ea, &yb, err)) return err->code;
  if (up(m, &s->upm[1], &yb, &sk11, S_Y, &y, err)) return err->code;
  // level 4
  if (fz_op_binary(be, &x, &x, &s->boost[4], FZ_BIN_MUL, err) || fmim(m, s, 4, &y, &yf, err)) return err->code;
  if (fz_tmp(m, S_XB, 4, x.shape, &xb, err) || apfm(m, &s->ap[4], &x, &yf, &xb, err)) return fz_wrap(err, "level 4");
  // out = to_hrms(x) + skip_c0
  if (fz_conv_run(m, &s->hr0, &xb, S_HR, S_WS, &hr, err) || fz_conv_into(m, &s->hr2, &hr, out, S_WS, err)) return err->code;
  return fz_add(m, out, out, &skip0, err);
}
