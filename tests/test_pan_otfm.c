// test_pan_otfm.c — PAN-OTFM (models/pan_otfm.c) against fusor's own PyTorch reference (tools/python/fusor_ref/otfm.py)
// on the random-weight model tests/golden/condunet_random.safetensors and otfm_parity.safetensors (made by
// tools/python/golden_condunet.py): one velocity evaluation, the one-step map and a 4-step flow_euler run from an
// injected start state; plus the source construction, the evaluation counts and the sampler hooks' refusals.
#include "test.h"
#include "test_models_util.h"
#include "rng.h"
#include "../models/pan_otfm.h"
#include <stdlib.h>
#include <string.h>

// max |t - golden `name`| (INFINITY on a size mismatch or read failure).
static double diff_golden(const fz_tensor *t, const fz_weights *g, const char *name, double *mag, fz_err *err) {
  int64_t n = 0;
  float *want = golden_floats(g, name, &n, NULL, NULL, err);
  if (!want || n != fz_tensor_numel(t)) { free(want); return INFINITY; }
  float *got = malloc((size_t)n * sizeof *got);
  double d = INFINITY;
  if (got && !fz_tensor_download(t, got, (size_t)n * sizeof *got, err)) d = max_abs_diff(got, want, n);
  if (mag) { *mag = 0; for (int64_t i = 0; i < n; i++) *mag = fmax(*mag, fabs(want[i])); }
  free(got);
  free(want);
  return d;
}

// Opens the random model and the goldens; 0 when absent.
static int open_otfm(fz_pan_model **m, fz_weights *g, fz_err *err) {
  char p1[512], p2[512];
  if (!golden_path("condunet_random.safetensors", p1, sizeof p1) || !golden_path("otfm_parity.safetensors", p2, sizeof p2)) return 0;
  if (fz_model_load(p1, NULL, fz_backend_cpu(1), m, err)) return -1;
  if (fz_weights_load(p2, g, err)) { fz_model_free(*m); *m = NULL; return -1; }
  return 1;
}

// Oracle: PanOTFM.forward of fusor_ref/otfm.py (condunet at time 1000·s) on the same f16-exact weights, batch of two
// (image 1 mirrored) at s = 0 and 0.3705; fp32, max abs difference <= 1e-4. Also the loaded configuration.
TEST(pan_otfm_forward_parity) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_otfm(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/condunet_random.safetensors or otfm_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_pan_otfm_info *I = fz_pan_otfm_get_info(m);
  const fz_model_info *mi = fz_model_get_info(m);
  CHECK(I && I->bands == 4 && I->source_noise == 0.02 && I->time_scale == 1000 && I->net.levels == 3);
  CHECK(!strcmp(mi->arch, "pan_otfm") && mi->multiple == 4 && mi->scale == 2047 && mi->params == 79756);
  CHECK(mi->inputs == (FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN) && fz_model_is_generative(m));
  const fz_backend *be = fz_model_backend(m);
  fz_tensor xs = {0}, lms = {0}, pan = {0}, out = {0};
  CHECK_OK(golden_tensor_batch2(be, &g, "fwd.x_t", 0, &xs, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "lms", 1, &lms, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "pan", 1, &pan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, xs.shape, &err), &err);
  int64_t ns = 0;
  float *s = golden_floats(&g, "fwd.s", &ns, NULL, NULL, &err);
  CHECK(s && ns == 2);
  CHECK_OK(fz_pan_otfm_net(m, &xs, &lms, &pan, s, &out, &err), &err);
  double mag, d = diff_golden(&out, &g, "fwd.out", &mag, &err);
  printf("    pan_otfm velocity: max |fusor - pytorch| = %.3g (outputs up to %.3g)\n", d, mag);
  CHECKF(d <= 1e-4 && mag > 0.1, "forward max abs diff %.3g > 1e-4", d);
  free(s);
  fz_tensor_free(&xs); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Runs `sampler` with `steps` from the injected start x0 on (lms, pan) into out; *nfe gets the evaluations it made.
static int run_sampler(fz_pan_model *m, fz_sampler_kind k, int steps, const fz_tensor *x0, const fz_tensor *lms,
                       const fz_tensor *pan, fz_tensor *out, uint64_t *nfe, fz_err *err) {
  fz_sampler_config cfg;
  uint64_t e0 = fz_model_evaluations(m);
  if (fz_model_sampler_for(m, k, steps, &cfg, err) || fz_model_set_sampler(m, &cfg, FZ_TIN_T, 42, err)) return err->code;
  fz_pan_inputs in = {NULL, lms, pan};
  if (fz_model_sample(m, &in, x0, 0, NULL, NULL, out, err)) return err->code;
  *nfe = fz_model_evaluations(m) - e0;
  return FZ_OK;
}

// Oracle: otfm.sample of fusor_ref/otfm.py — Euler on s in [0, 1] with 4 uniform steps (x += v/4 at s = k/4) and the
// one-step map x0 + v(x0, 0) — from the same injected start state (lms + 0.02·z drawn in torch); <= 1e-4. fusor runs
// it as flow_euler / onestep on its flow process (t = 1 − s, velocity negated by flow_data_at_one).
TEST(pan_otfm_sampler_parity) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_otfm(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/condunet_random.safetensors or otfm_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor x0 = {0}, lms = {0}, pan = {0}, out = {0}, out1 = {0};
  CHECK_OK(golden_tensor_batch2(be, &g, "start.x0", 0, &x0, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "lms", 0, &lms, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "pan", 0, &pan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, x0.shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out1, be, FZ_F32, 4, x0.shape, &err), &err);
  // the default sampler is the one-step map
  const fz_sampler_config *def = fz_model_sampler(m);
  CHECK(def && def->sampler == FZ_SAMPLER_ONESTEP && def->process == FZ_PROC_FLOW && def->start == FZ_START_PRIOR);
  uint64_t nfe = 0;
  double mag, d;
  CHECK_OK(run_sampler(m, FZ_SAMPLER_EULER, 4, &x0, &lms, &pan, &out, &nfe, &err), &err);
  d = diff_golden(&out, &g, "euler4.out", &mag, &err);
  printf("    pan_otfm flow_euler 4 steps: max |fusor - pytorch| = %.3g (values up to %.3g), %llu evaluations\n", d, mag,
         (unsigned long long)nfe);
  CHECKF(d <= 1e-4 && nfe == 4, "euler4 max abs diff %.3g > 1e-4 or %llu evaluations != 4", d, (unsigned long long)nfe);
  CHECK_OK(run_sampler(m, FZ_SAMPLER_ONESTEP, 1, &x0, &lms, &pan, &out1, &nfe, &err), &err);
  d = diff_golden(&out1, &g, "onestep.out", &mag, &err);
  printf("    pan_otfm onestep: max |fusor - pytorch| = %.3g, %llu evaluation\n", d, (unsigned long long)nfe);
  CHECKF(d <= 1e-4 && nfe == 1, "onestep max abs diff %.3g > 1e-4 or %llu evaluations != 1", d, (unsigned long long)nfe);
  // flow_euler with 1 step is the same map
  CHECK_OK(run_sampler(m, FZ_SAMPLER_EULER, 1, &x0, &lms, &pan, &out, &nfe, &err), &err);
  d = diff_golden(&out, &g, "onestep.out", NULL, &err);
  CHECKF(d <= 1e-4 && nfe == 1, "flow_euler 1 step differs from the one-step golden by %.3g", d);
  // Heun: 2 evaluations per step except the last (Euler to the end): 2 steps = 3; midpoint 2 per step
  CHECK_OK(run_sampler(m, FZ_SAMPLER_HEUN, 2, &x0, &lms, &pan, &out, &nfe, &err), &err);
  CHECK(nfe == 3);
  CHECK_OK(run_sampler(m, FZ_SAMPLER_MIDPOINT, 2, &x0, &lms, &pan, &out, &nfe, &err), &err);
  CHECK(nfe == 4);
  fz_tensor_free(&x0); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out); fz_tensor_free(&out1);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: the source definition x0 = lms + source_noise·z with z the Philox normals of (seed, stream image·C + c,
// offset y·W + x), computed here on the host in double from fz_philox_fill_normal; and a sampler run without an
// injected start equals the run injected with that source (the prior is the only randomness).
TEST(pan_otfm_source) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_otfm(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/condunet_random.safetensors or otfm_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor lms = {0}, pan = {0}, x0 = {0}, a = {0}, b = {0};
  CHECK_OK(golden_tensor_batch2(be, &g, "lms", 0, &lms, &err), &err);
  CHECK_OK(golden_tensor_batch2(be, &g, "pan", 0, &pan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&x0, be, FZ_F32, 4, lms.shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&a, be, FZ_F32, 4, lms.shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&b, be, FZ_F32, 4, lms.shape, &err), &err);
  int64_t n = fz_tensor_numel(&lms), C = 4, H = 32, W = 32;
  uint64_t seed = 1234, img = 3;
  CHECK_OK(fz_pan_otfm_source(m, &lms, seed, img, &x0, &err), &err);
  float *l = malloc((size_t)n * sizeof *l), *x = malloc((size_t)n * sizeof *x), *z = malloc((size_t)W * sizeof *z);
  CHECK_OK(fz_tensor_download(&lms, l, (size_t)n * sizeof *l, &err), &err);
  CHECK_OK(fz_tensor_download(&x0, x, (size_t)n * sizeof *x, &err), &err);
  double md = 0, zs = 0;
  for (int64_t c = 0; c < C; c++)
    for (int64_t y = 0; y < H; y++) {
      fz_philox_fill_normal(z, (uint64_t)W, seed, img * (uint64_t)C + (uint64_t)c, (uint64_t)(y * W));
      for (int64_t xx = 0; xx < W; xx++) {
        int64_t i = (c * H + y) * W + xx;
        md = fmax(md, fabs((double)x[i] - ((double)l[i] + 0.02 * (double)z[xx])));
        zs += fabs((double)z[xx]);
      }
    }
  CHECKF(md <= 1e-6 && zs > 0.5 * (double)n, "source differs from lms + 0.02 z by %.3g", md);
  // sampling without x_T (seed 1234, image 3) == sampling from the injected source
  fz_sampler_config cfg;
  CHECK_OK(fz_model_sampler_default(m, &cfg, NULL, &err), &err);
  CHECK_OK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, seed, &err), &err);
  fz_pan_inputs in = {NULL, &lms, &pan};
  CHECK_OK(fz_model_sample(m, &in, NULL, img, NULL, NULL, &a, &err), &err);
  CHECK_OK(fz_model_sample(m, &in, &x0, img, NULL, NULL, &b, &err), &err);
  CHECK_OK(fz_tensor_download(&a, x, (size_t)n * sizeof *x, &err), &err);
  CHECK_OK(fz_tensor_download(&b, l, (size_t)n * sizeof *l, &err), &err);
  CHECK(max_abs_diff(x, l, n) == 0);
  // another image index gives another source
  CHECK_OK(fz_model_sample(m, &in, NULL, img + 1, NULL, NULL, &b, &err), &err);
  CHECK_OK(fz_tensor_download(&b, l, (size_t)n * sizeof *l, &err), &err);
  CHECK(max_abs_diff(x, l, n) > 1e-3);
  free(l); free(x); free(z);
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&x0); fz_tensor_free(&a); fz_tensor_free(&b);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: the model's definition (a deterministic flow from its source): diffusion samplers, other processes, noise /
// SDEdit starts and other time inputs are refused with a message naming what fits; the model's sampler is unchanged.
TEST(pan_otfm_sampler_refusals) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_otfm(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/condunet_random.safetensors or otfm_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, FZ_SAMPLER_DDIM);  // natural process vp
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "flow-matching model") && strstr(err.msg, "vp"));
  fz_sampler_config_default(&cfg, FZ_SAMPLER_BRIDGE_ODE);
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "bridge"));
  fz_sampler_config_default(&cfg, FZ_SAMPLER_EULER);
  cfg.process = FZ_PROC_VE;
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "flow_euler"));
  fz_sampler_config_default(&cfg, FZ_SAMPLER_DDIM);
  cfg.process = FZ_PROC_FLOW;
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "does not apply to PAN-OTFM"));
  CHECK_OK(fz_model_sampler_for(m, FZ_SAMPLER_EULER, 4, &cfg, &err), &err);
  cfg.start = FZ_START_NOISE;
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "pure noise"));
  cfg.start = FZ_START_SDEDIT;
  cfg.strength = 0.5;
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "SDEdit"));
  cfg.start = FZ_START_DEFAULT;
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err) != 0 && strstr(err.msg, "time input"));
  const fz_sampler_config *cur = fz_model_sampler(m);
  CHECK(cur->sampler == FZ_SAMPLER_ONESTEP);  // nothing changed by the refusals
  CHECK_OK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err), &err);
  CHECK(cur->sampler == FZ_SAMPLER_EULER && cur->steps == 4 && cur->start == FZ_START_PRIOR);
  fz_weights_free(&g);
  fz_model_free(m);
}
