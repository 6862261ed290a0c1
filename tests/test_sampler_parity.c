// test_sampler_parity.c — parity options and starts: SSDiff's DDIM update (seed-methods.md §2.1),
// SDEdit starts (diffusers img2img truncation), regression, and error paths.
#include "test.h"
#include "../samplers/sampler.h"
#include "../runtime/rng.h"
#include <stdlib.h>
#include <string.h>

typedef struct { double tm[16]; int n; } tlog;

// A residual model out = 0.3·x − 0.1 that records the t_model values it is fed.
static int resid_model(void *user, const fz_tensor *x, double tm, const fz_tensor *cond, const fz_point *p, fz_tensor *out, fz_err *err) {
  (void)cond; (void)p; (void)err;
  tlog *l = user;
  if (l->n < 16) l->tm[l->n++] = tm;
  const float *a = x->data;
  float *o = out->data;
  for (int64_t i = 0; i < fz_tensor_numel(x); i++) o[i] = 0.3f * a[i] - 0.1f;
  return 0;
}

typedef struct { float *x[12]; int64_t n; } states;
static int keep_states(void *user, const fz_step_event *ev) {
  states *s = user;
  if (ev->step < 12) {
    s->x[ev->step] = malloc((size_t)s->n * 4);
    fz_tensor_download(ev->x, s->x[ev->step], (size_t)s->n * 4, NULL);
  }
  return 0;
}

// Oracle: SSDiff's sampler as written in seed-methods.md §2.1 (cosine ᾱ(t) = cos²((t/T+0.008)/1.008·π/2)
// normalised by ᾱ(0), respacing ddim10 → 900..0, pred_x0 = clamp(out + lms, 0, 1),
// ε̂ = (√(1/ᾱ)·x − pred_x0)/√(1/ᾱ − 1), x' = √ᾱ'·pred_x0 + √(1−ᾱ')·ε̂, respaced index 9..0 fed to the
// model, the output the last pred_x0), evaluated here in double for the first two steps.
TEST(sampler_ssdiff_parity) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  int64_t shape[4] = {1, 2, 8, 8}, n = 128;
  fz_tensor lms, out;
  CHECK_OK(fz_tensor_alloc(&lms, be, FZ_F32, 4, shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err), &err);
  float hl[128], ho[128];
  for (int i = 0; i < 128; i++) hl[i] = (float)(0.5 + 0.4 * sin(0.3 * i));
  CHECK_OK(fz_tensor_upload(&lms, hl, sizeof hl, &err), &err);
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, FZ_SAMPLER_DDIM);
  cfg.process = FZ_PROC_VP;
  cfg.beta_schedule = FZ_BETA_COSINE;
  cfg.spacing = FZ_SPACING_RESPACE;
  snprintf(cfg.respace, sizeof cfg.respace, "ddim10");
  cfg.clamp_x0 = 1;
  cfg.clamp_lo = 0;
  cfg.clamp_hi = 1;
  cfg.eps_mode = FZ_EPS_FROM_X0;
  cfg.output_x0 = 1;
  tlog tl = {{0}, 0};
  fz_model m = {resid_model, &tl, FZ_PRED_RESIDUAL, FZ_TIN_RESPACED, 1, 0};
  fz_sample_inputs in = {0};
  in.prior = &lms;
  states st = {{0}, n};
  CHECK_OK(fz_sample(be, &m, &cfg, &in, 42, keep_states, &st, &out, &err), &err);
  CHECK(tl.n == 10);
  for (int k = 0; k < 10; k++) CHECK(tl.tm[k] == 9 - k);
  double f0 = pow(cos(0.008 / 1.008 * M_PI / 2), 2);
  for (int k = 0; k < 2; k++) {
    int t = 900 - 100 * k, tp = t - 100;
    double ab = pow(cos(((t + 1) / 1000.0 + 0.008) / 1.008 * M_PI / 2), 2) / f0;
    double abp = pow(cos(((tp + 1) / 1000.0 + 0.008) / 1.008 * M_PI / 2), 2) / f0;
    for (int i = 0; i < n; i++) {
      double x = st.x[k][i], out_ = 0.3f * (float)x - 0.1f, px0 = out_ + hl[i];
      px0 = px0 < 0 ? 0 : px0 > 1 ? 1 : px0;
      double e = (sqrt(1 / ab) * x - px0) / sqrt(1 / ab - 1), want = sqrt(abp) * px0 + sqrt(1 - abp) * e;
      CHECKF(fabs(st.x[k + 1][i] - want) <= 2e-5 * (1 + fabs(want)), "step %d [%d]: %.7g, expected %.7g", k + 1, i, st.x[k + 1][i], want);
    }
  }
  CHECK_OK(fz_tensor_download(&out, ho, sizeof ho, &err), &err);
  for (int i = 0; i < n; i++) {  // the output is the last pred_x0 = clamp(out(x at t=0) + lms)
    double x = st.x[9][i], px0 = 0.3f * (float)x - 0.1f + hl[i];
    px0 = px0 < 0 ? 0 : px0 > 1 ? 1 : px0;
    CHECK_NEAR(ho[i], px0, 1e-6);
  }
  for (int k = 0; k < 12; k++) free(st.x[k]);
  fz_tensor_free(&lms);
  fz_tensor_free(&out);
}

// Oracle: diffusers img2img keeps timesteps[n − int(n·strength):] and starts from add_noise(prior, z, t0)
// = √ᾱ_t0·prior + √(1−ᾱ_t0)·z; z is fz_philox_normal(seed, stream = channel, index = y·W + x) (slot 0),
// per the noise layout documented in sampler.h / rng.h.
TEST(sampler_sdedit_start) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  int64_t shape[4] = {1, 2, 6, 5};
  fz_tensor pr, out;
  CHECK_OK(fz_tensor_alloc(&pr, be, FZ_F32, 4, shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err), &err);
  float hp[60];
  for (int i = 0; i < 60; i++) hp[i] = (float)(0.1 * i - 2);
  CHECK_OK(fz_tensor_upload(&pr, hp, sizeof hp, &err), &err);
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, FZ_SAMPLER_DDIM);
  cfg.process = FZ_PROC_VP;
  cfg.steps = 10;
  cfg.start = FZ_START_SDEDIT;
  cfg.strength = 0.5;
  tlog tl = {{0}, 0};
  fz_model m = {resid_model, &tl, FZ_PRED_EPS, FZ_TIN_INDEX, 1, 0};
  fz_sample_inputs in = {0};
  in.prior = &pr;
  states st = {{0}, 60};
  CHECK_OK(fz_sample(be, &m, &cfg, &in, 8, keep_states, &st, &out, &err), &err);
  CHECK(tl.n == 5 && tl.tm[0] == 400 && tl.tm[4] == 0);
  double ab[1000];
  CHECK_OK(fz_vp_alphas_cumprod(FZ_BETA_LINEAR, 1000, 1e-4, 0.02, ab, &err), &err);
  for (int c = 0; c < 2; c++)
    for (int i = 0; i < 30; i++) {
      double z = fz_philox_normal(8, (uint64_t)c, (uint64_t)i), want = sqrt(ab[400]) * hp[c * 30 + i] + sqrt(1 - ab[400]) * z;
      CHECK_NEAR(st.x[0][c * 30 + i], want, 1e-5);
    }
  for (int k = 0; k < 12; k++) free(st.x[k]);
  cfg.strength = 0.05;  // int(10·0.05) = 0 steps
  CHECK(fz_sample(be, &m, &cfg, &in, 8, NULL, NULL, &out, &err) == FZ_EINVAL && strstr(err.msg, "keeps no step"));
  fz_tensor_free(&pr);
  fz_tensor_free(&out);
}

static int stop_at_2(void *user, const fz_step_event *ev) { (void)user; return ev->step == 2; }
static int failing_model(void *user, const fz_tensor *x, double tm, const fz_tensor *cond, const fz_point *p, fz_tensor *out, fz_err *err) {
  (void)user; (void)x; (void)cond; (void)p; (void)out;
  return fz_fail(err, FZ_EIO, "weights file truncated at t=%g", tm);
}

// Oracle: regression is one forward pass (x0 = out, or prior + out for residual models: 0.3·prior − 0.1
// + prior); the error paths name what is wrong.
TEST(sampler_regression_and_errors) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  int64_t shape[4] = {1, 1, 4, 4}, bad[4] = {1, 2, 4, 4};
  fz_tensor pr, out, wrong;
  CHECK_OK(fz_tensor_alloc(&pr, be, FZ_F32, 4, shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&wrong, be, FZ_F32, 4, bad, &err), &err);
  float hp[16], ho[16];
  for (int i = 0; i < 16; i++) hp[i] = (float)i / 16;
  CHECK_OK(fz_tensor_upload(&pr, hp, sizeof hp, &err), &err);
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, FZ_SAMPLER_REGRESSION);
  tlog tl = {{0}, 0};
  fz_model m = {resid_model, &tl, FZ_PRED_RESIDUAL, FZ_TIN_INDEX, 1, 0};
  fz_sample_inputs in = {0};
  in.prior = &pr;
  CHECK_OK(fz_sample(be, &m, &cfg, &in, 0, NULL, NULL, &out, &err), &err);
  CHECK_OK(fz_tensor_download(&out, ho, sizeof ho, &err), &err);
  for (int i = 0; i < 16; i++) CHECK_NEAR(ho[i], (0.3f * hp[i] - 0.1f) + hp[i], 1e-6);
  m.pred = FZ_PRED_EPS;
  CHECK(fz_sample(be, &m, &cfg, &in, 0, NULL, NULL, &out, &err) == FZ_EINVAL && strstr(err.msg, "x0 or residual"));
  // a stopping callback, a failing model, a bridge without its prior, a prior of the wrong shape
  fz_sampler_config_default(&cfg, FZ_SAMPLER_DDIM);
  m.pred = FZ_PRED_EPS;
  CHECK(fz_sample(be, &m, &cfg, NULL, 0, stop_at_2, NULL, &out, &err) == FZ_EINVAL && strstr(err.msg, "step 2 of 20"));
  fz_model fm = {failing_model, NULL, FZ_PRED_EPS, FZ_TIN_INDEX, 1, 0};
  CHECK(fz_sample(be, &fm, &cfg, NULL, 0, NULL, NULL, &out, &err) == FZ_EIO && strstr(err.msg, "truncated") && strstr(err.msg, "model at t = 950"));
  fz_sampler_config_default(&cfg, FZ_SAMPLER_BRIDGE_SDE);
  CHECK(fz_sample(be, &m, &cfg, NULL, 0, NULL, NULL, &out, &err) == FZ_EINVAL && strstr(err.msg, "prior"));
  in.prior = &wrong;
  CHECK(fz_sample(be, &m, &cfg, &in, 0, NULL, NULL, &out, &err) == FZ_EINVAL && strstr(err.msg, "prior has shape [1, 2, 4, 4]"));
  fz_tensor_free(&pr);
  fz_tensor_free(&out);
  fz_tensor_free(&wrong);
}
