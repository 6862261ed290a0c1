// test_sched.c — schedule math: diffusers spacings, improved-diffusion respacing, ᾱ tables, Karras
// grids, flow shift, the I²SB bridge table, and the grid of points a sampler walks.
#include "test.h"
#include "../samplers/sampler.h"
#include <stdlib.h>
#include <string.h>

// Oracle: DDIMScheduler / DPMSolverMultistepScheduler.set_timesteps(n).timesteps of diffusers 0.42.1
// (T = 1000), printed once by running diffusers; steps_offset=1 → [801,601,401,201,1] is also asserted
// in diffusers' own tests/schedulers/test_scheduler_ddim.py (test_steps_offset).
TEST(sched_diffusers_spacings) {
  fz_err err = {0};
  static const struct { fz_spacing sp; int n, dpm, off; int ts[13]; } cases[] = {
    {FZ_SPACING_LEADING, 7, 0, 0, {852, 710, 568, 426, 284, 142, 0}},
    {FZ_SPACING_TRAILING, 7, 0, 0, {999, 856, 713, 570, 428, 285, 142}},
    {FZ_SPACING_LINSPACE, 7, 0, 0, {999, 832, 666, 500, 333, 166, 0}},
    {FZ_SPACING_TRAILING, 3, 0, 0, {999, 666, 332}},
    {FZ_SPACING_LINSPACE, 1, 0, 0, {0}},
    {FZ_SPACING_LEADING, 13, 0, 0, {912, 836, 760, 684, 608, 532, 456, 380, 304, 228, 152, 76, 0}},
    {FZ_SPACING_LEADING, 5, 0, 1, {801, 601, 401, 201, 1}},
    {FZ_SPACING_LEADING, 7, 1, 0, {875, 750, 625, 500, 375, 250, 125}},
    {FZ_SPACING_TRAILING, 7, 1, 0, {999, 856, 713, 570, 428, 285, 142}},
    {FZ_SPACING_LINSPACE, 7, 1, 0, {999, 856, 714, 571, 428, 285, 143}},
    {FZ_SPACING_LINSPACE, 1, 1, 0, {999}},
    {FZ_SPACING_LINSPACE, 10, 1, 0, {999, 899, 799, 699, 599, 500, 400, 300, 200, 100}},
    {FZ_SPACING_LEADING, 13, 1, 0, {923, 852, 781, 710, 639, 568, 497, 426, 355, 284, 213, 142, 71}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int ts[16];
    CHECK_OK(fz_spacing_timesteps(cases[c].sp, 1000, cases[c].n, cases[c].off, cases[c].dpm, ts, &err), &err);
    for (int k = 0; k < cases[c].n; k++)
      CHECKF(ts[k] == cases[c].ts[k], "case %zu (%s n=%d dpm=%d): ts[%d] = %d, expected %d", c, fz_spacing_name(cases[c].sp),
             cases[c].n, cases[c].dpm, k, ts[k], cases[c].ts[k]);
  }
  int ts[4];
  CHECK(fz_spacing_timesteps(FZ_SPACING_LEADING, 1000, 0, 0, 0, ts, &err) == FZ_EINVAL);
  CHECK(fz_spacing_timesteps(FZ_SPACING_LEADING, 1000, 2, 600, 0, ts, &err) == FZ_EINVAL && strstr(err.msg, "steps_offset"));
}

// Oracle: improved-diffusion respace.space_timesteps run in Python on the same arguments.
TEST(sched_respace_improved_diffusion) {
  fz_err err = {0};
  int ts[1000], n;
  CHECK_OK(fz_respace_timesteps(1000, "ddim10", ts, 1000, &n, &err), &err);
  CHECK(n == 10);
  for (int k = 0; k < 10; k++) CHECK(ts[k] == 100 * k);
  CHECK_OK(fz_respace_timesteps(1000, "10", ts, 1000, &n, &err), &err);
  CHECK(n == 10 && ts[1] == 111 && ts[9] == 999);
  CHECK_OK(fz_respace_timesteps(300, "7,3", ts, 1000, &n, &err), &err);
  static const int want73[] = {0, 25, 50, 74, 99, 124, 149, 150, 224, 299};
  CHECK(n == 10);
  for (int k = 0; k < n; k++) CHECKF(ts[k] == want73[k], "7,3: ts[%d] = %d, expected %d", k, ts[k], want73[k]);
  CHECK_OK(fz_respace_timesteps(1000, "50,25,10", ts, 1000, &n, &err), &err);
  CHECK(n == 85 && ts[3] == 20 && ts[49] == 333 && ts[50] == 334 && ts[74] == 666 && ts[75] == 667 && ts[84] == 999);
  CHECK_OK(fz_respace_timesteps(1000, "ddim25", ts, 1000, &n, &err), &err);
  CHECK(n == 25 && ts[24] == 960);
  CHECK(fz_respace_timesteps(1000, "ddim600", ts, 1000, &n, &err) == FZ_EINVAL && strstr(err.msg, "integer stride"));
  CHECK(fz_respace_timesteps(1000, "5,x", ts, 1000, &n, &err) == FZ_EINVAL);
  CHECK(fz_respace_timesteps(10, "20", ts, 1000, &n, &err) == FZ_EINVAL && strstr(err.msg, "cannot divide"));
}

// Oracle: the cosine ᾱ telescopes to f(t+1)/f(0), f(t) = cos²((t/T + 0.008)/1.008·π/2), wherever β is
// not clipped; the last β is clipped at 0.999. Published DDPM/DDIM variances from diffusers' tests
// (test_scheduler_ddpm.py / test_scheduler_ddim.py test_variance) for the linear table.
TEST(sched_alpha_tables_and_variance) {
  fz_err err = {0};
  double *ab = malloc(1000 * sizeof *ab);
  CHECK_OK(fz_vp_alphas_cumprod(FZ_BETA_COSINE, 1000, 0, 0, ab, &err), &err);
  double f0 = pow(cos(0.008 / 1.008 * M_PI / 2), 2);
  for (int t = 0; t < 990; t += 7) {
    double ft = pow(cos(((t + 1) / 1000.0 + 0.008) / 1.008 * M_PI / 2), 2);
    CHECK_NEAR(ab[t], ft / f0, 1e-12);
  }
  CHECK_NEAR(ab[999] / ab[998], 0.001, 1e-12);
  CHECK_OK(fz_vp_alphas_cumprod(FZ_BETA_LINEAR, 1000, 1e-4, 0.02, ab, &err), &err);
  CHECK_NEAR(fz_vp_posterior_variance(ab[487], ab[486]), 0.00979, 1e-5);
  CHECK_NEAR(fz_vp_posterior_variance(ab[999], ab[998]), 0.02, 1e-5);
  CHECK_NEAR(fz_vp_posterior_variance(ab[420], ab[400]), 0.14771, 1e-5);
  CHECK_NEAR(fz_vp_posterior_variance(ab[980], ab[960]), 0.32460, 1e-5);
  CHECK_NEAR(ab[0], 1 - 1e-4, 1e-15);
  CHECK_OK(fz_vp_alphas_cumprod(FZ_BETA_SCALED_LINEAR, 1000, 0.00085, 0.012, ab, &err), &err);
  CHECK_NEAR(ab[999] / ab[998], 1 - 0.012, 1e-12);
  CHECK(fz_vp_alphas_cumprod(FZ_BETA_LINEAR, 1000, 0.1, 2.0, ab, &err) == FZ_EINVAL && strstr(err.msg, "outside (0, 1)"));
  free(ab);
}

// Oracle: Karras grids are equally spaced in σ^(1/ρ) between the end points; the SD3 shift closed form.
TEST(sched_karras_and_flow_shift) {
  double s[9];
  fz_karras_sigmas(9, 0.002, 80, 7, s);
  CHECK_NEAR(s[0], 80, 1e-12);
  CHECK_NEAR(s[8], 0.002, 1e-15);
  for (int i = 1; i < 8; i++) CHECK_NEAR(pow(s[i], 1 / 7.0) - pow(s[i - 1], 1 / 7.0), (pow(0.002, 1 / 7.0) - pow(80, 1 / 7.0)) / 8, 1e-12);
  CHECK_NEAR(fz_flow_shift(0.5, 3.0), 0.75, 1e-15);
  CHECK_NEAR(fz_flow_shift(1.0, 3.0), 1.0, 1e-15);
  CHECK_NEAR(fz_flow_shift(0.2, 1.0), 0.2, 1e-15);
}

// Oracle: I²SB make_beta_schedule + mirrored halves + cumsum, evaluated with numpy (std_fwd, std_bwd at
// n = 0, 250, 999 for T = 1000, β_max = 0.3), and compute_gaussian_product_coef's closed form.
TEST(sched_bridge_table_and_posterior) {
  fz_err err = {0};
  double fwd[1000];
  CHECK_OK(fz_bridge_std_fwd(1000, 0.3, fwd, &err), &err);
  CHECK_NEAR(fwd[0], 0.01, 1e-15);
  CHECK_NEAR(fwd[250], 0.17314609472009213, 1e-14);
  CHECK_NEAR(fwd[999], 0.3755359513849159, 1e-14);
  double mx0, mxn, var, s1 = 0.2, s2 = 0.3;
  fz_bridge_posterior(s1, sqrt(s1 * s1 + s2 * s2), &mx0, &mxn, &var);
  CHECK_NEAR(mx0, s2 * s2 / (s1 * s1 + s2 * s2), 1e-15);
  CHECK_NEAR(mxn, s1 * s1 / (s1 * s1 + s2 * s2), 1e-15);
  CHECK_NEAR(var, s1 * s1 * s2 * s2 / (s1 * s1 + s2 * s2), 1e-15);
  CHECK(fz_bridge_std_fwd(999, 0.3, fwd, &err) == FZ_EINVAL);
}

// Oracle: SSDiff's sampler (seed-methods.md §2.1): cosine table, respacing "ddim10" → indices 900..0,
// the model fed the respaced index 9..0; improved-diffusion rescale (t·1000/T) and I²SB space_indices
// (numpy: [0, 200, 400, 599, 799, 999] for 5 steps).
TEST(sched_grid_points_and_time_inputs) {
  fz_err err = {0};
  fz_sampler_config c;
  fz_sampler_config_default(&c, FZ_SAMPLER_DDIM);
  c.process = FZ_PROC_VP;
  c.beta_schedule = FZ_BETA_COSINE;
  c.spacing = FZ_SPACING_RESPACE;
  snprintf(c.respace, sizeof c.respace, "ddim10");
  CHECK_OK(fz_sampler_config_resolve(&c, &err), &err);
  fz_model m = {0};
  m.time_input = FZ_TIN_RESPACED;
  fz_schedule s;
  CHECK_OK(fz_schedule_build(&c, &m, &s, &err), &err);
  CHECK(s.n == 10);
  double ab[1000];
  CHECK_OK(fz_vp_alphas_cumprod(FZ_BETA_COSINE, 1000, 0, 0, ab, &err), &err);
  for (int k = 0; k < 10; k++) {
    CHECK(s.pts[k].t == 900 - 100 * k);
    CHECK(s.pts[k].t_model == 9 - k);
    CHECK_NEAR(s.pts[k].alpha, sqrt(ab[900 - 100 * k]), 1e-15);
  }
  CHECK(s.pts[10].alpha == 1 && s.pts[10].sigma == 0);
  fz_schedule_free(&s);
  m.time_input = FZ_TIN_T;
  m.time_scale = 1000;
  c.train_steps = 2000;
  snprintf(c.respace, sizeof c.respace, "ddim4");
  CHECK_OK(fz_schedule_build(&c, &m, &s, &err), &err);
  CHECK(s.n == 4 && s.pts[0].t == 1500 && s.pts[0].t_model == 750);
  fz_schedule_free(&s);
  fz_sampler_config_default(&c, FZ_SAMPLER_BRIDGE_ODE);
  c.steps = 5;
  CHECK_OK(fz_sampler_config_resolve(&c, &err), &err);
  m.time_input = FZ_TIN_INDEX;
  m.time_scale = 0;
  CHECK_OK(fz_schedule_build(&c, &m, &s, &err), &err);
  static const int idx[6] = {999, 799, 599, 400, 200, 0};
  for (int k = 0; k <= 5; k++) CHECK(s.pts[k].t == idx[k] && s.pts[k].t_model == idx[k]);
  CHECK_NEAR(s.pts[0].std_fwd, 0.3755359513849159, 1e-14);
  // bridge marginal: alpha = std_bwd²/(std_fwd²+std_bwd²) at n = 999 (std_bwd = 0.01)
  CHECK_NEAR(s.pts[0].alpha, 1e-4 / (1e-4 + 0.3755359513849159 * 0.3755359513849159), 1e-14);
  fz_schedule_free(&s);
  // flow with shift 3: t = shift(1 − k/n)
  fz_sampler_config_default(&c, FZ_SAMPLER_EULER);
  c.process = FZ_PROC_FLOW;
  c.shift = 3;
  c.steps = 4;
  CHECK_OK(fz_sampler_config_resolve(&c, &err), &err);
  m.time_input = FZ_TIN_INDEX;
  CHECK_OK(fz_schedule_build(&c, &m, &s, &err), &err);
  CHECK_NEAR(s.pts[2].t, 0.75, 1e-15);
  CHECK_NEAR(s.pts[2].t_model, 750, 1e-12);
  CHECK(s.pts[4].t == 0 && s.pts[0].t == 1);
  fz_schedule_free(&s);
}

// Oracle: the error messages name the offending option and the expectation.
TEST(sched_rejects_bad_configs) {
  fz_err err = {0};
  fz_sampler_config c;
  fz_sampler_config_default(&c, FZ_SAMPLER_EULER_A);
  c.process = FZ_PROC_FLOW;
  CHECK(fz_sampler_config_resolve(&c, &err) == FZ_EINVAL && strstr(err.msg, "flow_euler"));
  fz_sampler_config_default(&c, FZ_SAMPLER_DDPM);
  c.process = FZ_PROC_VE;
  CHECK(fz_sampler_config_resolve(&c, &err) == FZ_EINVAL && strstr(err.msg, "variance-preserving"));
  fz_sampler_config_default(&c, FZ_SAMPLER_DDIM);
  c.process = FZ_PROC_VE;
  c.spacing = FZ_SPACING_LEADING;
  fz_model m = {0};
  fz_schedule s;
  CHECK_OK(fz_sampler_config_resolve(&c, &err), &err);
  CHECK(fz_schedule_build(&c, &m, &s, &err) == FZ_EINVAL && strstr(err.msg, "karras"));
  fz_sampler_kind k;
  CHECK(fz_sampler_parse("plms", &k, NULL, &err) == FZ_EINVAL && strstr(err.msg, "'plms'"));
}
