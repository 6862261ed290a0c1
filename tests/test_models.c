// test_models.c — parity of the DLPan-Toolbox CNNs (PNN, PanNet, DiCNN, MSDCNN, FusionNet, DRPNN) with the
// official PyTorch code on real WV3 / WV2 crops, and the registry / loading / bad-input behaviour.
// Golden files: tests/golden/README.md. Real weights: ../shared/weights/dlpan_wv3 (skip when absent).
#include "test.h"
#include "test_models_util.h"
#include "weights_convert.h"
#include <stdio.h>

#define PARITY_TOL 1e-4  // fp32 max |fusor - PyTorch| on [0,1]-normalised data (DESIGN.md)

// Runs arch (weights file wfile) on golden inputs case cname and compares with golden tensor gname of
// <arch>.safetensors; stride 3 subsampling when sub3 (the stored 256x256 outputs are out[..., ::3, ::3]).
static void parity_case(fz_tctx *t_, fz_model *m, const char *arch, const char *cname, const char *gname, int sub3) {
  char p1[512], p2[512];
  fz_err err = {0};
  const fz_backend *be = fz_model_backend(m);
  const fz_model_info *I = fz_model_get_info(m);
  snprintf(p1, sizeof p1, "inputs_%s.safetensors", cname);
  snprintf(p2, sizeof p2, "%s.safetensors", arch);
  char b1[600], b2[600];
  CHECKF(golden_path(p1, b1, sizeof b1) && golden_path(p2, b2, sizeof b2), "golden files %s / %s missing", p1, p2);
  fz_weights gi, go;
  CHECK_OK(st_open(b1, &gi, &err), &err);
  if (st_open(b2, &go, &err)) { st_close(&gi); CHECKF(0, "%s", err.msg); }
  fz_tensor ms = {0}, lms = {0}, pan = {0}, out = {0};
  float *ref = NULL, *got = NULL;
  int ok = !golden_input(be, &gi, "ms", 2047.0f, &ms, &err) && !golden_input(be, &gi, "lms", 2047.0f, &lms, &err) &&
           !golden_input(be, &gi, "pan", 2047.0f, &pan, &err) &&
           !fz_tensor_alloc(&out, be, FZ_F32, 4, lms.shape, &err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  if (ok) ok = !fz_model_forward(m, &in, &out, &err);
  int64_t nref = 0, shp[5];
  if (ok) ok = (ref = golden_floats(&go, gname, &nref, NULL, shp, &err)) != NULL;
  double md = INFINITY;
  if (ok) {
    int64_t n = fz_tensor_numel(&out), C = out.shape[1], H = out.shape[2], W = out.shape[3];
    got = malloc((size_t)n * sizeof *got);
    ok = got && !fz_tensor_download(&out, got, (size_t)n * sizeof *got, &err);
    if (ok && sub3) {  // keep out[:, :, ::3, ::3]
      int64_t h3 = (H + 2) / 3, w3 = (W + 2) / 3, k = 0;
      for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y += 3)
          for (int64_t x = 0; x < W; x += 3) got[k++] = got[(c * H + y) * W + x];
      n = C * h3 * w3;
    }
    if (ok && n != nref) { ok = 0; snprintf(err.msg, sizeof err.msg, "golden %s has %lld values, fusor %lld", gname, (long long)nref, (long long)n); }
    if (ok) md = max_abs_diff(got, ref, n);
  }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  free(ref); free(got);
  st_close(&gi); st_close(&go);
  CHECKF(ok, "%s %s: %s", I->arch, cname, err.msg);
  printf("     %s %s: max |fusor - pytorch| = %.3g\n", arch, cname, md);
  CHECKF(md <= PARITY_TOL, "%s %s: max abs diff %.3g > %g", arch, cname, md, PARITY_TOL);
}

// Loads ../shared/weights/dlpan_wv3/<file> directly (.pth, arch detected from the tensor names) and
// checks both golden cases.
static void dlpan_parity(fz_tctx *t_, const char *arch, const char *file) {
  char rel[128];
  snprintf(rel, sizeof rel, "weights/dlpan_wv3/%s", file);
  const char *path = fz_test_shared(rel);
  if (!path) SKIP("needs ../shared/%s (official DLPan-Toolbox WV3 checkpoint)", rel);
  fz_err err = {0};
  fz_model *m = NULL;
  CHECK_OK(fz_model_load(path, NULL, fz_backend_cpu(0), &m, &err), &err);
  const fz_model_info *I = fz_model_get_info(m);
  char got_arch[32];
  snprintf(got_arch, sizeof got_arch, "%s", I->arch);
  int bands = I->bands;
  double scale = I->scale;
  int good = !strcmp(I->arch, arch) && I->bands == 8 && I->scale == 2047;
  if (good) {
    parity_case(t_, m, arch, "wv3_64", "wv3_64.out", 0);
    if (!t_->failed) parity_case(t_, m, arch, "wv2_256", "wv2_256.out_s3", 1);
  }
  fz_model_free(m);
  CHECKF(good, "detected arch %s, %d bands, scale %g; expected %s, 8, 2047", got_arch, bands, scale, arch);
}

// Oracle: outputs of the official DLPan-Toolbox PyTorch code (a34f884) on the same real inputs
// (tests/golden/README.md), fp32 max abs difference <= 1e-4.
TEST(model_pnn_parity) { dlpan_parity(t_, "pnn", "pnn.pth"); }
// Oracle: as model_pnn_parity (PanNet with the toolbox's cv2.boxFilter high-pass inputs).
TEST(model_pannet_parity) { dlpan_parity(t_, "pannet", "pannet.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_dicnn_parity) { dlpan_parity(t_, "dicnn", "dicnn1.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_msdcnn_parity) { dlpan_parity(t_, "msdcnn", "msdcnn.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_fusionnet_parity) { dlpan_parity(t_, "fusionnet", "fusionnet.pth"); }
// Oracle: as model_pnn_parity (weights 63 % subnormal; fusor flushes them to zero at load).
TEST(model_drpnn_parity) { dlpan_parity(t_, "drpnn", "drpnn.pth"); }
