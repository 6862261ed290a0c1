// cases_nn_norm.c — op cases for LayerNorm (last dim and per pixel over channels), GroupNorm, BatchNorm,
// RMSNorm and the adaLN modulate / gated residual.
// Oracle: the PyTorch formulas (biased variance, eps inside the square root) as double-precision loops
// with a two-pass mean/variance. Tolerance: 1e-5 mixed abs/rel (fz_case_err): fp32 rounding of
// normalised values of magnitude ≤ ~4 scaled by γ ∈ [-2, 2].
#include "cases_nn.h"
#include <math.h>
#include <stdio.h>

// Mean and biased variance of n values at x[i·stride], two-pass in double.
static void ref_stats(const float *x, int64_t n, int64_t stride, double *mean, double *var) {
  double s = 0, q = 0;
  for (int64_t i = 0; i < n; i++) s += x[i * stride];
  s /= (double)n;
  for (int64_t i = 0; i < n; i++) q += (x[i * stride] - s) * (x[i * stride] - s);
  *mean = s;
  *var = q / (double)n;
}

// LayerNorm over the last dim C of x [a, b, C], values offset to [3, 5] (a mean far from 0), affine or not.
static int run_layer_norm(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t a, int64_t b, int64_t cc,
                          int affine, float eps) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx, *hg = NULL, *hb = NULL;
  fz_tensor *x = nc_rand(&c, SH(a, b, cc), 3, 5, &hx);
  fz_tensor *g = affine ? nc_rand(&c, SH(cc), -2, 2, &hg) : NULL;
  fz_tensor *bt = affine ? nc_rand(&c, SH(cc), -1, 1, &hb) : NULL;
  fz_tensor *o = nc_out(&c, SH(a, b, cc));
  if (!c.rc) nc_check(&c, fz_op_layer_norm(be, o, x, g, bt, eps, err));
  double *ref = nc_ref(&c, a * b * cc);
  if (ref)
    for (int64_t r = 0; r < a * b; r++) {
      double m, v;
      ref_stats(hx + r * cc, cc, 1, &m, &v);
      for (int64_t j = 0; j < cc; j++)
        ref[r * cc + j] = (hx[r * cc + j] - m) / sqrt(v + eps) * (hg ? hg[j] : 1.0) + (hb ? hb[j] : 0.0);
    }
  char d[80];
  snprintf(d, sizeof d, "x[%lld,%lld,%lld] affine %d eps %g", (long long)a, (long long)b, (long long)cc, affine, (double)eps);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

FZ_OP_CASE(layer_norm_affine) { return run_layer_norm(be, seed, res, err, 3, 7, 45, 1, 1e-5f); }
FZ_OP_CASE(layer_norm_plain_eps6) { return run_layer_norm(be, seed, res, err, 2, 1, 130, 0, 1e-6f); }
FZ_OP_CASE(layer_norm_c1) { return run_layer_norm(be, seed, res, err, 2, 3, 1, 1, 1e-5f); }

// LayerNorm over channels at each pixel (Restormer / NAFNet LayerNorm2d) of x [N, C, H, W].
static int run_ln_channels(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t n, int64_t cc, int64_t h,
                           int64_t w) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx, *hg, *hb;
  fz_tensor *x = nc_rand(&c, SH(n, cc, h, w), -3, 1, &hx);
  fz_tensor *g = nc_rand(&c, SH(cc), -2, 2, &hg);
  fz_tensor *bt = nc_rand(&c, SH(cc), -1, 1, &hb);
  fz_tensor *o = nc_out(&c, SH(n, cc, h, w));
  if (!c.rc) nc_check(&c, fz_op_layer_norm_channels(be, o, x, g, bt, 1e-6f, err));
  double *ref = nc_ref(&c, n * cc * h * w);
  int64_t s = h * w;
  if (ref)
    for (int64_t i = 0; i < n; i++)
      for (int64_t p = 0; p < s; p++) {
        double m, v;
        ref_stats(hx + i * cc * s + p, cc, s, &m, &v);
        for (int64_t j = 0; j < cc; j++)
          ref[(i * cc + j) * s + p] = (hx[(i * cc + j) * s + p] - m) / sqrt(v + 1e-6f) * hg[j] + hb[j];
      }
  char d[80];
  snprintf(d, sizeof d, "x[%lld,%lld,%lld,%lld]", (long long)n, (long long)cc, (long long)h, (long long)w);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

FZ_OP_CASE(layer_norm_channels_b2) { return run_ln_channels(be, seed, res, err, 2, 13, 5, 7); }
// 340 pixels: two blocks of 256 and 84 pixels.
FZ_OP_CASE(layer_norm_channels_blocks) { return run_ln_channels(be, seed, res, err, 1, 3, 20, 17); }

// GroupNorm of x [N, C, H, W] in G groups, with γ, β and a fused activation.
static int run_group_norm(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t n, int64_t cc, int64_t h,
                          int64_t w, int groups, int act) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx, *hg, *hb;
  fz_tensor *x = nc_rand(&c, SH(n, cc, h, w), 1, 3, &hx);
  fz_tensor *g = nc_rand(&c, SH(cc), -2, 2, &hg);
  fz_tensor *bt = nc_rand(&c, SH(cc), -1, 1, &hb);
  fz_tensor *o = nc_out(&c, SH(n, cc, h, w));
  if (!c.rc) nc_check(&c, fz_op_group_norm(be, o, x, groups, g, bt, 1e-5f, act, 0.01f, err));
  double *ref = nc_ref(&c, n * cc * h * w);
  int64_t s = h * w, cg = cc / groups;
  if (ref)
    for (int64_t i = 0; i < n; i++)
      for (int64_t q = 0; q < groups; q++) {
        double m, v;
        const float *xg = hx + (i * cc + q * cg) * s;
        ref_stats(xg, cg * s, 1, &m, &v);
        for (int64_t j = 0; j < cg * s; j++) {
          int64_t ch = q * cg + j / s;
          ref[(i * cc + q * cg) * s + j] = nc_act_ref((xg[j] - m) / sqrt(v + 1e-5f) * hg[ch] + hb[ch], act, 0.01, 0);
        }
      }
  char d[96];
  snprintf(d, sizeof d, "x[%lld,%lld,%lld,%lld] groups %d act %d", (long long)n, (long long)cc, (long long)h, (long long)w, groups, act);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

FZ_OP_CASE(group_norm_g4_silu) { return run_group_norm(be, seed, res, err, 2, 12, 5, 7, 4, FZ_ACT_SILU); }
// One large group (80000 elements): statistics split over threads in chunks.
FZ_OP_CASE(group_norm_g1_chunked) { return run_group_norm(be, seed, res, err, 1, 4, 200, 100, 1, FZ_ACT_NONE); }
// Instance norm (groups = channels), 1×1 pixels would be degenerate: use 3×1.
FZ_OP_CASE(group_norm_instance) { return run_group_norm(be, seed, res, err, 2, 5, 3, 1, 5, FZ_ACT_LEAKY_RELU); }

// BatchNorm (running statistics) with a fused activation.
static int run_batch_norm(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int act) {
  nn_case c;
  nc_init(&c, be, seed, err);
  int64_t n = 2, cc = 5, h = 6, w = 7, s = h * w;
  float *hx, *hm, *hv, *hg, *hb;
  fz_tensor *x = nc_rand(&c, SH(n, cc, h, w), -2, 2, &hx);
  fz_tensor *m = nc_rand(&c, SH(cc), -1, 1, &hm);
  fz_tensor *v = nc_rand(&c, SH(cc), 0.1f, 2, &hv);
  fz_tensor *g = nc_rand(&c, SH(cc), -2, 2, &hg);
  fz_tensor *bt = nc_rand(&c, SH(cc), -1, 1, &hb);
  fz_tensor *o = nc_out(&c, SH(n, cc, h, w));
  if (!c.rc) nc_check(&c, fz_op_batch_norm(be, o, x, m, v, g, bt, 1e-5f, act, 0.01f, err));
  double *ref = nc_ref(&c, n * cc * s);
  if (ref)
    for (int64_t i = 0; i < n * cc * s; i++) {
      int64_t ch = (i / s) % cc;
      ref[i] = nc_act_ref((hx[i] - hm[ch]) / sqrt(hv[ch] + 1e-5f) * hg[ch] + hb[ch], act, 0.01, 0);
    }
  nc_compare(&c, res, o, ref, 1e-5, "x[2,5,6,7]");
  return nc_free(&c);
}

FZ_OP_CASE(batch_norm_silu) { return run_batch_norm(be, seed, res, err, FZ_ACT_SILU); }
FZ_OP_CASE(batch_norm_plain) { return run_batch_norm(be, seed, res, err, FZ_ACT_NONE); }

// RMSNorm over the last dim: x / sqrt(mean(x²) + eps) · γ.
FZ_OP_CASE(rms_norm_odd) {
  nn_case c;
  nc_init(&c, be, seed, err);
  int64_t rows = 4 * 3, cc = 33;
  float *hx, *hg;
  fz_tensor *x = nc_rand(&c, SH(4, 3, cc), -2, 2, &hx);
  fz_tensor *g = nc_rand(&c, SH(cc), -2, 2, &hg);
  fz_tensor *o = nc_out(&c, SH(4, 3, cc));
  fz_tensor *o2 = nc_out(&c, SH(4, 3, cc));
  if (!c.rc) nc_check(&c, fz_op_rms_norm(be, o, x, g, 1e-6f, err));
  if (!c.rc) nc_check(&c, fz_op_rms_norm(be, o2, x, NULL, 1e-6f, err));
  double *ref = nc_ref(&c, rows * cc), *ref2 = nc_ref(&c, rows * cc);
  if (ref && ref2)
    for (int64_t r = 0; r < rows; r++) {
      double q = 0;
      for (int64_t j = 0; j < cc; j++) q += (double)hx[r * cc + j] * hx[r * cc + j];
      double rs = 1 / sqrt(q / cc + 1e-6f);
      for (int64_t j = 0; j < cc; j++) {
        ref[r * cc + j] = hx[r * cc + j] * rs * hg[j];
        ref2[r * cc + j] = hx[r * cc + j] * rs;
      }
    }
  nc_compare(&c, res, o, ref, 1e-5, "x[4,3,33] with gamma");
  nc_compare_more(&c, res, o2, ref2, 1e-5, "x[4,3,33] no gamma");
  return nc_free(&c);
}

// adaLN modulate and gated residual in both layouts: NCHW x[2,3,5,7] and tokens x[2,9,6], factors [B,C].
FZ_OP_CASE(modulate_gate_layouts) {
  nn_case c;
  nc_init(&c, be, seed, err);
  for (int lay = 0; lay < 2 && !c.rc; lay++) {
    int64_t b = 2, cc = lay ? 6 : 3, mid = lay ? 9 : 35, n = b * cc * mid;
    float *hx, *hs, *hc, *hg, *hy;
    fz_tensor *x = lay ? nc_rand(&c, SH(b, mid, cc), -2, 2, &hx) : nc_rand(&c, SH(b, cc, 5, 7), -2, 2, &hx);
    fz_tensor *y = lay ? nc_rand(&c, SH(b, mid, cc), -2, 2, &hy) : nc_rand(&c, SH(b, cc, 5, 7), -2, 2, &hy);
    fz_tensor *sh = nc_rand(&c, SH(b, cc), -1, 1, &hs);
    fz_tensor *sc = lay ? nc_rand(&c, SH(b, 1, cc), -1, 1, &hc) : nc_rand(&c, SH(b, cc), -1, 1, &hc);
    fz_tensor *gt = nc_rand(&c, SH(b, cc), -1, 1, &hg);
    fz_tensor *om = lay ? nc_out(&c, SH(b, mid, cc)) : nc_out(&c, SH(b, cc, 5, 7));
    fz_tensor *og = lay ? nc_out(&c, SH(b, mid, cc)) : nc_out(&c, SH(b, cc, 5, 7));
    if (!c.rc) nc_check(&c, fz_op_modulate(be, om, x, sh, sc, lay ? FZ_LAYOUT_NLC : FZ_LAYOUT_NCHW, err));
    if (!c.rc) nc_check(&c, fz_op_gate_residual(be, og, x, gt, y, lay ? FZ_LAYOUT_NLC : FZ_LAYOUT_NCHW, err));
    double *rm = nc_ref(&c, n), *rg = nc_ref(&c, n);
    if (!rm || !rg) break;
    for (int64_t i = 0; i < n; i++) {
      int64_t bi = i / (cc * mid), ch = lay ? i % cc : (i / mid) % cc;
      rm[i] = hx[i] * (1.0 + hc[bi * cc + ch]) + hs[bi * cc + ch];
      rg[i] = hx[i] + (double)hg[bi * cc + ch] * hy[i];
    }
    nc_compare_more(&c, res, om, rm, 1e-6, lay ? "modulate NLC [2,9,6]" : "modulate NCHW [2,3,5,7]");
    nc_compare_more(&c, res, og, rg, 1e-6, lay ? "gate NLC [2,9,6]" : "gate NCHW [2,3,5,7]");
  }
  return nc_free(&c);
}
