// pan_otfm.c — PAN-OTFM as a fusor model (see pan_otfm.h): loading (condunet under "net."), the one-step default
// sampler and the ODE samplers of the same velocity field, started from the LMS-based source.
#include "pan_otfm.h"
#include "gen_graph.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_Z = FZ_CONDUNET_SLOTS, P_PRIOR, P_COUNT };
_Static_assert(P_COUNT <= FZ_MODEL_MAX_SLOTS, "pan_otfm uses more scratch slots than the model pool has");

typedef struct pan_otfm {
  fz_pan_otfm_info info;
  fz_condunet net;
} pan_otfm;

int fz_is_pan_otfm(const fz_pan_model *m) { return m && m->arch == &fz_arch_pan_otfm && m->priv; }

const fz_pan_otfm_info *fz_pan_otfm_get_info(const fz_pan_model *m) {
  return fz_is_pan_otfm(m) ? &((const pan_otfm *)m->priv)->info : NULL;
}

// Checks that t is an f32 [n, c, h, w] tensor on m's backend; names role in the error.
static int need4(const fz_pan_model *m, const fz_tensor *t, const char *role, int64_t n, int64_t c, int64_t h, int64_t w, fz_err *err) {
  char got[96], want[96];
  int64_t s[4] = {n, c, h, w};
  if (!t || !t->data) return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): input '%s' is missing", m->display, role);
  if (t->dtype != FZ_F32 || t->ndim != 4 || t->shape[0] != n || t->shape[1] != c || t->shape[2] != h || t->shape[3] != w)
    return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): %s is %s %s; expected f32 %s", m->display, role, fz_dtype_name(t->dtype),
                   fz_shape_str(t->ndim, t->shape, got, sizeof got), fz_shape_str(4, s, want, sizeof want));
  if (t->be != m->be) return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): %s lives on another backend than the model (%s)", m->display, role, m->be->name);
  return FZ_OK;
}

int fz_pan_otfm_net(fz_pan_model *m, const fz_tensor *x_s, const fz_tensor *lms, const fz_tensor *pan, const float *s,
                    fz_tensor *out, fz_err *err) {
  if (!fz_is_pan_otfm(m)) return fz_fail(err, FZ_EINVAL, "pan_otfm net: the model is not a PAN-OTFM model");
  pan_otfm *p = m->priv;
  if (!pan || !pan->data || pan->ndim != 4) return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): pan must be an [N, 1, H, W] tensor", m->display);
  int64_t B = pan->shape[0], H = pan->shape[2], W = pan->shape[3], C = p->info.bands;
  if (need4(m, pan, "pan", B, 1, H, W, err) || need4(m, lms, "lms", B, C, H, W, err) || need4(m, x_s, "x_s", B, C, H, W, err) ||
      need4(m, out, "out", B, C, H, W, err))
    return err->code;
  if (!s) return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): the times are missing", m->display);
  float *t = malloc((size_t)B * sizeof *t);
  if (!t) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t b = 0; b < B; b++) t[b] = (float)(s[b] * p->info.time_scale);
  const fz_tensor *cond[2] = {lms, pan};
  int rc = fz_condunet_forward(m, &p->net, x_s, cond, 2, t, out, err);
  free(t);
  return rc;
}

int fz_pan_otfm_source(fz_pan_model *m, const fz_tensor *lms, uint64_t seed, uint64_t image_index, fz_tensor *x0, fz_err *err) {
  if (!fz_is_pan_otfm(m)) return fz_fail(err, FZ_EINVAL, "pan_otfm source: the model is not a PAN-OTFM model");
  pan_otfm *p = m->priv;
  if (!lms || lms->ndim != 4) return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): lms must be an [N, C, H, W] tensor", m->display);
  if (need4(m, lms, "lms", lms->shape[0], p->info.bands, lms->shape[2], lms->shape[3], err) ||
      need4(m, x0, "x0", lms->shape[0], p->info.bands, lms->shape[2], lms->shape[3], err))
    return err->code;
  if (p->info.source_noise == 0) return fz_copy(m, x0, lms, err);
  fz_tensor z;
  // the noise a NOISE start would draw: slot 0, stream image·C + c (samplers/step_ops.c fz__noise)
  if (fz_tmp(m, P_Z, 4, lms->shape, &z, err) ||
      fz_op_randn_image(m->be, &z, seed, image_index * (uint64_t)p->info.bands, 0, 0, lms->shape[3], err))
    return err->code;
  float coef[2] = {1.0f, (float)p->info.source_noise};
  const fz_tensor *xs[2] = {lms, &z};
  return fz_op_lincomb(m->be, x0, 2, coef, xs, err);
}

// ---- sampler hooks -------------------------------------------------------------------------------------

// The gen hook sampler_default: one step of the flow from the source prior.
static void po_sampler_default(fz_sampler_config *cfg, fz_time_input *tin) {
  fz_sampler_config_default(cfg, FZ_SAMPLER_ONESTEP);
  cfg->process = FZ_PROC_FLOW;
  cfg->steps = 1;
  cfg->start = FZ_START_PRIOR;
  if (tin) *tin = FZ_TIN_T;
}

// The gen hook check_sampler: PAN-OTFM is a flow from the LMS-based source; it runs the ODE samplers from the prior.
static int po_check_sampler(fz_pan_model *m, fz_sampler_config *c, fz_time_input tin, fz_err *err) {
  (void)m;
  fz_process p = fz_resolve_process(c);
  if (p != FZ_PROC_FLOW)
    return fz_fail(err, FZ_EINVAL, "sampler %s runs on the %s process; PAN-OTFM is a flow-matching model (flow process, from the "
                   "LMS-based source): use onestep, flow_euler, flow_heun or flow_midpoint", fz_sampler_name(c->sampler), fz_process_name(p));
  if (c->sampler != FZ_SAMPLER_ONESTEP && c->sampler != FZ_SAMPLER_EULER && c->sampler != FZ_SAMPLER_HEUN &&
      c->sampler != FZ_SAMPLER_MIDPOINT)
    return fz_fail(err, FZ_EINVAL, "sampler %s does not apply to PAN-OTFM (a deterministic flow from the LMS-based source): use "
                   "onestep, flow_euler, flow_heun or flow_midpoint", fz_sampler_name(c->sampler));
  if (c->start == FZ_START_NOISE || c->start == FZ_START_SDEDIT)
    return fz_fail(err, FZ_EINVAL, "PAN-OTFM starts from its source (lms + noise), not from %s: drop --strength / the noise start",
                   c->start == FZ_START_NOISE ? "pure noise" : "an SDEdit-noised prior");
  if (tin != FZ_TIN_T)
    return fz_fail(err, FZ_EINVAL, "PAN-OTFM's network takes the flow time t (time input 't', scaled by time_scale), not '%s'",
                   tin == FZ_TIN_INDEX ? "index" : tin == FZ_TIN_RESPACED ? "respaced" : "sigma");
  c->process = FZ_PROC_FLOW;
  c->start = FZ_START_PRIOR;
  return FZ_OK;
}

typedef struct po_call {
  fz_pan_model *m;
  const fz_tensor *lms, *pan;
  float *t;         // [N] network times (host)
  fz_gen_graph gg;  // the run's network calls as CUDA graph launches (gen_graph.h)
} po_call;

// The device part of a network call (gen_graph.h): out = v_θ(x_t) at the network times t_dev (= s·time_scale).
static int po_net(void *ctx, const fz_tensor *x_t, const fz_tensor *t_dev, fz_tensor *out, fz_err *err) {
  po_call *c = ctx;
  pan_otfm *p = c->m->priv;
  const fz_tensor *cond[2] = {c->lms, c->pan};
  return fz_condunet_forward_dev(c->m, &p->net, x_t, cond, 2, t_dev, out, err);
}

// The sampler callback: out = v_θ(x, s) with s = t_model / time_scale (the sampler feeds time_scale·(1 − t)).
static int po_model_fn(void *user, const fz_tensor *x_t, double t_model, const fz_tensor *cond, const fz_point *pt,
                       fz_tensor *out, fz_err *err) {
  (void)cond;
  (void)pt;
  po_call *c = user;
  pan_otfm *p = c->m->priv;
  for (int64_t b = 0; b < x_t->shape[0]; b++) {  // s = t_model / time_scale, then the network's s·time_scale
    const float sb = (float)(t_model / p->info.time_scale);
    c->t[b] = (float)(sb * p->info.time_scale);
  }
  if (fz_gen_graph_call(&c->gg, po_net, c, x_t, c->t, out, err)) return err->code;
  fz_gen_count(c->m, (uint64_t)x_t->shape[0]);
  return FZ_OK;
}

// The gen hook sample: the flow from the source (or the injected x_T) to the data on a tile batch.
static int po_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                     void *step_user, fz_tensor *out, fz_err *err) {
  pan_otfm *p = m->priv;
  if (!in || !in->lms || !in->pan)
    return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): sampling needs lms and pan (the source is built from lms)", m->display);
  if (!out || !out->data || out->dtype != FZ_F32 || !fz_tensor_same_shape(out, in->lms))
    return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): out must be an f32 tensor of lms's shape [N, C, H, W]", m->display);
  const fz_tensor *prior = x_T;
  fz_tensor src;
  if (x_T) {
    char a[96], b[96];
    if (!x_T->data || x_T->dtype != FZ_F32 || !fz_tensor_same_shape(x_T, out))
      return fz_fail(err, FZ_EINVAL, "%s (pan_otfm): the start state x_T is %s; expected f32 %s like the output", m->display,
                     fz_shape_str(x_T->ndim, x_T->shape, a, sizeof a), fz_shape_str(out->ndim, out->shape, b, sizeof b));
  } else {
    if (fz_tmp(m, P_PRIOR, 4, in->lms->shape, &src, err) || fz_pan_otfm_source(m, in->lms, m->gen.seed, image_index, &src, err))
      return err->code;
    prior = &src;
  }
  fz_sampler_config cfg = m->gen.cfg;
  cfg.start = FZ_START_PRIOR;
  if (need4(m, in->pan, "pan", out->shape[0], 1, out->shape[2], out->shape[3], err)) return err->code;
  float *t = malloc((size_t)out->shape[0] * sizeof *t);
  if (!t) return fz_fail(err, FZ_ENOMEM, "out of memory");
  po_call call = {m, in->lms, in->pan, t, {0}};
  fz_gen_graph_init(&call.gg, m);
  fz_model model = {po_model_fn, &call, FZ_PRED_VELOCITY, m->gen.tin, p->info.time_scale, 1};
  fz_sample_inputs si;
  memset(&si, 0, sizeof si);
  si.prior = prior;
  si.image_index = image_index;
  int rc = fz_sample(m->be, &model, &cfg, &si, m->gen.seed, on_step, step_user, out, err);
  fz_gen_graph_free(&call.gg);
  free(t);
  return rc ? fz_wrap(err, "%s (pan_otfm %s)", m->display, fz_sampler_name(cfg.sampler)) : FZ_OK;
}

// ---- loading -------------------------------------------------------------------------------------------

// The architecture's init: bands from spectral_num (else net.out_conv), the condunet, source σ and time scale.
static int po_init(fz_pan_model *m, fz_err *err) {
  pan_otfm *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory creating a PAN-OTFM model");
  m->priv = p;
  fz_pan_otfm_info *I = &p->info;
  double v;
  const fz_wtensor *oc = fz_param_info(m, "net.out_conv.weight");
  if (!oc || oc->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "%s: tensor 'net.out_conv.weight' is missing or not 4-D; a PAN-OTFM file holds its "
                   "condunet under 'net.'", m->display);
  I->bands = (int)oc->shape[0];
  if (I->bands < 1 || I->bands > 1024) return fz_fail(err, FZ_EINVAL, "%s: 'net.out_conv.weight' gives %d bands; expected 1..1024", m->display, I->bands);
  I->source_noise = 0.005;
  if (fz_hp_num(m->hparams, "source_noise", &v)) {
    if (!(v >= 0 && v <= 1)) return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams source_noise = %g; expected 0..1", m->display, v);
    I->source_noise = v;
  }
  I->time_scale = 1000;
  if (fz_hp_num(m->hparams, "time_scale", &v)) {
    if (!(v > 0 && v <= 1e6)) return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams time_scale = %g; expected a positive number", m->display, v);
    I->time_scale = v;
  }
  I->net = (fz_condunet_cfg){.in_ch = I->bands, .cond_ch = I->bands + 1, .out_ch = I->bands};
  if (fz_condunet_read_hparams(m, &I->net, err) || fz_condunet_load(m, &p->net, &I->net, "net.", 0, err)) return err->code;
  fz_model_info *mi = &m->info;
  mi->bands = I->bands;
  mi->ratio = 4;
  mi->inputs = FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN;
  mi->multiple = fz_condunet_multiple(&p->net);
  mi->fixed_tile = 0;
  mi->halo = 8 << (I->net.levels - 1);
  mi->clamp01 = 1;
  return FZ_OK;
}

// The architecture's release.
static void po_release(fz_pan_model *m) {
  free(m->priv);
  m->priv = NULL;
}

static const fz_gen_ops po_gen = {po_sampler_default, po_check_sampler, po_sample};

const fz_arch fz_arch_pan_otfm = {
    "pan_otfm",
    "PAN-OTFM (arXiv 2503.14975, fusor's definition): condunet velocity field, one-step flow from LMS + noise",
    NULL, po_init, NULL, po_release, NULL, &po_gen,
};
