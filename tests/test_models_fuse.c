// test_models_fuse.c — whole-scene fusion (tiling, batching, blend / grid / patchmerge merges), the model registry,
// hyper-parameter parsing, key maps and the bad-input contract, on small in-memory DiCNN weight sets.
#include "test.h"
#include "test_models_util.h"
#include "weights_convert.h"
#include "../models/fuse.h"
#include "../models/model_internal.h"
#include <stdio.h>

// Deterministic values in [-a, a) (a 64-bit LCG; the tests need variety, not quality).
static float lcg(uint64_t *s, float a) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)(((*s >> 40) & 0xffffff) / 16777216.0 * 2 - 1) * a;
}

// A DiCNN weight set for C bands in w (weights owned by w). pointwise: only the centre tap of each 3x3 kernel is
// non-zero (a per-pixel network); zero: every value 0. arch / hparams go to the metadata (NULL: none).
static int mk_dicnn(fz_weights *w, int C, int pointwise, int zero, const char *arch, const char *hparams, fz_err *err) {
  static const char *names[6] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias"};
  int64_t shapes[6][4] = {{64, C + 1, 3, 3}, {64}, {64, 64, 3, 3}, {64}, {C, 64, 3, 3}, {C}};
  int nd[6] = {4, 1, 4, 1, 4, 1};
  uint64_t s = 12345;
  fz_weights_init(w);
  for (int i = 0; i < 6; i++) {
    int64_t n = fz_shape_numel(nd[i], shapes[i]);
    float *f = calloc((size_t)n, sizeof *f);
    if (!f || fz_weights_own(w, f, err)) return fz_fail(err, FZ_ENOMEM, "out of memory");
    for (int64_t k = 0; k < n && !zero; k++) {
      int centre = nd[i] == 1 || k % 9 == 4;
      f[k] = (!pointwise || centre) ? lcg(&s, nd[i] == 1 ? 0.05f : 0.3f) : 0;
    }
    if (fz_weights_add(w, names[i], FZ_W_F32, nd[i], shapes[i], f, (size_t)n * 4, err)) return err->code;
  }
  if (arch && fz_weights_meta_set(w, "fusor.arch", arch, err)) return err->code;
  if (hparams && fz_weights_meta_set(w, "fusor.hparams", hparams, err)) return err->code;
  return FZ_OK;
}

// A synthetic scene: pan [H, W], lms [C, H, W], ms [C, H/4, W/4] in [0, 1].
typedef struct scene_buf { float *pan, *lms, *ms; int C, H, W; } scene_buf;
// Fills b with the smooth synthetic scene (1 on success).
static int mk_scene(scene_buf *b, int C, int H, int W) {
  b->C = C; b->H = H; b->W = W;
  b->pan = malloc((size_t)H * W * sizeof(float));
  b->lms = malloc((size_t)C * H * W * sizeof(float));
  b->ms = malloc((size_t)C * (H / 4) * (W / 4) * sizeof(float) + 4);
  if (!b->pan || !b->lms || !b->ms) return 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      b->pan[y * W + x] = 0.5f + 0.4f * sinf(x * 0.13f) * cosf(y * 0.07f);
      for (int c = 0; c < C; c++) b->lms[((size_t)c * H + y) * W + x] = 0.4f + 0.3f * sinf(x * 0.05f + c) * cosf(y * 0.11f - c);
    }
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H / 4; y++)
      for (int x = 0; x < W / 4; x++) b->ms[((size_t)c * (H / 4) + y) * (W / 4) + x] = b->lms[((size_t)c * H + 4 * y) * W + 4 * x];
  return 1;
}
// Frees the scene buffers.
static void free_scene(scene_buf *b) { free(b->pan); free(b->lms); free(b->ms); }

// The per-pixel DiCNN of a pointwise weight set, in double: lms + W3·relu(W2·relu(W1·[lms; pan] + b1) + b2) + b3.
static void pointwise_ref(const fz_weights *w, const scene_buf *s, double *out) {
  const float *w1 = (const float *)fz_weights_find(w, "conv1.weight")->data, *b1 = (const float *)fz_weights_find(w, "conv1.bias")->data;
  const float *w2 = (const float *)fz_weights_find(w, "conv2.weight")->data, *b2 = (const float *)fz_weights_find(w, "conv2.bias")->data;
  const float *w3 = (const float *)fz_weights_find(w, "conv3.weight")->data, *b3 = (const float *)fz_weights_find(w, "conv3.bias")->data;
  int C = s->C;
  size_t HW = (size_t)s->H * s->W;
  for (size_t p = 0; p < HW; p++) {
    double in[64], h1[64], h2[64];
    for (int c = 0; c < C; c++) in[c] = s->lms[c * HW + p];
    in[C] = s->pan[p];
    for (int o = 0; o < 64; o++) {
      double a = b1[o];
      for (int i = 0; i <= C; i++) a += w1[(o * (C + 1) + i) * 9 + 4] * in[i];
      h1[o] = a > 0 ? a : 0;
    }
    for (int o = 0; o < 64; o++) {
      double a = b2[o];
      for (int i = 0; i < 64; i++) a += w2[(o * 64 + i) * 9 + 4] * h1[i];
      h2[o] = a > 0 ? a : 0;
    }
    for (int o = 0; o < C; o++) {
      double a = b3[o];
      for (int i = 0; i < 64; i++) a += w3[(o * 64 + i) * 9 + 4] * h2[i];
      out[o * HW + p] = in[o] + a;
    }
  }
}

// Fuses a synthetic H x W scene with a pointwise DiCNN under options o and returns max |fusor - per-pixel oracle|.
static double fuse_vs_pointwise(int H, int W, const fz_fuse_opts *o, fz_err *err) {
  fz_weights w;
  fz_pan_model *m = NULL;
  scene_buf s = {0};
  double md = -1, *ref = NULL;
  float *out = NULL;
  if (mk_dicnn(&w, 8, 1, 0, "dicnn", "{\"scale\":2047}", err) || fz_model_from_weights(&w, "pointwise", fz_backend_cpu(0), &m, err))
    goto done;
  if (!mk_scene(&s, 8, H, W) || !(ref = malloc((size_t)8 * H * W * sizeof *ref)) || !(out = malloc((size_t)8 * H * W * sizeof *out))) {
    fz_fail(err, FZ_ENOMEM, "out of memory");
    goto done;
  }
  pointwise_ref(&w, &s, ref);
  fz_scene sc = {8, H, W, s.ms, s.lms, s.pan};
  if (fz_fuse_scene(m, &sc, o, out, err)) goto done;
  md = 0;
  for (size_t i = 0; i < (size_t)8 * H * W; i++) {
    double d = fabs(out[i] - ref[i]);
    if (!(d <= md)) md = d;
  }
done:
  fz_model_free(m);
  fz_weights_free(&w);
  free_scene(&s);
  free(ref);
  free(out);
  return md;
}

// Oracle: a per-pixel network computed in double (each output pixel depends on its own inputs only, so any
// correct tiling and merge reproduces it): blend over 32x32 tiles with overlap 8, batches of 3, on 100x92.
TEST(fuse_blend_matches_per_pixel_oracle) {
  fz_err err = {0};
  fz_fuse_opts o = {.tile = 32, .overlap = 8, .merge = FZ_MERGE_BLEND, .batch = 3};
  double md = fuse_vs_pointwise(100, 92, &o, &err);
  CHECKF(md >= 0, "%s", err.msg);
  CHECKF(md < 2e-5, "blend: max |fused - oracle| = %g", md);
}

// Oracle: as fuse_blend_matches_per_pixel_oracle, with non-overlapping zero-padded tiles (grid) on 100x70.
TEST(fuse_grid_matches_per_pixel_oracle) {
  fz_err err = {0};
  fz_fuse_opts o = {.tile = 32, .merge = FZ_MERGE_GRID, .batch = 2};
  double md = fuse_vs_pointwise(100, 70, &o, &err);
  CHECKF(md >= 0, "%s", err.msg);
  CHECKF(md < 2e-5, "grid: max |fused - oracle| = %g", md);
}

// Oracle: as above; the patch-merge rule (centres, strips, bottom/right remainder, corner) must cover every pixel
// exactly once per contributing rule, so a per-pixel network comes out unchanged (100x84, P = 32: remainders 4).
TEST(fuse_patchmerge_matches_per_pixel_oracle) {
  fz_err err = {0};
  fz_fuse_opts o = {.tile = 32, .merge = FZ_MERGE_PATCHMERGE, .batch = 4};
  double md = fuse_vs_pointwise(100, 84, &o, &err);
  CHECKF(md >= 0, "%s", err.msg);
  CHECKF(md < 2e-5, "patchmerge: max |fused - oracle| = %g", md);
}

// Oracle: the tile count of the documented rules: blend on 100 with tile 32 / overlap 8 places tiles at
// 0, 24, 48, 68 (4 per axis); patchmerge 100x84, P 32, stride 8: 9x7 grid + 7 + 9 + 1.
TEST(fuse_tile_counts) {
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(mk_dicnn(&w, 8, 0, 1, "dicnn", NULL, &err), &err);
  int rc = fz_model_from_weights(&w, "zero", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECK_OK(rc, &err);
  fz_scene s = {8, 100, 100, NULL, NULL, NULL};
  fz_fuse_opts b = {.tile = 32, .overlap = 8, .merge = FZ_MERGE_BLEND, .batch = 1}, p = {.tile = 32, .merge = FZ_MERGE_PATCHMERGE};
  int64_t nb = 0, np = 0;
  int ok = !fz_fuse_count_tiles(m, &s, &b, &nb, &err);
  s.w = 84;
  ok = ok && !fz_fuse_count_tiles(m, &s, &p, &np, &err);
  fz_model_free(m);
  CHECKF(ok, "%s", err.msg);
  CHECKF(nb == 16 && np == 9 * 7 + 7 + 9 + 1, "tiles: blend %lld (expected 16), patchmerge %lld (expected 80)", (long long)nb, (long long)np);
}

// Oracle: the forward contract (model.h): inputs are checked against the model, the message names the operand
// and the expected shape.
TEST(model_forward_rejects_bad_shapes) {
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(mk_dicnn(&w, 8, 0, 1, "dicnn", NULL, &err), &err);
  int rc = fz_model_from_weights(&w, "zero.safetensors", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECK_OK(rc, &err);
  const fz_backend *be = fz_backend_cpu(1);
  int64_t sp[4] = {1, 1, 16, 16}, sl[4] = {1, 4, 16, 16}, so[4] = {1, 8, 16, 16};
  fz_tensor pan = {0}, lms = {0}, out = {0};
  rc = fz_tensor_alloc(&pan, be, FZ_F32, 4, sp, &err) || fz_tensor_alloc(&lms, be, FZ_F32, 4, sl, &err) ||
       fz_tensor_alloc(&out, be, FZ_F32, 4, so, &err);
  fz_pan_inputs in = {NULL, &lms, &pan};
  int frc = rc ? -1 : fz_model_forward(m, &in, &out, &err);
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", err.msg);
  in.lms = NULL;
  int frc2 = rc ? -1 : fz_model_forward(m, &in, &out, &err);
  fz_tensor_free(&pan); fz_tensor_free(&lms); fz_tensor_free(&out);
  fz_model_free(m);
  CHECK(!rc);
  CHECKF(frc == FZ_EINVAL && strstr(msg, "zero.safetensors (dicnn): lms is f32 [1, 4, 16, 16]; expected f32 [1, 8, 16, 16]"), "got: %s", msg);
  CHECKF(frc2 == FZ_EINVAL && strstr(err.msg, "input 'lms' is missing"), "got: %s", err.msg);
}

// Oracle: the registry contract: fusor.arch selects the architecture and the tensors are checked against it
// (a DiCNN file labelled pnn fails naming the tensor and both shapes); an unknown arch is refused by name; without
// metadata the tensor names identify the architecture.
TEST(model_arch_metadata_checked) {
  fz_err err = {0};
  fz_weights w;
  fz_pan_model *m = NULL;
  CHECK_OK(mk_dicnn(&w, 8, 0, 1, "pnn", NULL, &err), &err);
  int rc = fz_model_from_weights(&w, "x.safetensors", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECKF(rc == FZ_EINVAL && !m && strstr(err.msg, "tensor 'conv1.weight' has shape [64, 9, 3, 3]; pnn expects [64, 9, 9, 9]"), "got: %s", err.msg);
  CHECK_OK(mk_dicnn(&w, 8, 0, 1, "ssdiff", NULL, &err), &err);
  rc = fz_model_from_weights(&w, "x.safetensors", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECKF(rc == FZ_EINVAL && !m && strstr(err.msg, "is missing; an SSDiff (SSNet) checkpoint has it"), "got: %s", err.msg);
  CHECK_OK(mk_dicnn(&w, 8, 0, 1, "unet3000", NULL, &err), &err);
  rc = fz_model_from_weights(&w, "x.safetensors", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECKF(rc == FZ_EUNSUP && strstr(err.msg, "fusor.arch is 'unet3000', which is not a pansharpening model"), "got: %s", err.msg);
  CHECK_OK(mk_dicnn(&w, 4, 0, 1, NULL, NULL, &err), &err);
  rc = fz_model_from_weights(&w, "x.safetensors", fz_backend_cpu(1), &m, &err);
  fz_weights_free(&w);
  CHECK_OK(rc, &err);
  const fz_model_info *I = fz_model_get_info(m);
  int good = !strcmp(I->arch, "dicnn") && I->bands == 4 && I->scale == 0 && I->params == 64 * 5 * 9 + 64 + 64 * 64 * 9 + 64 + 4 * 64 * 9 + 4;
  fz_model_free(m);
  CHECKF(good, "detection without metadata: expected a 4-band dicnn without a scale and 42180 parameters");
}

// Oracle: hand-written JSON objects and the values they hold.
TEST(model_hparams_lookup) {
  const char *js = " { \"a\" : [1, {\"scale\": 5}], \"scale\":2047, \"sensor\":\"G\\\"F2\", \"n\": -1.5e1, \"o\": {\"x\": 1} } ";
  double v = 0;
  char s[16];
  CHECK(fz_hp_num(js, "scale", &v) && v == 2047);
  CHECK(fz_hp_num(js, "n", &v) && v == -15);
  CHECK(!fz_hp_num(js, "x", &v) && !fz_hp_num(js, "sensor", &v) && !fz_hp_num(NULL, "scale", &v));
  CHECK(fz_hp_str(js, "sensor", s, sizeof s) && !strcmp(s, "G\\\"F2"));
  CHECK(!fz_hp_str("{\"scale\":", "scale", s, sizeof s) && !fz_hp_num("[1]", "scale", &v));
  CHECK(fz_sensor_scale("gf2") == 1023 && fz_sensor_scale("WV3") == 2047 && fz_sensor_scale("GE1") == 255 && fz_sensor_scale("X") == 0);
}

// Oracle: the official checkpoint itself. The fusionnet key map drops the 16 backbone.* aliases of res1..4 (same
// storage), records spectral_num / sensor / scale, and the converted file gives the golden output (<= 1e-4).
TEST(model_convert_keymap_fusionnet) {
  const char *path = fz_test_shared("weights/dlpan_wv3/fusionnet.pth");
  if (!path) SKIP("needs ../shared/weights/dlpan_wv3/fusionnet.pth");
  const char *why = golden_inputs_missing("wv3_64");
  if (why) SKIP("%s", why);
  char out[600];
  snprintf(out, sizeof out, "%s/fusionnet.safetensors", fz_test_tmpdir());
  fz_err err = {0};
  fz_convert_opts o = {.arch = "fusionnet", .keymap = fz_model_keymap("fusionnet")};
  fz_weights w;
  CHECK(o.keymap != NULL);
  CHECK_OK(fz_weights_convert(path, out, &o, &w, &err), &err);
  int count = w.count;
  const char *hp = fz_weights_meta_get(&w, "fusor.hparams");
  int hp_ok = hp && strstr(hp, "\"scale\":2047") && strstr(hp, "\"sensor\":\"WV3\"") && strstr(hp, "\"spectral_num\":8");
  fz_weights_free(&w);
  CHECKF(count == 20 && hp_ok, "converted: %d tensors (expected 20), hparams %s", count, hp_ok ? "ok" : "wrong");
  fz_pan_model *m = NULL;
  CHECK_OK(fz_model_load(out, NULL, fz_backend_cpu(0), &m, &err), &err);
  float *got = NULL;
  int64_t shp[4];
  int rc = golden_forward(m, "wv3_64", 2047.0f, &got, shp, &err);
  fz_model_free(m);
  CHECK_OK(rc, &err);
  double md = golden_compare(got, shp, "fusionnet.safetensors", "wv3_64.out", 0, &err);
  free(got);
  CHECKF(md >= 0 && md <= 1e-4, "converted fusionnet: max diff %g %s", md, err.msg);
}

// Oracle: the key-map contract (model.h): a map checks the checkpoint (a FusionNet file is not a PNN), and a
// 4-band CANNet gets no scale by itself (GF2 1023 and QB 2047 share the shapes) until --set sensor=GF2 gives 1023.
TEST(model_convert_keymap_checks) {
  const char *fn = fz_test_shared("weights/dlpan_wv3/fusionnet.pth"), *qb = fz_test_shared("weights/cannet_qb.pth");
  if (!fn || !qb) SKIP("needs ../shared/weights (fusionnet.pth, cannet_qb.pth)");
  char out[600];
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_convert_opts o = {.arch = "pnn", .keymap = fz_model_keymap("pnn")};
  snprintf(out, sizeof out, "%s/pnn.safetensors", dir);
  int rc = fz_weights_convert(fn, out, &o, NULL, &err);
  CHECKF(rc == FZ_EINVAL && strstr(err.msg, "fusionnet checkpoint, not pnn"), "got: %s", err.msg);
  FILE *f = fopen(out, "rb");
  CHECK(!f);
  const char *k[1] = {"sensor"}, *v[1] = {"GF2"};
  fz_convert_opts c1 = {.arch = "cannet", .keymap = fz_model_keymap("cannet")}, c2 = c1;
  c2.nset = 1; c2.set_keys = k; c2.set_vals = v;
  char o1[600], o2[600];
  snprintf(o1, sizeof o1, "%s/qb.safetensors", dir);
  snprintf(o2, sizeof o2, "%s/gf2.safetensors", dir);
  CHECK_OK(fz_weights_convert(qb, o1, &c1, NULL, &err), &err);
  CHECK_OK(fz_weights_convert(qb, o2, &c2, NULL, &err), &err);
  fz_pan_model *m1 = NULL, *m2 = NULL;
  CHECK_OK(fz_model_load(o1, NULL, fz_backend_cpu(1), &m1, &err), &err);
  rc = fz_model_load(o2, NULL, fz_backend_cpu(1), &m2, &err);
  double s1 = fz_model_get_info(m1)->scale, s2 = m2 ? fz_model_get_info(m2)->scale : -1;
  int b1 = fz_model_get_info(m1)->bands;
  fz_model_free(m1);
  fz_model_free(m2);
  CHECK_OK(rc, &err);
  CHECKF(b1 == 4 && s1 == 0 && s2 == 1023, "cannet 4-band: bands %d, scale without sensor %g (expected 0), with GF2 %g (expected 1023)",
         b1, s1, s2);
}

// Oracle: the open Python PatchMergeModule (GPL, UESTC, Zihan Cao & Xiao Wu, 2023/6/21) tiling the official
// PanNet (DLPan-Toolbox a34f884) with patch_size_list [16, 64, 64] (ms, lms, pan), scale 4, on a real 88x72 WV3
// crop (remainders of 8 PAN pixels on both axes); its output differs from a whole-image pass by up to 2.6e-3,
// so the rule itself is checked. fp32 max abs difference <= 1e-4.
TEST(fuse_patchmerge_matches_official_rule) {
  const char *wp = fz_test_shared("weights/dlpan_wv3/pannet.pth");
  if (!wp) SKIP("needs ../shared/weights/dlpan_wv3/pannet.pth");
  const char *why = golden_inputs_missing("pm_wv3_88x72");
  if (why) SKIP("%s", why);
  char gp[600];
  CHECK(golden_path("patchmerge_pannet.safetensors", gp, sizeof gp));
  fz_err err = {0};
  fz_weights g;
  CHECK_OK(st_open(gp, &g, &err), &err);
  int64_t n[4] = {0, 0, 0, 0}, shp[5] = {0, 0, 0, 0, 0};
  float *ref = golden_floats(&g, "out", &n[3], NULL, shp, &err);
  st_close(&g);
  const golden_inputs *gi = golden_inputs_get("pm_wv3_88x72", &err);  // the 88x72 crop, DN
  float *ms = NULL, *lms = NULL, *pan = NULL;
  if (gi) {
    n[0] = (int64_t)gi->c * (gi->h / GI_RATIO) * (gi->w / GI_RATIO);
    n[1] = (int64_t)gi->c * gi->h * gi->w;
    n[2] = (int64_t)gi->h * gi->w;
    ms = malloc((size_t)n[0] * sizeof *ms); lms = malloc((size_t)n[1] * sizeof *lms); pan = malloc((size_t)n[2] * sizeof *pan);
  }
  fz_pan_model *m = NULL;
  float *out = NULL;
  double md = -1;
  int ok = ms && lms && pan && ref && n[3] == n[1] && shp[1] == 8 && shp[2] == gi->h && shp[3] == gi->w;
  if (!ok && !err.code) fz_fail(&err, FZ_EINVAL, "patchmerge_pannet.safetensors: out is not [1, 8, %d, %d] or out of memory",
                                gi ? gi->h : 0, gi ? gi->w : 0);
  ok = ok && !fz_model_load(wp, NULL, fz_backend_cpu(0), &m, &err);
  if (ok) {
    for (int64_t i = 0; i < n[0]; i++) ms[i] = gi->ms[i] / 2047.0f;
    for (int64_t i = 0; i < n[1]; i++) lms[i] = gi->lms[i] / 2047.0f;
    for (int64_t i = 0; i < n[2]; i++) pan[i] = gi->pan[i] / 2047.0f;
    int H = (int)shp[2], W = (int)shp[3];
    fz_scene s = {8, H, W, ms, lms, pan};
    fz_fuse_opts o = {.tile = 64, .merge = FZ_MERGE_PATCHMERGE, .batch = 5};
    ok = (out = malloc((size_t)n[3] * sizeof *out)) && !fz_fuse_scene(m, &s, &o, out, &err);
    if (ok) md = max_abs_diff(out, ref, n[3]);
  }
  fz_model_free(m);
  free(ms); free(lms); free(pan); free(ref); free(out);
  CHECKF(ok, "%s", err.msg);
  printf("     pannet patchmerge 88x72: max |fusor - python PatchMergeModule| = %.3g\n", md);
  CHECKF(md <= 1e-4, "patchmerge: max abs diff %.3g > 1e-4", md);
}
