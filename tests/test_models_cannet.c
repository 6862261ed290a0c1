// test_models_cannet.c — CANNet parity with the official PyTorch code (Duanyll/CANConv 0b7cc6f) on real crops:
// exact with the reference run's cluster maps injected, and metric-level with fusor's own k-means.
#include "test.h"
#include "test_models_util.h"
#include "../models/cannet.h"
#include <stdio.h>

#define PARITY_TOL 1e-4

// Loads ../shared/weights/<ckpt> and the golden cluster maps of case cname into an injection for m.
static int inject_golden(fz_pan_model *m, const char *file, const char *cname, fz_err *err) {
  char path[600], name[64];
  if (!golden_path(file, path, sizeof path)) return fz_fail(err, FZ_EIO, "golden file tests/golden/%s is missing", file);
  fz_weights g;
  if (st_open(path, &g, err)) return err->code;
  int32_t *idx[3] = {0};
  int64_t n[3] = {0};
  int rc = FZ_OK;
  for (int lv = 0; lv < 3 && !rc; lv++) {
    snprintf(name, sizeof name, "%s.clusters%d", cname, lv);
    float *f = golden_floats(&g, name, &n[lv], NULL, NULL, err);
    if (!f) { rc = err->code ? err->code : FZ_EIO; break; }
    idx[lv] = malloc((size_t)n[lv] * sizeof *idx[lv]);
    if (!idx[lv]) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
    for (int64_t i = 0; !rc && i < n[lv]; i++) idx[lv][i] = (int32_t)f[i];
    free(f);
  }
  if (!rc) rc = fz_cannet_set_clusters(m, (const int32_t *const *)idx, n, err);
  for (int lv = 0; lv < 3; lv++) free(idx[lv]);
  st_close(&g);
  return rc;
}

// Parity of checkpoint ckpt (golden file <gold>.safetensors) on its two cases with injected clusters.
static void cannet_parity(fz_tctx *t_, const char *ckpt, const char *gold, const char *small, const char *big, int bands) {
  char rel[128], file[128];
  snprintf(rel, sizeof rel, "weights/%s", ckpt);
  const char *path = fz_test_shared(rel);
  if (!path) SKIP("needs ../shared/%s (official CANNet checkpoint)", rel);
  const char *why = golden_inputs_missing(small);
  if (!why) why = golden_inputs_missing(big);
  if (why) SKIP("%s", why);
  snprintf(file, sizeof file, "%s.safetensors", gold);
  fz_err err = {0};
  fz_pan_model *m = NULL;
  CHECK_OK(fz_model_load(path, NULL, fz_backend_cpu(0), &m, &err), &err);
  const char *cases[2] = {small, big};
  double md[2] = {-1, -1};
  int ok = fz_model_get_info(m)->bands == bands && !strcmp(fz_model_get_info(m)->arch, "cannet");
  for (int k = 0; ok && k < 2; k++) {
    char gname[64];
    float *got = NULL;
    int64_t shp[4];
    snprintf(gname, sizeof gname, "%s.%s", cases[k], k ? "out_s3" : "out");
    ok = !inject_golden(m, file, cases[k], &err) && !golden_forward(m, cases[k], 2047.0f, &got, shp, &err);
    if (ok) md[k] = golden_compare(got, shp, file, gname, k == 1, &err);
    free(got);
    ok = ok && md[k] >= 0;
  }
  fz_model_free(m);
  CHECKF(ok, "%s: %s", gold, err.msg);
  printf("     %s %s / %s (clusters injected): max |fusor - pytorch| = %.3g / %.3g\n", gold, small, big, md[0], md[1]);
  CHECKF(md[0] <= PARITY_TOL && md[1] <= PARITY_TOL, "%s: max abs diff %.3g / %.3g > %g", gold, md[0], md[1], PARITY_TOL);
}

// Oracle: the official CANNet PyTorch code run on the same real crops (tests/golden/README.md), with its cluster
// maps injected; fp32 max abs difference <= 1e-4.
TEST(model_cannet_wv3_parity) { cannet_parity(t_, "cannet_wv3.pth", "cannet_wv3", "wv3_64", "wv2_256", 8); }
// Oracle: as model_cannet_wv3_parity (QB checkpoint on a real 4-band IKONOS crop, ÷2047).
TEST(model_cannet_qb_parity) { cannet_parity(t_, "cannet_qb.pth", "cannet_qb", "ik_64", "ik_256", 4); }
// Oracle: as model_cannet_wv3_parity (GF2 checkpoint; the input is the same IKONOS crop ÷2047: no GF2 scene
// under 4 MiB exists, README).
TEST(model_cannet_gf2_parity) { cannet_parity(t_, "cannet_gf2.pth", "cannet_gf2", "ik_64", "ik_256", 4); }

// Mean spectral angle (degrees) between a and b [C, H, W] over pixels where both are non-zero.
static double sam_deg(const float *a, const float *b, int64_t C, int64_t HW) {
  double sum = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < HW; i++) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t c = 0; c < C; c++) {
      double x = a[c * HW + i], y = b[c * HW + i];
      ab += x * y; aa += x * x; bb += y * y;
    }
    if (aa > 0 && bb > 0) {
      double cs = ab / sqrt(aa * bb);
      sum += acos(cs > 1 ? 1 : cs < -1 ? -1 : cs);
      n++;
    }
  }
  return n ? sum / n * 180.0 / M_PI : 0;
}

// Oracle: the official code's own sensitivity to its k-means. CANNet's output depends on the clusters (kmcuda
// k-means++ in the official code); rerunning the official code with k-means seeds 43 and 44 instead of 42 moves
// its output by the spread recorded in the golden metadata (seed_spread.*: SAM and RMSE relative to the
// network's correction out - lms). fusor's own k-means++ (Philox, seed 42) must agree with the official seed-42
// output at that metric level: SAM and relative RMSE within 1.5x the official seed-to-seed spread.
TEST(model_cannet_own_kmeans_metric_agreement) {
  const char *path = fz_test_shared("weights/cannet_wv3.pth");
  if (!path) SKIP("needs ../shared/weights/cannet_wv3.pth");
  const char *why = golden_inputs_missing("wv2_256");
  if (why) SKIP("%s", why);
  fz_err err = {0};
  fz_pan_model *m = NULL;
  CHECK_OK(fz_model_load(path, NULL, fz_backend_cpu(0), &m, &err), &err);
  float *got = NULL;
  int64_t shp[4], n = 0;
  int rc = golden_forward(m, "wv2_256", 2047.0f, &got, shp, &err);
  fz_model_free(m);
  CHECK_OK(rc, &err);
  char gp[600];
  fz_weights g;
  CHECK(golden_path("cannet_wv3.safetensors", gp, sizeof gp));
  CHECK_OK(st_open(gp, &g, &err), &err);
  float *ref = golden_floats(&g, "wv2_256.out_s3", &n, NULL, NULL, &err);
  double spread_sam = 0, spread_rel = 0;
  for (int sd = 43; sd <= 44; sd++) {
    char key[64];
    double a = 0, b = 0;
    snprintf(key, sizeof key, "seed_spread.wv2_256.seed%d", sd);
    const char *v = st_metadata_get(&g, key);
    if (v && sscanf(v, "SAM=%lf relRMSE=%lf", &a, &b) == 2) {
      if (a > spread_sam) spread_sam = a;
      if (b > spread_rel) spread_rel = b;
    }
  }
  st_close(&g);
  const golden_inputs *gi = golden_inputs_get("wv2_256", &err);  // cached by golden_forward above
  const float *lms = gi ? gi->lms : NULL;
  int ok = ref && lms && spread_sam > 0 && spread_rel > 0;
  int64_t C = shp[1], H = shp[2], W = shp[3], h3 = (H + 2) / 3, w3 = (W + 2) / 3, k = 0;
  float *sub = malloc((size_t)C * h3 * w3 * sizeof *sub), *lsub = malloc((size_t)C * h3 * w3 * sizeof *lsub);
  double se = 0, sd2 = 0, sam = 0;
  if (ok && sub && lsub && n == C * h3 * w3) {
    for (int64_t c = 0; c < C; c++)
      for (int64_t y = 0; y < H; y += 3)
        for (int64_t x = 0; x < W; x += 3, k++) {
          sub[k] = got[(c * H + y) * W + x];
          lsub[k] = lms[(c * H + y) * W + x] / 2047.0f;
          se += (sub[k] - ref[k]) * (double)(sub[k] - ref[k]);
          sd2 += (ref[k] - lsub[k]) * (double)(ref[k] - lsub[k]);
        }
    sam = sam_deg(sub, ref, C, h3 * w3);
  } else ok = 0;
  double rel = ok ? sqrt(se / sd2) : 0;
  free(got); free(ref); free(sub); free(lsub);
  CHECKF(ok, "golden data for the own-k-means check is missing or malformed: %s", err.msg);
  printf("     cannet_wv3 wv2_256 own k-means vs official: SAM %.3f deg, relative RMSE %.3f "
         "(official seed 43/44 vs 42: up to %.3f deg, %.3f)\n", sam, rel, spread_sam, spread_rel);
  CHECKF(sam <= 1.5 * spread_sam && rel <= 1.5 * spread_rel, "own k-means: SAM %.3f (limit %.3f), relative RMSE %.3f (limit %.3f)",
         sam, 1.5 * spread_sam, rel, 1.5 * spread_rel);
}
