// param.c — explicit conversions between parameterisations (ε, x0, v, velocity, residual) as affine
// forms over (state, model output, prior), computed in double on the host.
#include "sampler_impl.h"
#include <math.h>

int fz_param_forms(fz_pred pred, const fz_point *p, double g, int fdo, fz_form *x0, fz_form *eps, fz_err *err) {
  double a = p->alpha, s = p->sigma, m1 = p->mu1;
  int bridge = p->process == FZ_PROC_BRIDGE;
  fz_form X = {0, 0, 0}, E = {0, 0, 0};
  int eps_derived = 1;  // ε̂ = (x − a·x̂0 − mu1·x1)/s
  switch (pred) {
    case FZ_PRED_EPS:
      if (bridge) {
        X = (fz_form){g, -p->std_fwd, 0};
      } else {
        if (!(a > 0)) return fz_fail(err, FZ_EINVAL, "eps prediction gives no x0 where alpha = 0 (t = %g of the %s process); use velocity or x0",
                                     p->t, fz_process_name(p->process));
        X = (fz_form){g / a, -s / a, 0};
        E = (fz_form){0, 1, 0};
        eps_derived = 0;
      }
      break;
    case FZ_PRED_X0: X = (fz_form){0, 1, 0}; break;
    case FZ_PRED_RESIDUAL: X = (fz_form){0, 1, 1}; break;
    case FZ_PRED_V: {
      if (bridge) return fz_fail(err, FZ_EINVAL, "v prediction is not defined for the bridge process; use eps, x0 or residual");
      double D = a * a + s * s;
      X = (fz_form){g * a / D, -s / D, 0};
      E = (fz_form){g * s / D, a / D, 0};
      eps_derived = 0;
      break;
    }
    case FZ_PRED_VELOCITY: {
      double f = (fdo && p->process == FZ_PROC_FLOW) ? -1.0 : 1.0, det = a * p->d_sigma - s * p->d_alpha;
      if (bridge || p->process == FZ_PROC_VP || det == 0 || !isfinite(det))
        return fz_fail(err, FZ_EINVAL, "velocity prediction needs a continuous-time process (flow, vpsde or ve), not %s at t = %g",
                       fz_process_name(p->process), p->t);
      X = (fz_form){g * p->d_sigma / det, -s * f / det, 0};
      E = (fz_form){-g * p->d_alpha / det, a * f / det, 0};
      eps_derived = 0;
      break;
    }
    default: return fz_fail(err, FZ_EINVAL, "unknown prediction type %d", (int)pred);
  }
  if (eps_derived) {
    if (s > 0) E = (fz_form){(g - a * X.y) / s, -a * X.out / s, (-a * X.prior - m1) / s};
    else E = (fz_form){0, 0, 0};  // no noise left: ε̂ is never used there
  }
  if (x0) *x0 = X;
  if (eps) *eps = E;
  return FZ_OK;
}

double fz_param_to_x0(fz_pred pred, const fz_point *p, double x, double out, double prior) {
  fz_form X;
  if (fz_param_forms(pred, p, 1.0, 0, &X, NULL, NULL)) return NAN;
  return X.y * x + X.out * out + X.prior * prior;
}

double fz_param_to_eps(fz_pred pred, const fz_point *p, double x, double out, double prior) {
  fz_form E;
  if (fz_param_forms(pred, p, 1.0, 0, NULL, &E, NULL)) return NAN;
  return E.y * x + E.out * out + E.prior * prior;
}

double fz_param_from(fz_pred pred, const fz_point *p, double x0, double eps, double prior) {
  double x = p->alpha * x0 + p->sigma * eps + p->mu1 * prior;  // the state these (x0, ε) make
  switch (pred) {
    case FZ_PRED_EPS: return p->process == FZ_PROC_BRIDGE ? (x - x0) / p->std_fwd : eps;
    case FZ_PRED_X0: return x0;
    case FZ_PRED_RESIDUAL: return x0 - prior;
    case FZ_PRED_V: return p->alpha * eps - p->sigma * x0;
    case FZ_PRED_VELOCITY: return p->d_alpha * x0 + p->d_sigma * eps;
    default: return NAN;
  }
}
