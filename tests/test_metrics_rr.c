// test_metrics_rr.c — reduced- and full-resolution pansharpening metrics on small self-contained cases
// (no shared data): closed forms, and the DLPan-Toolbox's own .m files run in GNU Octave on the same
// formula-generated images (tests/data/metrics/synthetic.csv; README.md there says how).
#include "test.h"
#include "test_metrics_common.h"
#include "../bench/metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Oracle: closed forms. Two pixels with orthogonal spectra give 90°; parallel ones give 0; a pixel whose
// norm is zero is dropped (SAM.m), so the mean runs over the two others: (90 + 0)/2 = 45°.
TEST(sam_closed_form_and_zero_norm_pixels) {
  // 2 bands × 1 row × 3 pixels: ref (1,0), (1,1), (0,0); fused (0,2), (3,3), (5,5)
  const double ref[6] = {1, 1, 0, 0, 1, 0}, fus[6] = {0, 3, 5, 2, 3, 5};
  fz_mimg R = fz_mimg_make(ref, 2, 1, 3), F = fz_mimg_make(fus, 2, 1, 3);
  fz_err err = {0};
  double sam;
  CHECK_OK(fz_metric_sam(&R, &F, &sam, &err), &err);
  CHECK_NEAR(sam, 45.0, 1e-12);
  const double z[6] = {0};
  fz_mimg Z = fz_mimg_make(z, 2, 1, 3);
  CHECK_OK(fz_metric_sam(&Z, &F, &sam, &err), &err);
  CHECK(isnan(sam));  // every pixel dropped: 0/0 as in MATLAB
}

// Oracle: closed forms of ERGAS.m, psnr_index.m, SCC.m and q2n.m for simple images:
// ERGAS of a uniform offset d on a band of mean m is (100/ratio)·d/m; PSNR of a uniform error e on range R
// is 10·log10(R²/e²); SCC and Q2n of an image with itself are 1.
TEST(metrics_closed_forms) {
  int h = 40, w = 40;
  double *a = fzt_synth(h, w, 4, 0.5), *b = malloc((size_t)4 * h * w * sizeof *b);
  CHECK(a && b);
  fz_err err = {0};
  double mean[4] = {0};
  for (int c = 0; c < 4; c++) {
    for (int i = 0; i < h * w; i++) mean[c] += a[c * h * w + i];
    mean[c] /= h * w;
  }
  for (int i = 0; i < 4 * h * w; i++) b[i] = a[i] + 10;
  fz_mimg A = fz_mimg_make(a, 4, h, w), B = fz_mimg_make(b, 4, h, w);
  double v, want = 0;
  CHECK_OK(fz_metric_ergas(&A, &B, 4, &v, &err), &err);
  for (int c = 0; c < 4; c++) want += 100.0 / (mean[c] * mean[c]);
  CHECK_NEAR(v, 25 * sqrt(want / 4), 1e-12 * v);
  CHECK_OK(fz_metric_psnr(&A, &B, 2047, &v, NULL, &err), &err);
  CHECK_NEAR(v, 10 * log10(2047.0 * 2047.0 / 100.0), 1e-9);
  CHECK_OK(fz_metric_scc(&A, &A, &v, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-14);
  CHECK_OK(fz_metric_q2n(&A, &A, 32, 32, &v, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-12);
  CHECK_OK(fz_metric_q_avg(&A, &A, 32, &v, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-12);
  CHECK_OK(fz_metric_ssim(&A, &A, 2047, &v, NULL, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-12);
  free(a);
  free(b);
}

// Builds the synthetic case named key exactly as tests/data/metrics/README.md describes (gen of S1..S5).
static int make_case(const char *key, double **g, double **f, int *c, int *h, int *w) {
  double seed;
  if (!strcmp(key, "S1")) *h = 40, *w = 37, *c = 5, seed = 0;
  else if (!strcmp(key, "S2")) *h = 64, *w = 64, *c = 3, seed = 1;
  else if (!strcmp(key, "S3")) *h = 32, *w = 32, *c = 1, seed = 2;
  else if (!strcmp(key, "S4")) *h = 64, *w = 48, *c = 4, seed = 3;
  else *h = 80, *w = 80, *c = 8, seed = 4;
  *g = fzt_synth(*h, *w, *c, seed);
  *f = fzt_perturb(*g, *h, *w, *c);
  if (!*g || !*f) return -1;
  int H = *h, W = *w;
#define AT(p, b, y, x) (p)[((size_t)(b) * H + (y)) * W + (x)]
  for (int b = 0; b < *c; b++) {
    if (!strcmp(key, "S2")) {
      for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) AT(*g, b, y, x) = AT(*f, b, y, x) = 500;  // constant block in both (σ = 0)
      AT(*g, b, 39, 39) = 0;  // zero-norm pixels
      AT(*g, b, 49, 9) = 0;
      AT(*f, b, 44, 19) = 0;
    } else if (!strcmp(key, "S4")) {
      for (int y = 32; y < 64; y++)
        for (int x = 0; x < 32; x++) AT(*g, b, y, x) = 700;  // reference constant, fused not
    } else if (!strcmp(key, "S5")) {
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) AT(*f, b, y, x) = AT(*f, b, y, x) * 1.5 - 400;
      for (int y = 0; y < 3; y++)
        for (int x = 0; x < 3; x++) AT(*f, b, y, x) = -50;
      AT(*f, b, 69, 69) = 3000;
    }
  }
#undef AT
  return 0;
}

// Oracle: DLPan-Toolbox indexes_evaluation.m (q2n, Q, SAM, ERGAS, SCC) and Efficient-MIF quality_assess.m
// (PSNR, SSIM with const 2047) run in GNU Octave 7.3 on the same synthetic images (synthetic.csv):
// sizes not a multiple of the block, band counts 1/3/4/5/8 (padding to 4 and 8), a constant block
// (σ = 0) in both images, a constant reference block under a varying fused block, zero-norm pixels,
// cut bounds (dim_cut 21) and thresholding to [0, 2^L].
TEST(rr_metrics_match_toolbox_on_synthetic_cases) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("synthetic.csv", &ref, &err), &err);
  const char *cases[5] = {"S1", "S2", "S3", "S4", "S5"};
  for (int k = 0; k < 5; k++) {
    double *g, *f;
    int c, h, w;
    CHECK(make_case(cases[k], &g, &f, &c, &h, &w) == 0);
    fz_rr_opts o;
    fz_rr_opts_default(&o);
    if (k == 4) o.flag_cut_bounds = 1, o.th_values = 1;
    fz_rr_scores s;
    fz_mimg G = fz_mimg_make(g, c, h, w), F = fz_mimg_make(f, c, h, w);
    int rc = fz_metrics_rr(&G, &F, &o, &s, &err);
    free(g);
    free(f);
    if (rc) { fzt_ref_free(&ref); CHECK_OK(rc, &err); }
    const char *names[7] = {"q2n", "q_avg", "sam", "ergas", "scc", "psnr", "ssim"};
    double got[7] = {s.q2n, s.q_avg, s.sam, s.ergas, s.scc, s.psnr, s.ssim};
    for (int m = 0; m < 7; m++) {
      char key[64];
      snprintf(key, sizeof key, "%s.%s", cases[k], names[m]);
      double want = fzt_ref_get(&ref, key);
      // SAM of a 1-band image is acos(1 − rounding): compare it absolutely (1e-6 degrees)
      int ok = !isnan(want) && fzt_close(got[m], want, 1e-9, (k == 2 && m == 2) ? 1e-6 : 1e-12);
      if (!ok) fzt_ref_free(&ref);
      CHECKF(ok, "%s = %.15g, toolbox %.15g", key, got[m], want);
    }
  }
  fzt_ref_free(&ref);
}

// Oracle: HQNR.m (D_lambda_K.m, D_s.m) in GNU Octave 7.3 on synthetic full-resolution inputs
// (synthetic.csv, FR1 / FR2 / FR2ik): 8 bands with the WV3 MTF, 4 bands with QB's own gains and with IKONOS'.
TEST(fr_metrics_match_toolbox_on_synthetic_cases) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("synthetic.csv", &ref, &err), &err);
  for (int k = 0; k < 3; k++) {
    int C = k == 0 ? 8 : 4;
    double *ms = fzt_synth(16, 16, C, k == 0 ? 5 : 7), *pan = fzt_synth(64, 64, 1, k == 0 ? 6 : 8);
    double *lms = malloc((size_t)C * 64 * 64 * sizeof *lms), *fu = malloc((size_t)C * 64 * 64 * sizeof *fu);
    CHECK(ms && pan && lms && fu);
    for (int b = 0; b < C; b++) CHECK_OK(fz_interp23tap_f64(ms + b * 256, 16, 16, 4, lms + b * 4096, &err), &err);
    double pm = 0;
    for (int i = 0; i < 4096; i++) pm += pan[i];
    pm /= 4096;
    for (int i = 0; i < 4096; i++) {
      double ml = 0;
      for (int b = 0; b < C; b++) ml += lms[b * 4096 + i];
      ml /= C;
      for (int b = 0; b < C; b++)  // FR1: lms + (P − mean P)/2; FR2: lms .* P ./ mean(lms, 3)
        fu[b * 4096 + i] = k == 0 ? lms[b * 4096 + i] + 0.5 * (pan[i] - pm) : lms[b * 4096 + i] * (pan[i] / ml);
    }
    fz_mimg F = fz_mimg_make(fu, C, 64, 64), M = fz_mimg_make(ms, C, 16, 16), LM = fz_mimg_make(lms, C, 64, 64),
            P = fz_mimg_make(pan, 1, 64, 64);
    fz_fr_scores s;
    const char *sensor = k == 0 ? "WV3" : k == 1 ? "QB" : "IKONOS", *pre = k == 0 ? "FR1" : k == 1 ? "FR2" : "FR2ik";
    int rc = fz_metrics_fr(&F, &M, &LM, &P, sensor, 4, 32, &s, &err);
    free(ms); free(pan); free(lms); free(fu);
    if (rc) { fzt_ref_free(&ref); CHECK_OK(rc, &err); }
    const char *names[3] = {"d_lambda", "d_s", "hqnr"};
    double got[3] = {s.d_lambda, s.d_s, s.hqnr};
    for (int m = 0; m < 3; m++) {
      char key[64];
      snprintf(key, sizeof key, "%s.%s", pre, names[m]);
      double want = fzt_ref_get(&ref, key);
      int ok = fzt_close(got[m], want, 1e-9, 1e-12);
      if (!ok) fzt_ref_free(&ref);
      CHECKF(ok, "%s = %.15g, toolbox %.15g", key, got[m], want);
    }
  }
  fzt_ref_free(&ref);
}

// Oracle: the bad-input contract — mismatched sizes or bands, NaN/Inf samples, bad ratio, blocks that do
// not divide the image (D_λ, D_s) fail with messages naming what differs.
TEST(metrics_reject_bad_input) {
  double *a = fzt_synth(64, 64, 4, 0), *b = fzt_synth(64, 64, 4, 1);
  CHECK(a && b);
  fz_err err = {0};
  double v;
  fz_mimg A = fz_mimg_make(a, 4, 64, 64), B3 = fz_mimg_make(b, 3, 64, 64), Bs = fz_mimg_make(b, 4, 64, 60);
  int rc1 = fz_metric_sam(&A, &B3, &v, &err);
  int ok1 = rc1 == FZ_EINVAL && strstr(err.msg, "4 bands") && strstr(err.msg, "3 bands");
  int rc2 = fz_metric_q2n(&A, &Bs, 32, 32, &v, &err);
  int ok2 = rc2 == FZ_EINVAL && strstr(err.msg, "64x64") && strstr(err.msg, "64x60");
  b[5 * 64 + 7] = NAN;
  fz_mimg B = fz_mimg_make(b, 4, 64, 64);
  int rc3 = fz_metric_ergas(&A, &B, 4, &v, &err);
  int ok3 = rc3 == FZ_EINVAL && strstr(err.msg, "NaN") && strstr(err.msg, "row 5, column 7");
  b[5 * 64 + 7] = INFINITY;
  int ok4 = fz_metric_scc(&A, &B, &v, &err) == FZ_EINVAL && strstr(err.msg, "Inf");
  b[5 * 64 + 7] = 3;
  int ok5 = fz_metric_ergas(&A, &B, 0, &v, &err) == FZ_EINVAL && strstr(err.msg, "ratio");
  fz_mimg A48 = fz_mimg_make(a, 4, 48, 48), B48 = fz_mimg_make(b, 4, 48, 48);
  int ok6 = fz_metric_d_lambda_k(&A48, &B48, 4, "QB", 32, &v, &err) == FZ_EINVAL && strstr(err.msg, "multiples");
  free(a);
  free(b);
  CHECKF(ok1, "band mismatch: %s", err.msg);
  CHECK(ok2);
  CHECK(ok3);
  CHECK(ok4);
  CHECK(ok5);
  CHECK(ok6);
}
