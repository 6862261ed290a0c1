// test_fir.c — MATLAB-compatible imfilter / imresize / interp23tap and the toolbox's MTF filters against
// GNU Octave 7.3 (image 2.14, signal 1.4.3) running imfilter, imresize and the DLPan-Toolbox's
// interp23tap.m, genMTF.m, MTF_PAN.m on the same formula-generated inputs (tests/data/metrics/fir.csv).
#include "test.h"
#include "test_metrics_common.h"
#include "../bench/mtf.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Compares n values of got with key[0..n) of the table (|d| <= rtol·|want| + atol); fills msg.
static int cmp_array(const fzt_ref *r, const char *key, const double *got, int n, double rtol, double atol, char *msg,
                     size_t mn) {
  for (int i = 0; i < n; i++) {
    char k[96];
    snprintf(k, sizeof k, "%s[%d]", key, i);
    double want = fzt_ref_get(r, k);
    if (!fzt_close(got[i], want, rtol, atol)) {
      snprintf(msg, mn, "%s = %.17g, Octave %.17g", k, got[i], want);
      return 0;
    }
  }
  if (!isnan(fzt_ref_get(r, key))) return 1;
  char k[96];
  snprintf(k, sizeof k, "%s[%d]", key, n);
  if (!isnan(fzt_ref_get(r, k))) {  // the oracle array is longer: a size mismatch
    snprintf(msg, mn, "%s has more than %d values in the oracle", key, n);
    return 0;
  }
  return 1;
}

// Oracle: Octave imfilter(A, K, mode) for a 13×11 image and a 5×4 (even-width) kernel, all four borders.
TEST(fir2d_matches_octave_imfilter) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fir.csv", &ref, &err), &err);
  double *a = fzt_synth(13, 11, 1, 0.3), k[20], out[143];
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++) k[i * 4 + j] = sin((i + 1) + 2.0 * (j + 1));
  const char *keys[4] = {"imfilter_zero", "imfilter_replicate", "imfilter_symmetric", "imfilter_circular"};
  char msg[256] = "";
  int ok = a != NULL;
  for (int m = 0; m < 4 && ok; m++) {
    ok = fz_fir2d_f64(a, 13, 11, k, 5, 4, (fz_fir_pad)m, out, &err) == 0;
    if (!ok) snprintf(msg, sizeof msg, "%.200s", err.msg);
    else ok = cmp_array(&ref, keys[m], out, 143, 1e-12, 1e-9, msg, sizeof msg);
  }
  free(a);
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
}

// Oracle: Octave imresize (image 2.14: antialiased cubic/linear kernels, symmetric border) for scales 1/4,
// 1/3 (bicubic), 1/2 (bilinear) and ×2 bicubic of a 37×29 image, 1/4 nearest of its 36×28 corner. At these scales the kernel
// weights sum to 1, so Octave's unnormalised weights equal MATLAB's normalised ones.
TEST(imresize_matches_octave) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fir.csv", &ref, &err), &err);
  double *b = fzt_synth(37, 29, 1, 1.1), out[74 * 58];
  struct { const char *key; double s; fz_imresize_method m; int aa; } cs[4] = {
      {"imresize_cubic_q", 0.25, FZ_IMRESIZE_BICUBIC, 1}, {"imresize_cubic_t", 1.0 / 3, FZ_IMRESIZE_BICUBIC, 1},
      {"imresize_linear_h", 0.5, FZ_IMRESIZE_BILINEAR, 1}, {"imresize_nearest_q", 0.25, FZ_IMRESIZE_NEAREST, 0}};
  char msg[256] = "";
  int ok = b != NULL;
  double *b36 = malloc(36 * 28 * sizeof *b36);  // the nearest case runs on the 36×28 corner (see below)
  for (int y = 0; b && b36 && y < 36; y++) memcpy(b36 + y * 28, b + y * 29, 28 * sizeof *b36);
  for (int i = 0; i < 4 && ok && b36; i++) {
    // Octave's 'nearest' clamps indices that fall past the border where MATLAB mirrors them: compare it
    // on sizes divisible by 4, where no index falls outside (the op case checks the mirror by hand)
    int ih = i == 3 ? 36 : 37, iw = i == 3 ? 28 : 29;
    int oh = fz_imresize_out_size(ih, cs[i].s), ow = fz_imresize_out_size(iw, cs[i].s);
    ok = fz_imresize_f64(i == 3 ? b36 : b, ih, iw, cs[i].s, cs[i].s, oh, ow, cs[i].m, cs[i].aa, out, &err) == 0;
    if (!ok) snprintf(msg, sizeof msg, "%.200s", err.msg);
    else ok = cmp_array(&ref, cs[i].key, out, oh * ow, 1e-12, 1e-9, msg, sizeof msg);
  }
  if (ok) {
    ok = fz_imresize_f64(b, 37, 29, 2, 2, 74, 58, FZ_IMRESIZE_BICUBIC, 1, out, &err) == 0;
    double s = 0;
    for (int i = 0; i < 74 * 58; i++) s += out[i];
    if (!ok || !fzt_close(s, fzt_ref_get(&ref, "imresize_cubic_2.sum"), 1e-12, 0) ||
        !fzt_close(out[0], fzt_ref_get(&ref, "imresize_cubic_2.a"), 1e-12, 0) ||
        !fzt_close(out[73 * 58 + 57], fzt_ref_get(&ref, "imresize_cubic_2.b"), 1e-12, 0) ||
        !fzt_close(out[29 * 58 + 16], fzt_ref_get(&ref, "imresize_cubic_2.c"), 1e-12, 0)) {
      snprintf(msg, sizeof msg, "x2 bicubic: sum %.17g, corners %.17g %.17g", s, out[0], out[73 * 58 + 57]);
      ok = 0;
    }
  }
  free(b);
  free(b36);
  fzt_ref_free(&ref);
  CHECKF(ok, "%s", msg);
}

// Oracle: the toolbox's interp23tap.m in Octave on a 9×7 image: ratio 4 (rows 0..11 of 36) and ratio 2 (all).
TEST(interp23tap_matches_toolbox) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fir.csv", &ref, &err), &err);
  double *c = fzt_synth(9, 7, 1, 2.2), out[36 * 28];
  char msg[256] = "";
  int ok = c && fz_interp23tap_f64(c, 9, 7, 4, out, &err) == 0;
  if (ok) ok = cmp_array(&ref, "interp23tap_4", out, 12 * 28, 1e-12, 1e-9, msg, sizeof msg);  // rows 0..11 stored
  if (ok) ok = fz_interp23tap_f64(c, 9, 7, 2, out, &err) == 0 && cmp_array(&ref, "interp23tap_2", out, 18 * 14, 1e-12, 1e-9, msg, sizeof msg);
  // bad ratio: not a power of two
  int bad = fz_interp23tap_f64(c, 9, 7, 3, out, &err) == FZ_EINVAL && strstr(err.msg, "power of 2");
  free(c);
  fzt_ref_free(&ref);
  CHECKF(ok, "%s %s", msg, err.msg);
  CHECK(bad);
}

// Oracle: the toolbox's genMTF.m (fspecial, signal's kaiser, fwind1) in Octave: the top-left 21×21 quadrant of the
// WV3 band-1 kernel, and centre / neighbour / diagonal taps and sums for every band of every sensor table (GF2 falls
// to the default gain 0.3); MTF_PAN.m impulse responses for every PAN entry. Octave has no fwind1 /
// fsamp2: the oracle used stand-ins written from MATLAB's documented algorithm (README.md).
TEST(mtf_kernels_match_toolbox) {
  fzt_ref ref;
  fz_err err = {0};
  CHECK_OK(fzt_ref_load("fir.csv", &ref, &err), &err);
  double h[41 * 41], g[8];
  char msg[256] = "";
  int ok = fz_mtf_ms_gnyq("WV3", 8, g, &err) == 0 && fz_mtf_kernel(g[0], 4, 41, h, &err) == 0;
  double quad[21 * 21];  // the oracle stores the top-left 21×21 quadrant (centre included)
  for (int i = 0; i < 21; i++)
    for (int j = 0; j < 21; j++) quad[i * 21 + j] = h[i * 41 + j];
  if (ok) ok = cmp_array(&ref, "mtf_WV3_b0", quad, 21 * 21, 1e-9, 1e-15, msg, sizeof msg);
  const char *sens[6] = {"WV3", "WV2", "QB", "IKONOS", "GeoEye1", "GF2"};
  int nb[6] = {8, 8, 4, 4, 4, 4};
  for (int s = 0; s < 6 && ok; s++) {
    ok = fz_mtf_ms_gnyq(sens[s], nb[s], g, &err) == 0;
    for (int b = 0; b < nb[s] && ok; b++) {
      ok = fz_mtf_kernel(g[b], 4, 41, h, &err) == 0;
      double sum = 0;
      for (int i = 0; i < 41 * 41; i++) sum += h[i];
      const char *fld[4] = {"c", "n", "d", "sum"};
      double got[4] = {h[20 * 41 + 20], h[20 * 41 + 21], h[17 * 41 + 24], sum};
      for (int f = 0; f < 4 && ok; f++) {
        char k[96];
        snprintf(k, sizeof k, "mtf_%s[%d].%s", sens[s], b, fld[f]);
        double want = fzt_ref_get(&ref, k);
        ok = fzt_close(got[f], want, 1e-12, 1e-16);
        if (!ok) snprintf(msg, sizeof msg, "%s = %.17g, Octave %.17g", k, got[f], want);
      }
    }
  }
  if (ok) {  // ratio 2
    ok = fz_mtf_ms_gnyq("WV3", 8, g, &err) == 0 && fz_mtf_kernel(g[0], 2, 41, h, &err) == 0 &&
         fzt_close(h[20 * 41 + 20], fzt_ref_get(&ref, "mtf_WV3_r2[0].c"), 1e-12, 0);
    if (!ok) snprintf(msg, sizeof msg, "ratio-2 WV3 kernel centre %.17g", h[20 * 41 + 20]);
  }
  const char *pans[6] = {"WV3", "WV2", "QB", "IKONOS", "GeoEye1", "none"};
  double *d = calloc(81 * 81, sizeof *d), *r = malloc(81 * 81 * sizeof *r);
  for (int s = 0; s < 6 && ok && d && r; s++) {
    memset(d, 0, 81 * 81 * sizeof *d);
    d[40 * 81 + 40] = 1;
    ok = fz_mtf_filter_pan(d, 81, 81, pans[s], 4, r, &err) == 0;
    double sum = 0;
    for (int i = 0; i < 81 * 81; i++) sum += r[i];
    char k[96];
    snprintf(k, sizeof k, "mtfpan_%s", pans[s]);
    char kc[112], kn[112], ks[112];
    snprintf(kc, sizeof kc, "%s.c", k);
    snprintf(kn, sizeof kn, "%s.n", k);
    snprintf(ks, sizeof ks, "%s.sum", k);
    if (ok && !(fzt_close(r[40 * 81 + 40], fzt_ref_get(&ref, kc), 1e-12, 0) &&
                fzt_close(r[40 * 81 + 42], fzt_ref_get(&ref, kn), 1e-12, 0) && fzt_close(sum, fzt_ref_get(&ref, ks), 1e-12, 0))) {
      snprintf(msg, sizeof msg, "%s: centre %.17g sum %.17g", k, r[40 * 81 + 40], sum);
      ok = 0;
    }
  }
  int bad = fz_mtf_pan_gnyq("GF2", g, &err) == FZ_EINVAL && strstr(err.msg, "GF2");
  int bad2 = fz_mtf_ms_gnyq("QB", 8, g, &err) == FZ_EINVAL && strstr(err.msg, "4 bands");
  free(d);
  free(r);
  fzt_ref_free(&ref);
  CHECKF(ok, "%s %s", msg, err.msg);
  CHECK(bad);
  CHECK(bad2);
}

// Oracle: the alias table documented in mtf.h and the family's FR mapping (QB, GF2 → IKONOS) of
// Efficient-MIF analysis_unref_batched_images.m.
TEST(sensor_names_and_fr_alias) {
  CHECK(!strcmp(fz_sensor_canonical("geoeye-1"), "GeoEye1"));
  CHECK(!strcmp(fz_sensor_canonical("wv3"), "WV3"));
  CHECK(fz_sensor_canonical("Landsat") == NULL);
  CHECK(!strcmp(fz_sensor_fr_alias("GF2"), "IKONOS"));
  CHECK(!strcmp(fz_sensor_fr_alias("QB"), "IKONOS"));
  CHECK(!strcmp(fz_sensor_fr_alias("WV2"), "WV2"));
}

// Oracle: MATLAB imresize's contributions() by hand for 'nearest' at scale 1/4 on a 1×29 ramp: output x
// (1-based) reads u = 4x − 1.5, i.e. input 4x − 1; index 31 lies past the end and mirrors to 28, so the
// 0-based picks are 2, 6, ..., 26, 27 (Octave would clamp the last one to 28).
TEST(imresize_nearest_mirrors_past_the_border) {
  double in[29], out[8];
  for (int i = 0; i < 29; i++) in[i] = i;
  fz_err err = {0};
  CHECK_OK(fz_imresize_f64(in, 1, 29, 1, 0.25, 1, 8, FZ_IMRESIZE_NEAREST, 0, out, &err), &err);
  const double want[8] = {2, 6, 10, 14, 18, 22, 26, 27};
  for (int i = 0; i < 8; i++) CHECK_NEAR(out[i], want[i], 0);
}

// Oracle: the wrappers' contract — wrong ranks, shapes, ratios and aliasing fail with FZ_EINVAL naming the problem.
TEST(fir_ops_reject_bad_shapes) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  int64_t s4[4] = {1, 2, 8, 8}, s4b[4] = {1, 2, 8, 9}, s3[3] = {2, 8, 8}, k3[3] = {3, 3, 3}, up[4] = {1, 2, 16, 16};
  fz_tensor a, b, c, k, u;
  CHECK_OK(fz_tensor_alloc(&a, be, FZ_F32, 4, s4, &err), &err);
  CHECK_OK(fz_tensor_alloc(&b, be, FZ_F32, 4, s4b, &err), &err);
  CHECK_OK(fz_tensor_alloc(&c, be, FZ_F32, 3, s3, &err), &err);
  CHECK_OK(fz_tensor_alloc(&k, be, FZ_F32, 3, k3, &err), &err);
  CHECK_OK(fz_tensor_alloc(&u, be, FZ_F32, 4, up, &err), &err);
  int r1 = fz_op_fir2d(be, &b, &a, &k, FZ_FIR_PAD_ZERO, &err);
  int ok1 = r1 == FZ_EINVAL && strstr(err.msg, "differs");
  int r2 = fz_op_fir2d(be, &a, &a, &k, FZ_FIR_PAD_ZERO, &err);  // kernel has 3 channels, input 2
  int ok2 = r2 == FZ_EINVAL && strstr(err.msg, "channels");
  int r3 = fz_op_interp23tap(be, &u, &c, 2, &err);
  int ok3 = r3 == FZ_EINVAL && strstr(err.msg, "4 dims");
  int r4 = fz_op_interp23tap(be, &u, &a, 4, &err);
  int ok4 = r4 == FZ_EINVAL && strstr(err.msg, "times 4");
  int r5 = fz_op_imresize(be, &u, &a, 0, 2, FZ_IMRESIZE_BICUBIC, 1, &err);
  int ok5 = r5 == FZ_EINVAL && strstr(err.msg, "scale");
  fz_tensor_free(&a); fz_tensor_free(&b); fz_tensor_free(&c); fz_tensor_free(&k); fz_tensor_free(&u);
  CHECK(ok1);
  CHECK(ok2);
  CHECK(ok3);
  CHECK(ok4);
  CHECK(ok5);
}
