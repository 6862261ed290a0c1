// test_condunet.c — the conditional U-Net backbone (models/condunet.c) against fusor's own PyTorch reference
// (tools/python/fusor_ref/condunet.py) on random f16-exact weights and synthetic inputs
// (tests/golden/condunet_random.safetensors, otfm_parity.safetensors; tools/python/golden_condunet.py made both),
// plus shape / hyper-parameter errors. The backbone is loaded into a bare model object (no architecture), the way
// PAN-OTFM and the bridge model load it under their own prefix.
#include "test.h"
#include "test_models_util.h"
#include "../models/condunet.h"
#include <stdlib.h>
#include <string.h>

// A bare model on the 1-thread CPU backend reading weights w and hyper-parameters hp (no architecture attached).
static fz_pan_model *bare_model(const fz_weights *w, const char *hp) {
  fz_pan_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->be = fz_backend_cpu(1);
  m->w = w;
  m->hparams = hp;
  snprintf(m->display, sizeof m->display, "condunet_random.safetensors");
  snprintf(m->info.arch, sizeof m->info.arch, "condunet");
  return m;
}

// Oracle: CondUNet.forward of tools/python/fusor_ref/condunet.py (PyTorch 1.13 CPU, fp32) with the same f16-exact
// weights (3 levels, 2 blocks, width 8, ch_mult 1,2,2, attention with 2 heads) on a batch of two 32x32 inputs
// (image 1 mirrored) at network times 0 and 370.5; max abs difference <= 1e-4.
TEST(condunet_forward_parity) {
  fz_err err = {0};
  char p1[512], p2[512];
  if (!golden_path("condunet_random.safetensors", p1, sizeof p1) || !golden_path("otfm_parity.safetensors", p2, sizeof p2))
    SKIP("tests/golden/condunet_random.safetensors or otfm_parity.safetensors is missing");
  fz_weights w, g;
  CHECK_OK(fz_weights_load(p1, &w, &err), &err);
  CHECK_OK(fz_weights_load(p2, &g, &err), &err);
  fz_pan_model *m = bare_model(&w, fz_weights_meta_get(&w, "fusor.hparams"));
  CHECK(m != NULL);
  fz_condunet u;
  fz_condunet_cfg cfg = {.in_ch = 4, .cond_ch = 5, .out_ch = 4};
  CHECK_OK(fz_condunet_read_hparams(m, &cfg, &err), &err);
  CHECK(cfg.width == 8 && cfg.levels == 3 && cfg.blocks == 2 && cfg.groups == 4 && cfg.attn == 1 && cfg.heads == 2);
  CHECK(cfg.mult[0] == 1 && cfg.mult[1] == 2 && cfg.mult[2] == 2);
  CHECK_OK(fz_condunet_load(m, &u, &cfg, "net.", 0, &err), &err);
  CHECK(fz_condunet_multiple(&u) == 4);
  fz_param_count(m);
  CHECK(m->info.params == 79756);  // sum(p.numel()) of the PyTorch module
  const fz_backend *be = m->be;
  fz_tensor xt = {0}, lms = {0}, pan = {0}, out = {0};
  CHECK_OK(golden_tensor_batch2(be, &g, "fwd.x_t", 0, &xt, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "lms", 1, &lms, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "pan", 1, &pan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, xt.shape, &err), &err);
  int64_t ns = 0, no = 0;
  float *s = golden_floats(&g, "fwd.s", &ns, NULL, NULL, &err), *want = golden_floats(&g, "fwd.out", &no, NULL, NULL, &err);
  CHECK(s && want && ns == 2 && no == fz_tensor_numel(&out));
  float t[2] = {s[0] * 1000.0f, s[1] * 1000.0f};  // PAN-OTFM feeds time_scale·s
  const fz_tensor *cond[2] = {&lms, &pan};
  CHECK_OK(fz_condunet_forward(m, &u, &xt, cond, 2, t, &out, &err), &err);
  float *got = malloc((size_t)no * sizeof *got);
  CHECK_OK(fz_tensor_download(&out, got, (size_t)no * sizeof *got, &err), &err);
  double md = max_abs_diff(got, want, no), mag = 0;
  for (int64_t i = 0; i < no; i++) mag = fmax(mag, fabs(want[i]));
  printf("    condunet forward: max |fusor - pytorch| = %.3g (outputs up to %.3g)\n", md, mag);
  CHECKF(md <= 1e-4 && mag > 0.1, "forward max abs diff %.3g > 1e-4 (or outputs too small: %.3g)", md, mag);
  // bad input: wrong conditioning channels, size not a multiple of 4, wrong out shape
  fz_tensor odd = {0};
  int64_t so[4] = {2, 4, 30, 30};
  CHECK(fz_condunet_forward(m, &u, &xt, cond, 1, t, &out, &err) != 0 && strstr(err.msg, "conditioning has 4 channels; the network takes 5"));
  CHECK_OK(fz_tensor_alloc(&odd, be, FZ_F32, 4, so, &err), &err);
  CHECK(fz_condunet_forward(m, &u, &odd, cond, 2, t, &out, &err) != 0 && strstr(err.msg, "multiples of 4"));
  CHECK(fz_condunet_forward(m, &u, &xt, cond, 2, t, &odd, &err) != 0 && strstr(err.msg, "out is"));
  free(s); free(want); free(got);
  fz_tensor_free(&xt); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out); fz_tensor_free(&odd);
  m->w = NULL;
  m->hparams = NULL;
  fz_model_free(m);
  fz_weights_free(&w);
  fz_weights_free(&g);
}

// Oracle: the configuration the file holds; a hyper-parameter that contradicts the tensors (levels, blocks, width,
// attention) must fail naming the tensor or the key, never load.
TEST(condunet_bad_hparams) {
  fz_err err = {0};
  char p1[512];
  if (!golden_path("condunet_random.safetensors", p1, sizeof p1)) SKIP("tests/golden/condunet_random.safetensors is missing");
  fz_weights w;
  CHECK_OK(fz_weights_load(p1, &w, &err), &err);
  static const struct { const char *hp, *msg; } cases[] = {
      {"{\"width\":8,\"levels\":2,\"blocks\":2,\"groups\":4,\"heads\":2,\"ch_mult\":\"1,2\"}", "levels = 2"},
      {"{\"width\":8,\"levels\":3,\"blocks\":1,\"groups\":4,\"heads\":2,\"ch_mult\":\"1,2,2\"}", "blocks = 1"},
      {"{\"width\":16,\"levels\":3,\"blocks\":2,\"groups\":4,\"heads\":2,\"ch_mult\":\"1,2,2\"}", "net.temb.0.weight"},
      {"{\"width\":8,\"levels\":3,\"blocks\":2,\"groups\":4,\"heads\":2,\"attn\":0,\"ch_mult\":\"1,2,2\"}", "attn = 0"},
      {"{\"width\":8,\"levels\":3,\"blocks\":2,\"groups\":3,\"heads\":2,\"ch_mult\":\"1,2,2\"}", "groups = 3"},
      {"{\"width\":8,\"levels\":3,\"blocks\":2,\"groups\":4,\"heads\":2,\"ch_mult\":\"1,2\"}", "ch_mult"},
      {"{\"width\":8,\"levels\":9}", "levels = 9"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fz_pan_model *m = bare_model(&w, cases[i].hp);
    CHECK(m != NULL);
    fz_condunet u;
    fz_condunet_cfg cfg = {.in_ch = 4, .cond_ch = 5, .out_ch = 4};
    int rc = fz_condunet_read_hparams(m, &cfg, &err);
    if (!rc) rc = fz_condunet_load(m, &u, &cfg, "net.", 0, &err);
    m->w = NULL;
    fz_model_free(m);
    CHECKF(rc != 0 && strstr(err.msg, cases[i].msg), "case %zu: rc %d, message '%s' lacks '%s'", i, rc, err.msg, cases[i].msg);
  }
  fz_weights_free(&w);
}
