// test_golden_inputs.c — the real-image inputs of the parity goldens, rebuilt from ../shared at test time
// (golden_inputs.h), are exactly the inputs the goldens were made from; and the helper's error contract.
#include "test.h"
#include "golden_inputs.h"
#include "sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

// SHA-256 of the u16 little-endian bytes of ms, pan, lms ([1,C,h,w] C order) of the files the goldens were made
// from (tests/golden/inputs_*.safetensors and the inputs inside patchmerge_pannet.safetensors, written by the numpy
// generator of tests/golden/README.md; hashed with Python's hashlib before those tensors were deleted).
static const struct { const char *cname, *ms, *pan, *lms; } k_hashes[] = {
    {"wv3_64", "3ab5a679c2d0eda42e62388c2526bd163ca3e23e1a7ca7af38fcd34b2d504f91",
     "c1cf027cbad60fd8830f32945da33dd851e23d26dabe320d570d4be231e97806",
     "e3645771ff175c6c5d94d1f2bd8493b2fb0c919fafad8471b80978b0a8ab2b36"},
    {"wv2_256", "4a78282584b6095ceb29fa5d6ee13ad976b4fe617b6504f69826af98161c5df2",
     "ae41adea9eb091beee47799f0f4bf683782a86a39c173a48c6fe9048709a8cb5",
     "a5031d0252be926f31dc4bc73364125fd3ea034a645ea09438c6d5036992422e"},
    {"ik_64", "3b278e7dbb5148ff0c91d0d35d82f69e2911e90495ab712d6153e8d7d2fd93f8",
     "8637b6c6232f6baaeca520d65e66f1e4f177c12310f2651d1900e13489866be7",
     "d460191aef371030b8a829c1bb536c28aa262e4c9a97085d253cef164393c566"},
    {"ik_256", "4052f016d3fb4ca653f8a1490be1a57354707ee668b9f2917951fee718904b44",
     "05113e4972f932b89fbd9ec2bf6cfbab01cbe02ae877ddd86a5155a4450e8811",
     "45685d3daf5d1f24ce79dcf1a166b7b45200ab109d5bc24c7067977e684eba68"},
    {"pm_wv3_88x72", "15ca25a2b9dcedde388e58b89a36b36b7e4bf20c15d5384220d187e4398c710f",
     "925a30c642e326b15e706c9bc63b08fb45ed9b1e5a71c549e13db205b391bf45",
     "0a236e60609bac788e9c400c0f64cfbc8536684c2c9bd707057a7ab97b39cd8e"},
};

// SHA-256 hex of n DN floats as u16 little-endian; 0 when every value is an integer in 0..65535, else -1.
static int u16_sha256(const float *x, int64_t n, char hex[65]) {
  uint8_t *b = malloc((size_t)(n ? n : 1) * 2);
  int bad = !b;
  for (int64_t i = 0; !bad && i < n; i++) {
    bad = !(x[i] >= 0 && x[i] <= 65535 && x[i] == (float)(int)x[i]);
    unsigned v = bad ? 0 : (unsigned)x[i];
    b[2 * i] = (uint8_t)(v & 0xff);
    b[2 * i + 1] = (uint8_t)(v >> 8);
  }
  if (!bad) fz_sha256_hex(b, (size_t)n * 2, hex);
  free(b);
  return bad ? -1 : 0;
}

// Oracle: the recorded SHA-256 of the inputs the official PyTorch code was run on (computed by Python's hashlib
// from the files written by the numpy generator, not by fusor). Every rebuilt tensor must match bit for bit:
// this pins the .mat reader, the crops and fusor's interp23tap + round-half-even + u16 saturation to the recipe.
TEST(golden_inputs_match_the_recorded_inputs) {
  int done = 0;
  for (size_t i = 0; i < sizeof k_hashes / sizeof k_hashes[0]; i++) {
    const char *why = golden_inputs_missing(k_hashes[i].cname);
    if (why) { printf("     %s\n", why); continue; }
    fz_err err = {0};
    const golden_inputs *g = golden_inputs_get(k_hashes[i].cname, &err);
    CHECKF(g, "%s: %s", k_hashes[i].cname, err.msg);
    int64_t hw = (int64_t)g->h * g->w;
    char hm[65] = "", hp[65] = "", hl[65] = "";
    CHECKF(!u16_sha256(g->ms, g->c * hw / (GI_RATIO * GI_RATIO), hm) && !u16_sha256(g->pan, hw, hp) &&
               !u16_sha256(g->lms, g->c * hw, hl),
           "%s: a rebuilt value is not an integer DN in 0..65535", g->name);
    CHECKF(!strcmp(hm, k_hashes[i].ms), "%s ms: sha256 %s, expected %s", g->name, hm, k_hashes[i].ms);
    CHECKF(!strcmp(hp, k_hashes[i].pan), "%s pan: sha256 %s, expected %s", g->name, hp, k_hashes[i].pan);
    CHECKF(!strcmp(hl, k_hashes[i].lms), "%s lms: sha256 %s, expected %s", g->name, hl, k_hashes[i].lms);
    printf("     %-13s %s c=%d %dx%d: ms, pan, lms identical to the recorded inputs\n", g->name, g->scene, g->c, g->h, g->w);
    done++;
  }
  const char *root = getenv("FUSOR_SHARED");
  if (!done) SKIP("needs %s/data/pansharpening (no scene of the golden inputs is present)", root ? root : "../shared");
}

// Oracle: the helper's contract (golden_inputs.h): an unknown case and a scene without the MS variable fail with
// messages naming the case, or the file and the variable; a missing scene is reported as a reason to skip.
TEST(golden_inputs_bad_input) {
  fz_err err = {0};
  CHECK(golden_inputs_get("wv9_64", &err) == NULL && strstr(err.msg, "wv9_64"));
  CHECK(golden_inputs_missing("wv9_64") != NULL);
  const char *dir = fz_test_tmpdir(), *old = getenv("FUSOR_SHARED");
  char *saved = old ? strdup(old) : NULL, sub[600], path[700];
  snprintf(sub, sizeof sub, "%s/data", dir);
  mkdir(sub, 0700);
  snprintf(sub, sizeof sub, "%s/data/pansharpening", dir);
  mkdir(sub, 0700);
  setenv("FUSOR_SHARED", dir, 1);
  const char *why = golden_inputs_missing("ik_64");  // nothing there yet
  int absent_ok = why && strstr(why, "grip_imgIK.mat");
  fz_raster r = {0};
  snprintf(path, sizeof path, "%s/grip_imgIK.mat", sub);
  int rc = fz_raster_alloc(&r, 1, 64, 64, &err);
  if (!rc) rc = fz_mat_write(path, &r, FZ_U16, 0, "I_PAN", 0, &err);  // a scene holding I_PAN only
  fz_raster_free(&r);
  golden_inputs g = {0};  // built directly, past the cache (golden_inputs_get may hold the real ik_64 already)
  int brc = rc ? rc : gi_build_case(&gi_cases[gi_case_index("ik_64")], path, &g, &err);
  if (saved) setenv("FUSOR_SHARED", saved, 1);
  else unsetenv("FUSOR_SHARED");
  free(saved);
  CHECKF(absent_ok, "missing scene: got %s", why ? why : "(null)");
  CHECKF(!rc, "writing the test scene: %s", err.msg);
  CHECKF(brc && !g.ms && strstr(err.msg, "grip_imgIK.mat") && strstr(err.msg, "I_MS"), "scene without I_MS: got %s",
         brc ? err.msg : "success");
}
