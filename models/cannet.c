// cannet.c — CANNet (Duanyll/CANConv 0b7cc6f canconv/models/cannet/model.py, CVPR 2024):
// x1 = head(cat[pan, lms]) -> rb1 -> down1 -> rb2 -> down2 -> rb3 -> up1(+x2) -> rb4 (rb2's clusters)
// -> up2(+x1) -> rb5 (rb1's clusters) -> tail; out = lms + tail. CANResBlock: x + conv2(leaky(conv1(x)))
// with conv2 reusing conv1's clusters (centroids recomputed from its own input). Down: conv 2x2/2 + leaky,
// depthwise 3x3 (no bias), 1x1 to 2C. Up: convT 2x2/2 + leaky, + skip, depthwise 3x3, 1x1 + leaky. All
// LeakyReLU slopes 0.01. k-means runs in rb1/rb2/rb3.conv1 per image (fusor's k-means++ from seed 42; the
// official code uses kmcuda on the GPU, so clusters differ unless injected: cannet.h).
#include "cannet.h"
#include "canconv.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_X0 = 0, N_X1, N_X2, N_X3, N_X4, N_X5, N_T1, N_T2, N_R1, N_R2, N_IDX0 = 40, N_WS = FZ_MODEL_MAX_SLOTS - 1 };

typedef struct cannet {
  int ch, K;
  fz_conv head, tail, d0[2], ddw[2], dpw[2], ut[2], udw[2], upw[2];
  fz_canconv rb[5][2];
  fz_tensor unfold_k[3], box_k[3];  // for ch, 2ch, 4ch input channels
  fz_canconv_km km;
  int32_t *inject[3];
  int64_t inject_n[3];
  int64_t last_n[3];                // values of the cluster maps of the last forward
} cannet;

// 1 for a CANNet checkpoint.
static int cannet_detect(const fz_weights *w) {
  return fz_weights_find(w, "rb1.conv1.kernels") && fz_weights_find(w, "head_conv.weight");
}

// Builds the fixed one-hot unfold kernel [9c, 1, 3, 3] and the 3x3 mean kernel [c, 1, 3, 3] on the backend.
static int fixed_kernels(fz_pan_model *m, int c, fz_tensor *u, fz_tensor *b, fz_err *err) {
  int64_t su[4] = {9 * c, 1, 3, 3}, sb[4] = {c, 1, 3, 3};
  float *h = calloc((size_t)81 * c, sizeof *h);
  if (!h) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int k = 0; k < 9 * c; k++) h[k * 9 + k % 9] = 1.0f;
  int rc = fz_tensor_alloc(u, m->be, FZ_F32, 4, su, err);
  if (!rc) rc = fz_tensor_upload(u, h, (size_t)81 * c * sizeof *h, err);
  for (int k = 0; k < 9 * c; k++) h[k] = 1.0f / 9.0f;
  if (!rc) rc = fz_tensor_alloc(b, m->be, FZ_F32, 4, sb, err);
  if (!rc) rc = fz_tensor_upload(b, h, (size_t)9 * c * sizeof *h, err);
  free(h);
  return rc;
}

// Loads every layer; bands from head_conv.weight [ch, C+1, 3, 3]; hparams cluster_num, filter_threshold, kmeans_seed.
static int cannet_init(fz_pan_model *m, fz_err *err) {
  const fz_wtensor *h = fz_param_info(m, "head_conv.weight"), *t = fz_param_info(m, "tail_conv.weight");
  char b[96];
  if (!h || h->ndim != 4 || !t || t->ndim != 4 || h->shape[1] != t->shape[0] + 1)
    return fz_fail(err, FZ_EINVAL, "%s: head_conv.weight %s / tail_conv.weight: expected [ch, C+1, 3, 3] and [C, ch, 3, 3] for cannet",
                   m->display, h ? fz_wshape_str(h->ndim, h->shape, b, sizeof b) : "missing");
  cannet *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  int C = (int)t->shape[0], ch = (int)h->shape[0];
  double v;
  p->ch = ch;
  p->K = fz_hp_num(m->hparams, "cluster_num", &v) ? (int)v : 32;
  float thr = fz_hp_num(m->hparams, "filter_threshold", &v) ? (float)v : 0.005f;
  p->km.seed = fz_hp_num(m->hparams, "kmeans_seed", &v) ? (uint64_t)v : 42;
  p->km.tol = 0.01;
  p->km.max_iter = 0;
  if (p->K < 1 || p->K > 4096) return fz_fail(err, FZ_EINVAL, "%s: cluster_num %d out of range 1..4096", m->display, p->K);
  for (int i = 0; i < 3; i++)
    if (fixed_kernels(m, ch << i, &p->unfold_k[i], &p->box_k[i], err)) return err->code;
  if (fz_conv_load(m, &p->head, "head_conv", ch, C + 1, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err) ||
      fz_conv_load(m, &p->tail, "tail_conv", C, ch, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  static const int rb_level[5] = {0, 1, 2, 1, 0};
  for (int r = 0; r < 5; r++)
    for (int k = 0; k < 2; k++) {
      char n[48];
      int lv = rb_level[r];
      snprintf(n, sizeof n, "rb%d.conv%d", r + 1, k + 1);
      if (fz_canconv_load(m, &p->rb[r][k], n, ch << lv, p->K, thr, &p->unfold_k[lv], &p->box_k[lv], err)) return err->code;
    }
  for (int i = 0; i < 2; i++) {
    char n[48];
    int c = ch << i;
    snprintf(n, sizeof n, "down%d.conv.0", i + 1);
    if (fz_conv_load(m, &p->d0[i], n, c, c, 2, 2, 0, 1, 1, FZ_ACT_LEAKY_RELU, 0.01f, err)) return err->code;
    snprintf(n, sizeof n, "down%d.conv.2", i + 1);
    if (fz_conv_load(m, &p->ddw[i], n, c, c, 3, 1, 1, c, 0, FZ_ACT_NONE, 0, err)) return err->code;
    snprintf(n, sizeof n, "down%d.conv.3", i + 1);
    if (fz_conv_load(m, &p->dpw[i], n, 2 * c, c, 1, 1, 0, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
    int cu = ch << (2 - i);  // up1: 4ch -> 2ch, up2: 2ch -> ch
    snprintf(n, sizeof n, "up%d.conv1", i + 1);
    if (fz_convt_load(m, &p->ut[i], n, cu, cu / 2, 2, 2, 0, 1, FZ_ACT_LEAKY_RELU, 0.01f, err)) return err->code;
    snprintf(n, sizeof n, "up%d.conv2.0", i + 1);
    if (fz_conv_load(m, &p->udw[i], n, cu / 2, cu / 2, 3, 1, 1, cu / 2, 0, FZ_ACT_NONE, 0, err)) return err->code;
    snprintf(n, sizeof n, "up%d.conv2.1", i + 1);
    if (fz_conv_load(m, &p->upw[i], n, cu / 2, cu / 2, 1, 1, 0, 1, 1, FZ_ACT_LEAKY_RELU, 0.01f, err)) return err->code;
  }
  fz_model_info *I = &m->info;
  I->bands = C;
  I->inputs = FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN;
  I->multiple = 4;
  I->halo = 32;
  I->clamp01 = 1;
  if (!I->sensor[0] && C == 8 && I->scale == 0) { snprintf(I->sensor, sizeof I->sensor, "WV3"); I->scale = 2047; }
  return FZ_OK;
}

// Image n of a batched [N, c, h, w] tensor as a [1, c, h, w] view.
static fz_tensor image(const fz_tensor *t, int64_t n) {
  fz_tensor v = *t;
  v.owns = 0;
  v.shape[0] = 1;
  v.data = (char *)t->data + (size_t)n * (fz_tensor_nbytes(t) / (size_t)t->shape[0]);
  return v;
}

// The i32 [N·h·w] cluster map of level lv as a tensor over pool slot N_IDX0 + lv.
static int idx_tensor(fz_pan_model *m, int lv, int64_t n, fz_tensor *t, fz_err *err) {
  if (fz_tensor_init(t, FZ_I32, 1, &n, err)) return err->code;
  t->data = fz_tmp_bytes(m, N_IDX0 + lv, (size_t)n * 4, err);
  if (!t->data) return err->code;
  t->be = m->be;
  return FZ_OK;
}

// CANResBlock on x [N, c, h, w] in place: x += conv2(leaky(conv1(x))); idx [N·h·w] (computed when cluster).
static int resblock(fz_pan_model *m, const fz_canconv rb[2], fz_tensor *x, fz_tensor *idx, int do_cluster, fz_err *err) {
  cannet *p = m->priv;
  fz_tensor r1, r2;
  if (fz_tmp(m, N_R1, 4, x->shape, &r1, err) || fz_tmp(m, N_R2, 4, x->shape, &r2, err)) return err->code;
  int64_t hw = x->shape[2] * x->shape[3];
  for (int64_t n = 0; n < x->shape[0]; n++) {
    fz_tensor xi = image(x, n), ri = image(&r1, n), ix = *idx;
    ix.shape[0] = hw;
    ix.data = (char *)idx->data + (size_t)n * hw * 4;
    if (fz_canconv_forward(m, &rb[0], &xi, &ri, &ix, do_cluster, &p->km, err)) return err->code;
  }
  if (fz_op_act(m->be, &r1, &r1, FZ_ACT_LEAKY_RELU, 0.01f, 0, err)) return err->code;
  for (int64_t n = 0; n < x->shape[0]; n++) {
    fz_tensor ri = image(&r1, n), oi = image(&r2, n), ix = *idx;
    ix.shape[0] = hw;
    ix.data = (char *)idx->data + (size_t)n * hw * 4;
    if (fz_canconv_forward(m, &rb[1], &ri, &oi, &ix, 0, &p->km, err)) return err->code;
  }
  return fz_add(m, x, x, &r2, err);
}

// Prepares level lv's cluster map for a forward of N images at h x w: uploads an injected map or marks it
// for clustering. Returns 1 in *cluster when k-means must run.
static int level_map(fz_pan_model *m, int lv, int64_t N, int64_t h, int64_t w, fz_tensor *idx, int *do_cluster, fz_err *err) {
  cannet *p = m->priv;
  int64_t n = N * h * w;
  if (idx_tensor(m, lv, n, idx, err)) return err->code;
  p->last_n[lv] = n;
  *do_cluster = p->inject[lv] == NULL;
  if (!p->inject[lv]) return FZ_OK;
  if (p->inject_n[lv] != n)
    return fz_fail(err, FZ_EINVAL, "injected cluster map %d has %lld values; this forward needs N·h·w = %lld", lv,
                   (long long)p->inject_n[lv], (long long)n);
  return fz_tensor_upload(idx, p->inject[lv], (size_t)n * 4, err);
}

// Down block i: x [N, c, h, w] -> [N, 2c, h/2, w/2] in slot out.
static int down(fz_pan_model *m, int i, const fz_tensor *x, int out, fz_tensor *y, fz_err *err) {
  cannet *p = m->priv;
  fz_tensor a, b;
  if (fz_conv_run(m, &p->d0[i], x, N_T1, N_WS, &a, err) || fz_conv_run(m, &p->ddw[i], &a, N_T2, N_WS, &b, err)) return err->code;
  return fz_conv_run(m, &p->dpw[i], &b, out, N_WS, y, err);
}

// Up block i: leaky(convT(x)) + skip -> depthwise 3x3 -> leaky(1x1) into slot out.
static int up(fz_pan_model *m, int i, const fz_tensor *x, const fz_tensor *skip, int out, fz_tensor *y, fz_err *err) {
  cannet *p = m->priv;
  fz_tensor a, b;
  if (fz_conv_run(m, &p->ut[i], x, N_T1, N_WS, &a, err)) return err->code;
  if (!fz_tensor_same_shape(&a, skip))
    return fz_fail(err, FZ_EINVAL, "up%d: upsampled features and skip differ in size (H, W must be multiples of 4)", i + 1);
  if (fz_add(m, &a, &a, skip, err) || fz_conv_run(m, &p->udw[i], &a, N_T2, N_WS, &b, err)) return err->code;
  return fz_conv_run(m, &p->upw[i], &b, out, N_WS, y, err);
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int cannet_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  cannet *p = m->priv;
  int64_t N = in->pan->shape[0], H = in->pan->shape[2], W = in->pan->shape[3];
  fz_tensor x0, x1, x2, x3, x4, x5, idx[3];
  int cl[3];
  if (fz_cat2(m, in->pan, in->lms, N_X0, &x0, err)) return err->code;               // [N, C+1, H, W], PAN first
  if (fz_conv_run(m, &p->head, &x0, N_X1, N_WS, &x1, err)) return err->code;        // [N, ch, H, W]
  for (int lv = 0; lv < 3; lv++)
    if (level_map(m, lv, N, H >> lv, W >> lv, &idx[lv], &cl[lv], err)) return err->code;
  if (resblock(m, p->rb[0], &x1, &idx[0], cl[0], err)) return fz_wrap(err, "rb1");
  if (down(m, 0, &x1, N_X2, &x2, err)) return fz_wrap(err, "down1");                // [N, 2ch, H/2, W/2]
  if (resblock(m, p->rb[1], &x2, &idx[1], cl[1], err)) return fz_wrap(err, "rb2");
  if (down(m, 1, &x2, N_X3, &x3, err)) return fz_wrap(err, "down2");                // [N, 4ch, H/4, W/4]
  if (resblock(m, p->rb[2], &x3, &idx[2], cl[2], err)) return fz_wrap(err, "rb3");
  if (up(m, 0, &x3, &x2, N_X4, &x4, err)) return fz_wrap(err, "up1");               // [N, 2ch, H/2, W/2]
  if (resblock(m, p->rb[3], &x4, &idx[1], 0, err)) return fz_wrap(err, "rb4");
  if (up(m, 1, &x4, &x1, N_X5, &x5, err)) return fz_wrap(err, "up2");               // [N, ch, H, W]
  if (resblock(m, p->rb[4], &x5, &idx[0], 0, err)) return fz_wrap(err, "rb5");
  if (fz_conv_into(m, &p->tail, &x5, out, N_WS, err)) return err->code;             // [N, C, H, W]
  return fz_add(m, out, out, in->lms, err);
}

// Frees the fixed kernels, the injected maps and the state.
static void cannet_release(fz_pan_model *m) {
  cannet *p = m->priv;
  if (!p) return;
  for (int i = 0; i < 3; i++) {
    fz_tensor_free(&p->unfold_k[i]);
    fz_tensor_free(&p->box_k[i]);
    free(p->inject[i]);
  }
  free(p);
}

// Key map: checks the checkpoint, records spectral_num and (8 bands) the WV3 scale; 4-band files need --set sensor.
static int cannet_keymap(fz_weights *w, fz_err *err) {
  const fz_wtensor *t = fz_weights_find(w, "tail_conv.weight");
  if (!t || t->ndim != 4 || !fz_weights_find(w, "rb1.conv1.kernels"))
    return fz_fail(err, FZ_EINVAL, "tail_conv.weight / rb1.conv1.kernels missing: not a CANNet checkpoint");
  return fz_keymap_common(w, "cannet", (int)t->shape[0], err);
}

const fz_arch fz_arch_cannet = {"cannet", "CANNet (Duanyll 2024): CANConv with per-image k-means, WV3/GF2/QB checkpoints",
                                cannet_detect, cannet_init, cannet_forward, cannet_release, cannet_keymap, NULL};

int fz_cannet_set_clusters(fz_pan_model *m, const int32_t *const idx[3], const int64_t n[3], fz_err *err) {
  if (m->arch != &fz_arch_cannet) return fz_fail(err, FZ_EINVAL, "cluster maps apply to cannet models only, not %s", m->info.arch);
  cannet *p = m->priv;
  for (int i = 0; i < 3; i++) {
    free(p->inject[i]);
    p->inject[i] = NULL;
    p->inject_n[i] = 0;
  }
  if (!idx) return FZ_OK;
  for (int i = 0; i < 3; i++) {
    for (int64_t k = 0; k < n[i]; k++)
      if (idx[i][k] < 0 || idx[i][k] > p->K)
        return fz_fail(err, FZ_EINVAL, "cluster map %d value %d at %lld is outside 0..%d", i, idx[i][k], (long long)k, p->K);
    p->inject[i] = malloc((size_t)(n[i] ? n[i] : 1) * 4);
    if (!p->inject[i]) return fz_fail(err, FZ_ENOMEM, "out of memory");
    memcpy(p->inject[i], idx[i], (size_t)n[i] * 4);
    p->inject_n[i] = n[i];
  }
  return FZ_OK;
}

int fz_cannet_get_clusters(fz_pan_model *m, int32_t *idx[3], int64_t n[3], fz_err *err) {
  if (m->arch != &fz_arch_cannet) return fz_fail(err, FZ_EINVAL, "cluster maps apply to cannet models only, not %s", m->info.arch);
  cannet *p = m->priv;
  for (int i = 0; i < 3; i++) {
    idx[i] = NULL;
    n[i] = p->last_n[i];
  }
  for (int i = 0; i < 3; i++) {
    fz_tensor t;
    if (idx_tensor(m, i, n[i], &t, err)) return err->code;
    idx[i] = malloc((size_t)(n[i] ? n[i] : 1) * 4);
    if (!idx[i] || fz_tensor_download(&t, idx[i], (size_t)n[i] * 4, err)) {
      for (int k = 0; k <= i; k++) { free(idx[k]); idx[k] = NULL; }
      return err->code ? err->code : fz_fail(err, FZ_ENOMEM, "out of memory");
    }
  }
  return FZ_OK;
}
