// vpsde.c — the reverse VP-SDE with Euler–Maruyama and its probability-flow ODE with Euler (Song et al.
// 2021, score = −ε̂/sigma): x' = x + Δ(½β·x + β·score) + sqrt(βΔ)·z and x' = x + Δ(½β·x + ½β·score),
// Δ = t − t' > 0, β = β(t). The last EM step outputs the mean (score_sde's denoised x_mean).
#include "sampler_impl.h"
#include <math.h>

// Buffers: 0 model output, 1 x̂0, 2 ε̂, 3 z.
int fz__run_vpsde(fz_sctx *c, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *x0 = &c->buf[1], *eps = &c->buf[2], *z = &c->buf[3];
  const fz_sampler_config *cfg = c->cfg;
  int em = cfg->sampler == FZ_SAMPLER_VPSDE_EM, rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    const fz_point *P = &c->sched.pts[c->first + k], *Q = P + 1;
    if ((rc = fz__model(c, P, 1.0, c->x, NULL, mout, err)) || (rc = fz__denoise(c, P, 1.0, c->x, mout, x0, eps, err))) break;
    double dt = P->t - Q->t, b = P->beta;
    double cz = (em && k < c->nsteps - 1) ? sqrt(b * dt) * cfg->s_noise : 0.0;
    const fz_tensor *xs[3] = {c->x, eps, z};
    double coef[3] = {1.0 + 0.5 * b * dt, -(em ? 1.0 : 0.5) * b * dt / P->sigma, cz};
    if (cz > 0 && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
    if ((rc = fz__lc(c, c->x, 3, coef, xs, err))) break;
    rc = fz__event(c, k + 1, 1.0, x0, err);
  }
  return rc ? rc : fz__finish(c, x0, 1.0, err);
}
