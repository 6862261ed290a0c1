// test_ssdiff.c — SSDiff parity with the official code (Z-ypnos/SSdiff_main@9a648a5) on fixed random weights:
// one SSNet forward pass and one full 10-step DDIM run with injected noise (tests/golden/README.md says how
// ssdiff_random.safetensors and ssdiff_parity.safetensors were made), plus the tile loop and bad input.
#include "test.h"
#include "test_models_util.h"
#include "../models/ssdiff.h"
#include <stdlib.h>
#include <string.h>

// Loads the random-weight SSDiff model and the parity goldens; 0 when either file is missing.
static int open_goldens(fz_pan_model **m, fz_weights *g, fz_err *err) {
  char p1[512], p2[512];
  if (!golden_path("ssdiff_random.safetensors", p1, sizeof p1) || !golden_path("ssdiff_parity.safetensors", p2, sizeof p2)) return 0;
  if (fz_ssdiff_load(p1, NULL, fz_backend_cpu(1), m, err)) return -1;
  if (fz_weights_load(p2, g, err)) { fz_model_free(*m); *m = NULL; return -1; }
  return 1;
}

// A backend tensor [n, c, h, w] whose image k is the golden tensor `name` (image 0) mirrored left-right when
// k is odd (flip(-1), as the golden generator built its batch of two).
static int batch_input(const fz_backend *be, const fz_weights *g, const char *name, int n, fz_tensor *t, fz_err *err) {
  int64_t numel, sh[5];
  int nd;
  float *f = golden_floats(g, name, &numel, &nd, sh, err);
  if (!f) return err->code ? err->code : FZ_EIO;
  int64_t c = sh[1], h = sh[2], w = sh[3], s[4] = {n, c, h, w};
  float *b = malloc((size_t)(n * numel) * sizeof *b);
  int rc = b ? FZ_OK : FZ_ENOMEM;
  for (int k = 0; !rc && k < n; k++)
    for (int64_t i = 0; i < c * h; i++)
      for (int64_t x = 0; x < w; x++) b[k * numel + i * w + x] = f[i * w + (k % 2 ? w - 1 - x : x)];
  if (!rc) rc = fz_tensor_alloc(t, be, FZ_F32, 4, s, err);
  if (!rc) rc = fz_tensor_upload(t, b, (size_t)(n * numel) * sizeof *b, err);
  free(f);
  free(b);
  return rc;
}

// Oracle: SSNet.forward_impl of the official code (model/SSNet.py, fusformer.py, nn.py; PyTorch 1.13 CPU) on the
// same FP8-exact random weights and inputs, batch of two (image 1 mirrored) at t = 7 and 615.5; fp32, max abs
// difference <= 1e-4 (tests/golden/README.md).
TEST(ssdiff_forward_parity) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/ssdiff_random.safetensors or ssdiff_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_ssdiff_info *I = fz_ssdiff_get_info(m);
  CHECK(I && I->dim == 32 && I->dim_head == 16 && I->bands == 4 && I->model_channels == 128 && I->norm == 0);
  CHECK(I->rb_hidden[0] == 4 && I->rb_hidden[2] == 16 && I->ff_hidden[2] == 16);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor lms = {0}, pan = {0}, ms = {0}, xt = {0}, out = {0};
  int64_t s[4] = {2, 4, 64, 64};
  CHECK_OK(batch_input(be, &g, "lms", 2, &lms, &err), &err);
  CHECK_OK(batch_input(be, &g, "pan", 2, &pan, &err), &err);
  CHECK_OK(batch_input(be, &g, "ms", 2, &ms, &err), &err);
  CHECK_OK(batch_input(be, &g, "fwd.x_t", 2, &xt, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, s, &err), &err);
  int64_t nt = 0, ng = 0;
  float *t = golden_floats(&g, "fwd.t", &nt, NULL, NULL, &err), *want = golden_floats(&g, "fwd.out", &ng, NULL, NULL, &err);
  CHECK(t && want && nt == 2 && ng == 2 * 4 * 64 * 64);
  CHECK_OK(fz_ssdiff_net(m, &lms, &pan, &ms, &xt, t, &out, &err), &err);
  float *got = malloc((size_t)ng * sizeof *got);
  CHECK_OK(fz_tensor_download(&out, got, (size_t)ng * sizeof *got, &err), &err);
  double md = max_abs_diff(got, want, ng), mag = 0;
  for (int64_t i = 0; i < ng; i++) mag = fmax(mag, fabs(want[i]));
  printf("    ssdiff forward: max |fusor - official| = %.3g (outputs up to %.3g)\n", md, mag);
  CHECKF(md <= 1e-4, "forward max abs diff %.3g > 1e-4", md);
  free(t); free(want); free(got);
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&ms); fz_tensor_free(&xt); fz_tensor_free(&out);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: SSNet.sample of the official code with improved_diffusion's SpacedDiffusion (cosine, T = 1000,
// "ddim10", predict_xstart, clip_denoised) and ddim_sample_loop_progressive, η = 0, x_T injected (dumped from
// torch into the golden); the output is its last sample. fp32, max abs difference <= 1e-4.
TEST(ssdiff_ddim10_parity) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/ssdiff_random.safetensors or ssdiff_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor lms = {0}, pan = {0}, ms = {0}, xT = {0}, out = {0};
  CHECK_OK(batch_input(be, &g, "lms", 1, &lms, &err), &err);
  CHECK_OK(batch_input(be, &g, "pan", 1, &pan, &err), &err);
  CHECK_OK(batch_input(be, &g, "ms", 1, &ms, &err), &err);
  CHECK_OK(batch_input(be, &g, "ddim.x_T", 1, &xT, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, lms.shape, &err), &err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  CHECK_OK(fz_ssdiff_sample(m, &in, &xT, 0, NULL, NULL, &out, &err), &err);
  int64_t n = 0;
  float *want = golden_floats(&g, "ddim.out", &n, NULL, NULL, &err), *got = malloc((size_t)n * sizeof *got);
  CHECK(want && got && n == 4 * 64 * 64);
  CHECK_OK(fz_tensor_download(&out, got, (size_t)n * sizeof *got, &err), &err);
  double md = max_abs_diff(got, want, n);
  int inside = 0;
  for (int64_t i = 0; i < n; i++) inside += want[i] > 0 && want[i] < 1;
  printf("    ssdiff ddim10: max |fusor - official| = %.3g (%d of %lld values strictly inside (0,1))\n", md, inside, (long long)n);
  CHECK(inside > n / 2);  // the golden is not a saturated image: the comparison exercises the network
  CHECKF(md <= 1e-4, "DDIM max abs diff %.3g > 1e-4", md);
  free(want); free(got);
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&ms); fz_tensor_free(&xT); fz_tensor_free(&out);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: the sampler's noise layout (samplers/sampler.h): the start noise of a tile is a function of (seed,
// noise image = tile number, channel, pixel) only, so a one-tile scene equals fz_ssdiff_sample with noise image
// 0, and splitting the tiles of a scene into batches of 1 or 3 changes nothing beyond float rounding (<= 1e-5).
TEST(ssdiff_scene_tiles) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/ssdiff_random.safetensors or ssdiff_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  fz_sampler_config cfg;
  fz_time_input tin;
  fz_ssdiff_sampler_default(&cfg, &tin);
  snprintf(cfg.respace, sizeof cfg.respace, "ddim2");  // 2 steps keep the test short; the loop is the same
  CHECK_OK(fz_ssdiff_set_sampler(m, &cfg, tin, 5, &err), &err);
  int64_t n1 = 0, n2 = 0, n3 = 0;
  float *lms = golden_floats(&g, "lms", &n1, NULL, NULL, &err), *pan = golden_floats(&g, "pan", &n2, NULL, NULL, &err);
  float *ms = golden_floats(&g, "ms", &n3, NULL, NULL, &err);
  CHECK(lms && pan && ms);
  // one 64x64 tile: the scene result is the single-tile sample
  fz_scene sc = {4, 64, 64, ms, lms, pan};
  fz_fuse_opts o = {.tile = 64, .overlap = 0, .merge = FZ_MERGE_BLEND, .batch = 1};
  float *a = malloc((size_t)n1 * sizeof *a), *b = malloc((size_t)n1 * sizeof *b);
  CHECK_OK(fz_ssdiff_sample_scene(m, &sc, &o, a, &err), &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor tl = {0}, tp = {0}, tm = {0}, to = {0};
  CHECK_OK(batch_input(be, &g, "lms", 1, &tl, &err), &err);
  CHECK_OK(batch_input(be, &g, "pan", 1, &tp, &err), &err);
  CHECK_OK(batch_input(be, &g, "ms", 1, &tm, &err), &err);
  CHECK_OK(fz_tensor_alloc(&to, be, FZ_F32, 4, tl.shape, &err), &err);
  fz_pan_inputs in = {&tm, &tl, &tp};
  CHECK_OK(fz_ssdiff_sample(m, &in, NULL, 0, NULL, NULL, &to, &err), &err);
  CHECK_OK(fz_tensor_download(&to, b, (size_t)n1 * sizeof *b, &err), &err);
  CHECK(max_abs_diff(a, b, n1) == 0);
  double lo = 1, hi = 0;
  for (int64_t i = 0; i < n1; i++) { lo = fmin(lo, a[i]); hi = fmax(hi, a[i]); }
  CHECK(lo >= 0 && hi <= 1 && hi > lo);
  // the left 64x48 part of the scene in tiles of 32 (overlap 16): batches of 1 and 3 agree exactly
  float *l2 = malloc((size_t)n1 * sizeof *l2), *p2 = malloc((size_t)n2 * sizeof *p2), *m2 = malloc((size_t)n3 * sizeof *m2);
  for (int c = 0; c < 4; c++)
    for (int y = 0; y < 64; y++) memcpy(l2 + (c * 64 + y) * 48, lms + (c * 64 + y) * 64, 48 * sizeof *l2);
  for (int y = 0; y < 64; y++) memcpy(p2 + y * 48, pan + y * 64, 48 * sizeof *p2);
  for (int c = 0; c < 4; c++)
    for (int y = 0; y < 16; y++) memcpy(m2 + (c * 16 + y) * 12, ms + (c * 16 + y) * 16, 12 * sizeof *m2);
  fz_scene s2 = {4, 64, 48, m2, l2, p2};
  fz_fuse_opts o1 = {.tile = 32, .overlap = 16, .merge = FZ_MERGE_BLEND, .batch = 1}, o3 = o1;
  o3.batch = 3;
  CHECK_OK(fz_ssdiff_sample_scene(m, &s2, &o1, a, &err), &err);
  CHECK_OK(fz_ssdiff_sample_scene(m, &s2, &o3, b, &err), &err);
  double bd = max_abs_diff(a, b, 4 * 64 * 48);
  CHECKF(bd <= 1e-5, "batch of 1 vs 3: max diff %.3g", bd);  // only float rounding of batched GEMMs may differ
  free(l2); free(p2); free(m2); free(a); free(b); free(lms); free(pan); free(ms);
  fz_tensor_free(&tl); fz_tensor_free(&tp); fz_tensor_free(&tm); fz_tensor_free(&to);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: the documented contract (ssdiff.h): wrong files, shapes and processes fail with messages that name
// the tensor / operand / expectation, and nothing crashes.
TEST(ssdiff_bad_input) {
  fz_err err = {0};
  char p[512];
  fz_pan_model *m = NULL;
  if (golden_path("pnn.safetensors", p, sizeof p)) {
    CHECK(fz_ssdiff_load(p, NULL, fz_backend_cpu(1), &m, &err) != 0 && m == NULL);
    CHECKF(strstr(err.msg, "ssdiff") != NULL, "%s", err.msg);
  }
  fz_weights g;
  memset(&err, 0, sizeof err);
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/ssdiff_random.safetensors or ssdiff_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor a = {0}, pan = {0}, ms = {0}, o = {0};
  int64_t s[4] = {1, 4, 62, 62}, sp[4] = {1, 1, 62, 62}, sm[4] = {1, 4, 15, 15};
  CHECK_OK(fz_tensor_alloc(&a, be, FZ_F32, 4, s, &err), &err);
  CHECK_OK(fz_tensor_alloc(&pan, be, FZ_F32, 4, sp, &err), &err);
  CHECK_OK(fz_tensor_alloc(&ms, be, FZ_F32, 4, sm, &err), &err);
  CHECK_OK(fz_tensor_alloc(&o, be, FZ_F32, 4, s, &err), &err);
  float t = 1;
  CHECK(fz_ssdiff_net(m, &a, &pan, &ms, &a, &t, &o, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "multiples of 4") != NULL, "%s", err.msg);
  fz_sampler_config cfg;
  fz_time_input tin;
  fz_ssdiff_sampler_default(&cfg, &tin);
  cfg.process = FZ_PROC_FLOW;
  CHECK(fz_ssdiff_set_sampler(m, &cfg, tin, 0, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "vp") != NULL, "%s", err.msg);
  fz_pan_inputs in = {NULL, &a, &pan};
  CHECK(fz_ssdiff_sample(m, &in, NULL, 0, NULL, NULL, &o, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "ms, lms and pan") != NULL, "%s", err.msg);
  in.ms = &ms;
  CHECK(fz_ssdiff_sample(m, &in, &pan, 0, NULL, NULL, &o, &err) == FZ_EINVAL);  // x_T of the wrong shape
  CHECKF(strstr(err.msg, "x_T") != NULL, "%s", err.msg);
  fz_tensor_free(&a); fz_tensor_free(&pan); fz_tensor_free(&ms); fz_tensor_free(&o);
  fz_weights_free(&g);
  fz_model_free(m);
}
