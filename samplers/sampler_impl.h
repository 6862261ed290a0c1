// sampler_impl.h — internals shared by the sampler files: the run context, scratch buffers and the
// step helpers (double-coefficient lincomb, noise, model evaluation, x̂0/ε̂ materialisation).
#ifndef FZ_SAMPLER_IMPL_H
#define FZ_SAMPLER_IMPL_H
#include "sampler.h"
#include "../runtime/arena.h"

#define FZ_SBUF_MAX 8

typedef struct fz_sctx {
  const fz_backend *be;
  const fz_model *model;
  const fz_sampler_config *cfg;   // resolved (no DEFAULT values left)
  fz_schedule sched;
  int first;                      // first grid point walked (SDEdit truncation)
  const fz_tensor *prior, *cond;
  fz_tensor *x;                   // the state (= the caller's out tensor)
  fz_tensor buf[FZ_SBUF_MAX];     // scratch tensors of x's shape, planned in one arena
  int nbuf;
  fz_arena arena;
  float *host;                    // host staging for the x̂0 clamp (NULL when no clamp)
  uint64_t seed, stream_base;     // noise: stream = (slot << 32) + image_index·C + n·C + c
  int64_t y0, x0, gw;
  fz_step_fn on_step;
  void *step_user;
  int nsteps;                     // steps walked (n − first)
} fz_sctx;

// The per-sampler entry: walks c->sched.pts[c->first .. n], calling fz__event after each step.
typedef int (*fz_run_fn)(fz_sctx *c, fz_err *err);
typedef struct {
  fz_sampler_kind kind;
  const char *name;
  int nbuf;          // scratch tensors needed
  int order;         // convergence order of the deterministic form (0: stochastic / not an integrator)
  unsigned procs;    // bit mask of supported processes (1u << FZ_PROC_*)
  fz_run_fn run;
} fz_sampler_entry;
const fz_sampler_entry *fz__sampler_entry(fz_sampler_kind k);

// out = Σ coef[i]·xs[i], coefficients computed in double and rounded once to f32; terms whose
// coefficient is exactly 0 are skipped (their tensor may be NULL).
int fz__lc(fz_sctx *c, fz_tensor *out, int n, const double *coef, const fz_tensor *const *xs, fz_err *err);
// z = standard normal noise of the given slot (0 = start, 1 + 2k + j = the j-th draw of step k).
int fz__noise(fz_sctx *c, uint64_t slot, fz_tensor *z, fz_err *err);
// Runs the model at point p on the state y (model space = g·y; xin is scratch used when g ≠ 1).
int fz__model(fz_sctx *c, const fz_point *p, double g, const fz_tensor *y, fz_tensor *xin, fz_tensor *mout, fz_err *err);
// x̂0 (and ε̂ when eps != NULL) at p from the model output, for the state y = x/g: clamps x̂0 when
// configured and derives ε̂ per cfg->eps_mode.
int fz__denoise(fz_sctx *c, const fz_point *p, double g, const fz_tensor *y, const fz_tensor *mout,
                fz_tensor *x0, fz_tensor *eps, fz_err *err);
// Ends a walk: with cfg->output_x0 copies last_x0 into the state, else rescales the state by g_end
// (σ-form samplers keep x/alpha) so that out holds the model-space sample.
int fz__finish(fz_sctx *c, const fz_tensor *last_x0, double g_end, fz_err *err);
// Reports event k (state at grid point first + k) to the step callback.
int fz__event(fz_sctx *c, int k, double x_scale, const fz_tensor *x0, fz_err *err);

// Sampler families (one file each).
int fz__run_ddpm(fz_sctx *c, fz_err *err);
int fz__run_ddim(fz_sctx *c, fz_err *err);
int fz__run_dpmpp(fz_sctx *c, fz_err *err);
int fz__run_ode(fz_sctx *c, fz_err *err);      // euler, heun, midpoint, euler_a, onestep
int fz__run_vpsde(fz_sctx *c, fz_err *err);
int fz__run_bridge(fz_sctx *c, fz_err *err);
int fz__run_regression(fz_sctx *c, fz_err *err);
#endif
