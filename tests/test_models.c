// test_models.c — parity of the DLPan-Toolbox CNNs (PNN, PanNet, DiCNN, MSDCNN, FusionNet, DRPNN) with the
// official PyTorch code on real WV3 / WV2 crops, and the registry / loading / bad-input behaviour.
// Golden files: tests/golden/README.md. Real weights: ../shared/weights/dlpan_wv3, real inputs rebuilt from
// ../shared/data/pansharpening (golden_inputs.h); skip when either is absent.
#include "test.h"
#include "test_models_util.h"
#include "weights_convert.h"
#include <stdio.h>

#define PARITY_TOL 1e-4  // fp32 max |fusor - PyTorch| on [0,1]-normalised data (DESIGN.md)

// Runs m on golden case cname and compares with tensor gname of tests/golden/<arch>.safetensors (::3 when sub3).
static void parity_case(fz_tctx *t_, fz_pan_model *m, const char *arch, const char *cname, const char *gname, int sub3) {
  fz_err err = {0};
  float *got = NULL;
  int64_t shp[4];
  char file[128];
  snprintf(file, sizeof file, "%s.safetensors", arch);
  CHECK_OK(golden_forward(m, cname, 2047.0f, &got, shp, &err), &err);
  double md = golden_compare(got, shp, file, gname, sub3, &err);
  free(got);
  CHECKF(md >= 0, "%s %s: %s", arch, cname, err.msg);
  printf("     %s %s: max |fusor - pytorch| = %.3g\n", arch, cname, md);
  CHECKF(md <= PARITY_TOL, "%s %s: max abs diff %.3g > %g", arch, cname, md, PARITY_TOL);
}

// Loads ../shared/<rel> directly (.pth, arch detected from the tensor names) and checks both golden cases.
static void model_parity(fz_tctx *t_, const char *arch, const char *rel) {
  const char *path = fz_test_shared(rel);
  if (!path) SKIP("needs ../shared/%s (official checkpoint)", rel);
  const char *why = golden_inputs_missing("wv3_64");
  if (!why) why = golden_inputs_missing("wv2_256");
  if (why) SKIP("%s", why);
  fz_err err = {0};
  fz_pan_model *m = NULL;
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
TEST(model_pnn_parity) { model_parity(t_, "pnn", "weights/dlpan_wv3/pnn.pth"); }
// Oracle: as model_pnn_parity (PanNet with the toolbox's cv2.boxFilter high-pass inputs).
TEST(model_pannet_parity) { model_parity(t_, "pannet", "weights/dlpan_wv3/pannet.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_dicnn_parity) { model_parity(t_, "dicnn", "weights/dlpan_wv3/dicnn1.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_msdcnn_parity) { model_parity(t_, "msdcnn", "weights/dlpan_wv3/msdcnn.pth"); }
// Oracle: as model_pnn_parity.
TEST(model_fusionnet_parity) { model_parity(t_, "fusionnet", "weights/dlpan_wv3/fusionnet.pth"); }
// Oracle: as model_pnn_parity (weights 63 % subnormal; fusor flushes them to zero at load).
TEST(model_drpnn_parity) { model_parity(t_, "drpnn", "weights/dlpan_wv3/drpnn.pth"); }
// Oracle: outputs of the official FusionMamba code (PSRben/FusionMamba 6bd5cbd, weights/420.pth) with the
// reference semantics of its CUDA-only ops (mamba_ssm selective_scan_ref, causal conv1d) on the same real
// inputs; the 256x256 case is the official tile size. fp32 max abs difference <= 1e-4.
TEST(model_fusionmamba_parity) { model_parity(t_, "fusionmamba", "weights/fusionmamba_wv3.pth"); }
