// regression.c — the "sampler" of regression models: one forward pass at t_model = 0 on the prior (or
// zeros), x0 = out (x0 prediction) or prior + out (residual prediction).
#include "sampler_impl.h"
#include <string.h>

// Buffers: 0 model output.
int fz__run_regression(fz_sctx *c, fz_err *err) {
  fz_pred pred = c->model->pred;
  if (pred != FZ_PRED_X0 && pred != FZ_PRED_RESIDUAL)
    return fz_fail(err, FZ_EINVAL, "regression: the model must predict x0 or residual, not %s", fz_pred_name(pred));
  if (pred == FZ_PRED_RESIDUAL && !c->prior) return fz_fail(err, FZ_EINVAL, "regression: residual prediction needs a prior tensor (the LMS)");
  fz_point p;
  memset(&p, 0, sizeof p);
  p.process = c->cfg->process;
  p.alpha = 1.0;
  fz_tensor *mout = &c->buf[0];
  const fz_tensor *in[1] = {c->prior};
  double one[1] = {c->prior ? 1.0 : 0.0};
  int rc = fz__lc(c, c->x, 1, one, in, err);  // the model input: the prior, or zeros
  if (rc) return rc;
  if ((rc = c->model->fn(c->model->user, c->x, 0.0, c->cond, &p, mout, err))) return fz_wrap(err, "regression model");
  const fz_tensor *xs[2] = {mout, c->prior};
  double k[2] = {1.0, pred == FZ_PRED_RESIDUAL ? 1.0 : 0.0};
  if ((rc = fz__lc(c, c->x, 2, k, xs, err))) return rc;
  if (c->on_step) {
    fz_step_event ev = {1, 1, &p, c->x, 1.0, c->x};
    if (c->on_step(c->step_user, &ev)) return fz_fail(err, FZ_EINVAL, "sampling stopped by the step callback at step 1 of 1");
  }
  return FZ_OK;
}
