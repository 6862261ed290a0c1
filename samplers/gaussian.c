// gaussian.c — the exact model for Gaussian data x0 ~ N(mu_c, sd_c²) per channel (independent of x1):
// for x = alpha·x0 + mu1·x1 + sigma·ε, with A = alpha²·sd² + sigma²,
//   E[x0 | x] = mu + (alpha·sd²/A)·(x − alpha·mu − mu1·x1),   E[ε | x] = (sigma/A)·(x − alpha·mu − mu1·x1),
// emitted in any parameterisation. Every output is affine per channel, so the model is one lincomb
// per (image, channel) slice over {x, ones, prior}; it allocates nothing per call.
#include "sampler_impl.h"
#include <stdlib.h>
#include <string.h>

int fz_gauss_model_init(fz_gauss_model *g, const fz_backend *be, int channels, const double *mu, const double *sd,
                        int64_t max_hw, fz_pred pred, fz_err *err) {
  memset(g, 0, sizeof *g);
  if (channels < 1 || channels > FZ_GAUSS_MAX_C)
    return fz_fail(err, FZ_EINVAL, "gaussian model: %d channels, expected 1..%d", channels, FZ_GAUSS_MAX_C);
  if (max_hw < 1 || max_hw > (INT64_C(1) << 34)) return fz_fail(err, FZ_EINVAL, "gaussian model: %lld pixels per channel", (long long)max_hw);
  if ((unsigned)pred >= FZ_PRED_COUNT) return fz_fail(err, FZ_EINVAL, "gaussian model: unknown prediction type %d", (int)pred);
  for (int c = 0; c < channels; c++) {
    if (!(sd[c] >= 0) || !(mu[c] == mu[c])) return fz_fail(err, FZ_EINVAL, "gaussian model: channel %d has mu %g, sd %g; expected sd >= 0", c, mu[c], sd[c]);
    g->mu[c] = mu[c];
    g->sd[c] = sd[c];
  }
  g->channels = channels;
  g->pred = pred;
  int rc = fz_tensor_alloc(&g->ones, be, FZ_F32, 1, &max_hw, err);
  if (rc) return rc;
  float *h = malloc((size_t)max_hw * sizeof *h);
  if (!h) { fz_tensor_free(&g->ones); return fz_fail(err, FZ_ENOMEM, "gaussian model: no memory"); }
  for (int64_t i = 0; i < max_hw; i++) h[i] = 1.0f;
  rc = fz_tensor_upload(&g->ones, h, (size_t)max_hw * sizeof *h, err);
  free(h);
  if (rc) fz_tensor_free(&g->ones);
  return rc;
}

void fz_gauss_model_free(fz_gauss_model *g) {
  if (!g) return;
  fz_tensor_free(&g->ones);
  memset(g, 0, sizeof *g);
}

typedef struct { double x, one, prior; } aff;  // value = x·X + one + prior·P

// The model output of parameterisation `pred` at point p for channel (mu, sd), as an affine form.
static aff gauss_output(const fz_gauss_model *g, const fz_point *p, double mu, double sd) {
  double a = p->alpha, s = p->sigma, m1 = p->mu1, A = a * a * sd * sd + s * s;
  double k = A > 0 ? a * sd * sd / A : 0.0, e = A > 0 ? s / A : 0.0;
  if (A == 0 && sd == 0) k = 0;
  aff x0 = {k, mu * (1.0 - k * a), -k * m1};
  aff ep = {e, -e * a * mu, -e * m1};
  switch (g->pred) {
    case FZ_PRED_EPS:
      if (p->process == FZ_PROC_BRIDGE) {
        double f = p->std_fwd > 0 ? 1.0 / p->std_fwd : 0.0;
        return (aff){(1.0 - x0.x) * f, -x0.one * f, -x0.prior * f};
      }
      return ep;
    case FZ_PRED_X0: return x0;
    case FZ_PRED_RESIDUAL: return (aff){x0.x, x0.one, x0.prior - 1.0};
    case FZ_PRED_V: return (aff){a * ep.x - s * x0.x, a * ep.one - s * x0.one, a * ep.prior - s * x0.prior};
    case FZ_PRED_VELOCITY: {
      double f = (g->flow_data_at_one && p->process == FZ_PROC_FLOW) ? -1.0 : 1.0, da = p->d_alpha * f, ds = p->d_sigma * f;
      return (aff){da * x0.x + ds * ep.x, da * x0.one + ds * ep.one, da * x0.prior + ds * ep.prior};
    }
    default: return (aff){0, 0, 0};
  }
}

// A 1-D f32 view of n elements starting at element off of t.
static void view(fz_tensor *v, const fz_tensor *t, int64_t off, int64_t n) {
  memset(v, 0, sizeof *v);
  v->dtype = FZ_F32;
  v->ndim = 1;
  v->shape[0] = n;
  v->data = (char *)t->data + off * (int64_t)sizeof(float);
  v->be = t->be;
}

int fz_gauss_model_fn(void *user, const fz_tensor *x, double t_model, const fz_tensor *cond, const fz_point *p,
                      fz_tensor *out, fz_err *err) {
  (void)t_model; (void)cond;
  const fz_gauss_model *g = user;
  if (!p) return fz_fail(err, FZ_EINVAL, "gaussian model: needs the process point");
  if (x->ndim != 4 || x->shape[1] != g->channels)
    return fz_fail(err, FZ_EINVAL, "gaussian model: input has %lld channels (ndim %d), the model has %d",
                   x->ndim == 4 ? (long long)x->shape[1] : -1LL, x->ndim, g->channels);
  int64_t N = x->shape[0], C = x->shape[1], hw = x->shape[2] * x->shape[3];
  if (hw > g->ones.shape[0]) return fz_fail(err, FZ_EINVAL, "gaussian model: %lld pixels per channel, prepared for %lld", (long long)hw, (long long)g->ones.shape[0]);
  const fz_backend *be = x->be ? x->be : g->ones.be;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++) {
      aff f = gauss_output(g, p, g->mu[c], g->sd[c]);
      if (f.prior != 0 && !g->prior) return fz_fail(err, FZ_EINVAL, "gaussian model: %s output on the %s process needs the prior tensor",
                                                     fz_pred_name(g->pred), fz_process_name(p->process));
      fz_tensor xv, ov, one, pv;
      int64_t off = (n * C + c) * hw;
      view(&xv, x, off, hw);
      view(&ov, out, off, hw);
      view(&one, &g->ones, 0, hw);
      const fz_tensor *xs[3] = {&xv, &one, &pv};
      float coef[3] = {(float)f.x, (float)f.one, (float)f.prior};
      int nt = 2;
      if (f.prior != 0) { view(&pv, g->prior, off, hw); nt = 3; }
      int rc = fz_op_lincomb(be, &ov, nt, coef, xs, err);
      if (rc) return rc;
    }
  return FZ_OK;
}
