// sb_pan.c — the Schrödinger-bridge pansharpening model (arch `sb_pan`): loading (condunet under "net." + the bridge
// hyper-parameters), the sampler hooks (bridge_ode 1 step by default, bridge_sde; other processes refused) and the
// model callback x̂0 = lms + condunet(x_n, cat[lms, pan], n) driven by fz_sample. See sb_pan.h.
#include "sb_pan.h"
#include "gen_graph.h"
#include "condunet.h"
#include "model_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sb_pan {
  fz_condunet net;
  double beta_max;  // I²SB β_max of the table the network was trained on
  int T;            // bridge table length (train_steps)
} sb_pan;

int fz_is_sb_pan(const fz_pan_model *m) { return m && m->arch == &fz_arch_sb_pan && m->priv; }

int fz_sb_pan_bridge(const fz_pan_model *m, double *beta_max, int *train_steps, fz_err *err) {
  if (!fz_is_sb_pan(m)) return fz_fail(err, FZ_EINVAL, "sb_pan: the model is not an sb_pan model");
  const sb_pan *s = m->priv;
  if (beta_max) *beta_max = s->beta_max;
  if (train_steps) *train_steps = s->T;
  return FZ_OK;
}

void fz_sb_pan_sampler_default(fz_sampler_config *cfg, fz_time_input *tin) {
  fz_sampler_config_default(cfg, FZ_SAMPLER_BRIDGE_ODE);
  cfg->process = FZ_PROC_BRIDGE;
  cfg->train_steps = 1000;
  cfg->beta_end = 0.3;
  cfg->steps = 1;
  cfg->start = FZ_START_PRIOR;
  if (tin) *tin = FZ_TIN_INDEX;
}

// The gen hook check_sampler: only the bridge samplers on the bridge process, fed the bridge index; the process
// parameters (β_max, T) are the model's own (a sampler cannot change the table the network was trained on).
static int sp_check_sampler(fz_pan_model *m, fz_sampler_config *c, fz_time_input tin, fz_err *err) {
  const sb_pan *s = m->priv;
  fz_process p = fz_resolve_process(c);
  if (p != FZ_PROC_BRIDGE)
    return fz_fail(err, FZ_EINVAL, "sampler %s runs on the %s process; sb_pan is a Schrodinger bridge from the LMS "
                   "(I2SB, beta_max %g, T %d): use bridge_ode or bridge_sde", fz_sampler_name(c->sampler), fz_process_name(p),
                   s->beta_max, s->T);
  if (c->sampler != FZ_SAMPLER_BRIDGE_ODE && c->sampler != FZ_SAMPLER_BRIDGE_SDE)
    return fz_fail(err, FZ_EINVAL, "sampler %s is not a bridge sampler; sb_pan samples with bridge_ode or bridge_sde",
                   fz_sampler_name(c->sampler));
  static const char *const tin_names[FZ_TIN_COUNT] = {"index", "respaced", "t", "sigma"};
  if (tin != FZ_TIN_INDEX)
    return fz_fail(err, FZ_EINVAL, "time input '%s': sb_pan's network was trained on the bridge index n (time input 'index')",
                   (unsigned)tin < FZ_TIN_COUNT ? tin_names[tin] : "?");
  if (c->start != FZ_START_DEFAULT && c->start != FZ_START_PRIOR)
    return fz_fail(err, FZ_EINVAL, "sb_pan: the bridge starts from the LMS (prior start); an SDEdit or noise start is not defined");
  c->process = FZ_PROC_BRIDGE;
  c->beta_end = s->beta_max;
  c->train_steps = s->T;
  c->start = FZ_START_PRIOR;
  return FZ_OK;
}

int fz_sb_pan_denoise(fz_pan_model *m, const fz_tensor *x_t, const fz_tensor *lms, const fz_tensor *pan, const float *t,
                      fz_tensor *x0, fz_err *err) {
  if (!fz_is_sb_pan(m)) return fz_fail(err, FZ_EINVAL, "sb_pan: the model is not an sb_pan model");
  sb_pan *s = m->priv;
  if (!lms || !pan) return fz_fail(err, FZ_EINVAL, "%s (sb_pan): the network needs lms and pan", m->display);
  if (!x0 || !fz_tensor_same_shape(x0, lms) || (x_t && !fz_tensor_same_shape(x_t, lms)))
    return fz_fail(err, FZ_EINVAL, "%s (sb_pan): x_t and x0 must have lms's shape [N, C, H, W]", m->display);
  const fz_tensor *cond[2] = {lms, pan};
  if (fz_condunet_forward(m, &s->net, x_t, cond, 2, t, x0, err)) return fz_wrap(err, "%s (sb_pan)", m->display);
  fz_gen_count(m, (uint64_t)x_t->shape[0]);
  return fz_add(m, x0, x0, lms, err);
}

typedef struct sp_call {
  fz_pan_model *m;
  const fz_tensor *lms, *pan;
  float *t;         // [N] time inputs (host)
  fz_gen_graph gg;  // the run's network calls as CUDA graph launches (gen_graph.h)
} sp_call;

// The device part of a network call (gen_graph.h): out = x̂0 = lms + condunet(x_t, cat[lms, pan], t_dev).
static int sp_net(void *ctx, const fz_tensor *x_t, const fz_tensor *t_dev, fz_tensor *out, fz_err *err) {
  sp_call *c = ctx;
  sb_pan *s = c->m->priv;
  const fz_tensor *cond[2] = {c->lms, c->pan};
  if (fz_condunet_forward_dev(c->m, &s->net, x_t, cond, 2, t_dev, out, err)) return fz_wrap(err, "%s (sb_pan)", c->m->display);
  return fz_add(c->m, out, out, c->lms, err);
}

// The sampler callback: out = x̂0 = lms + condunet(x_t, cat[lms, pan], t_model) (FZ_PRED_X0).
static int sp_model_fn(void *user, const fz_tensor *x_t, double t_model, const fz_tensor *cond, const fz_point *pt,
                       fz_tensor *out, fz_err *err) {
  (void)cond;
  (void)pt;
  sp_call *c = user;
  for (int64_t b = 0; b < x_t->shape[0]; b++) c->t[b] = (float)t_model;
  if (fz_gen_graph_call(&c->gg, sp_net, c, x_t, c->t, out, err)) return err->code;
  fz_gen_count(c->m, (uint64_t)x_t->shape[0]);
  return FZ_OK;
}

// The gen hook sample: the bridge sampler from x = lms (or the injected x_T) on a tile batch.
static int sp_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                     void *step_user, fz_tensor *out, fz_err *err) {
  const sb_pan *s = m->priv;
  if (!in || !in->lms || !in->pan) return fz_fail(err, FZ_EINVAL, "%s (sb_pan): sampling needs lms and pan", m->display);
  if (!out || !out->data || out->dtype != FZ_F32 || !fz_tensor_same_shape(out, in->lms))
    return fz_fail(err, FZ_EINVAL, "%s (sb_pan): out must be an f32 tensor of lms's shape [N, C, H, W]", m->display);
  if (x_T && (!x_T->data || x_T->dtype != FZ_F32 || !fz_tensor_same_shape(x_T, out))) {
    char a[96], b[96];
    return fz_fail(err, FZ_EINVAL, "%s (sb_pan): the start state x_T is %s; expected f32 %s like the output", m->display,
                   fz_shape_str(x_T->ndim, x_T->shape, a, sizeof a), fz_shape_str(out->ndim, out->shape, b, sizeof b));
  }
  fz_sampler_config cfg = m->gen.cfg;
  cfg.process = FZ_PROC_BRIDGE;
  cfg.beta_end = s->beta_max;
  cfg.train_steps = s->T;
  cfg.start = FZ_START_PRIOR;
  float *t = malloc((size_t)out->shape[0] * sizeof *t);
  if (!t) return fz_fail(err, FZ_ENOMEM, "out of memory");
  sp_call call = {m, in->lms, in->pan, t, {0}};
  fz_gen_graph_init(&call.gg, m);
  fz_model model = {sp_model_fn, &call, FZ_PRED_X0, m->gen.tin, 1, 0};
  fz_sample_inputs si;
  memset(&si, 0, sizeof si);
  si.prior = x_T ? x_T : in->lms;  // x1 of the bridge: the LMS (an injected x_T replaces only the start state)
  si.image_index = image_index;
  int rc = fz_sample(m->be, &model, &cfg, &si, m->gen.seed, on_step, step_user, out, err);
  fz_gen_graph_free(&call.gg);
  free(t);
  return rc ? fz_wrap(err, "%s (sb_pan %s)", m->display, fz_sampler_name(cfg.sampler)) : FZ_OK;
}

// The architecture's init: the condunet under "net." (bands from net.out_conv) and the bridge hyper-parameters.
static int sp_init(fz_pan_model *m, fz_err *err) {
  const fz_wtensor *oc = fz_param_info(m, "net.out_conv.weight"), *ic = fz_param_info(m, "net.in_conv.weight");
  if (!oc || !ic || oc->ndim != 4 || ic->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "%s: sb_pan needs the 4-d tensors net.in_conv.weight and net.out_conv.weight (a condunet under "
                   "'net.')", m->display);
  int C = (int)oc->shape[0];
  if (C < 1 || C > 1024 || ic->shape[1] != 2 * (int64_t)C + 1)
    return fz_fail(err, FZ_EINVAL, "%s: net.in_conv.weight takes %lld channels; sb_pan expects 2*bands+1 = %d (x_t, lms, pan) for "
                   "the %d bands of net.out_conv.weight", m->display, (long long)ic->shape[1], 2 * C + 1, C);
  sb_pan *s = calloc(1, sizeof *s);
  if (!s) return fz_fail(err, FZ_ENOMEM, "out of memory creating an sb_pan model");
  m->priv = s;
  s->beta_max = 0.3;
  s->T = 1000;
  double v;
  if (fz_hp_num(m->hparams, "beta_max", &v)) {
    if (!(v > 0 && v < 100)) return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams beta_max = %g; expected a positive I2SB beta_max (0.3)", m->display, v);
    s->beta_max = v;
  }
  if (fz_hp_num(m->hparams, "train_steps", &v)) {
    if (!(v >= 2 && v <= 100000 && v == (int)v && ((int)v % 2) == 0))
      return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams train_steps = %g; expected an even integer in 2..100000 (1000)", m->display, v);
    s->T = (int)v;
  }
  char str[32];
  if (fz_hp_str(m->hparams, "pred", str, sizeof str) && strcmp(str, "x0"))
    return fz_fail(err, FZ_EUNSUP, "%s: fusor.hparams pred = \"%s\"; sb_pan networks predict x0 - lms (pred \"x0\")", m->display, str);
  if (fz_hp_str(m->hparams, "time_input", str, sizeof str) && strcmp(str, "index"))
    return fz_fail(err, FZ_EUNSUP, "%s: fusor.hparams time_input = \"%s\"; sb_pan networks take the bridge index (\"index\")", m->display,
                   str);
  fz_condunet_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.in_ch = C;
  cfg.cond_ch = C + 1;
  cfg.out_ch = C;
  if (fz_condunet_read_hparams(m, &cfg, err) || fz_condunet_load(m, &s->net, &cfg, "net.", 0, err)) return err->code;
  fz_model_info *I = &m->info;
  I->bands = C;
  I->inputs = FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN;
  I->multiple = fz_condunet_multiple(&s->net);
  I->fixed_tile = 0;
  I->halo = 16;
  I->clamp01 = 1;
  return FZ_OK;
}

// The architecture's release.
static void sp_release(fz_pan_model *m) {
  free(m->priv);
  m->priv = NULL;
}

static const fz_gen_ops sp_gen = {fz_sb_pan_sampler_default, sp_check_sampler, sp_sample};

const fz_arch fz_arch_sb_pan = {
    "sb_pan",
    "Schrodinger-bridge pansharpening (after arXiv 2404.11416): I2SB bridge LMS -> HRMS, condunet denoiser, bridge_ode 1 step",
    NULL, sp_init, NULL, sp_release, NULL, &sp_gen,
};
