// test_metrics_ivf.c — VIS/IR, multi-exposure and multi-focus fusion metrics (EN, SD, SF, AG, MI, SCD, VIF,
// Qabf, SSIM) against MMIF-CDDFuse utils/Evaluator.py (fd8da1f) run with numpy 2.4 / scipy 1.17 / scikit-learn
// 1.9 / scikit-image 0.26 on the same grey images (tests/data/metrics/ivf.csv), and closed-form small cases.
#include "test.h"
#include "test_metrics_common.h"
#include "raster.h"
#include "../bench/metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Reads path, converts it to grey (fz_ivf_grey) and crops the top-left 256×256 into out (65536 doubles).
static int grey_crop(const char *path, double *out, fz_err *err) {
  fz_raster r;
  int rc = fz_raster_read(path, NULL, &r, err);
  if (rc) return rc;
  size_t n = (size_t)r.c * r.h * r.w;
  double *d = malloc(n * sizeof *d), *g = malloc((size_t)r.h * r.w * sizeof *g);
  if (!d || !g) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  for (size_t i = 0; !rc && i < n; i++) d[i] = r.data[i];
  fz_mimg m = fz_mimg_make(d, r.c, r.h, r.w);
  if (!rc) rc = fz_ivf_grey(&m, g, err);
  if (!rc && (r.h < 256 || r.w < 256)) rc = fz_fail(err, FZ_EINVAL, "%s: smaller than 256x256", path);
  for (int y = 0; !rc && y < 256; y++) memcpy(out + y * 256, g + (size_t)y * r.w, 256 * sizeof *out);
  free(d);
  free(g);
  fz_raster_free(&r);
  return rc;
}

// Oracle: Evaluator.EN/SD/SF/AG/MI/SCD/VIFF/Qabf of CDDFuse and skimage structural_similarity (data_range 2,
// the pre-0.21 default for float images) in Python on the same grey images (decoded by fusor, top-left
// 256×256), fused = round((A + B) / 2): a TNO IR/VIS pair, a MEFB exposure pair, a Lytro focus pair and a
// RoadScene pair (RGB visible image converted to grey).
TEST(ivf_metrics_match_cddfuse_evaluator_on_real_pairs) {
  const char *files[4][3] = {{"tno01", "data/visir/TNO/ir/01.png", "data/visir/TNO/vi/01.png"},
                             {"arno", "data/mef/MEFB/Arno_A.png", "data/mef/MEFB/Arno_B.png"},
                             {"lytro01", "data/mff/lytro/lytro_01_A.jpg", "data/mff/lytro/lytro_01_B.jpg"},
                             {"road", "data/visir/RoadScene/ir/FLIR_00211.jpg", "data/visir/RoadScene/vi/FLIR_00211.jpg"}};
  if (!fz_test_shared(files[0][1])) SKIP("shared/data/visir is absent (set FUSOR_SHARED)");
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("ivf.csv", &ref, &err), &err);
  double *a = malloc(3 * 65536 * sizeof *a), *b = a + 65536, *f = b + 65536;
  char msg[600] = "";
  int ok = a != NULL;
  for (int k = 0; k < 4 && ok; k++) {
    const char *pa = fz_test_shared(files[k][1]), *pb = fz_test_shared(files[k][2]);
    if (!pa || !pb || grey_crop(pa, a, &err) || grey_crop(pb, b, &err)) {
      if (err.code == FZ_EUNSUP) { free(a); fzt_ref_free(&ref); SKIP("%.400s", err.msg); }  // built without stb / GDAL
      snprintf(msg, sizeof msg, "%s: %.400s", files[k][0], pa && pb ? err.msg : "missing file");
      ok = 0;
      break;
    }
    for (int i = 0; i < 65536; i++) f[i] = nearbyint((a[i] + b[i]) / 2);
    fz_mimg F = fz_mimg_make(f, 1, 256, 256), A = fz_mimg_make(a, 1, 256, 256), B = fz_mimg_make(b, 1, 256, 256);
    fz_ivf_opts o;
    fz_ivf_opts_default(&o);
    fz_ivf_scores s;
    if (fz_metrics_ivf(&F, &A, &B, &o, &s, &err)) { snprintf(msg, sizeof msg, "%.400s", err.msg); ok = 0; break; }
    const char *names[9] = {"en", "sd", "sf", "ag", "mi", "scd", "vif", "qabf", "ssim"};
    double got[9] = {s.en, s.sd, s.sf, s.ag, s.mi, s.scd, s.vif, s.qabf, s.ssim};
    for (int m = 0; m < 9 && ok; m++) {
      char key[64];
      snprintf(key, sizeof key, "%s.%s", files[k][0], names[m]);
      double want = fzt_ref_get(&ref, key);
      if (!(ok = fzt_close(got[m], want, 1e-9, 0))) snprintf(msg, sizeof msg, "%s = %.15g, Evaluator.py %.15g", key, got[m], want);
    }
  }
  free(a);
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
}

// Oracle: hand-computed values. A 16×16 image half 0, half 255 (left/right): EN = 1 bit, SD = 127.5, SF from its
// one vertical edge, AG from the two central differences per row, SSIM of an image with itself = 1; a 64×64
// image with four equally frequent values used as F = A = B: MI = 2·H = 2 ln 4 nats, SCD = 0 (F − B = 0 has no
// variance, so corr is 0/0 → NaN in numpy; here too).
TEST(ivf_metrics_closed_forms) {
  double f[256], g[256];
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++) f[y * 16 + x] = x < 8 ? 0 : 255;
  fz_mimg F = fz_mimg_make(f, 1, 16, 16);
  fz_err err = {0};
  double v;
  CHECK_OK(fz_ivf_en(&F, &v, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-15);
  CHECK_OK(fz_ivf_sd(&F, &v, &err), &err);
  CHECK_NEAR(v, 127.5, 1e-12);
  // SF: one column step of 255 in each of 16 rows over 16·15 row differences; no column differences
  CHECK_OK(fz_ivf_sf(&F, &v, &err), &err);
  CHECK_NEAR(v, sqrt(16.0 * 255 * 255 / (16 * 15)), 1e-9);
  // AG: central differences 127.5 at x = 7 and x = 8 of every row, 0 elsewhere: mean of sqrt(127.5²/2)
  CHECK_OK(fz_ivf_ag(&F, &v, &err), &err);
  CHECK_NEAR(v, 2 * 16 * (127.5 / sqrt(2.0)) / 256, 1e-9);
  // MI with F as both sources: 2·H(F) in nats = 2 ln 2; SSIM of F with itself is 1 per source
  for (int i = 0; i < 256; i++) g[i] = f[i];
  fz_mimg G = fz_mimg_make(g, 1, 16, 16);
  CHECK_OK(fz_ivf_ssim(&F, &G, 255, &v, &err), &err);
  CHECK_NEAR(v, 1.0, 1e-12);
  double *q = malloc(3 * 4096 * sizeof *q);
  CHECK(q != NULL);
  for (int i = 0; i < 4096; i++) q[i] = q[4096 + i] = q[8192 + i] = 60.0 * ((i / 64) / 16);  // rows in 4 bands of 16
  fz_mimg Q0 = fz_mimg_make(q, 1, 64, 64), Q1 = fz_mimg_make(q + 4096, 1, 64, 64), Q2 = fz_mimg_make(q + 8192, 1, 64, 64);
  fz_ivf_opts o;
  fz_ivf_opts_default(&o);
  fz_ivf_scores s;
  int rc = fz_metrics_ivf(&Q0, &Q1, &Q2, &o, &s, &err);
  free(q);
  CHECK_OK(rc, &err);
  CHECK_NEAR(s.mi, 2 * log(4.0), 1e-12);
  CHECK_NEAR(s.en, 2.0, 1e-12);
  CHECK(isnan(s.scd));
  // bad input: a 3-band image is refused with a message naming the band count
  double rgb[3 * 256] = {0};
  fz_mimg R = fz_mimg_make(rgb, 3, 16, 16);
  CHECK(fz_ivf_en(&R, &v, &err) == FZ_EINVAL && strstr(err.msg, "3 bands"));
}
