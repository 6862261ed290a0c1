// ksampler.c — ODE samplers in k-diffusion's σ form (state y = x/alpha, τ = σ = sigma/alpha, on vp,
// vpsde and ve) or in flow time (state y = x, τ = t): Euler, Heun (Euler on the step to τ = 0),
// explicit midpoint, Euler-ancestral (σ form only) and one-step. The derivative is
// d = (y − x̂0)/τ in both forms (flow: d = velocity); the update is y' = y + (τ' − τ)·d.
#include "sampler_impl.h"
#include <math.h>

// State scale g (model space = g·y) and integration variable τ at p.
static double gscale(const fz_sctx *c, const fz_point *p) { return c->cfg->process == FZ_PROC_FLOW ? 1.0 : p->alpha; }
static double tau_of(const fz_sctx *c, const fz_point *p) { return c->cfg->process == FZ_PROC_FLOW ? p->t : p->sigma / p->alpha; }

// d = dy/dτ at p for state y: runs the model, leaves x̂0 in x0 (clamped when configured).
static int deriv(fz_sctx *c, const fz_point *p, const fz_tensor *y, fz_tensor *x0, fz_tensor *d, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *xin = &c->buf[5];
  double g = gscale(c, p), tau = tau_of(c, p);
  int rc = fz__model(c, p, g, y, xin, mout, err);
  if (rc) return rc;
  if ((rc = fz__denoise(c, p, g, y, mout, x0, NULL, err))) return rc;
  if (c->cfg->clamp_x0) {
    const fz_tensor *xs[2] = {y, x0};
    double k[2] = {1.0 / tau, -1.0 / tau};
    return fz__lc(c, d, 2, k, xs, err);
  }
  // unclamped: compose d from the model output directly (exact velocity for flow models)
  fz_form X;
  if ((rc = fz_param_forms(c->model->pred, p, g, c->model->flow_data_at_one, &X, NULL, err))) return rc;
  const fz_tensor *xs[3] = {y, mout, c->prior};
  double k[3] = {(1.0 - X.y) / tau, -X.out / tau, -X.prior / tau};
  return fz__lc(c, d, 3, k, xs, err);
}

// Buffers: 0 model output, 1 x̂0, 2 d, 3 y (trial), 4 d (second slope), 5 model input, 6 z.
int fz__run_ode(fz_sctx *c, fz_err *err) {
  fz_tensor *x0 = &c->buf[1], *d = &c->buf[2], *yt = &c->buf[3], *d2 = &c->buf[4], *z = &c->buf[6];
  const fz_sampler_config *cfg = c->cfg;
  fz_sampler_kind kind = cfg->sampler;
  int rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    const fz_point *P = &c->sched.pts[c->first + k], *Q = P + 1;
    double tp = tau_of(c, P), tq = tau_of(c, Q), h = tq - tp;
    if ((rc = deriv(c, P, c->x, x0, d, err))) break;
    if (kind == FZ_SAMPLER_EULER || kind == FZ_SAMPLER_ONESTEP || (kind == FZ_SAMPLER_HEUN && tq == 0)) {
      const fz_tensor *xs[2] = {c->x, d};
      double coef[2] = {1.0, h};
      rc = fz__lc(c, c->x, 2, coef, xs, err);
    } else if (kind == FZ_SAMPLER_HEUN || kind == FZ_SAMPLER_MIDPOINT) {
      fz_point mid;
      const fz_point *R = Q;
      double hs = h;  // trial step length
      if (kind == FZ_SAMPLER_MIDPOINT) {
        hs = 0.5 * h;
        if ((rc = fz_schedule_point_at(&c->sched, tp + hs, P->respaced - 0.5, &mid, err))) break;
        R = &mid;
      }
      const fz_tensor *xs[2] = {c->x, d};
      double coef[2] = {1.0, hs};
      if ((rc = fz__lc(c, yt, 2, coef, xs, err))) break;
      if ((rc = deriv(c, R, yt, x0, d2, err))) break;
      const fz_tensor *ys[3] = {c->x, d, d2};
      double c3[3] = {1.0, kind == FZ_SAMPLER_HEUN ? 0.5 * h : 0.0, kind == FZ_SAMPLER_HEUN ? 0.5 * h : h};
      rc = fz__lc(c, c->x, 3, c3, ys, err);
    } else if (kind == FZ_SAMPLER_EULER_A) {
      double up = 0, down = tq;
      if (tq > 0 && tp > 0) {
        double v = tq * tq * (tp * tp - tq * tq) / (tp * tp);
        up = cfg->eta * sqrt(v > 0 ? v : 0.0);
        if (up > tq) up = tq;
        down = sqrt(tq * tq - up * up);
      }
      double cz = (tq > 0 ? up : 0.0) * cfg->s_noise;
      if (cz > 0 && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
      const fz_tensor *xs[3] = {c->x, d, z};
      double coef[3] = {1.0, down - tp, cz};
      rc = fz__lc(c, c->x, 3, coef, xs, err);
    } else {
      rc = fz_fail(err, FZ_EINTERNAL, "ode sampler: %s is not an ODE sampler", fz_sampler_name(kind));
    }
    if (!rc) rc = fz__event(c, k + 1, gscale(c, Q), x0, err);
  }
  return rc ? rc : fz__finish(c, x0, gscale(c, &c->sched.pts[c->first + c->nsteps]), err);
}
