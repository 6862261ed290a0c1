// dpmsolver.c — DPM-Solver++(2M) and SDE-DPM-Solver++(2M), data prediction, multistep "midpoint" form
// (diffusers dpm_solver_first_order_update / multistep_dpm_solver_second_order_update), on any
// (alpha, sigma) grid: λ = log(alpha/sigma), h = λ' − λ, e^{−h} = (σ'/α')/(σ/α).
#include "sampler_impl.h"
#include <math.h>

// Buffers: 0 model output, 1 x̂0 of this step (D0 = m0), 2 x̂0 of the previous step (m1), 3 z.
int fz__run_dpmpp(fz_sctx *c, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *m0 = &c->buf[1], *m1 = &c->buf[2], *z = &c->buf[3];
  const fz_sampler_config *cfg = c->cfg;
  int sde = cfg->sampler == FZ_SAMPLER_DPMPP_2M_SDE, rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    int i = c->first + k;
    const fz_point *P = &c->sched.pts[i], *Q = P + 1;
    if ((rc = fz__model(c, P, 1.0, c->x, NULL, mout, err)) || (rc = fz__denoise(c, P, 1.0, c->x, mout, m0, NULL, err))) break;
    double ratio = (Q->sigma * P->alpha) / (Q->alpha * P->sigma);  // e^{−h}
    double h = -log(ratio);
    int last = k == c->nsteps - 1;
    int lower_final = last && (Q->sigma == 0 || (cfg->lower_order_final && c->nsteps < 15));
    int second = k > 0 && !lower_final;
    double r0 = 1.0;
    if (second) {
      const fz_point *R = P - 1;
      double h0 = (log(P->alpha) - log(P->sigma)) - (log(R->alpha) - log(R->sigma));
      r0 = h0 / h;
    }
    double w1 = second ? 0.5 / r0 : 0.0;  // D̃ = (1 + w1)·m0 − w1·m1
    double cx, cd, cz = 0;
    if (!sde) {
      cx = Q->sigma / P->sigma;
      cd = Q->alpha * (1.0 - ratio);
    } else {
      double e2 = ratio * ratio;
      cx = Q->sigma / P->sigma * ratio;
      cd = Q->alpha * (1.0 - e2);
      cz = Q->sigma * sqrt(1.0 - e2) * cfg->s_noise;
    }
    if (cz > 0 && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
    const fz_tensor *xs[4] = {c->x, m0, m1, z};
    double coef[4] = {cx, cd * (1.0 + w1), -cd * w1, cz};
    if ((rc = fz__lc(c, c->x, 4, coef, xs, err))) break;
    if ((rc = fz__event(c, k + 1, 1.0, m0, err))) break;
    fz_tensor t = *m0; *m0 = *m1; *m1 = t;  // this x̂0 becomes the previous one
    (void)h;
  }
  return rc ? rc : fz__finish(c, m1, 1.0, err);
}
