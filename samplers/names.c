// names.c — the sampler registry (names, orders, supported processes, scratch needs), configuration
// defaults and their resolution, and the name ↔ enum parsers used by the CLI.
#include "sampler_impl.h"
#include <string.h>

#define P(x) (1u << FZ_PROC_##x)
#define CONT (P(VP) | P(VPSDE) | P(VE) | P(FLOW))
static const fz_sampler_entry g_samplers[FZ_SAMPLER_COUNT] = {
  {FZ_SAMPLER_DDPM, "ddpm", 3, 0, P(VP) | P(VPSDE), fz__run_ddpm},
  {FZ_SAMPLER_DDIM, "ddim", 4, 1, CONT, fz__run_ddim},
  {FZ_SAMPLER_DPMPP_2M, "dpmpp_2m", 4, 2, CONT, fz__run_dpmpp},
  {FZ_SAMPLER_DPMPP_2M_SDE, "dpmpp_2m_sde", 4, 0, CONT, fz__run_dpmpp},
  {FZ_SAMPLER_EULER, "euler", 7, 1, CONT, fz__run_ode},
  {FZ_SAMPLER_HEUN, "heun", 7, 2, CONT, fz__run_ode},
  {FZ_SAMPLER_MIDPOINT, "midpoint", 7, 2, CONT, fz__run_ode},
  {FZ_SAMPLER_EULER_A, "euler_a", 7, 0, P(VP) | P(VPSDE) | P(VE), fz__run_ode},
  {FZ_SAMPLER_VPSDE_EM, "vpsde_em", 4, 0, P(VPSDE), fz__run_vpsde},
  {FZ_SAMPLER_VPSDE_ODE, "vpsde_ode", 4, 1, P(VPSDE), fz__run_vpsde},
  {FZ_SAMPLER_BRIDGE_SDE, "bridge_sde", 3, 0, P(BRIDGE), fz__run_bridge},
  {FZ_SAMPLER_BRIDGE_ODE, "bridge_ode", 3, 0, P(BRIDGE), fz__run_bridge},
  {FZ_SAMPLER_ONESTEP, "onestep", 7, 0, CONT, fz__run_ode},
  {FZ_SAMPLER_REGRESSION, "regression", 1, 0, CONT | P(BRIDGE), fz__run_regression},
};

const fz_sampler_entry *fz__sampler_entry(fz_sampler_kind k) {
  return (unsigned)k < FZ_SAMPLER_COUNT ? &g_samplers[k] : NULL;
}
const char *fz_sampler_name(fz_sampler_kind k) { return (unsigned)k < FZ_SAMPLER_COUNT ? g_samplers[k].name : "?"; }
int fz_sampler_order(fz_sampler_kind k) { return (unsigned)k < FZ_SAMPLER_COUNT ? g_samplers[k].order : 0; }

int fz_sampler_parse(const char *s, fz_sampler_kind *k, fz_process *implied, fz_err *err) {
  static const struct { const char *name; fz_sampler_kind k; fz_process p; } alias[] = {
    {"flow_euler", FZ_SAMPLER_EULER, FZ_PROC_FLOW}, {"flow_heun", FZ_SAMPLER_HEUN, FZ_PROC_FLOW},
    {"flow_midpoint", FZ_SAMPLER_MIDPOINT, FZ_PROC_FLOW}, {"flow_onestep", FZ_SAMPLER_ONESTEP, FZ_PROC_FLOW},
    {"dpm++2m", FZ_SAMPLER_DPMPP_2M, FZ_PROC_DEFAULT}, {"dpm++2m_sde", FZ_SAMPLER_DPMPP_2M_SDE, FZ_PROC_DEFAULT},
    {"euler_ancestral", FZ_SAMPLER_EULER_A, FZ_PROC_DEFAULT},
  };
  if (implied) *implied = FZ_PROC_DEFAULT;
  for (int i = 0; i < FZ_SAMPLER_COUNT; i++)
    if (s && !strcmp(s, g_samplers[i].name)) { *k = (fz_sampler_kind)i; return FZ_OK; }
  for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
    if (s && !strcmp(s, alias[i].name)) { *k = alias[i].k; if (implied) *implied = alias[i].p; return FZ_OK; }
  return fz_fail(err, FZ_EINVAL, "--sampler: '%s' is not a sampler; expected ddpm, ddim, dpmpp_2m, dpmpp_2m_sde, euler, heun, "
                 "midpoint, euler_a, vpsde_em, vpsde_ode, bridge_sde, bridge_ode, onestep, regression, flow_euler, flow_heun, "
                 "flow_midpoint", s ? s : "(null)");
}

static const char *g_proc[FZ_PROC_COUNT] = {"default", "vp", "vpsde", "ve", "flow", "bridge"};
static const char *g_pred[FZ_PRED_COUNT] = {"eps", "x0", "v", "velocity", "residual"};
static const char *g_spacing[FZ_SPACING_COUNT] = {"default", "leading", "trailing", "linspace", "respace", "list",
                                                  "karras", "exponential", "uniform"};
static const char *g_beta[FZ_BETA_COUNT] = {"linear", "scaled_linear", "cosine"};
static const char *g_tin[FZ_TIN_COUNT] = {"index", "respaced", "t", "sigma"};

// Index of s in names[0..n), or -1.
static int lookup(const char *s, const char *const *names, int n) {
  for (int i = 0; s && i < n; i++)
    if (!strcmp(s, names[i])) return i;
  return -1;
}
const char *fz_process_name(fz_process p) { return (unsigned)p < FZ_PROC_COUNT ? g_proc[p] : "?"; }
const char *fz_pred_name(fz_pred p) { return (unsigned)p < FZ_PRED_COUNT ? g_pred[p] : "?"; }
const char *fz_spacing_name(fz_spacing s) { return (unsigned)s < FZ_SPACING_COUNT ? g_spacing[s] : "?"; }

int fz_process_parse(const char *s, fz_process *p, fz_err *err) {
  int i = lookup(s, g_proc, FZ_PROC_COUNT);
  if (i < 0) return fz_fail(err, FZ_EINVAL, "--process: '%s' is not a process; expected vp, vpsde, ve, flow or bridge", s ? s : "");
  *p = (fz_process)i;
  return FZ_OK;
}
int fz_pred_parse(const char *s, fz_pred *p, fz_err *err) {
  int i = lookup(s, g_pred, FZ_PRED_COUNT);
  if (i < 0) return fz_fail(err, FZ_EINVAL, "--pred: '%s' is not a parameterisation; expected eps, x0, v, velocity or residual", s ? s : "");
  *p = (fz_pred)i;
  return FZ_OK;
}
int fz_spacing_parse(const char *s, fz_spacing *sp, fz_err *err) {
  int i = lookup(s, g_spacing, FZ_SPACING_COUNT);
  if (i < 0) return fz_fail(err, FZ_EINVAL, "--spacing: '%s' is not a spacing; expected leading, trailing, linspace, respace, "
                            "karras, exponential or uniform", s ? s : "");
  *sp = (fz_spacing)i;
  return FZ_OK;
}
int fz_beta_schedule_parse(const char *s, fz_beta_schedule *b, fz_err *err) {
  int i = lookup(s, g_beta, FZ_BETA_COUNT);
  if (i < 0 && s && !strcmp(s, "squaredcos_cap_v2")) i = FZ_BETA_COSINE;
  if (i < 0) return fz_fail(err, FZ_EINVAL, "--schedule: '%s' is not a beta schedule; expected linear, scaled_linear or cosine", s ? s : "");
  *b = (fz_beta_schedule)i;
  return FZ_OK;
}
int fz_time_input_parse(const char *s, fz_time_input *t, fz_err *err) {
  int i = lookup(s, g_tin, FZ_TIN_COUNT);
  if (i < 0) return fz_fail(err, FZ_EINVAL, "--time-input: '%s' is not a time input; expected index, respaced, t or sigma", s ? s : "");
  *t = (fz_time_input)i;
  return FZ_OK;
}

void fz_sampler_config_default(fz_sampler_config *c, fz_sampler_kind sampler) {
  memset(c, 0, sizeof *c);
  c->sampler = sampler;
  c->steps = (sampler == FZ_SAMPLER_ONESTEP || sampler == FZ_SAMPLER_REGRESSION) ? 1 : 20;
  c->lower_order_final = 1;
  c->strength = 1.0;
}

fz_process fz_resolve_process(const fz_sampler_config *c) {
  if (c->process != FZ_PROC_DEFAULT) return c->process;
  switch (c->sampler) {
    case FZ_SAMPLER_EULER: case FZ_SAMPLER_HEUN: case FZ_SAMPLER_MIDPOINT: case FZ_SAMPLER_EULER_A: return FZ_PROC_VE;
    case FZ_SAMPLER_VPSDE_EM: case FZ_SAMPLER_VPSDE_ODE: return FZ_PROC_VPSDE;
    case FZ_SAMPLER_BRIDGE_SDE: case FZ_SAMPLER_BRIDGE_ODE: return FZ_PROC_BRIDGE;
    case FZ_SAMPLER_ONESTEP: return FZ_PROC_FLOW;
    default: return FZ_PROC_VP;
  }
}

fz_spacing fz_resolve_spacing(const fz_sampler_config *c, fz_process p) {
  if (c->spacing != FZ_SPACING_DEFAULT) return c->spacing;
  if (p == FZ_PROC_VP) return (c->sampler == FZ_SAMPLER_DDPM || c->sampler == FZ_SAMPLER_DDIM) ? FZ_SPACING_LEADING : FZ_SPACING_LINSPACE;
  return p == FZ_PROC_VE ? FZ_SPACING_KARRAS : FZ_SPACING_UNIFORM;
}

fz_terminal fz_resolve_terminal(const fz_sampler_config *c, fz_process p) {
  if (c->terminal != FZ_TERM_DEFAULT) return c->terminal;
  return (p == FZ_PROC_BRIDGE || p == FZ_PROC_VPSDE) ? FZ_TERM_MIN : FZ_TERM_ZERO;
}

// Fills every DEFAULT / zero field of *c with its resolved value (see sampler.h).
int fz_sampler_config_resolve(fz_sampler_config *c, fz_err *err) {
  const fz_sampler_entry *e = fz__sampler_entry(c->sampler);
  if (!e) return fz_fail(err, FZ_EINVAL, "sampler: unknown sampler %d", (int)c->sampler);
  fz_process p = fz_resolve_process(c);
  if ((unsigned)p >= FZ_PROC_COUNT || p == FZ_PROC_DEFAULT) return fz_fail(err, FZ_EINVAL, "sampler: unknown process %d", (int)p);
  if (!(e->procs & (1u << p)))
    return fz_fail(err, FZ_EINVAL, "sampler %s does not run on the %s process%s", e->name, fz_process_name(p),
                   c->sampler == FZ_SAMPLER_EULER_A ? " (euler_a is defined in sigma form; for flows use flow_euler)"
                   : p == FZ_PROC_BRIDGE ? " (bridges run bridge_sde, bridge_ode or regression)"
                   : c->sampler == FZ_SAMPLER_DDPM ? " (ddpm needs a variance-preserving process: vp or vpsde)" : "");
  c->process = p;
  c->spacing = fz_resolve_spacing(c, p);
  c->terminal = fz_resolve_terminal(c, p);
  if (c->train_steps <= 0) c->train_steps = 1000;
  if (c->beta_start == 0 && c->beta_end == 0) {
    if (p == FZ_PROC_VP) { c->beta_start = 1e-4; c->beta_end = 0.02; }
    if (p == FZ_PROC_VPSDE) { c->beta_start = 0.1; c->beta_end = 20; }
    if (p == FZ_PROC_BRIDGE) c->beta_end = 0.3;
  }
  if (p == FZ_PROC_VE) {
    if (c->sigma_min == 0) c->sigma_min = 0.002;
    if (c->sigma_max == 0) c->sigma_max = 80;
  }
  if (c->rho == 0) c->rho = 7;
  if (c->shift == 0) c->shift = 1;
  if (c->t_eps == 0) c->t_eps = 1e-3;
  if (!c->s_noise_set) c->s_noise = 1;
  if (c->sampler == FZ_SAMPLER_EULER_A && !c->eta_set) c->eta = 1;
  if (c->sampler == FZ_SAMPLER_ONESTEP) c->steps = 1;
  if (c->clamp_x0 && c->clamp_lo == 0 && c->clamp_hi == 0) { c->clamp_lo = -1; c->clamp_hi = 1; }
  if (c->clamp_x0 && !(c->clamp_lo < c->clamp_hi))
    return fz_fail(err, FZ_EINVAL, "sampler: clamp range [%g, %g] is empty", c->clamp_lo, c->clamp_hi);
  if (c->start == FZ_START_DEFAULT) c->start = p == FZ_PROC_BRIDGE ? FZ_START_PRIOR : FZ_START_NOISE;
  if (p == FZ_PROC_BRIDGE && c->start != FZ_START_PRIOR && c->sampler != FZ_SAMPLER_REGRESSION)
    return fz_fail(err, FZ_EINVAL, "sampler: bridges start from the prior (x1 = the LMS); --start %s is not available",
                   c->start == FZ_START_NOISE ? "noise" : "sdedit");
  if (c->start == FZ_START_SDEDIT && !(c->strength > 0 && c->strength <= 1))
    return fz_fail(err, FZ_EINVAL, "sampler: strength %g, expected 0 < strength <= 1", c->strength);
  if (c->eta < 0) return fz_fail(err, FZ_EINVAL, "sampler: eta %g, expected >= 0", c->eta);
  if (c->s_noise < 0) return fz_fail(err, FZ_EINVAL, "sampler: s_noise %g, expected >= 0", c->s_noise);
  return FZ_OK;
}
