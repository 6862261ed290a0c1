// test_metrics_fsds.c — HyRA's FSDS against the authors' FSDS_code.py (LPFInISR @ 00a4753) run unmodified with
// a numpy stand-in for its torch calls (tests/data/metrics/fsds.csv; README.md there), on synthetic images
// (odd H and W) and real ones (odd H; odd W with 3 bands), in both argument orders.
#include "test.h"
#include "test_metrics_common.h"
#include "raster.h"
#include "../bench/metrics.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Oracle: FSDS_code.py on the synthetic formula images (37×41×3): (fused, ref), (ref, fused), and a near copy.
TEST(fsds_matches_authors_code_on_synthetic) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fsds.csv", &ref, &err), &err);
  double *s = fzt_synth(37, 41, 3, 0.5), *p = s ? fzt_perturb(s, 37, 41, 3) : NULL, *q = malloc(3 * 37 * 41 * sizeof *q);
  CHECK(s && p && q);
  for (int i = 0; i < 3 * 37 * 41; i++) q[i] = p[i] + 1e-3 * s[i];
  fz_mimg S = fz_mimg_make(s, 3, 37, 41), P = fz_mimg_make(p, 3, 37, 41), Q = fz_mimg_make(q, 3, 37, 41);
  double v1 = 0, v2 = 0, v3 = 0;
  int rc = fz_metric_fsds(&P, &S, &v1, &err);
  if (!rc) rc = fz_metric_fsds(&S, &P, &v2, &err);
  if (!rc) rc = fz_metric_fsds(&P, &Q, &v3, &err);
  double w1 = fzt_ref_get(&ref, "synth.p_s"), w2 = fzt_ref_get(&ref, "synth.s_p"), w3 = fzt_ref_get(&ref, "synth.self");
  free(s); free(p); free(q);
  fzt_ref_free(&ref);
  CHECK_OK(rc, &err);
  CHECK_NEAR(v1, w1, 1e-9 * fabs(w1));
  CHECK_NEAR(v2, w2, 1e-9 * fabs(w2));
  CHECK_NEAR(v3, w3, 1e-8 * fabs(w3));  // 77 dB: the error spectrum is 1e-8 of the signal's
  CHECK(fabs(v1 - v2) > 0.1);            // not symmetric: the order matters
}

// Reads path as doubles cropped to h×w (all bands, or grey when grey != 0).
static double *read_crop(const char *path, int h, int w, int grey, int *c, fz_err *err) {
  fz_raster r;
  if (fz_raster_read(path, NULL, &r, err)) return NULL;
  size_t n = (size_t)r.c * r.h * r.w;
  double *d = malloc(n * sizeof *d), *out = malloc((size_t)r.c * h * w * sizeof *out);
  for (size_t i = 0; d && i < n; i++) d[i] = r.data[i];
  *c = grey ? 1 : r.c;
  if (d && out && grey) {
    double *g = malloc((size_t)r.h * r.w * sizeof *g);
    fz_mimg m = fz_mimg_make(d, r.c, r.h, r.w);
    if (g && !fz_ivf_grey(&m, g, err)) memcpy(d, g, (size_t)r.h * r.w * sizeof *d);
    free(g);
  }
  for (int b = 0; d && out && b < *c; b++)
    for (int y = 0; y < h; y++) memcpy(out + ((size_t)b * h + y) * w, d + ((size_t)b * r.h + y) * r.w, (size_t)w * sizeof *out);
  free(d);
  fz_raster_free(&r);
  return out;
}

// Oracle: FSDS_code.py on the same decoded images: a TNO IR/VIS pair (grey, 255×200: odd H) in both orders,
// and a MEFB exposure pair (RGB, 3×200×199: odd W).
TEST(fsds_matches_authors_code_on_real_images) {
  const char *ir = fz_test_shared("data/visir/TNO/ir/01.png"), *vi = fz_test_shared("data/visir/TNO/vi/01.png"),
             *ea = fz_test_shared("data/mef/MEFB/Arno_A.png"), *eb = fz_test_shared("data/mef/MEFB/Arno_B.png");
  if (!ir || !vi || !ea || !eb) SKIP("shared/data/visir or mef is absent (set FUSOR_SHARED)");
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fsds.csv", &ref, &err), &err);
  int c1, c2, c3, c4;
  double *a = read_crop(ir, 255, 200, 1, &c1, &err), *b = read_crop(vi, 255, 200, 1, &c2, &err);
  double *x = read_crop(ea, 200, 199, 0, &c3, &err), *y = read_crop(eb, 200, 199, 0, &c4, &err);
  double v[3] = {0};
  int rc = (!a || !b || !x || !y) ? err.code ? err.code : FZ_ENOMEM : 0;
  if (rc == FZ_EUNSUP) { free(a); free(b); free(x); free(y); fzt_ref_free(&ref); SKIP("%.400s", err.msg); }
  if (!rc) {
    fz_mimg A = fz_mimg_make(a, 1, 255, 200), B = fz_mimg_make(b, 1, 255, 200), X = fz_mimg_make(x, c3, 200, 199),
            Y = fz_mimg_make(y, c4, 200, 199);
    rc = fz_metric_fsds(&A, &B, &v[0], &err);
    if (!rc) rc = fz_metric_fsds(&B, &A, &v[1], &err);
    if (!rc) rc = fz_metric_fsds(&X, &Y, &v[2], &err);
  }
  double w[3] = {fzt_ref_get(&ref, "tno01.ir_vi"), fzt_ref_get(&ref, "tno01.vi_ir"), fzt_ref_get(&ref, "arno.a_b")};
  free(a); free(b); free(x); free(y);
  fzt_ref_free(&ref);
  CHECK_OK(rc, &err);
  for (int i = 0; i < 3; i++) CHECKF(fzt_close(v[i], w[i], 1e-9, 0), "case %d: %.15g, FSDS_code.py %.15g", i, v[i], w[i]);
}

// Oracle: the contract — a constant image has no standard deviation and is refused by name.
TEST(fsds_rejects_constant_images) {
  double a[64], b[64];
  for (int i = 0; i < 64; i++) a[i] = 3, b[i] = i;
  fz_mimg A = fz_mimg_make(a, 1, 8, 8), B = fz_mimg_make(b, 1, 8, 8);
  fz_err err = {0};
  double v;
  CHECK(fz_metric_fsds(&B, &A, &v, &err) == FZ_EINVAL && strstr(err.msg, "target image is constant"));
}
