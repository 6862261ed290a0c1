// canconv.c — the CANConv layer (see canconv.h): im2col as an exact one-hot depthwise conv, k-means + the
// small-cluster filter, centroid means, the low-rank kernel generator, the bias MLP and the segmented GEMM.
#include "canconv.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Slots used inside one CANConv call (relative to CC_SLOT0).
enum { S_PT = 0, S_P, S_FEAT, S_FEATT, S_KC, S_CENT, S_ZIDX, S_H1, S_H2, S_WCIN, S_WAREA, S_WCOUT, S_B1, S_B2, S_BIAS,
       S_T1, S_KERN, S_YT };

// Loads a Linear <prefix>.weight [out, in] and .bias [out].
static int lin_load(fz_pan_model *m, const char *prefix, int out, int in, fz_tensor **w, fz_tensor **b, fz_err *err) {
  char n[200];
  int64_t ws[2] = {out, in}, bs[1] = {out};
  snprintf(n, sizeof n, "%s.weight", prefix);
  if (fz_param(m, n, 2, ws, w, err)) return err->code;
  snprintf(n, sizeof n, "%s.bias", prefix);
  return fz_param(m, n, 1, bs, b, err);
}

int fz_canconv_load(fz_pan_model *m, fz_canconv *l, const char *prefix, int c, int K, float threshold, const fz_tensor *unfold_k,
                    const fz_tensor *box_k, fz_err *err) {
  char n[128];
  memset(l, 0, sizeof *l);
  snprintf(l->name, sizeof l->name, "%s", prefix);
  l->cin = l->cout = c;
  l->K = K;
  l->threshold = threshold;
  l->unfold_k = unfold_k;
  l->box_k = box_k;
  int64_t ks[3] = {c, 9, c};
  snprintf(n, sizeof n, "%s.kernels", prefix);
  if (fz_param(m, n, 3, ks, &l->kernels, err)) return err->code;
  struct { const char *s; int out, in; fz_tensor **w, **b; } t[] = {
      {"kernel_head.0", 16, 9 * c, &l->kh0_w, &l->kh0_b}, {"kernel_head.2", 16, 16, &l->kh2_w, &l->kh2_b},
      {"to_area", 9, 16, &l->area_w, &l->area_b},         {"to_cin", c, 16, &l->cin_w, &l->cin_b},
      {"to_cout", c, 16, &l->cout_w, &l->cout_b},         {"centroid_to_bias.0", 16, 9 * c, &l->cb0_w, &l->cb0_b},
      {"centroid_to_bias.2", 16, 16, &l->cb2_w, &l->cb2_b}, {"centroid_to_bias.4", c, 16, &l->cb4_w, &l->cb4_b},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    snprintf(n, sizeof n, "%s.%s", prefix, t[i].s);
    if (lin_load(m, n, t[i].out, t[i].in, t[i].w, t[i].b, err)) return err->code;
  }
  return FZ_OK;
}

// An i32 view [n] of raw slot `slot`.
static int tmp_i32(fz_pan_model *m, int slot, int64_t n, fz_tensor *t, fz_err *err) {
  if (fz_tensor_init(t, FZ_I32, 1, &n, err)) return err->code;
  t->data = fz_tmp_bytes(m, slot, (size_t)n * 4, err);
  if (!t->data) return err->code;
  t->be = m->be;
  return FZ_OK;
}

// Runs k-means on the per-channel patch means of x and writes the filtered cluster map into idx.
static int cluster(fz_pan_model *m, const fz_canconv *l, const fz_tensor *x, fz_tensor *idx, const fz_canconv_km *km, fz_err *err) {
  int64_t H = x->shape[2], W = x->shape[3], HW = H * W, cin = l->cin;
  fz_tensor feat, featT, kc;
  fz_conv2d_params bp = {.pad_h = 1, .pad_w = 1, .groups = (int)cin};
  int64_t s_feat[4] = {1, cin, H, W}, s_ft[3] = {1, HW, cin};
  if (fz_tmp(m, CC_SLOT0 + S_FEAT, 4, s_feat, &feat, err) || fz_tmp(m, CC_SLOT0 + S_FEATT, 3, s_ft, &featT, err)) return err->code;
  if (fz_op_conv2d(m->be, &feat, x, l->box_k, NULL, &bp, err)) return err->code;  // 3x3 mean per channel
  fz_tensor fv = feat;
  fv.ndim = 3; fv.shape[2] = HW;
  int perm[3] = {0, 2, 1};
  if (fz_op_permute(m->be, &featT, &fv, perm, err)) return err->code;  // [1, HW, Cin]
  featT.ndim = 2; featT.shape[0] = HW; featT.shape[1] = cin;
  int64_t K = l->K < HW ? l->K : HW;  // kmeans() clamps the cluster count to the sample count
  int64_t s_kc[2] = {K, cin};
  if (fz_tmp(m, CC_SLOT0 + S_KC, 2, s_kc, &kc, err)) return err->code;
  fz_kmeans_params kp = {km->seed, km->tol, km->max_iter};
  if (fz_op_kmeans(m->be, &kc, idx, &featT, &kp, NULL, err)) return fz_wrap(err, "%s k-means", l->name);
  // filter_indice: clusters of <= floor(threshold·HW) pixels (float arithmetic as in dispatch_indice.cc) -> K
  int32_t *h = malloc((size_t)HW * sizeof *h);
  int64_t *cnt = calloc((size_t)l->K + 1, sizeof *cnt);
  int rc = h && cnt ? FZ_OK : fz_fail(err, FZ_ENOMEM, "out of memory filtering clusters");
  if (!rc) rc = fz_tensor_download(idx, h, (size_t)HW * 4, err);
  if (!rc) {
    int thr = (int)(l->threshold * (float)HW);
    for (int64_t i = 0; i < HW; i++) cnt[h[i]]++;
    for (int64_t i = 0; i < HW; i++)
      if (cnt[h[i]] <= thr) h[i] = l->K;
    rc = fz_tensor_upload(idx, h, (size_t)HW * 4, err);
  }
  free(h);
  free(cnt);
  return rc;
}

// out [G, n] = act(lin(x [G, in]) ) into slot.
static int lin(fz_pan_model *m, const fz_tensor *x, const fz_tensor *w, const fz_tensor *b, fz_act act, int slot, fz_tensor *out,
               fz_err *err) {
  int64_t s[2] = {x->shape[0], w->shape[0]};
  if (fz_tmp(m, CC_SLOT0 + slot, 2, s, out, err)) return err->code;
  return fz_op_linear(m->be, out, x, w, b, act, 0, 0, err);
}

// A copy of t's header reshaped to ndim dims (same numel).
static fz_tensor reshape(const fz_tensor *t, int ndim, const int64_t *shape) {
  fz_tensor v = *t;
  v.owns = 0;
  v.ndim = ndim;
  for (int i = 0; i < ndim; i++) v.shape[i] = shape[i];
  return v;
}

int fz_canconv_forward(fz_pan_model *m, const fz_canconv *l, const fz_tensor *x, fz_tensor *y, fz_tensor *idx, int do_cluster,
                       const fz_canconv_km *km, fz_err *err) {
  const fz_backend *be = m->be;
  int64_t H = x->shape[2], W = x->shape[3], HW = H * W, cin = l->cin, cout = l->cout, D = 9 * cin, G = l->K + 1;
  fz_tensor pT, p;
  // 1. patches [HW, 9·Cin] in (cin, ky, kx) order = F.unfold(x, 3, padding=1) transposed
  fz_conv2d_params up = {.pad_h = 1, .pad_w = 1, .groups = (int)cin};
  int64_t s_pt[4] = {1, D, H, W}, s_p[3] = {1, HW, D};
  if (fz_tmp(m, CC_SLOT0 + S_PT, 4, s_pt, &pT, err) || fz_tmp(m, CC_SLOT0 + S_P, 3, s_p, &p, err)) return err->code;
  if (fz_op_conv2d(be, &pT, x, l->unfold_k, NULL, &up, err)) return fz_wrap(err, "%s unfold", l->name);
  int64_t s3[3] = {1, D, HW}, s2[2] = {HW, D};
  fz_tensor pT3 = reshape(&pT, 3, s3);
  int perm[3] = {0, 2, 1};
  if (fz_op_permute(be, &p, &pT3, perm, err)) return err->code;
  fz_tensor p2 = reshape(&p, 2, s2);
  // 2. cluster map
  if (do_cluster && cluster(m, l, x, idx, km, err)) return err->code;
  // 3. centroids [G, D]: per-cluster mean patch (0 when empty), row K = mean of all patches
  fz_tensor cent, zidx;
  int64_t s_c[2] = {G, D};
  if (fz_tmp(m, CC_SLOT0 + S_CENT, 2, s_c, &cent, err) || tmp_i32(m, CC_SLOT0 + S_ZIDX, HW, &zidx, err)) return err->code;
  size_t zb = (size_t)(HW > G * D ? HW : G * D) * 4;
  void *zeros = calloc(1, zb);
  if (!zeros) return fz_fail(err, FZ_ENOMEM, "out of memory");
  int rc = fz_tensor_upload(&cent, zeros, (size_t)G * D * 4, err);
  if (!rc) rc = fz_tensor_upload(&zidx, zeros, (size_t)HW * 4, err);
  free(zeros);
  if (rc) return rc;
  if (fz_op_kmeans_update(be, &cent, NULL, &p2, idx, err)) return fz_wrap(err, "%s centroids (cluster map values must be 0..%d)", l->name, l->K);
  fz_tensor rowk = cent;
  rowk.shape[0] = 1;
  rowk.data = (char *)cent.data + (size_t)l->K * D * 4;
  if (fz_op_kmeans_update(be, &rowk, NULL, &p2, &zidx, err)) return err->code;
  // 4. kernel generator and bias MLP
  fz_tensor h1, h2, wcin, warea, wcout, b1, b2, bias, t1, kern;
  if (lin(m, &cent, l->kh0_w, l->kh0_b, FZ_ACT_RELU, S_H1, &h1, err) || lin(m, &h1, l->kh2_w, l->kh2_b, FZ_ACT_RELU, S_H2, &h2, err) ||
      lin(m, &h2, l->cin_w, l->cin_b, FZ_ACT_SIGMOID, S_WCIN, &wcin, err) ||
      lin(m, &h2, l->area_w, l->area_b, FZ_ACT_SIGMOID, S_WAREA, &warea, err) ||
      lin(m, &h2, l->cout_w, l->cout_b, FZ_ACT_SIGMOID, S_WCOUT, &wcout, err) ||
      lin(m, &cent, l->cb0_w, l->cb0_b, FZ_ACT_RELU, S_B1, &b1, err) || lin(m, &b1, l->cb2_w, l->cb2_b, FZ_ACT_RELU, S_B2, &b2, err) ||
      lin(m, &b2, l->cb4_w, l->cb4_b, FZ_ACT_NONE, S_BIAS, &bias, err))
    return fz_wrap(err, "%s kernel generator", l->name);
  int64_t sa[4] = {G, cin, 1, 1}, sb[4] = {G, 1, 9, 1}, sc[4] = {G, 1, 1, cout}, st1[4] = {G, cin, 9, 1}, sk[4] = {G, cin, 9, cout};
  fz_tensor a4 = reshape(&wcin, 4, sa), b4 = reshape(&warea, 4, sb), c4 = reshape(&wcout, 4, sc);
  if (fz_tmp(m, CC_SLOT0 + S_T1, 4, st1, &t1, err) || fz_tmp(m, CC_SLOT0 + S_KERN, 4, sk, &kern, err)) return err->code;
  if (fz_op_binary(be, &t1, &a4, &b4, FZ_BIN_MUL, err) || fz_op_binary(be, &kern, &t1, &c4, FZ_BIN_MUL, err) ||
      fz_op_binary(be, &kern, &kern, l->kernels, FZ_BIN_MUL, err))
    return fz_wrap(err, "%s kernels", l->name);
  int64_t sk3[3] = {G, D, cout};
  fz_tensor k3 = reshape(&kern, 3, sk3);
  // 5. y = p · W_idx + b_idx, then [HW, Cout] -> [1, Cout, H, W]
  fz_tensor yT;
  int64_t s_yt[2] = {HW, cout};
  if (fz_tmp(m, CC_SLOT0 + S_YT, 2, s_yt, &yT, err)) return err->code;
  if (fz_op_gemm_segmented(be, &yT, &p2, &k3, &bias, idx, err)) return fz_wrap(err, "%s clustered conv", l->name);
  int64_t s_y3[3] = {1, HW, cout}, s_o3[3] = {1, cout, HW};
  fz_tensor y3 = reshape(&yT, 3, s_y3), o3 = reshape(y, 3, s_o3);
  return fz_op_permute(be, &o3, &y3, perm, err);
}
