// ssdiff.c — SSDiff as a fusor model: the architecture entry (weights detection, loading with FP8 support),
// the released sampler (improved-diffusion DDIM "ddim10" on the cosine schedule with SSNet.sample's quirks) run
// through the sampler layer, and whole-scene sampling tile by tile through fz_fuse_scene.
// The network itself is in ssdiff_net.c. See ssdiff.h and docs/MODELS_GENERATIVE.md.
#include "ssdiff_internal.h"
#include "gen_graph.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fz_ssdiff_detect(const fz_weights *w) {
  return fz_weights_find(w, "conv_pan2x_t.weight") && fz_weights_find(w, "conv_lms2x_t.weight") &&
         fz_weights_find(w, "fusformer0.layers.0.0.fn.fn.sa1.weight") && fz_weights_find(w, "time_embed.0.weight");
}

// The architecture table's detect entry.
static int sd_detect(const fz_weights *w) { return fz_ssdiff_detect(w); }

int fz_is_ssdiff(const fz_pan_model *m) { return m && m->arch == &fz_arch_ssdiff && m->priv; }

const fz_ssdiff_info *fz_ssdiff_get_info(const fz_pan_model *m) {
  return fz_is_ssdiff(m) ? &((const ssdiff *)m->priv)->info : NULL;
}

void fz_ssdiff_sampler_default(fz_sampler_config *cfg, fz_time_input *tin) {
  fz_sampler_config_default(cfg, FZ_SAMPLER_DDIM);
  cfg->process = FZ_PROC_VP;
  cfg->beta_schedule = FZ_BETA_COSINE;
  cfg->train_steps = 1000;
  cfg->spacing = FZ_SPACING_RESPACE;
  snprintf(cfg->respace, sizeof cfg->respace, "ddim10");
  cfg->steps = 10;
  cfg->eta = 0;
  cfg->clamp_x0 = 1;
  cfg->clamp_lo = 0;
  cfg->clamp_hi = 1;
  cfg->eps_mode = FZ_EPS_FROM_X0;
  cfg->output_x0 = 1;
  if (tin) *tin = FZ_TIN_RESPACED;
}

// The gen hook check_sampler: SSDiff is a VP diffusion model (cosine schedule, T = 1000).
static int sd_check_sampler(fz_pan_model *m, fz_sampler_config *c, fz_time_input tin, fz_err *err) {
  (void)m;
  (void)tin;
  if (fz_resolve_process(c) != FZ_PROC_VP)
    return fz_fail(err, FZ_EINVAL, "sampler %s runs on the %s process; SSDiff is a variance-preserving (vp) diffusion model "
                   "(cosine schedule, T = 1000): pass the vp process", fz_sampler_name(c->sampler), fz_process_name(fz_resolve_process(c)));
  if (c->process == FZ_PROC_DEFAULT) c->process = FZ_PROC_VP;
  return FZ_OK;
}

int fz_ssdiff_set_sampler(fz_pan_model *m, const fz_sampler_config *cfg, fz_time_input tin, uint64_t seed, fz_err *err) {
  if (!fz_is_ssdiff(m)) return fz_fail(err, FZ_EINVAL, "ssdiff: the model is not an SSDiff model");
  return fz_model_set_sampler(m, cfg, tin, seed, err);
}

// ---- sampling ----------------------------------------------------------------------------------------

typedef struct sd_call {
  fz_pan_model *m;
  const fz_tensor *lms, *pan, *ms;
  float *t;         // [N] timesteps (host)
  fz_gen_graph gg;  // the run's network calls as CUDA graph launches (gen_graph.h)
} sd_call;

// The device part of a network call (gen_graph.h): out = SSNet(lms, pan, ms, x_t, t) + lms.
static int sd_net(void *ctx, const fz_tensor *x_t, const fz_tensor *t_dev, fz_tensor *out, fz_err *err) {
  sd_call *c = ctx;
  if (fz_ssdiff_net_dev(c->m, c->lms, c->pan, c->ms, x_t, t_dev, out, err)) return err->code;
  return fz_add(c->m, out, out, c->lms, err);
}

// The sampler callback: out = x0 prediction = SSNet(lms, pan, ms, x_t, t_model) + lms (pred_xstart before the clamp).
static int sd_model_fn(void *user, const fz_tensor *x_t, double t_model, const fz_tensor *cond, const fz_point *pt,
                       fz_tensor *out, fz_err *err) {
  (void)cond;
  (void)pt;
  sd_call *c = user;
  for (int64_t b = 0; b < x_t->shape[0]; b++) c->t[b] = (float)t_model;
  if (fz_gen_graph_call(&c->gg, sd_net, c, x_t, c->t, out, err)) return err->code;
  fz_gen_count(c->m, (uint64_t)x_t->shape[0]);
  return FZ_OK;
}

// The gen hook sample: the released sampler loop around SSNet (x0 = net + lms) on a tile batch.
static int sd_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                     void *step_user, fz_tensor *out, fz_err *err) {
  if (!in || !in->lms || !in->pan || !in->ms)
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): sampling needs ms, lms and pan (SSNet reads all three)", m->display);
  if (!out || !out->data || out->dtype != FZ_F32 || !fz_tensor_same_shape(out, in->lms))
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): out must be an f32 tensor of lms's shape [N, C, H, W]", m->display);
  fz_sampler_config cfg = m->gen.cfg;
  const fz_tensor *prior = NULL;
  if (x_T) {
    char a[96], b[96];
    if (!x_T->data || x_T->dtype != FZ_F32 || !fz_tensor_same_shape(x_T, out))
      return fz_fail(err, FZ_EINVAL, "%s (ssdiff): the start state x_T is %s; expected f32 %s like the output", m->display,
                     fz_shape_str(x_T->ndim, x_T->shape, a, sizeof a), fz_shape_str(out->ndim, out->shape, b, sizeof b));
    // The injected x_T is the sampler's start state: the "prior" start keeps it unchanged. The model
    // returns x0 itself (residual + lms), so the prior is not read anywhere else.
    cfg.start = FZ_START_PRIOR;
    prior = x_T;
  } else if (cfg.start == FZ_START_SDEDIT || cfg.start == FZ_START_PRIOR) {
    prior = in->lms;
  }
  float *t = malloc((size_t)out->shape[0] * sizeof *t);
  if (!t) return fz_fail(err, FZ_ENOMEM, "out of memory");
  sd_call call = {m, in->lms, in->pan, in->ms, t, {0}};
  fz_gen_graph_init(&call.gg, m);
  fz_model model = {sd_model_fn, &call, FZ_PRED_X0, m->gen.tin, 1, 0};
  fz_sample_inputs si;
  memset(&si, 0, sizeof si);
  si.prior = prior;
  si.image_index = image_index;
  int rc = fz_sample(m->be, &model, &cfg, &si, m->gen.seed, on_step, step_user, out, err);
  fz_gen_graph_free(&call.gg);
  free(t);
  return rc ? fz_wrap(err, "%s (ssdiff %s)", m->display, fz_sampler_name(cfg.sampler)) : FZ_OK;
}

int fz_ssdiff_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                     void *step_user, fz_tensor *out, fz_err *err) {
  if (!fz_is_ssdiff(m)) return fz_fail(err, FZ_EINVAL, "ssdiff sample: the model is not an SSDiff model");
  return sd_sample(m, in, x_T, image_index, on_step, step_user, out, err);
}

uint64_t fz_ssdiff_evaluations(const fz_pan_model *m) { return fz_is_ssdiff(m) ? fz_model_evaluations(m) : 0; }

int fz_ssdiff_sample_scene(fz_pan_model *m, const fz_scene *sc, const fz_fuse_opts *o, float *out, fz_err *err) {
  if (!fz_is_ssdiff(m)) return fz_fail(err, FZ_EINVAL, "ssdiff sample: the model is not an SSDiff model");
  if (!sc || !sc->ms || !sc->lms || !sc->pan)
    return fz_fail(err, FZ_EINVAL, "%s (ssdiff): the scene needs ms, lms and pan", m->display);
  return fz_model_sample_scene(m, sc, o, out, err);
}

// ---- loading -------------------------------------------------------------------------------------------

// Builds s->expanded: w with every FP8 tensor widened to F32 (other tensors borrowed). *any = 0 when w has none.
static int expand_fp8(const fz_weights *w, ssdiff *s, int *any, fz_err *err) {
  *any = 0;
  for (int i = 0; i < w->count; i++)
    if (w->tensors[i].dtype == FZ_W_F8_E4M3 || w->tensors[i].dtype == FZ_W_F8_E5M2) *any = 1;
  if (!*any) return FZ_OK;
  fz_weights_init(&s->expanded);
  for (int i = 0; i < w->count; i++) {
    const fz_wtensor *t = &w->tensors[i];
    if (t->dtype != FZ_W_F8_E4M3 && t->dtype != FZ_W_F8_E5M2) {
      if (fz_weights_add(&s->expanded, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes, err)) return err->code;
      continue;
    }
    float *f = malloc((size_t)(t->numel ? t->numel : 1) * sizeof *f);
    if (!f) return fz_fail(err, FZ_ENOMEM, "out of memory widening FP8 tensor '%s'", t->name);
    for (int64_t k = 0; k < t->numel; k++) f[k] = (float)fz_wtensor_get_f64(t, k);
    if (fz_weights_own(&s->expanded, f, err)) return err->code;
    if (fz_weights_add(&s->expanded, t->name, FZ_W_F32, t->ndim, t->shape, f, (size_t)t->numel * sizeof *f, err)) return err->code;
  }
  return FZ_OK;
}

// The architecture's init: reads the SSNet parameters (widening FP8 tensors) and fills m->info.
static int sd_init(fz_pan_model *m, fz_err *err) {
  ssdiff *s = calloc(1, sizeof *s);
  if (!s) return fz_fail(err, FZ_ENOMEM, "out of memory creating an SSDiff model");
  m->priv = s;
  const fz_weights *orig = m->w;
  int any = 0, rc = expand_fp8(orig, s, &any, err);
  if (!rc) {
    if (any) m->w = &s->expanded;
    rc = fz__ssdiff_net_load(m, s, err);
    m->w = orig;
  }
  if (any) fz_weights_free(&s->expanded);
  if (rc) return rc;
  fz_model_info *I = &m->info;
  I->bands = s->info.bands;
  I->ratio = 4;
  I->inputs = FZ_MODEL_IN_MS | FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN;
  I->multiple = 4;
  I->fixed_tile = 0;
  I->halo = 16;
  I->clamp01 = 1;
  if (I->scale == 0 && I->bands == 8) I->scale = 2047;  // the released configuration: WV3, 11-bit
  return FZ_OK;
}

// The architecture's release.
static void sd_release(fz_pan_model *m) {
  ssdiff *s = m->priv;
  if (!s) return;
  fz__ssdiff_net_release(s);
  fz_weights_free(&s->expanded);
  free(s);
  m->priv = NULL;
}

static const fz_gen_ops sd_gen = {fz_ssdiff_sampler_default, sd_check_sampler, sd_sample};

const fz_arch fz_arch_ssdiff = {
    "ssdiff",
    "SSDiff (NeurIPS 2024, Z-ypnos/SSdiff_main): SSNet diffusion denoiser, DDIM ddim10 per 64x64 tile",
    sd_detect, sd_init, NULL, sd_release, NULL, &sd_gen,
};

int fz_ssdiff_load(const char *path, const char *display, const fz_backend *be, fz_pan_model **out, fz_err *err) {
  int rc = fz_model_load(path, display, be, out, err);
  if (!rc && !fz_is_ssdiff(*out)) {
    rc = fz_fail(err, FZ_EINVAL, "%s: the file holds a %s model, not ssdiff", display ? display : path, (*out)->info.arch);
    fz_model_free(*out);
    *out = NULL;
  }
  return rc;
}
