// sampler.c — fz_sample(): checks the inputs, resolves the configuration, builds the grid, plans every
// scratch tensor in one arena, sets the start state, runs the sampler and writes the output.
#include "sampler_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// 1 when the sampler integrates in σ form (state x/alpha) on this process.
static int sigma_form(const fz_sampler_config *c) {
  int ode = c->sampler == FZ_SAMPLER_EULER || c->sampler == FZ_SAMPLER_HEUN || c->sampler == FZ_SAMPLER_MIDPOINT ||
            c->sampler == FZ_SAMPLER_EULER_A || c->sampler == FZ_SAMPLER_ONESTEP;
  return ode && c->process != FZ_PROC_FLOW;
}

static int check_inputs(const fz_backend *be, const fz_model *m, const fz_sample_inputs *in, const fz_tensor *out, fz_err *err) {
  char a[96], b[96];
  if (!be) return fz_fail(err, FZ_EINVAL, "sample: no backend");
  if (!m || !m->fn) return fz_fail(err, FZ_EINVAL, "sample: no model callback");
  if ((unsigned)m->pred >= FZ_PRED_COUNT) return fz_fail(err, FZ_EINVAL, "sample: model prediction type %d is unknown", (int)m->pred);
  if ((unsigned)m->time_input >= FZ_TIN_COUNT) return fz_fail(err, FZ_EINVAL, "sample: model time input %d is unknown", (int)m->time_input);
  if (!out || !out->data || out->dtype != FZ_F32 || out->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "sample: out must be an allocated f32 N×C×H×W tensor");
  if (out->be && out->be != be) return fz_fail(err, FZ_EINVAL, "sample: out belongs to backend %s, sampling runs on %s", out->be->name, be->name);
  const fz_tensor *ps[2] = {in ? in->prior : NULL, in ? in->cond : NULL};
  if (ps[0] && (!ps[0]->data || ps[0]->dtype != FZ_F32 || !fz_tensor_same_shape(ps[0], out)))
    return fz_fail(err, FZ_EINVAL, "sample: prior has shape %s (%s), expected f32 %s like the output",
                   fz_shape_str(ps[0]->ndim, ps[0]->shape, a, sizeof a), fz_dtype_name(ps[0]->dtype),
                   fz_shape_str(out->ndim, out->shape, b, sizeof b));
  if (in && (in->tile_y0 < 0 || in->tile_x0 < 0 || (in->global_w && in->global_w < in->tile_x0 + out->shape[3])))
    return fz_fail(err, FZ_EINVAL, "sample: tile at (%lld, %lld) of width %lld lies outside an image of width %lld",
                   (long long)in->tile_y0, (long long)in->tile_x0, (long long)out->shape[3], (long long)in->global_w);
  return FZ_OK;
}

// Sets the state to the start of the walk (model space x, stored as x/g).
static int set_start(fz_sctx *c, double g, fz_err *err) {
  const fz_point *p = &c->sched.pts[c->first];
  const fz_sampler_config *cfg = c->cfg;
  fz_tensor *z = &c->buf[c->nbuf - 1];
  if (cfg->start == FZ_START_PRIOR) {
    if (!c->prior) return fz_fail(err, FZ_EINVAL, "sample: the %s start needs a prior tensor (the LMS)", fz_process_name(cfg->process));
    const fz_tensor *xs[1] = {c->prior};
    double k[1] = {1.0 / g};
    return fz__lc(c, c->x, 1, k, xs, err);
  }
  int rc = fz__noise(c, 0, z, err);
  if (rc) return rc;
  if (cfg->start == FZ_START_SDEDIT) {
    if (!c->prior) return fz_fail(err, FZ_EINVAL, "sample: the sdedit start needs a prior tensor (the LMS)");
    const fz_tensor *xs[2] = {c->prior, z};
    double k[2] = {p->alpha / g, p->sigma / g};
    return fz__lc(c, c->x, 2, k, xs, err);
  }
  double scale = cfg->init_sigma_only ? p->sigma : sqrt(p->alpha * p->alpha + p->sigma * p->sigma);
  const fz_tensor *xs[1] = {z};
  double k[1] = {scale / g};
  return fz__lc(c, c->x, 1, k, xs, err);
}

int fz_sample(const fz_backend *be, const fz_model *model, const fz_sampler_config *cfg_in, const fz_sample_inputs *in,
              uint64_t seed, fz_step_fn on_step, void *step_user, fz_tensor *out, fz_err *err) {
  int rc = check_inputs(be, model, in, out, err);
  if (rc) return rc;
  if (!cfg_in) return fz_fail(err, FZ_EINVAL, "sample: no sampler configuration");
  fz_sampler_config cfg = *cfg_in;
  if ((rc = fz_sampler_config_resolve(&cfg, err))) return rc;
  const fz_sampler_entry *e = fz__sampler_entry(cfg.sampler);
  fz_sctx c;
  memset(&c, 0, sizeof c);
  c.be = be;
  c.model = model;
  c.cfg = &cfg;
  c.prior = in ? in->prior : NULL;
  c.cond = in ? in->cond : NULL;
  c.x = out;
  c.seed = seed;
  c.y0 = in ? in->tile_y0 : 0;
  c.x0 = in ? in->tile_x0 : 0;
  c.gw = in && in->global_w ? in->global_w : out->shape[3];
  c.stream_base = (in ? in->image_index : 0) * (uint64_t)out->shape[1];
  c.on_step = on_step;
  c.step_user = step_user;
  c.nbuf = e->nbuf;
  if (cfg.sampler != FZ_SAMPLER_REGRESSION) {
    if ((rc = fz_schedule_build(&cfg, model, &c.sched, err))) return rc;
    int n = c.sched.n, keep = cfg.start == FZ_START_SDEDIT ? (int)(n * cfg.strength) : n;
    if (keep > n) keep = n;
    if (keep < 1) {
      fz_schedule_free(&c.sched);
      return fz_fail(err, FZ_EINVAL, "sample: strength %g keeps no step of %d (int(steps·strength) must be >= 1)", cfg.strength, n);
    }
    c.first = n - keep;
    c.nsteps = keep;
  } else {
    c.nsteps = 1;
  }
  // plan: nbuf scratch tensors of out's shape, live for the whole walk, in one backend allocation
  fz_arena_init(&c.arena, be);
  size_t nb = fz_tensor_nbytes(out);
  for (int i = 0; i < c.nbuf && !rc; i++)
    if (fz_arena_request(&c.arena, nb, 0, 0, err) < 0) rc = err ? (int)err->code : FZ_ENOMEM;
  if (!rc) rc = fz_arena_plan(&c.arena, err);
  for (int i = 0; i < c.nbuf && !rc; i++) rc = fz_arena_tensor(&c.arena, i, &c.buf[i], FZ_F32, 4, out->shape, err);
  if (!rc && cfg.clamp_x0 && !(c.host = malloc(nb ? nb : 4))) rc = fz_fail(err, FZ_ENOMEM, "sample: no memory for the clamp buffer");
  if (!rc) {
    if (cfg.sampler == FZ_SAMPLER_REGRESSION) rc = e->run(&c, err);
    else {
      double g = sigma_form(&cfg) ? c.sched.pts[c.first].alpha : 1.0;
      rc = set_start(&c, g, err);
      if (!rc) rc = fz__event(&c, 0, g, NULL, err);
      if (!rc) rc = e->run(&c, err);
    }
  }
  free(c.host);
  fz_arena_free(&c.arena);
  fz_schedule_free(&c.sched);
  return rc;
}
