// test_metrics_hsi.c — hyperspectral fusion metrics (PSNR per band, SAM, ERGAS at the ratio, SSIM) on the
// two real cubes of shared/data/hsi, against SAM.m / ERGAS.m (DLPan-Toolbox) and quality_assess.m
// (Efficient-MIF, const 1) run in GNU Octave 7.3 (tests/data/metrics/hsi.csv).
#include "test.h"
#include "test_metrics_common.h"
#include "raster.h"
#include "../bench/metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Reads a cube (C×H×W), crops it to h×w and divides by div.
static double *load_cube(const char *path, const char *key, int h, int w, double div, int *c, fz_err *err) {
  fz_raster r;
  fz_raster_sel sel = {key, 0};
  if (fz_raster_read(path, &sel, &r, err)) return NULL;
  double *p = malloc((size_t)r.c * h * w * sizeof *p);
  for (int b = 0; p && b < r.c; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) p[((size_t)b * h + y) * w + x] = (double)r.data[((size_t)b * r.h + y) * r.w + x] / div;
  *c = r.c;
  fz_raster_free(&r);
  return p;
}

// Oracle: Octave on the same cubes (Jasper Ridge Y/5000, 100×100×198; Urban 32×76×162 corner), fused =
// imresize(imresize(GT, 1/4), 4): quality_assess.m PSNR / SSIM, SAM.m, ERGAS.m (ratio 4), psnr_index.m per band.
TEST(hsi_metrics_match_octave_on_real_cubes) {
  const char *pj = fz_test_shared("data/hsi/jasperRidge2_R198.mat"), *pu = fz_test_shared("data/hsi/subimage_Urban_R162.mat");
  if (!pj || !pu) SKIP("shared/data/hsi is absent (set FUSOR_SHARED)");
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("hsi.csv", &ref, &err), &err);
  char msg[600] = "";
  int ok = 1;
  for (int k = 0; k < 2 && ok; k++) {
    int h = k ? 32 : 100, w = k ? 76 : 100, c = 0, lh = h / 4, lw = w / 4;
    double *g = k ? load_cube(pu, "im", h, w, 1, &c, &err) : load_cube(pj, "Y:100x100", h, w, 5000, &c, &err);
    double *f = g ? malloc((size_t)c * h * w * sizeof *f) : NULL, *lo = malloc((size_t)lh * lw * sizeof *lo);
    double *pb = malloc((size_t)(c ? c : 1) * sizeof *pb);
    ok = g && f && lo && pb;
    if (!g && err.code == FZ_EUNSUP) { free(f); free(lo); free(pb); fzt_ref_free(&ref); SKIP("%.400s", err.msg); }
    if (!ok) snprintf(msg, sizeof msg, "loading: %.400s", err.msg);
    for (int b = 0; b < c && ok; b++)
      ok = !fz_imresize_f64(g + (size_t)b * h * w, h, w, 0.25, 0.25, lh, lw, FZ_IMRESIZE_BICUBIC, 1, lo, &err) &&
           !fz_imresize_f64(lo, lh, lw, 4, 4, h, w, FZ_IMRESIZE_BICUBIC, 1, f + (size_t)b * h * w, &err);
    fz_hsi_scores s;
    fz_mimg G = fz_mimg_make(g, c, h, w), F = fz_mimg_make(f, c, h, w);
    if (ok && fz_metrics_hsi(&G, &F, 4, 1, &s, pb, &err)) { snprintf(msg, sizeof msg, "%.400s", err.msg); ok = 0; }
    const char *cube = k ? "urban" : "jasper";
    const char *names[4] = {"psnr", "ssim", "sam", "ergas"};
    double got[4] = {s.psnr, s.ssim, s.sam, s.ergas};
    for (int m = 0; m < 4 && ok; m++) {
      char key[64];
      snprintf(key, sizeof key, "%s.%s", cube, names[m]);
      double want = fzt_ref_get(&ref, key);
      if (!(ok = fzt_close(got[m], want, 1e-9, 0))) snprintf(msg, sizeof msg, "%s = %.15g, Octave %.15g", key, got[m], want);
    }
    int bands[3] = {0, 49, c - 1};
    for (int i = 0; i < 3 && ok; i++) {
      char key[64];
      snprintf(key, sizeof key, "%s.psnr_band[%d]", cube, bands[i]);
      double want = fzt_ref_get(&ref, key);
      if (!(ok = fzt_close(pb[bands[i]], want, 1e-9, 0))) snprintf(msg, sizeof msg, "%s = %.15g, Octave %.15g", key, pb[bands[i]], want);
    }
    free(g); free(f); free(lo); free(pb);
  }
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
}

// Oracle: closed form — a uniform error e on data in [0,1] gives PSNR 10·log10(1/e²) in every band.
TEST(hsi_psnr_closed_form) {
  double *a = fzt_synth(12, 12, 5, 0.1), *b = malloc(5 * 144 * sizeof *b), pb[5];
  CHECK(a && b);
  for (int i = 0; i < 5 * 144; i++) {
    a[i] /= 2000;
    b[i] = a[i] + 0.01;
  }
  fz_mimg A = fz_mimg_make(a, 5, 12, 12), B = fz_mimg_make(b, 5, 12, 12);
  fz_hsi_scores s;
  fz_err err = {0};
  int rc = fz_metrics_hsi(&A, &B, 4, 1, &s, pb, &err);
  free(a);
  free(b);
  CHECK_OK(rc, &err);
  for (int i = 0; i < 5; i++) CHECK_NEAR(pb[i], 40.0, 1e-9);
  CHECK_NEAR(s.psnr, 40.0, 1e-9);
}
