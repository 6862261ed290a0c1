// generative.c — drives generative architectures through their fz_arch.gen hooks: default sampler, checked
// sampler configuration, tile-batch sampling with per-tile noise images, evaluation count, whole scenes.
#include "model_internal.h"
#include "fuse.h"
#include <stdio.h>

int fz_model_is_generative(const fz_pan_model *m) { return m && m->arch && m->arch->gen; }

int fz_model_sampler_default(const fz_pan_model *m, fz_sampler_config *cfg, fz_time_input *tin, fz_err *err) {
  if (!fz_model_is_generative(m))
    return fz_fail(err, FZ_EINVAL, "%s (%s): a regression model has no sampler", m ? m->display : "model", m ? m->info.arch : "?");
  fz_time_input t;
  m->arch->gen->sampler_default(cfg, &t);
  if (tin) *tin = t;
  return FZ_OK;
}

int fz_model_set_sampler(fz_pan_model *m, const fz_sampler_config *cfg, fz_time_input tin, uint64_t seed, fz_err *err) {
  if (!fz_model_is_generative(m))
    return fz_fail(err, FZ_EINVAL, "%s (%s): a regression model has no sampler to set", m ? m->display : "model",
                   m ? m->info.arch : "?");
  if (!cfg) return fz_fail(err, FZ_EINVAL, "%s: no sampler configuration", m->display);
  if ((unsigned)tin >= FZ_TIN_COUNT) return fz_fail(err, FZ_EINVAL, "%s: time input %d is unknown", m->display, (int)tin);
  fz_sampler_config c = *cfg;
  if (m->arch->gen->check_sampler(m, &c, tin, err)) return fz_wrap(err, "%s (%s)", m->display, m->info.arch);
  fz_sampler_config probe = c;
  if (fz_sampler_config_resolve(&probe, err)) return fz_wrap(err, "%s (%s)", m->display, m->info.arch);
  m->gen.cfg = c;
  m->gen.tin = tin;
  m->gen.seed = seed;
  return FZ_OK;
}

const fz_sampler_config *fz_model_sampler(const fz_pan_model *m) { return fz_model_is_generative(m) ? &m->gen.cfg : NULL; }

int fz_model_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                    void *step_user, fz_tensor *out, fz_err *err) {
  if (!fz_model_is_generative(m))
    return fz_fail(err, FZ_EINVAL, "%s (%s): sampling needs a generative model", m ? m->display : "model", m ? m->info.arch : "?");
  return m->arch->gen->sample(m, in, x_T, image_index, on_step, step_user, out, err);
}

uint64_t fz_model_evaluations(const fz_pan_model *m) { return fz_model_is_generative(m) ? m->gen.evals : 0; }

void fz_gen_count(fz_pan_model *m, uint64_t n) { m->gen.evals += n; }

int fz_model_sample_scene(fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, float *out, fz_err *err) {
  m->gen.next_image = 0;
  return fz_fuse_scene(m, s, o, out, err);
}

int fz_model_sampler_for(const fz_pan_model *m, fz_sampler_kind kind, int steps, fz_sampler_config *cfg, fz_err *err) {
  fz_sampler_config def;
  fz_time_input tin;
  if (fz_model_sampler_default(m, &def, &tin, err)) return err->code;
  if (kind == def.sampler) {
    *cfg = def;
  } else {  // another sampler on the model's own process: keep the process, table, clamp and ε̂ rule
    fz_sampler_config_default(cfg, kind);
    cfg->process = def.process;
    cfg->beta_schedule = def.beta_schedule;
    cfg->train_steps = def.train_steps;
    cfg->beta_start = def.beta_start;
    cfg->beta_end = def.beta_end;
    cfg->shift = def.shift;
    cfg->t_eps = def.t_eps;
    cfg->clamp_x0 = def.clamp_x0;
    cfg->clamp_lo = def.clamp_lo;
    cfg->clamp_hi = def.clamp_hi;
    cfg->eps_mode = def.eps_mode;
    if (def.spacing == FZ_SPACING_RESPACE) cfg->spacing = FZ_SPACING_RESPACE;
  }
  if (steps > 0) {
    cfg->steps = steps;
    if (cfg->spacing == FZ_SPACING_RESPACE)  // improved-diffusion sections: "ddimN" for DDIM, "N" otherwise
      snprintf(cfg->respace, sizeof cfg->respace, kind == FZ_SAMPLER_DDIM ? "ddim%d" : "%d", steps);
  }
  return FZ_OK;
}
