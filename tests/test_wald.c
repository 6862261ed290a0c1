// test_wald.c — Wald's-protocol simulation and the metrics on the real scenes of shared/data/pansharpening,
// against the DLPan-Toolbox's own functions run in GNU Octave on the same files (tests/data/metrics/real.csv).
#include "test.h"
#include "test_metrics_common.h"
#include "../bench/metrics.h"
#include "../bench/wald.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *key, *file, *msvar, *sensor; int L; } scene_def;
static const scene_def k_scenes[4] = {
    {"WV2", "data/pansharpening/grip_imgWV2.mat", "I_MS", "WV2", 11},
    {"IK", "data/pansharpening/grip_imgIK.mat", "I_MS", "IKONOS", 11},
    {"GE1", "data/pansharpening/grip_imgGE1.mat", "I_MS", "GeoEye1", 8},
    {"WV3", "data/pansharpening/zpnn_WV3_example.mat", "I_MS_LR", "WV3", 11},
};

// Compares got with the table's key (relative tolerance rtol, absolute atol); fills msg on mismatch.
static int cmp(const fzt_ref *r, const char *key, double got, double rtol, double atol, char *msg, size_t n) {
  double want = fzt_ref_get(r, key);
  if (fzt_close(got, want, rtol, atol)) return 1;
  snprintf(msg, n, "%s = %.15g, toolbox %.15g (rel %.2g)", key, got, want, fabs(got - want) / fabs(want));
  return 0;
}

// Checks the degraded scene sc against the oracle table: band sums of ms / lms, the PAN sum and pixels.
static int check_degraded(const fzt_ref *r, const char *k, const fz_wald_scene *sc, char *msg, size_t n) {
  char key[96];
  int c = sc->c, h = sc->h, w = sc->w, lh = h / 4, lw = w / 4;
  for (int b = 0; b < c; b++) {
    double sm = 0, sl = 0;
    for (int x = 0; x < lw; x++)
      for (int y = 0; y < lh; y++) sm += sc->ms[((size_t)b * lh + y) * lw + x];
    for (int x = 0; x < w; x++)
      for (int y = 0; y < h; y++) sl += sc->lms[((size_t)b * h + y) * w + x];
    snprintf(key, sizeof key, "%s.ms_sum[%d]", k, b);
    if (!cmp(r, key, sm, 1e-12, 0, msg, n)) return 0;
    snprintf(key, sizeof key, "%s.lms_sum[%d]", k, b);
    if (!cmp(r, key, sl, 1e-12, 0, msg, n)) return 0;
  }
  double sp = 0;
  for (int x = 0; x < w; x++)
    for (int y = 0; y < h; y++) sp += sc->pan[(size_t)y * w + x];
  snprintf(key, sizeof key, "%s.pan_sum", k);
  if (!cmp(r, key, sp, 1e-12, 0, msg, n)) return 0;
  // the pixel positions (0-based) the oracle script printed
  int mp[6][2] = {{0, 0}, {1, 2}, {4, 6}, {h / 8 - 1, w / 8}, {lh - 1, lw - 1}, {lh - 2, 1}};
  int fp[6][2] = {{0, 0}, {1, 2}, {16, 28}, {h / 2 - 1, w / 2 - 1}, {h - 1, w - 1}, {h - 4, 4}};
  int bands[2] = {0, c - 1};
  for (int p = 0; p < 6; p++)
    for (int bi = 0; bi < 2; bi++) {
      int b = bands[bi];
      snprintf(key, sizeof key, "%s.ms@%d,%d,%d", k, b, mp[p][0], mp[p][1]);
      if (!cmp(r, key, sc->ms[((size_t)b * lh + mp[p][0]) * lw + mp[p][1]], 1e-12, 1e-9, msg, n)) return 0;
      snprintf(key, sizeof key, "%s.lms@%d,%d,%d", k, b, fp[p][0], fp[p][1]);
      if (!cmp(r, key, sc->lms[((size_t)b * h + fp[p][0]) * w + fp[p][1]], 1e-12, 1e-9, msg, n)) return 0;
      snprintf(key, sizeof key, "%s.pan@%d,%d", k, fp[p][0], fp[p][1]);
      if (!cmp(r, key, sc->pan[(size_t)fp[p][0] * w + fp[p][1]], 1e-12, 1e-9, msg, n)) return 0;
    }
  return 1;
}

// Brovey fusion: f_b = lms_b · pan / mean_b(lms) (same formula as the oracle script).
static double *brovey(const double *lms, const double *pan, int c, int h, int w) {
  size_t hw = (size_t)h * w;
  double *f = malloc((size_t)c * hw * sizeof *f);
  if (!f) return NULL;
  for (size_t i = 0; i < hw; i++) {
    double m = 0;
    for (int b = 0; b < c; b++) m += lms[b * hw + i];
    m /= c;
    for (int b = 0; b < c; b++) f[b * hw + i] = lms[b * hw + i] * (pan[i] / m);
  }
  return f;
}

// Compares the 7 reduced-resolution scores with the table under prefix.
static int check_rr(const fzt_ref *r, const char *pre, const fz_rr_scores *s, char *msg, size_t n) {
  const char *names[7] = {"q2n", "q_avg", "sam", "ergas", "scc", "psnr", "ssim"};
  double got[7] = {s->q2n, s->q_avg, s->sam, s->ergas, s->scc, s->psnr, s->ssim};
  for (int m = 0; m < 7; m++) {
    char key[96];
    snprintf(key, sizeof key, "%s.%s", pre, names[m]);
    if (!cmp(r, key, got[m], 1e-9, 0, msg, n)) return 0;
  }
  return 1;
}

// Oracle: resize_images.m + interp23tap.m (DLPan-Toolbox a34f884) in GNU Octave 7.3 on the same four
// .mat scenes (real.csv: band sums of the degraded MS and LMS, PAN sum, and pixels), then
// indexes_evaluation.m + quality_assess.m on GT vs EXP (= lms) and vs a Brovey fusion, whole scene and a
// 200×200 crop with cut bounds and thresholding.
TEST(wald_degradation_and_rr_metrics_match_toolbox_on_real_scenes) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("real.csv", &ref, &err), &err);
  char msg[512] = "";
  int ok = 1, nskip = 0;
  for (int s = 0; s < 4 && ok; s++) {
    const char *path = fz_test_shared(k_scenes[s].file);
    if (!path) { nskip++; continue; }
    fzt_scene in;
    if (fzt_scene_load(path, k_scenes[s].msvar, &in, &err)) {
      if (err.code == FZ_EUNSUP) { fzt_ref_free(&ref); SKIP("%.400s", err.msg); }  // built without matio
      snprintf(msg, sizeof msg, "%.400s", err.msg);
      ok = 0;
      break;
    }
    fz_wald_scene sc;
    int rc = fz_wald_degrade(in.ms, in.c, in.h, in.w, in.pan, in.H, in.W, k_scenes[s].sensor, 4, &sc, &err);
    fzt_scene_free(&in);
    if (rc) { snprintf(msg, sizeof msg, "%.400s", err.msg); ok = 0; break; }
    ok = check_degraded(&ref, k_scenes[s].key, &sc, msg, sizeof msg);
    double *bt = ok ? brovey(sc.lms, sc.pan, sc.c, sc.h, sc.w) : NULL;
    fz_rr_opts o;
    fz_rr_opts_default(&o);
    o.L = k_scenes[s].L;
    o.data_range = ldexp(1, o.L) - 1;
    fz_mimg G = fz_mimg_make(sc.gt, sc.c, sc.h, sc.w);
    for (int f = 0; f < 2 && ok && bt; f++) {
      fz_mimg F = fz_mimg_make(f ? bt : sc.lms, sc.c, sc.h, sc.w);
      fz_rr_scores sco;
      char pre[64];
      snprintf(pre, sizeof pre, "%s.rr_%s", k_scenes[s].key, f ? "bt" : "exp");
      if (fz_metrics_rr(&G, &F, &o, &sco, &err)) { snprintf(msg, sizeof msg, "%.400s", err.msg); ok = 0; }
      else ok = check_rr(&ref, pre, &sco, msg, sizeof msg);
    }
    if (ok && bt && sc.h >= 200) {  // 200×200 crop, flag_cut_bounds = 1, dim_cut = 21, th_values = 1
      double *g2 = malloc((size_t)sc.c * 200 * 200 * sizeof *g2), *f2 = malloc((size_t)sc.c * 200 * 200 * sizeof *f2);
      for (int b = 0; g2 && f2 && b < sc.c; b++)
        for (int y = 0; y < 200; y++)
          for (int x = 0; x < 200; x++) {
            g2[((size_t)b * 200 + y) * 200 + x] = sc.gt[((size_t)b * sc.h + y) * sc.w + x];
            f2[((size_t)b * 200 + y) * 200 + x] = bt[((size_t)b * sc.h + y) * sc.w + x];
          }
      o.flag_cut_bounds = 1;
      o.th_values = 1;
      fz_mimg G2 = fz_mimg_make(g2, sc.c, 200, 200), F2 = fz_mimg_make(f2, sc.c, 200, 200);
      fz_rr_scores sco;
      char pre[64];
      snprintf(pre, sizeof pre, "%s.rr_cut", k_scenes[s].key);
      if (!g2 || !f2 || fz_metrics_rr(&G2, &F2, &o, &sco, &err)) { snprintf(msg, sizeof msg, "%.400s", err.msg); ok = 0; }
      else ok = check_rr(&ref, pre, &sco, msg, sizeof msg);
      free(g2);
      free(f2);
    }
    free(bt);
    fz_wald_scene_free(&sc);
  }
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
  if (nskip == 4) SKIP("shared/data/pansharpening is absent (set FUSOR_SHARED)");
}

// Oracle: HQNR.m (D_lambda_K.m, D_s.m with the toolbox's MTF table) in GNU Octave 7.3 on a 64×64 MS /
// 256×256 PAN corner of each scene at full resolution (WV3: the whole 32×32 / 128×128 scene), for
// EXP (= interp23tap(MS)) and a Brovey fusion (real.csv, fr_exp / fr_bt).
TEST(fr_metrics_match_toolbox_on_real_scenes) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("real.csv", &ref, &err), &err);
  char msg[512] = "";
  int ok = 1, nskip = 0;
  for (int s = 0; s < 4 && ok; s++) {
    const char *path = fz_test_shared(k_scenes[s].file);
    if (!path) { nskip++; continue; }
    fzt_scene in;
    if (fzt_scene_load(path, k_scenes[s].msvar, &in, &err)) {
      if (err.code == FZ_EUNSUP) { fzt_ref_free(&ref); SKIP("%.400s", err.msg); }  // built without matio
      snprintf(msg, sizeof msg, "%.400s", err.msg);
      ok = 0;
      break;
    }
    int hc = in.h < 64 ? in.h : 64, H = 4 * hc, C = in.c;
    double *ms = malloc((size_t)C * hc * hc * sizeof *ms), *pan = malloc((size_t)H * H * sizeof *pan),
           *lms = malloc((size_t)C * H * H * sizeof *lms);
    for (int b = 0; ms && b < C; b++)
      for (int y = 0; y < hc; y++)
        memcpy(ms + ((size_t)b * hc + y) * hc, in.ms + ((size_t)b * in.h + y) * in.w, (size_t)hc * sizeof *ms);
    for (int y = 0; pan && y < H; y++) memcpy(pan + (size_t)y * H, in.pan + (size_t)y * in.W, (size_t)H * sizeof *pan);
    fzt_scene_free(&in);
    for (int b = 0; ms && lms && b < C && ok; b++)
      if (fz_interp23tap_f64(ms + (size_t)b * hc * hc, hc, hc, 4, lms + (size_t)b * H * H, &err)) ok = 0;
    double *bt = ok && lms && pan ? brovey(lms, pan, C, H, H) : NULL;
    if (!bt) { snprintf(msg, sizeof msg, "setup failed: %.400s", err.msg); ok = 0; }
    fz_mimg M = fz_mimg_make(ms, C, hc, hc), LM = fz_mimg_make(lms, C, H, H), P = fz_mimg_make(pan, 1, H, H);
    for (int f = 0; f < 2 && ok; f++) {
      fz_mimg F = fz_mimg_make(f ? bt : lms, C, H, H);
      fz_fr_scores sco;
      if (fz_metrics_fr(&F, &M, &LM, &P, k_scenes[s].sensor, 4, 32, &sco, &err)) {
        snprintf(msg, sizeof msg, "%.400s", err.msg);
        ok = 0;
        break;
      }
      const char *names[3] = {"d_lambda", "d_s", "hqnr"};
      double got[3] = {sco.d_lambda, sco.d_s, sco.hqnr};
      for (int m = 0; m < 3 && ok; m++) {
        char key[96];
        snprintf(key, sizeof key, "%s.fr_%s.%s", k_scenes[s].key, f ? "bt" : "exp", names[m]);
        ok = cmp(&ref, key, got[m], 1e-9, 0, msg, sizeof msg);
      }
    }
    free(ms); free(pan); free(lms); free(bt);
  }
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
  if (nskip == 4) SKIP("shared/data/pansharpening is absent (set FUSOR_SHARED)");
}
