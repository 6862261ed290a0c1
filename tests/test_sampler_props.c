// test_sampler_props.c — sampler properties with closed-form oracles: the bridge posterior at every
// step, one-step bridge ODE and one-step flow maps, determinism under tiling and threads, no allocation
// inside a step, parameterisation round trips, the SSDiff update, SDEdit starts, regression, errors.
#include "test.h"
#include "../samplers/sampler.h"
#include "../runtime/rng.h"
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------ helpers
static int alloc4(fz_tensor *t, const fz_backend *be, int64_t n, int64_t c, int64_t h, int64_t w, fz_err *err) {
  int64_t s[4] = {n, c, h, w};
  return fz_tensor_alloc(t, be, FZ_F32, 4, s, err);
}

// I²SB std_fwd (T = 1000, β_max = 0.3) at the indices used below, from numpy (see test_sched.c).
static double i2sb_std(int n) {
  switch (n) {
    case 0: return 0.01;
    case 250: return 0.17314609472009213;
    case 500: return 0.2658949564113424;
    case 749: return 0.3334481607671717;
    case 999: return 0.3755359513849159;
    default: return NAN;
  }
}

// A model that returns a fixed host array (x0 prediction), for known-x̂0 steps.
static int fixed_model(void *user, const fz_tensor *x, double tm, const fz_tensor *cond, const fz_point *p, fz_tensor *out, fz_err *err) {
  (void)tm; (void)cond; (void)p;
  return fz_tensor_upload(out, user, fz_tensor_nbytes(x), err);
}

typedef struct {
  const float *x0f;   // the fixed x̂0
  float *prev;        // previous state (host)
  int64_t n;
  int bad, events;
  char why[256];
} bridge_watch;

// Oracle: I²SB p_posterior, x_n' = mu_x0·x̂0 + mu_xn·x_n + sqrt(var)·z with compute_gaussian_product_coef
// (std_fwd[n'], sqrt(std_fwd[n]² − std_fwd[n']²)); the residual r must have mean 0 and variance var
// (within 5 standard errors), and no noise on the step to n' = 0.
static int bridge_step(void *user, const fz_step_event *ev) {
  bridge_watch *w = user;
  float *cur = malloc((size_t)w->n * 4);
  fz_tensor_download(ev->x, cur, (size_t)w->n * 4, NULL);
  w->events++;
  if (ev->step > 0) {
    int n = (int)ev->pt[-1].t, np = (int)ev->pt->t;
    double sn = i2sb_std(n), sp = i2sb_std(np), d2 = sn * sn - sp * sp;
    double mx0 = d2 / (sp * sp + d2), mxn = sp * sp / (sp * sp + d2), var = sp * sp * d2 / (sp * sp + d2);
    double m1 = 0, m2 = 0, mx = 0;
    for (int64_t i = 0; i < w->n; i++) {
      double r = cur[i] - (mx0 * w->x0f[i] + mxn * w->prev[i]);
      m1 += r; m2 += r * r;
      if (fabs(r) > mx) mx = fabs(r);
    }
    m1 /= w->n;
    m2 = m2 / w->n - m1 * m1;
    if (np == 0) {
      if (mx > 1e-5) { w->bad = 1; snprintf(w->why, sizeof w->why, "step to n'=0 added noise (max |r| %g)", mx); }
    } else if (fabs(m1) > 5 * sqrt(var / w->n) || fabs(m2 / var - 1) > 5 * sqrt(2.0 / w->n)) {
      w->bad = 1;
      snprintf(w->why, sizeof w->why, "step %d (n %d -> %d): residual mean %g var %g, expected 0 / %g", ev->step, n, np, m1, m2, var);
    }
  }
  memcpy(w->prev, cur, (size_t)w->n * 4);
  free(cur);
  return 0;
}

TEST(sampler_bridge_posterior_each_step) {
  const fz_backend *be = fz_backend_cpu(2);
  fz_err err = {0};
  int64_t n = 128 * 128;
  fz_tensor x1, out;
  CHECK_OK(alloc4(&x1, be, 1, 1, 128, 128, &err), &err);
  CHECK_OK(alloc4(&out, be, 1, 1, 128, 128, &err), &err);
  float *x0f = malloc((size_t)n * 4), *h1 = malloc((size_t)n * 4);
  for (int64_t i = 0; i < n; i++) { x0f[i] = (float)(0.3 + 0.2 * sin(0.01 * i)); h1[i] = (float)(0.8 + 0.1 * cos(0.003 * i)); }
  CHECK_OK(fz_tensor_upload(&x1, h1, (size_t)n * 4, &err), &err);
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, FZ_SAMPLER_BRIDGE_SDE);
  cfg.steps = 4;  // I²SB space_indices(1000, 5) = 0, 250, 500, 749, 999
  fz_model m = {fixed_model, x0f, FZ_PRED_X0, FZ_TIN_INDEX, 1, 0};
  fz_sample_inputs in = {0};
  in.prior = &x1;
  bridge_watch w = {x0f, malloc((size_t)n * 4), n, 0, 0, ""};
  CHECK_OK(fz_sample(be, &m, &cfg, &in, 5, bridge_step, &w, &out, &err), &err);
  CHECKF(!w.bad, "%s", w.why);
  CHECK(w.events == 5);
  free(w.prev);
  free(x0f);
  free(h1);
  fz_tensor_free(&x1);
  fz_tensor_free(&out);
}

// Oracle: with the exact model, x̂0 at x_N = x1 is E[x0 | x_N] = mu + k·(x1 − a·mu − m1·x1), k = a·sd²/(a²sd² + s²),
// a = std_bwd²/(std_fwd² + std_bwd²), m1 = std_fwd²/(…), s² = std_fwd²·std_bwd²/(…) at n = 999 (numpy values);
// the one-step ODE to the clean end returns it; a point-mass target (sd = 0) is reached exactly for any
// number of steps; the I²SB end at index 0 gives mu_x0·x̂0 + mu_xn·x1 with std_fwd[0] = 0.01.
TEST(sampler_bridge_ode_reaches_target) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  fz_tensor x1, out;
  CHECK_OK(alloc4(&x1, be, 1, 2, 16, 16, &err), &err);
  CHECK_OK(alloc4(&out, be, 1, 2, 16, 16, &err), &err);
  float h1[512], ho[512];
  fz_philox_fill_normal(h1, 512, 3, 0, 0);
  CHECK_OK(fz_tensor_upload(&x1, h1, sizeof h1, &err), &err);
  double mu[2] = {0.4, -0.2}, sd0[2] = {0, 0}, sd[2] = {0.3, 0.6};
  fz_sample_inputs in = {0};
  in.prior = &x1;
  for (int pass = 0; pass < 3; pass++) {
    fz_gauss_model gm;
    CHECK_OK(fz_gauss_model_init(&gm, be, 2, mu, pass == 1 ? sd : sd0, 256, FZ_PRED_EPS, &err), &err);
    gm.prior = &x1;
    fz_sampler_config cfg;
    fz_sampler_config_default(&cfg, FZ_SAMPLER_BRIDGE_ODE);
    cfg.steps = pass == 2 ? 6 : 1;
    cfg.terminal = FZ_TERM_ZERO;
    fz_model m = {fz_gauss_model_fn, &gm, FZ_PRED_EPS, FZ_TIN_INDEX, 1, 0};
    CHECK_OK(fz_sample(be, &m, &cfg, &in, 1, NULL, NULL, &out, &err), &err);
    CHECK_OK(fz_tensor_download(&out, ho, sizeof ho, &err), &err);
    double f2 = pow(i2sb_std(999), 2), b2 = 1e-4, a = b2 / (f2 + b2), m1 = f2 / (f2 + b2), s2 = f2 * b2 / (f2 + b2);
    for (int c = 0; c < 2; c++)
      for (int i = 0; i < 256; i++) {
        double x = h1[c * 256 + i], want = mu[c];
        if (pass == 1) want = mu[c] + a * sd[c] * sd[c] / (a * a * sd[c] * sd[c] + s2) * (x - a * mu[c] - m1 * x);
        CHECKF(fabs(ho[c * 256 + i] - want) <= 2e-6 * (1 + fabs(want)), "pass %d ch %d [%d]: %.8g, expected %.8g", pass, c, i, ho[c * 256 + i], want);
      }
    if (pass == 0) {  // the I²SB end (index 0): mu_x0·mu + mu_xn·x1 from std_fwd 0.01 and 0.3755…
      cfg.terminal = FZ_TERM_MIN;
      CHECK_OK(fz_sample(be, &m, &cfg, &in, 1, NULL, NULL, &out, &err), &err);
      CHECK_OK(fz_tensor_download(&out, ho, sizeof ho, &err), &err);
      double p2 = 1e-4, d2 = f2 - p2, mx0 = d2 / (p2 + d2), mxn = p2 / (p2 + d2);
      for (int i = 0; i < 512; i++) CHECK_NEAR(ho[i], mx0 * mu[i / 256] + mxn * h1[i], 2e-6);
    }
    fz_gauss_model_free(&gm);
  }
  fz_tensor_free(&x1);
  fz_tensor_free(&out);
}

// The exact velocity of the straight (OT) coupling between N(mu0, s0²) (at t = 1) and N(mu1, s1²) (t = 0):
// x_t = t·xs + (1−t)·T(xs), T(x) = mu1 + (s1/s0)(x − mu0), u = xs − T(xs). user: {mu0, s0, mu1, s1, mmaif}.
static int ot_velocity(void *user, const fz_tensor *x, double tm, const fz_tensor *cond, const fz_point *p, fz_tensor *out, fz_err *err) {
  (void)cond; (void)p; (void)err;
  const double *q = user;
  double k = q[3] / q[1], b = q[2] - k * q[0], t = q[4] != 0 ? 1.0 - tm : tm;  // MMAIF convention: fed 1 − t
  const float *xi = x->data;
  float *o = out->data;
  for (int64_t i = 0; i < fz_tensor_numel(x); i++) {
    double xs = (xi[i] - (1 - t) * b) / (t + (1 - t) * k), u = xs * (1 - k) - b;
    o[i] = (float)(q[4] != 0 ? -u : u);  // MMAIF velocity points from noise to data
  }
  return 0;
}

// Oracle: the OT map between two Gaussians is affine, T(x) = mu1 + (s1/s0)(x − mu0); the one-step flow
// sampler with the exact velocity of the straight coupling returns T(x) to fp32 rounding (and so does
// Euler with any step count, the paths being straight).
TEST(sampler_flow_onestep_recovers_ot_map) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  fz_tensor src, out;
  CHECK_OK(alloc4(&src, be, 1, 1, 32, 32, &err), &err);
  CHECK_OK(alloc4(&out, be, 1, 1, 32, 32, &err), &err);
  float hs[1024], ho[1024];
  fz_philox_fill_normal(hs, 1024, 9, 0, 0);
  double q[5] = {0.2, 1.3, -0.5, 0.4, 0};
  for (int i = 0; i < 1024; i++) hs[i] = (float)(q[0] + q[1] * hs[i]);
  CHECK_OK(fz_tensor_upload(&src, hs, sizeof hs, &err), &err);
  fz_sample_inputs in = {0};
  in.prior = &src;
  for (int pass = 0; pass < 3; pass++) {
    fz_sampler_config cfg;
    fz_sampler_config_default(&cfg, pass == 1 ? FZ_SAMPLER_EULER : FZ_SAMPLER_ONESTEP);
    cfg.process = FZ_PROC_FLOW;
    cfg.start = FZ_START_PRIOR;
    cfg.steps = pass == 1 ? 5 : 1;
    q[4] = pass == 2;
    fz_model m = {ot_velocity, q, FZ_PRED_VELOCITY, FZ_TIN_T, 1, pass == 2};
    CHECK_OK(fz_sample(be, &m, &cfg, &in, 1, NULL, NULL, &out, &err), &err);
    CHECK_OK(fz_tensor_download(&out, ho, sizeof ho, &err), &err);
    for (int i = 0; i < 1024; i++) {
      double want = q[2] + q[3] / q[1] * (hs[i] - q[0]);
      CHECKF(fabs(ho[i] - want) <= 4e-7 * (1 + fabs(want)), "pass %d [%d]: %.9g, expected %.9g", pass, i, ho[i], want);
    }
  }
  fz_tensor_free(&src);
  fz_tensor_free(&out);
}

// Runs sampler s (process p) with the Gaussian eps model on one tensor; noise keyed by tile position.
static int run_tile(const fz_backend *be, fz_sampler_kind s, fz_process p, fz_tensor *out, int64_t y0, int64_t x0, int64_t gw,
                    uint64_t seed, fz_err *err) {
  double mu[4] = {0.1, 0.5, -0.4, 0.9}, sd[4] = {0.5, 0.2, 1.0, 0.7};
  fz_gauss_model gm;
  int rc = fz_gauss_model_init(&gm, be, (int)out->shape[1], mu, sd, out->shape[2] * out->shape[3], FZ_PRED_EPS, err);
  if (rc) return rc;
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, s);
  cfg.process = p;
  cfg.steps = 12;
  fz_model m = {fz_gauss_model_fn, &gm, FZ_PRED_EPS, FZ_TIN_INDEX, 1, 0};
  fz_sample_inputs in = {0};
  in.tile_y0 = y0;
  in.tile_x0 = x0;
  in.global_w = gw;
  rc = fz_sample(be, &m, &cfg, &in, seed, NULL, NULL, out, err);
  fz_gauss_model_free(&gm);
  return rc;
}

// Oracle: noise is a function of (seed, slot, channel, global y, global x) only, so a 48×40 image
// sampled whole equals the same image sampled as four 24×20 tiles bit for bit, and 1 and 2 threads agree.
TEST(sampler_deterministic_over_tiles_and_threads) {
  fz_err err = {0};
  const fz_sampler_kind ks[3] = {FZ_SAMPLER_EULER_A, FZ_SAMPLER_DPMPP_2M_SDE, FZ_SAMPLER_DDPM};
  const fz_process ps[3] = {FZ_PROC_VE, FZ_PROC_VP, FZ_PROC_VP};
  for (int k = 0; k < 3; k++) {
    const fz_backend *be = fz_backend_cpu(1);
    fz_tensor whole, tile;
    CHECK_OK(alloc4(&whole, be, 1, 2, 48, 40, &err), &err);
    CHECK_OK(alloc4(&tile, be, 1, 2, 24, 20, &err), &err);
    CHECK_OK(run_tile(be, ks[k], ps[k], &whole, 0, 0, 0, 77, &err), &err);
    const float *W = whole.data, *T = tile.data;
    for (int ty = 0; ty < 2; ty++)
      for (int tx = 0; tx < 2; tx++) {
        CHECK_OK(run_tile(be, ks[k], ps[k], &tile, 24 * ty, 20 * tx, 40, 77, &err), &err);
        for (int c = 0; c < 2; c++)
          for (int y = 0; y < 24; y++)
            CHECKF(!memcmp(&T[(c * 24 + y) * 20], &W[(c * 48 + 24 * ty + y) * 40 + 20 * tx], 20 * 4),
                   "%s: tile (%d,%d) channel %d row %d differs from the whole image", fz_sampler_name(ks[k]), ty, tx, c, y);
      }
    fz_tensor_free(&whole);
    fz_tensor_free(&tile);
    // threads: large enough (4×128×160 = 81920 elements) for the CPU kernels to go parallel
    fz_tensor a, b;
    CHECK_OK(alloc4(&a, fz_backend_cpu(1), 1, 4, 128, 160, &err), &err);
    CHECK_OK(alloc4(&b, fz_backend_cpu(2), 1, 4, 128, 160, &err), &err);
    CHECK_OK(run_tile(a.be, ks[k], ps[k], &a, 0, 0, 0, 5, &err), &err);
    CHECK_OK(run_tile(b.be, ks[k], ps[k], &b, 0, 0, 0, 5, &err), &err);
    CHECKF(!memcmp(a.data, b.data, fz_tensor_nbytes(&a)), "%s: 1 and 2 threads differ", fz_sampler_name(ks[k]));
    CHECK_OK(run_tile(b.be, ks[k], ps[k], &b, 0, 0, 0, 6, &err), &err);
    CHECKF(memcmp(a.data, b.data, fz_tensor_nbytes(&a)), "%s: seeds 5 and 6 give the same sample", fz_sampler_name(ks[k]));
    fz_tensor_free(&a);
    fz_tensor_free(&b);
  }
}

// ------------------------------------------------------------------ a backend that counts allocations
typedef struct { const fz_backend *inner; long allocs; } count_ctx;
#define INNER(be) (((count_ctx *)(be)->ctx)->inner)
static void *cnt_alloc(const fz_backend *be, size_t n, fz_err *err) { ((count_ctx *)be->ctx)->allocs++; return INNER(be)->alloc(INNER(be), n, err); }
static void cnt_free(const fz_backend *be, void *p) { INNER(be)->free(INNER(be), p); }
static int cnt_up(const fz_backend *be, void *d, const void *s, size_t n, fz_err *e) { return INNER(be)->upload(INNER(be), d, s, n, e); }
static int cnt_down(const fz_backend *be, void *d, const void *s, size_t n, fz_err *e) { return INNER(be)->download(INNER(be), d, s, n, e); }
static int cnt_sync(const fz_backend *be, fz_err *e) { return INNER(be)->sync(INNER(be), e); }
static int cnt_lc(const fz_backend *be, fz_tensor *o, int n, const float *c, const fz_tensor *const *x, fz_err *e) { return INNER(be)->lincomb(INNER(be), o, n, c, x, e); }
static int cnt_randn(const fz_backend *be, fz_tensor *o, uint64_t s, uint64_t st, uint64_t off, fz_err *e) { return INNER(be)->randn(INNER(be), o, s, st, off, e); }
static int cnt_rimg(const fz_backend *be, fz_tensor *o, uint64_t s, uint64_t sb, int64_t y0, int64_t x0, int64_t gw, fz_err *e) {
  return INNER(be)->randn_image(INNER(be), o, s, sb, y0, x0, gw, e);
}

typedef struct { count_ctx *cc; long at_start, at_end; int events; } alloc_watch;
static int alloc_step(void *user, const fz_step_event *ev) {
  alloc_watch *w = user;
  if (ev->step == 0) w->at_start = w->cc->allocs;
  w->at_end = w->cc->allocs;
  w->events++;
  return 0;
}

// Oracle: a counting backend: the number of backend allocations seen at the start event equals the
// number seen after the last step, for every sampler (with the x̂0 clamp on).
TEST(sampler_no_allocation_inside_steps) {
  count_ctx cc = {fz_backend_cpu(1), 0};
  fz_backend cb = {0};
  cb.name = "counting";
  cb.ctx = &cc;
  cb.alloc = cnt_alloc; cb.free = cnt_free; cb.upload = cnt_up; cb.download = cnt_down; cb.sync = cnt_sync;
  cb.lincomb = cnt_lc; cb.randn = cnt_randn; cb.randn_image = cnt_rimg;
  fz_err err = {0};
  fz_tensor out, prior;
  CHECK_OK(alloc4(&out, &cb, 1, 2, 16, 16, &err), &err);
  CHECK_OK(alloc4(&prior, &cb, 1, 2, 16, 16, &err), &err);
  CHECK_OK(fz_op_randn(&cb, &prior, 1, 0, 0, &err), &err);
  double mu[2] = {0.3, 0.6}, sd[2] = {0.2, 0.1};
  fz_gauss_model gm;
  CHECK_OK(fz_gauss_model_init(&gm, &cb, 2, mu, sd, 256, FZ_PRED_EPS, &err), &err);
  gm.prior = &prior;
  for (int s = 0; s < FZ_SAMPLER_COUNT; s++) {
    if (s == FZ_SAMPLER_REGRESSION) continue;
    fz_sampler_config cfg;
    fz_sampler_config_default(&cfg, (fz_sampler_kind)s);
    cfg.steps = s == FZ_SAMPLER_ONESTEP ? 1 : 6;
    cfg.clamp_x0 = 1;
    cfg.clamp_lo = -3;
    cfg.clamp_hi = 3;
    fz_model m = {fz_gauss_model_fn, &gm, FZ_PRED_EPS, FZ_TIN_INDEX, 1, 0};
    if (fz_resolve_process(&cfg) == FZ_PROC_FLOW) m.pred = gm.pred = FZ_PRED_VELOCITY;
    else gm.pred = FZ_PRED_EPS;
    fz_sample_inputs in = {0};
    in.prior = &prior;
    alloc_watch w = {&cc, -1, -1, 0};
    long before = cc.allocs;
    CHECK_OK(fz_sample(&cb, &m, &cfg, &in, 3, alloc_step, &w, &out, &err), &err);
    CHECKF(w.events == cfg.steps + 1 && w.at_start == w.at_end && w.at_start > before,
           "%s: allocations %ld before, %ld at the start event, %ld after the last step (%d events)", fz_sampler_name((fz_sampler_kind)s),
           before, w.at_start, w.at_end, w.events);
  }
  fz_gauss_model_free(&gm);
  fz_tensor_free(&out);
  fz_tensor_free(&prior);
}

// Oracle: the definitions x = alpha·x0 + sigma·ε (+ mu1·x1), v = alpha·ε − sigma·x0, velocity =
// d_alpha·x0 + d_sigma·ε, residual = x0 − prior, I²SB eps = (x − x0)/std_fwd: the model output built
// from known (x0, ε) converts back to the same x0 and ε.
TEST(sampler_param_round_trips) {
  fz_point pts[5];
  memset(pts, 0, sizeof pts);
  pts[0] = (fz_point){FZ_PROC_VP, 400, 0, 0.8, 0.6, 0, 0, 0, 0, 0, 0};
  pts[1] = (fz_point){FZ_PROC_VE, 2.5, 0, 1.0, 2.5, 0, 1, 0, 0, 0, 0};
  pts[2] = (fz_point){FZ_PROC_FLOW, 0.3, 0, 0.7, 0.3, -1, 1, 0, 0, 0, 0};
  pts[3] = (fz_point){FZ_PROC_VPSDE, 0.5, 0, 0.6, 0.8, -0.9, 0.675, 0, 0, 0, 0};
  pts[4] = (fz_point){FZ_PROC_BRIDGE, 600, 0, 0.5, 0.4, 0, 0, 0.3, 0.35, 0, 0};
  double x0 = 0.7, eps = -1.2, pr = 0.25;
  for (int k = 0; k < 5; k++) {
    const fz_point *p = &pts[k];
    double x = p->alpha * x0 + p->sigma * eps + p->mu1 * pr;
    for (int q = 0; q < FZ_PRED_COUNT; q++) {
      if (p->process == FZ_PROC_BRIDGE && (q == FZ_PRED_V || q == FZ_PRED_VELOCITY)) continue;
      if (p->process == FZ_PROC_VP && q == FZ_PRED_VELOCITY) continue;
      double out = fz_param_from((fz_pred)q, p, x0, eps, pr);
      CHECKF(fabs(fz_param_to_x0((fz_pred)q, p, x, out, pr) - x0) < 1e-12, "%s on %s: x0", fz_pred_name((fz_pred)q), fz_process_name(p->process));
      CHECKF(fabs(fz_param_to_eps((fz_pred)q, p, x, out, pr) - eps) < 1e-12, "%s on %s: eps", fz_pred_name((fz_pred)q), fz_process_name(p->process));
    }
  }
  CHECK_NEAR(fz_param_from(FZ_PRED_V, &pts[0], x0, eps, pr), 0.8 * eps - 0.6 * x0, 1e-15);
  CHECK_NEAR(fz_param_from(FZ_PRED_VELOCITY, &pts[2], x0, eps, pr), eps - x0, 1e-15);
  CHECK_NEAR(fz_param_from(FZ_PRED_RESIDUAL, &pts[2], x0, eps, pr), x0 - pr, 1e-15);
  double xb = 0.5 * x0 + 0.4 * eps + 0.3 * pr;
  CHECK_NEAR(fz_param_from(FZ_PRED_EPS, &pts[4], x0, eps, pr), (xb - x0) / 0.35, 1e-14);
  fz_err err = {0};
  fz_form X;
  fz_point f1 = {FZ_PROC_FLOW, 1, 0, 0, 1, -1, 1, 0, 0, 0, 0};
  CHECK(fz_param_forms(FZ_PRED_EPS, &f1, 1, 0, &X, NULL, &err) == FZ_EINVAL && strstr(err.msg, "alpha = 0"));
  CHECK(fz_param_forms(FZ_PRED_VELOCITY, &pts[0], 1, 0, &X, NULL, &err) == FZ_EINVAL && strstr(err.msg, "continuous-time"));
}
