// step_ops.c — the few operations every sampler step is made of: a lincomb with host coefficients,
// position-keyed noise, one model evaluation, x̂0/ε̂ materialisation (with the optional clamp), and
// the step-callback event. None of them allocates.
#include "sampler_impl.h"
#include <math.h>

int fz__lc(fz_sctx *c, fz_tensor *out, int n, const double *coef, const fz_tensor *const *xs, fz_err *err) {
  float cf[8];
  const fz_tensor *ts[8];
  int m = 0;
  if (n > 8) return fz_fail(err, FZ_EINTERNAL, "sampler: lincomb of %d terms", n);
  for (int i = 0; i < n; i++) {
    if (coef[i] == 0.0) continue;
    if (!isfinite(coef[i])) return fz_fail(err, FZ_EINTERNAL, "sampler: non-finite step coefficient %g (term %d)", coef[i], i);
    cf[m] = (float)coef[i];
    ts[m++] = xs[i];
  }
  return fz_op_lincomb(c->be, out, m, cf, ts, err);
}

int fz__noise(fz_sctx *c, uint64_t slot, fz_tensor *z, fz_err *err) {
  return fz_op_randn_image(c->be, z, c->seed, (slot << 32) + c->stream_base, c->y0, c->x0, c->gw, err);
}

int fz__model(fz_sctx *c, const fz_point *p, double g, const fz_tensor *y, fz_tensor *xin, fz_tensor *mout, fz_err *err) {
  const fz_tensor *x = y;
  if (g != 1.0) {
    const fz_tensor *xs[1] = {y};
    double k[1] = {g};
    int rc = fz__lc(c, xin, 1, k, xs, err);
    if (rc) return rc;
    x = xin;
  }
  int rc = c->model->fn(c->model->user, x, p->t_model, c->cond, p, mout, err);
  if (rc) return fz_wrap(err, "model at t = %g (step point t_model %g)", p->t, p->t_model);
  return FZ_OK;
}

// Clamps t in place through the host staging buffer (download, clamp, upload: any backend).
static int clamp_tensor(fz_sctx *c, fz_tensor *t, fz_err *err) {
  size_t nb = fz_tensor_nbytes(t);
  int64_t n = fz_tensor_numel(t);
  int rc = fz_tensor_download(t, c->host, nb, err);
  if (rc) return rc;
  float lo = (float)c->cfg->clamp_lo, hi = (float)c->cfg->clamp_hi;
  for (int64_t i = 0; i < n; i++) {
    float v = c->host[i];
    c->host[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return fz_tensor_upload(t, c->host, nb, err);
}

int fz__denoise(fz_sctx *c, const fz_point *p, double g, const fz_tensor *y, const fz_tensor *mout,
                fz_tensor *x0, fz_tensor *eps, fz_err *err) {
  fz_form X, E;
  int rc = fz_param_forms(c->model->pred, p, g, c->model->flow_data_at_one, &X, &E, err);
  if (rc) return rc;
  if ((X.prior != 0 || E.prior != 0) && !c->prior)
    return fz_fail(err, FZ_EINVAL, "sampler: %s prediction on the %s process needs a prior tensor (the LMS)",
                   fz_pred_name(c->model->pred), fz_process_name(p->process));
  const fz_tensor *xs[3] = {y, mout, c->prior};
  double kx[3] = {X.y, X.out, X.prior}, ke[3] = {E.y, E.out, E.prior};
  if ((rc = fz__lc(c, x0, 3, kx, xs, err))) return rc;
  int clamp = c->cfg->clamp_x0;
  if (eps && (!clamp || c->cfg->eps_mode == FZ_EPS_FROM_MODEL))
    if ((rc = fz__lc(c, eps, 3, ke, xs, err))) return rc;
  if (clamp && (rc = clamp_tensor(c, x0, err))) return rc;
  if (eps && clamp && c->cfg->eps_mode == FZ_EPS_FROM_X0) {
    // ε̂ = (g·y − alpha·x̂0 − mu1·x1)/sigma from the clamped x̂0
    if (!(p->sigma > 0)) return fz_fail(err, FZ_EINTERNAL, "sampler: eps derived at sigma = 0");
    const fz_tensor *ys[3] = {y, x0, c->prior};
    double k[3] = {g / p->sigma, -p->alpha / p->sigma, -p->mu1 / p->sigma};
    if ((rc = fz__lc(c, eps, 3, k, ys, err))) return rc;
  }
  return FZ_OK;
}

int fz__event(fz_sctx *c, int k, double x_scale, const fz_tensor *x0, fz_err *err) {
  if (!c->on_step) return FZ_OK;
  fz_step_event ev = {k, c->nsteps, &c->sched.pts[c->first + k], c->x, x_scale, x0};
  if (c->on_step(c->step_user, &ev))
    return fz_fail(err, FZ_EINVAL, "sampling stopped by the step callback at step %d of %d", k, c->nsteps);
  return FZ_OK;
}

int fz__finish(fz_sctx *c, const fz_tensor *last_x0, double g_end, fz_err *err) {
  if (c->cfg->output_x0 && last_x0) {
    const fz_tensor *xs[1] = {last_x0};
    double k[1] = {1.0};
    return fz__lc(c, c->x, 1, k, xs, err);
  }
  if (g_end == 1.0) return FZ_OK;
  const fz_tensor *xs[1] = {c->x};
  double k[1] = {g_end};
  return fz__lc(c, c->x, 1, k, xs, err);
}
