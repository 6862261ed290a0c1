// bridge.c — I²SB Schrödinger-bridge sampling (Liu et al. 2023, i2sb/diffusion.py p_posterior): from
// x_N = x1 (the LMS), x_n' = mu_x0·x̂0 + mu_xn·x_n + sqrt(var)·z with (mu_x0, mu_xn, var) the Gaussian
// product coefficients of (std_fwd[n'], sqrt(std_fwd[n]² − std_fwd[n']²)); the ODE variant (ot_ode) and
// the step to n' = 0 add no noise.
#include "sampler_impl.h"
#include <math.h>

// Buffers: 0 model output, 1 x̂0, 2 z.
int fz__run_bridge(fz_sctx *c, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *x0 = &c->buf[1], *z = &c->buf[2];
  const fz_sampler_config *cfg = c->cfg;
  int sde = cfg->sampler == FZ_SAMPLER_BRIDGE_SDE, rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    const fz_point *P = &c->sched.pts[c->first + k], *Q = P + 1;
    if ((rc = fz__model(c, P, 1.0, c->x, NULL, mout, err)) || (rc = fz__denoise(c, P, 1.0, c->x, mout, x0, NULL, err))) break;
    double mx0, mxn, var;
    fz_bridge_posterior(Q->std_fwd, P->std_fwd, &mx0, &mxn, &var);
    double cz = (sde && Q->t > 0) ? sqrt(var) * cfg->s_noise : 0.0;
    const fz_tensor *xs[3] = {x0, c->x, z};
    double coef[3] = {mx0, mxn, cz};
    if (cz > 0 && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
    if ((rc = fz__lc(c, c->x, 3, coef, xs, err))) break;
    rc = fz__event(c, k + 1, 1.0, x0, err);
  }
  return rc ? rc : fz__finish(c, x0, 1.0, err);
}
