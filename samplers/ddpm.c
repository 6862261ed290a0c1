// ddpm.c — DDPM ancestral sampling (diffusers DDPMScheduler.step, Ho et al. eqs. 6–7) and DDIM with η
// (diffusers DDIMScheduler.step / improved-diffusion ddim_sample), written for any (alpha, sigma) grid.
#include "sampler_impl.h"
#include <math.h>

// Buffers: 0 model output, 1 x̂0, 2 z.
int fz__run_ddpm(fz_sctx *c, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *x0 = &c->buf[1], *z = &c->buf[2];
  const fz_sampler_config *cfg = c->cfg;
  int rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    const fz_point *P = &c->sched.pts[c->first + k], *Q = P + 1;
    if ((rc = fz__model(c, P, 1.0, c->x, NULL, mout, err)) || (rc = fz__denoise(c, P, 1.0, c->x, mout, x0, NULL, err))) break;
    double ab = P->alpha * P->alpha, abp = Q->alpha * Q->alpha;
    double at = ab / abp, bt = 1.0 - at;                    // current_alpha_t, current_beta_t
    double c_x0 = sqrt(abp) * bt / (1.0 - ab), c_x = sqrt(at) * (1.0 - abp) / (1.0 - ab);
    double var = cfg->ddpm_variance == FZ_VAR_FIXED_LARGE ? bt : fz_vp_posterior_variance(ab, abp);
    // noise when the current timestep is > 0 (diffusers/improved-diffusion); on vpsde while noise remains
    int noisy = (cfg->process == FZ_PROC_VP ? P->t > 0 : Q->sigma > 0) && cfg->s_noise > 0;
    const fz_tensor *xs[3] = {x0, c->x, z};
    double coef[3] = {c_x0, c_x, noisy ? cfg->s_noise * sqrt(var) : 0.0};
    if (noisy && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
    if ((rc = fz__lc(c, c->x, 3, coef, xs, err))) break;
    rc = fz__event(c, k + 1, 1.0, x0, err);
  }
  return rc ? rc : fz__finish(c, x0, 1.0, err);
}

// Buffers: 0 model output, 1 x̂0, 2 ε̂, 3 z.
int fz__run_ddim(fz_sctx *c, fz_err *err) {
  fz_tensor *mout = &c->buf[0], *x0 = &c->buf[1], *eps = &c->buf[2], *z = &c->buf[3];
  const fz_sampler_config *cfg = c->cfg;
  int rc = FZ_OK;
  for (int k = 0; k < c->nsteps && !rc; k++) {
    const fz_point *P = &c->sched.pts[c->first + k], *Q = P + 1;
    fz_point qd;
    if (cfg->ddim_prev_ratio && cfg->process == FZ_PROC_VP && c->sched.abar && P->t >= 0) {
      // diffusers: prev_timestep = t − T // num_inference_steps, whatever the spacing
      int tp = (int)P->t - c->sched.T / c->sched.n;
      qd = c->sched.pts[c->sched.n];
      if (tp >= 0) { qd.t = tp; qd.alpha = sqrt(c->sched.abar[tp]); qd.sigma = sqrt(1.0 - c->sched.abar[tp]); }
      Q = &qd;
    }
    if ((rc = fz__model(c, P, 1.0, c->x, NULL, mout, err)) || (rc = fz__denoise(c, P, 1.0, c->x, mout, x0, eps, err))) break;
    // σ_η² = η²·σ'²·(1 − (α·σ')²/(α'·σ)²)  (VP: η²·(1−ᾱ')/(1−ᾱ)·(1 − ᾱ/ᾱ'))
    double r = (P->alpha * Q->sigma) / (Q->alpha * P->sigma);
    double v = Q->sigma * Q->sigma * (1.0 - r * r);
    double std = cfg->eta * sqrt(v > 0 ? v : 0.0);
    double dir = Q->sigma * Q->sigma - std * std;
    int noisy = std > 0 && cfg->s_noise > 0;
    const fz_tensor *xs[3] = {x0, eps, z};
    double coef[3] = {Q->alpha, sqrt(dir > 0 ? dir : 0.0), noisy ? cfg->s_noise * std : 0.0};
    if (noisy && (rc = fz__noise(c, 1 + 2 * (uint64_t)k, z, err))) break;
    if ((rc = fz__lc(c, c->x, 3, coef, xs, err))) break;
    rc = fz__event(c, k + 1, 1.0, x0, err);
  }
  return rc ? rc : fz__finish(c, x0, 1.0, err);
}
