// test_landsat.c — ratio 2 end to end (the Landsat demo, docs/DEMO.md): a FusionNet whose fusor.hparams say ratio 2
// (random weights, and the shipped weights/fusionnet_landsat_r2.safetensors) run through fz_fuse_scene against a plain
// double-loop FusionNet; the ratio checks of the model registry; the Landsat MTF filter at ratio 2 against the
// DLPan-Toolbox genMTF.m definition written out in double loops; Wald's ratio-2 decimation against its definition;
// ERGAS at ratio 2 against its formula.
#include "test.h"
#include "test_models_util.h"
#include "weights_convert.h"
#include "../bench/metrics.h"
#include "../bench/mtf.h"
#include "../bench/wald.h"
#include "../models/fuse.h"
#include "../models/model_internal.h"
#include <stdio.h>

// Deterministic values in [-a, a) (a 64-bit LCG).
static float lcg(uint64_t *s, float a) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)(((*s >> 40) & 0xffffff) / 16777216.0 * 2 - 1) * a;
}

static const char *fn_names[] = {"conv1.weight", "conv1.bias", "res1.conv20.weight", "res1.conv20.bias", "res1.conv21.weight",
                                 "res1.conv21.bias", "res2.conv20.weight", "res2.conv20.bias", "res2.conv21.weight",
                                 "res2.conv21.bias", "res3.conv20.weight", "res3.conv20.bias", "res3.conv21.weight",
                                 "res3.conv21.bias", "res4.conv20.weight", "res4.conv20.bias", "res4.conv21.weight",
                                 "res4.conv21.bias", "conv3.weight", "conv3.bias"};
#define FN_T 20

// A random FusionNet weight set for C bands in w with metadata fusor.arch = fusionnet and the given hparams.
static int mk_fusionnet(fz_weights *w, int C, const char *hparams, fz_err *err) {
  uint64_t s = 777;
  fz_weights_init(w);
  for (int i = 0; i < FN_T; i++) {
    int is_w = strstr(fn_names[i], "weight") != NULL;
    int cout = i >= 18 ? C : 32, cin = i < 2 ? C : 32;
    int64_t shape[4] = {cout, cin, 3, 3};
    int64_t n = is_w ? (int64_t)cout * cin * 9 : cout;
    float *f = malloc((size_t)n * sizeof *f);
    if (!f || fz_weights_own(w, f, err)) return fz_fail(err, FZ_ENOMEM, "out of memory");
    for (int64_t k = 0; k < n; k++) f[k] = lcg(&s, is_w ? 0.08f : 0.02f);
    if (fz_weights_add(w, fn_names[i], FZ_W_F32, is_w ? 4 : 1, shape, f, (size_t)n * 4, err)) return err->code;
  }
  if (fz_weights_meta_set(w, "fusor.arch", "fusionnet", err)) return err->code;
  return hparams ? fz_weights_meta_set(w, "fusor.hparams", hparams, err) : FZ_OK;
}

// out[co] = b[co] + sum_ci sum_3x3 wt[co,ci] * in[ci] (zero 'same' padding), double loops; relu when act.
static void conv3x3(const double *in, int cin, int H, int W, const float *wt, const float *b, int cout, int act, double *out) {
  for (int co = 0; co < cout; co++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        double a = b[co];
        for (int ci = 0; ci < cin; ci++)
          for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
              int yy = y + dy, xx = x + dx;
              if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
              a += (double)wt[((co * cin + ci) * 3 + dy + 1) * 3 + dx + 1] * in[((size_t)ci * H + yy) * W + xx];
            }
        out[((size_t)co * H + y) * W + x] = act && a < 0 ? 0 : a;
      }
}

// The f32 data of tensor name of w.
static const float *wt(const fz_weights *w, const char *name) { return (const float *)fz_weights_find(w, name)->data; }

// FusionNet in double loops (model_fusionnet.py): lms + conv3(res4..1(relu(conv1(pan - lms)))) -> out [C, H, W].
static void fusionnet_ref(const fz_weights *w, const float *lms, const float *pan, int C, int H, int W, double *out) {
  size_t HW = (size_t)H * W;
  double *d = malloc(C * HW * sizeof *d), *x = malloc(32 * HW * sizeof *x), *a = malloc(32 * HW * sizeof *a),
         *b = malloc(32 * HW * sizeof *b);
  for (int c = 0; c < C; c++)
    for (size_t p = 0; p < HW; p++) d[c * HW + p] = (double)pan[p] - lms[c * HW + p];
  conv3x3(d, C, H, W, wt(w, "conv1.weight"), wt(w, "conv1.bias"), 32, 1, x);
  for (int r = 1; r <= 4; r++) {
    char n0[32], n1[32], n2[32], n3[32];
    snprintf(n0, sizeof n0, "res%d.conv20.weight", r); snprintf(n1, sizeof n1, "res%d.conv20.bias", r);
    snprintf(n2, sizeof n2, "res%d.conv21.weight", r); snprintf(n3, sizeof n3, "res%d.conv21.bias", r);
    conv3x3(x, 32, H, W, wt(w, n0), wt(w, n1), 32, 1, a);
    conv3x3(a, 32, H, W, wt(w, n2), wt(w, n3), 32, 0, b);
    for (size_t i = 0; i < 32 * HW; i++) x[i] += b[i];
  }
  conv3x3(x, 32, H, W, wt(w, "conv3.weight"), wt(w, "conv3.bias"), C, 0, out);
  for (size_t i = 0; i < C * HW; i++) out[i] += lms[i];
  free(d); free(x); free(a); free(b);
}

// A smooth synthetic ratio-2 scene: pan [H, W], lms [C, H, W], ms [C, H/2, W/2] (ms = lms at odd pixels) in [0, 1].
static void mk_scene2(int C, int H, int W, float *pan, float *lms, float *ms) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      pan[y * W + x] = 0.3f + 0.2f * sinf(x * 0.37f) * cosf(y * 0.23f);
      for (int c = 0; c < C; c++) lms[((size_t)c * H + y) * W + x] = 0.25f + 0.1f * sinf(x * 0.21f + c) * cosf(y * 0.17f - c);
    }
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H / 2; y++)
      for (int x = 0; x < W / 2; x++) ms[((size_t)c * (H / 2) + y) * (W / 2) + x] = lms[((size_t)c * H + 2 * y + 1) * W + 2 * x + 1];
}

// Runs model m on the whole synthetic C-band H x W scene through fz_fuse_scene and compares with the double-loop
// FusionNet of w; returns the max abs difference (or -1 on error, message in err).
static double fuse_vs_ref(fz_pan_model *m, const fz_weights *w, int C, int H, int W, fz_err *err) {
  size_t HW = (size_t)H * W;
  float *pan = malloc(HW * 4), *lms = malloc(C * HW * 4), *ms = malloc(C * HW * 4), *out = malloc(C * HW * 4);
  double *ref = malloc(C * HW * sizeof *ref), md = -1;
  mk_scene2(C, H, W, pan, lms, ms);
  fz_scene sc = {C, H, W, ms, lms, pan};
  fz_fuse_opts o = {0, 0, FZ_MERGE_BLEND, 1, NULL, NULL};
  if (!fz_fuse_scene(m, &sc, &o, out, err)) {
    fusionnet_ref(w, lms, pan, C, H, W, ref);
    md = 0;
    for (size_t i = 0; i < C * HW; i++) {
      double d = fabs(out[i] - ref[i]);
      if (!(d <= md)) md = isnan(d) ? INFINITY : d;
    }
  }
  free(pan); free(lms); free(ms); free(out); free(ref);
  return md;
}

// Oracle: a plain double-loop FusionNet. A ratio-2 FusionNet (fusor.hparams ratio 2) loads with info.ratio 2 and the
// given scale / sensor, and its whole-scene fusion (one forward) of a 26x22 scene, which is not a multiple of 4,
// equals the oracle to float rounding.
TEST(landsat_ratio2_fusionnet_forward_matches_double_loops) {
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(mk_fusionnet(&w, 4, "{\"ratio\":2,\"scale\":65535,\"sensor\":\"L8\",\"spectral_num\":4}", &err), &err);
  CHECK_OK(fz_model_from_weights(&w, "fn_r2", fz_backend_cpu(1), &m, &err), &err);
  const fz_model_info *I = fz_model_get_info(m);
  CHECKF(I->ratio == 2 && I->scale == 65535 && !strcmp(I->sensor, "L8") && I->bands == 4, "ratio %d scale %g sensor %s bands %d",
         I->ratio, I->scale, I->sensor, I->bands);
  double md = fuse_vs_ref(m, &w, 4, 26, 22, &err);
  CHECKF(md >= 0, "fuse: %s", err.msg);
  CHECKF(md < 2e-5, "ratio-2 FusionNet vs double loops: max |diff| %g", md);
  fz_model_free(m);
  fz_weights_free(&w);
}

// Oracle: the same double-loop FusionNet with the tensors of the shipped Landsat weights; also the metadata the demo
// relies on (ratio 2, scale 65535, sensor L8, 4 bands) so that `fusor run` needs no flags.
TEST(landsat_shipped_weights_load_and_match_double_loops) {
  const char *path = "weights/fusionnet_landsat_r2.safetensors";
  FILE *f = fopen(path, "rb");
  if (!f) SKIP("%s absent (run from the repository root)", path);
  fclose(f);
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(fz_weights_load(path, &w, &err), &err);
  CHECK_OK(fz_model_from_weights(&w, path, fz_backend_cpu(1), &m, &err), &err);
  const fz_model_info *I = fz_model_get_info(m);
  CHECKF(I->ratio == 2 && I->scale == 65535 && !strcmp(I->sensor, "L8") && I->bands == 4 && !strcmp(I->arch, "fusionnet"),
         "arch %s ratio %d scale %g sensor %s bands %d", I->arch, I->ratio, I->scale, I->sensor, I->bands);
  for (int i = 0; i < FN_T; i++) {
    const fz_wtensor *t = fz_weights_find(&w, fn_names[i]);
    CHECKF(t && t->dtype == FZ_W_F32, "%s: tensor %s missing or not F32", path, fn_names[i]);
  }
  double md = fuse_vs_ref(m, &w, 4, 24, 20, &err);
  CHECKF(md >= 0, "fuse: %s", err.msg);
  CHECKF(md < 2e-5, "shipped weights vs double loops: max |diff| %g", md);
  fz_model_free(m);
  fz_weights_free(&w);
}

// Oracle: the registry's contract — ratio must be a power of 2 and architectures that read the low-resolution MS
// (sized for 4) refuse other ratios; errors name the field.
TEST(landsat_ratio_hparam_is_checked) {
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(mk_fusionnet(&w, 4, "{\"ratio\":3}", &err), &err);
  int rc = fz_model_from_weights(&w, "fn_r3", fz_backend_cpu(1), &m, &err);
  CHECKF(rc && strstr(err.msg, "'ratio' is 3") && strstr(err.msg, "power of 2"), "rc %d: %s", rc, err.msg);
  fz_weights_free(&w);
  err = (fz_err){0};
  CHECK_OK(mk_fusionnet(&w, 4, NULL, &err), &err);
  CHECK_OK(fz_model_from_weights(&w, "fn_default", fz_backend_cpu(1), &m, &err), &err);
  CHECKF(fz_model_get_info(m)->ratio == 4, "default ratio %d, expected 4", fz_model_get_info(m)->ratio);
  fz_model_free(m);
  fz_weights_free(&w);
}

// Modified Bessel I0 by its power series (the oracle's own copy).
static double i0_series(double x) {
  double s = 1, t = 1;
  for (int k = 1; k < 60; k++) { t *= (x / 2) * (x / 2) / ((double)k * k); s += t; }
  return s;
}

// genMTF.m written out: H = fspecial('gaussian', N, alpha) / max, alpha = sqrt(((N-1)·fcut/2)² / (-2 ln g)), fcut =
// 1/ratio; h = fwind1(H, kaiser(N, 0.5)) = fsamp2(H) (for a real even H: the centred inverse DFT with cosines) times
// Huang's circular window interp1(t, kaiser, sqrt(t1² + t2²)), t = linspace(-1, 1, N), 0 beyond 1.
static void genmtf_oracle(double g, int ratio, int N, double *h) {
  int c = (N - 1) / 2;
  double alpha = sqrt(pow((N - 1) * (1.0 / ratio) / 2, 2) / (-2 * log(g)));
  double *H = malloc((size_t)N * N * sizeof *H), *kw = malloc((size_t)N * sizeof *kw), mx = 0;
  for (int y = 0; y < N; y++)
    for (int x = 0; x < N; x++) {
      H[y * N + x] = exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * alpha * alpha));
      if (H[y * N + x] > mx) mx = H[y * N + x];
    }
  for (int i = 0; i < N * N; i++) H[i] /= mx;  // normalising to sum 1 first cancels in H / max(H)
  for (int n = 0; n < N; n++) {
    double r = 2.0 * n / (N - 1) - 1;
    kw[n] = i0_series(0.5 * sqrt(1 - r * r)) / i0_series(0.5);
  }
  for (int m1 = 0; m1 < N; m1++)
    for (int m2 = 0; m2 < N; m2++) {
      double s = 0;
      for (int j1 = 0; j1 < N; j1++)
        for (int j2 = 0; j2 < N; j2++)
          s += H[j1 * N + j2] * cos(2 * M_PI * ((double)(j1 - c) * (m1 - c) + (double)(j2 - c) * (m2 - c)) / N);
      s /= (double)N * N;
      double t1 = 2.0 * (m1 - c) / (N - 1), t2 = 2.0 * (m2 - c) / (N - 1), r = sqrt(t1 * t1 + t2 * t2), wv = 0;
      if (r <= 1) {
        double pos = (r + 1) * (N - 1) / 2;  // fractional index into kw
        int k = (int)pos;
        if (k >= N - 1) wv = kw[N - 1];
        else wv = kw[k] + (pos - k) * (kw[k + 1] - kw[k]);
      }
      h[m1 * N + m2] = s * wv;
    }
  free(H);
  free(kw);
}

// Oracles: genMTF.m's definition above (1e-12), and what the gain means — the kernel's frequency response at the
// Nyquist frequency of the ratio-2 low-resolution grid (0.25 cycles per PAN-grid sample) is close to the Landsat
// gains fusor uses (MS 0.3, PAN 0.15; the Kaiser window moves it slightly), with unit DC gain.
TEST(landsat_mtf_ratio2_matches_genmtf_definition) {
  fz_err err = {0};
  double g[4];
  CHECK_OK(fz_mtf_ms_gnyq("L8", 4, g, &err), &err);
  for (int i = 0; i < 4; i++) CHECK_NEAR(g[i], 0.3, 0);
  double gp;
  CHECK_OK(fz_mtf_pan_gnyq("Landsat-7", &gp, &err), &err);
  CHECK_NEAR(gp, 0.15, 0);
  int N = FZ_MTF_TAPS;
  double *h = malloc((size_t)N * N * sizeof *h), *o = malloc((size_t)N * N * sizeof *o);
  double gains[2] = {0.3, 0.15};
  for (int t = 0; t < 2; t++) {
    CHECK_OK(fz_mtf_kernel(gains[t], 2, N, h, &err), &err);
    genmtf_oracle(gains[t], 2, N, o);
    double md = 0, dc = 0, ny = 0;
    for (int i = 0; i < N * N; i++) { md = fmax(md, fabs(h[i] - o[i])); dc += h[i]; }
    CHECKF(md < 1e-12, "gain %g: kernel vs genMTF definition max |diff| %g", gains[t], md);
    for (int y = 0; y < N; y++)
      for (int x = 0; x < N; x++) ny += h[y * N + x] * cos(2 * M_PI * 0.25 * (x - (N - 1) / 2));
    CHECKF(fabs(dc - 1) < 0.01, "gain %g: DC response %g, expected ~1", gains[t], dc);
    CHECKF(fabs(ny - gains[t]) < 0.03, "gain %g: response at Nyquist %g", gains[t], ny);
  }
  free(h);
  free(o);
}

// Oracle: resize_images.m at ratio 2 written out — ms[b](y, x) = Σ h[b] · gt[b] around (2y+1, 2x+1) with replicate
// borders (imfilter 'replicate' then imresize 1/2 'nearest', which keeps 0-based odd rows and columns), gt = the input.
TEST(landsat_wald_ratio2_decimation_matches_definition) {
  int C = 2, h = 12, w = 10, N = FZ_MTF_TAPS, c = (N - 1) / 2;
  double *ms = malloc((size_t)C * h * w * sizeof *ms), *pan = malloc((size_t)4 * h * w * sizeof *pan),
         *k = malloc((size_t)N * N * sizeof *k);
  uint64_t s = 99;
  for (int i = 0; i < C * h * w; i++) ms[i] = 1000 + 500 * lcg(&s, 1);
  for (int i = 0; i < 4 * h * w; i++) pan[i] = 1000 + 500 * lcg(&s, 1);
  fz_err err = {0};
  fz_wald_scene sc;
  CHECK_OK(fz_wald_degrade(ms, C, h, w, pan, 2 * h, 2 * w, "L8", 2, &sc, &err), &err);
  genmtf_oracle(0.3, 2, N, k);
  double md = 0;
  for (int b = 0; b < C; b++)
    for (int y = 0; y < h / 2; y++)
      for (int x = 0; x < w / 2; x++) {
        double a = 0;
        for (int i = 0; i < N; i++)
          for (int j = 0; j < N; j++) {
            int yy = 2 * y + 1 + i - c, xx = 2 * x + 1 + j - c;
            yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
            xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
            a += k[i * N + j] * ms[((size_t)b * h + yy) * w + xx];
          }
        md = fmax(md, fabs(a - sc.ms[((size_t)b * (h / 2) + y) * (w / 2) + x]));
      }
  CHECKF(md < 1e-8, "ratio-2 Wald ms vs definition: max |diff| %g", md);
  CHECK(sc.ratio == 2 && !memcmp(sc.gt, ms, (size_t)C * h * w * sizeof *ms));
  fz_wald_scene_free(&sc);
  free(ms); free(pan); free(k);
}

// Oracle: ERGAS.m — (100/ratio)·sqrt(mean_b(mse_b / mean_b²)), written out; at ratio 2 it is twice the ratio-4 value.
TEST(landsat_ergas_ratio2_matches_formula) {
  int C = 3, H = 8, W = 9;
  size_t n = (size_t)C * H * W;
  double *r = malloc(n * sizeof *r), *f = malloc(n * sizeof *f);
  uint64_t s = 5;
  for (size_t i = 0; i < n; i++) { r[i] = 500 + 300 * lcg(&s, 1); f[i] = r[i] + 20 * lcg(&s, 1); }
  double acc = 0;
  for (int b = 0; b < C; b++) {
    double mse = 0, mu = 0;
    for (int i = 0; i < H * W; i++) {
      double d = r[b * H * W + i] - f[b * H * W + i];
      mse += d * d;
      mu += r[b * H * W + i];
    }
    mse /= H * W;
    mu /= H * W;
    acc += mse / (mu * mu);
  }
  double want = 100.0 / 2 * sqrt(acc / C), got2, got4;
  fz_err err = {0};
  fz_mimg R = fz_mimg_make(r, C, H, W), F = fz_mimg_make(f, C, H, W);
  CHECK_OK(fz_metric_ergas(&R, &F, 2, &got2, &err), &err);
  CHECK_OK(fz_metric_ergas(&R, &F, 4, &got4, &err), &err);
  CHECK_NEAR(got2, want, 1e-12 * want);
  CHECK_NEAR(got2, 2 * got4, 1e-12 * want);
  free(r);
  free(f);
}
