// sampler.h — the sampler layer: schedules (host math in double), parameterisation conversions and
// the samplers (DDPM, DDIM, DPM-Solver++(2M) and its SDE variant, Euler / Heun / midpoint / Euler-
// ancestral in σ form or flow time, VP-SDE Euler–Maruyama and probability-flow ODE, Schrödinger
// bridge SDE/ODE, one-step flow, regression), driven by fz_sample().
//
// Every step is a handful of host-computed scalars applied with fz_op_lincomb / fz_op_randn_image on
// the backend, so the same code runs on any backend. Noise is a function of (seed, slot, image,
// channel, global y, global x) only: tiles, batch splits and thread counts never change the numbers.
// Nothing is allocated inside a step: scratch tensors are planned once per fz_sample() call.
//
// The process: the state x is always written x = alpha·x0 + sigma·eps (+ mu1·x1 for bridges), where
// alpha and sigma come from the process at a grid point (fz_point). docs/SAMPLERS.md gives every
// update equation and convention; the comments here name the options.
#ifndef FZ_SAMPLER_H
#define FZ_SAMPLER_H
#include <stdint.h>
#include "../runtime/backend.h"
#include "../runtime/error.h"
#include "../runtime/tensor.h"

// ---------------------------------------------------------------- what the model predicts
typedef enum {
  FZ_PRED_EPS = 0,   // ε (for bridges: I²SB's (x_t − x0)/std_fwd(t), i.e. x0 = x_t − std_fwd·out)
  FZ_PRED_X0,        // x0 itself ("sample" in diffusers, "x_start" in improved-diffusion)
  FZ_PRED_V,         // v = alpha·ε − sigma·x0 (Salimans & Ho)
  FZ_PRED_VELOCITY,  // dx/dt = d_alpha·x0 + d_sigma·ε (flow: ε − x0); continuous processes only
  FZ_PRED_RESIDUAL,  // x0 − prior: x0 = prior (the LMS) + out (SSDiff, Dif-PAN)
  FZ_PRED_COUNT
} fz_pred;

// What number the model is fed as its time input (times fz_model.time_scale).
typedef enum {
  FZ_TIN_INDEX = 0,  // training-timestep number: VP table index t (fractional on σ grids); VP-SDE t·(T−1)
                     // (score_sde); flow t·T (diffusers/SD3 "σ·1000"); bridge index n (I²SB); VE: σ
  FZ_TIN_RESPACED,   // position k of the point in the kept grid, 0 = the cleanest kept step (SSDiff quirk)
  FZ_TIN_T,          // process time in [0,1]: VP table t/T (×1000 = improved-diffusion rescale_timesteps),
                     // VP-SDE t, flow t, bridge n/T; VE: σ
  FZ_TIN_SIGMA,      // the VE noise level σ = sigma/alpha (EDM, k-diffusion); flow: t; bridge: std_fwd
  FZ_TIN_COUNT
} fz_time_input;

// The forward process the model was trained on.
typedef enum {
  FZ_PROC_DEFAULT = 0, // pick the sampler's natural process (ddpm/ddim/dpm* → vp, euler/heun/euler_a/
                       // midpoint → ve, vpsde_* → vpsde, flow_*/onestep → flow, bridge_* → bridge)
  FZ_PROC_VP,          // discrete variance-preserving table ᾱ_t, t = 0..T−1 (DDPM, improved-diffusion)
  FZ_PROC_VPSDE,       // continuous VP-SDE, β(t) = β_min + t(β_max − β_min), ᾱ(t) = exp(−∫β)
  FZ_PROC_VE,          // variance exploding / EDM: alpha = 1, sigma = σ
  FZ_PROC_FLOW,        // rectified flow / OT path: x_t = (1−t)·x0 + t·ε (SD3 convention: t=1 noise)
  FZ_PROC_BRIDGE,      // I²SB Schrödinger bridge between x0 (clean) and x1 (the LMS), discrete β table
  FZ_PROC_COUNT
} fz_process;

typedef enum {
  FZ_BETA_LINEAR = 0,    // β linspace(β_start, β_end, T) (diffusers "linear")
  FZ_BETA_SCALED_LINEAR, // linspace(√β_start, √β_end, T)² (latent diffusion)
  FZ_BETA_COSINE,        // improved-diffusion cosine, s = 0.008, β clipped at 0.999 (= "squaredcos_cap_v2")
  FZ_BETA_COUNT
} fz_beta_schedule;

typedef enum {
  FZ_SPACING_DEFAULT = 0, // ddpm/ddim: leading; dpm*/euler*/heun/midpoint on vp: linspace; vpsde, flow,
                          // bridge: uniform; ve: karras
  FZ_SPACING_LEADING,     // diffusers "leading": (T//n)·arange(n) reversed + steps_offset
  FZ_SPACING_TRAILING,    // diffusers "trailing": round(arange(T, 0, −T/n)) − 1
  FZ_SPACING_LINSPACE,    // diffusers "linspace": round(linspace(0, T−1, n)) reversed (DPM-Solver: n+1
                          // points, last dropped, exactly as DPMSolverMultistepScheduler)
  FZ_SPACING_RESPACE,     // improved-diffusion space_timesteps: "ddim10", "50,25,10" (config.respace)
  FZ_SPACING_LIST,        // explicit descending training indices (config.timesteps)
  FZ_SPACING_KARRAS,      // σ_i = (σmax^(1/ρ) + i/(n−1)(σmin^(1/ρ) − σmax^(1/ρ)))^ρ (k-diffusion)
  FZ_SPACING_EXPONENTIAL, // σ_i = exp(linspace(log σmax, log σmin, n))
  FZ_SPACING_UNIFORM,     // uniform in process time (vpsde: 1 → t_eps; flow: 1 → 0 then shift; bridge:
                          // I²SB space_indices)
  FZ_SPACING_COUNT
} fz_spacing;

// Where the last grid point lies.
typedef enum {
  FZ_TERM_DEFAULT = 0, // ZERO, except bridge (MIN: I²SB ends at index 0) and vpsde (MIN: t_eps)
  FZ_TERM_ZERO,        // noise-free end: ᾱ = 1 (diffusers set_alpha_to_one, final_sigmas_type "zero"),
                       // σ = 0, flow t = 0, bridge std 0
  FZ_TERM_MIN,         // the smallest noise level of the schedule: ᾱ_0 (set_alpha_to_one=False,
                       // final_sigmas_type "sigma_min"), σ_min, vpsde t_eps, bridge index 0
  FZ_TERM_COUNT
} fz_terminal;

typedef enum {
  FZ_SAMPLER_DDPM = 0,     // ancestral DDPM (diffusers DDPMScheduler.step), VP processes
  FZ_SAMPLER_DDIM,         // DDIM with η (η = 0 deterministic; η = 1 is DDPM), vp/vpsde/ve/flow
  FZ_SAMPLER_DPMPP_2M,     // DPM-Solver++(2M), diffusers midpoint form
  FZ_SAMPLER_DPMPP_2M_SDE, // SDE-DPM-Solver++(2M), diffusers "sde-dpmsolver++" midpoint
  FZ_SAMPLER_EULER,        // k-diffusion Euler in σ (flow: Euler in t)
  FZ_SAMPLER_HEUN,         // k-diffusion Heun (Euler on the step to 0)
  FZ_SAMPLER_MIDPOINT,     // explicit midpoint in σ (flow: in t)
  FZ_SAMPLER_EULER_A,      // k-diffusion Euler-ancestral (σ form; not for flow)
  FZ_SAMPLER_VPSDE_EM,     // reverse VP-SDE, Euler–Maruyama (Song et al.)
  FZ_SAMPLER_VPSDE_ODE,    // VP-SDE probability-flow ODE, Euler
  FZ_SAMPLER_BRIDGE_SDE,   // I²SB posterior sampling p(x_n' | x_n, x̂0)
  FZ_SAMPLER_BRIDGE_ODE,   // the same without noise (I²SB ot_ode)
  FZ_SAMPLER_ONESTEP,      // one Euler step over the whole grid (flow: x0 = x − u at t = 1)
  FZ_SAMPLER_REGRESSION,   // a single forward pass: x0 = out (X0) or prior + out (RESIDUAL)
  FZ_SAMPLER_COUNT
} fz_sampler_kind;

typedef enum {
  FZ_START_DEFAULT = 0, // NOISE, except bridges (PRIOR) and regression (PRIOR when given)
  FZ_START_NOISE,       // pure noise: x = sqrt(alpha² + sigma²)·z (z for VP and flow; k-diffusion's σ·z with init_sigma_only)
  FZ_START_SDEDIT,      // the prior noised to the first kept point: x = alpha·prior + sigma·z, keeping
                        // int(steps·strength) steps (diffusers img2img)
  FZ_START_PRIOR,       // the prior itself, unchanged (bridges start from the LMS; also flows from a prior)
  FZ_START_COUNT
} fz_start;

typedef enum {
  FZ_EPS_FROM_MODEL = 0, // ε̂ from the raw model output, before any x0 clamp (diffusers default)
  FZ_EPS_FROM_X0,        // ε̂ = (x − alpha·x̂0)/sigma from the clamped x̂0 in image space
                         // (improved-diffusion, SSDiff, GLIDE; diffusers use_clipped_model_output)
} fz_eps_mode;

typedef enum { FZ_VAR_FIXED_SMALL = 0, FZ_VAR_FIXED_LARGE } fz_ddpm_variance;

// ---------------------------------------------------------------- a point of the process
typedef struct fz_point {
  fz_process process;
  double t;               // process time: vp table index (−1 = the clean end), vpsde/flow t, ve σ, bridge n
  double t_model;         // the number fed to the model (fz_time_input × time_scale)
  double alpha, sigma;    // x = alpha·x0 + sigma·ε (+ mu1·x1)
  double d_alpha, d_sigma;// d/dt of alpha and sigma (continuous processes; 0 where undefined)
  double mu1;             // bridge: coefficient of x1 in the marginal mean (0 otherwise)
  double std_fwd;         // bridge: I²SB std_fwd(n) = sqrt(Σ_{i≤n} β_i) (0 otherwise)
  double beta;            // vpsde: β(t) (0 otherwise)
  double respaced;        // position in the kept grid, 0 = the cleanest kept step
} fz_point;

// ---------------------------------------------------------------- the model callback
// Evaluates the network at x_t (the process state in the model's own space, N×C×H×W) for time
// t_model; cond is the caller's conditioning (may be NULL); pt describes the point (real networks
// only need t_model; the exact Gaussian model uses alpha/sigma). Writes out (same shape as x_t).
// Must not keep pointers to x_t or out and must not allocate if the caller wants an allocation-free step.
typedef int (*fz_model_fn)(void *user, const fz_tensor *x_t, double t_model, const fz_tensor *cond,
                           const fz_point *pt, fz_tensor *out, fz_err *err);

typedef struct fz_model {
  fz_model_fn fn;
  void *user;
  fz_pred pred;             // what fn returns
  fz_time_input time_input; // what t_model is
  double time_scale;        // t_model multiplier (0 means 1)
  int flow_data_at_one;     // flow parity: the model uses t=0 noise, t=1 data (MMAIF/rectified flow):
                            // it is fed 1−t and its velocity (data − noise) is negated
} fz_model;

// ---------------------------------------------------------------- sampler configuration
typedef struct fz_sampler_config {
  fz_sampler_kind sampler;
  int steps;                // number of model-evaluation steps on the grid (>= 1)
  double eta;               // DDIM η; Euler-ancestral η (default 1 there when 0 is not wanted: see eta_set)
  int eta_set;              // 1 when eta was given (euler_a uses η = 1 otherwise)
  double s_noise;           // multiplier of every injected noise (0 = deterministic mean chain); 0 → 1 unless s_noise_set
  int s_noise_set;
  fz_process process;
  // discrete VP table
  fz_beta_schedule beta_schedule;
  int train_steps;          // T (default 1000)
  double beta_start, beta_end; // vp: 1e-4, 0.02; vpsde: β_min 0.1, β_max 20; bridge: β_max 0.3 (I²SB)
  // grid
  fz_spacing spacing;
  int steps_offset;         // diffusers steps_offset (leading spacing)
  char respace[128];        // FZ_SPACING_RESPACE: "ddim10", "50,25,10"
  const int *timesteps;     // FZ_SPACING_LIST: descending indices, ntimesteps of them (= steps)
  int ntimesteps;
  double sigma_min, sigma_max, rho; // Karras/exponential (ve defaults 0.002, 80, 7; vp: from the table)
  double shift;             // flow time shift t' = shift·t/(1+(shift−1)·t) (0 → 1)
  double t_eps;             // vpsde smallest t (default 1e-3)
  fz_terminal terminal;
  // the prediction
  int clamp_x0;             // clamp x̂0 to [clamp_lo, clamp_hi] (diffusers clip_sample, improved-diffusion clip_denoised)
  double clamp_lo, clamp_hi;
  fz_eps_mode eps_mode;
  int output_x0;            // write the last x̂0 instead of the final state (SSDiff's output)
  fz_ddpm_variance ddpm_variance;
  int ddim_prev_ratio;      // diffusers DDIMScheduler parity: a step from index t lands on t − T//steps
                            // (ᾱ_0 or the terminal when < 0) instead of the next grid point (vp index grids)
  int lower_order_final;    // DPM-Solver++: first order on the last step when steps < 15 (diffusers); 0 = off
  int init_sigma_only;      // NOISE start for σ-form samplers: x = sigma·z (k-diffusion) instead of sqrt(α²+σ²)·z
  // the start
  fz_start start;
  double strength;          // FZ_START_SDEDIT: fraction of the steps kept (0 < strength <= 1)
} fz_sampler_config;

// Fills cfg with the defaults of `sampler` (everything else zero / DEFAULT).
void fz_sampler_config_default(fz_sampler_config *cfg, fz_sampler_kind sampler);
// Replaces every DEFAULT / zero field of cfg by its resolved value and checks the combination
// (sampler × process × start); fz_sample() does this on its own copy.
int fz_sampler_config_resolve(fz_sampler_config *cfg, fz_err *err);

// ---------------------------------------------------------------- inputs, steps, output
typedef struct fz_sample_inputs {
  const fz_tensor *prior;   // N×C×H×W: the LMS (SDEdit start, bridge x1, residual base); may be NULL
  const fz_tensor *cond;    // passed unchanged to the model; may be NULL
  // where this tensor lies in the whole image (tiles): noise index = (y0 + y)·global_w + (x0 + x)
  int64_t tile_y0, tile_x0, global_w; // global_w 0 = the tensor's own width
  uint64_t image_index;     // first image of the tensor in the whole batch (noise stream = image·C + c)
} fz_sample_inputs;

// What the step callback sees: event 0 is the start state, event k (1..nsteps) the state after step k.
typedef struct fz_step_event {
  int step, nsteps;
  const fz_point *pt;       // the grid point the state is at
  const fz_tensor *x;       // the state; the model-space state is x_scale·x (σ-form samplers keep x/alpha)
  double x_scale;
  const fz_tensor *x0;      // the x̂0 of the step just taken (NULL for event 0)
} fz_step_event;
// Returns 0 to continue; nonzero stops sampling with an error.
typedef int (*fz_step_fn)(void *user, const fz_step_event *ev);

// Samples into out (f32 N×C×H×W on be; also the state buffer). Plans every scratch tensor before the
// first step; a step allocates nothing. seed selects the noise. on_step may be NULL.
int fz_sample(const fz_backend *be, const fz_model *model, const fz_sampler_config *cfg,
              const fz_sample_inputs *in, uint64_t seed, fz_step_fn on_step, void *step_user,
              fz_tensor *out, fz_err *err);

// ---------------------------------------------------------------- names
const char *fz_sampler_name(fz_sampler_kind k);
int fz_sampler_parse(const char *s, fz_sampler_kind *k, fz_process *implied, fz_err *err);
const char *fz_process_name(fz_process p);
int fz_process_parse(const char *s, fz_process *p, fz_err *err);
const char *fz_pred_name(fz_pred p);
int fz_pred_parse(const char *s, fz_pred *p, fz_err *err);
const char *fz_spacing_name(fz_spacing s);
int fz_spacing_parse(const char *s, fz_spacing *sp, fz_err *err);
int fz_beta_schedule_parse(const char *s, fz_beta_schedule *b, fz_err *err);
int fz_time_input_parse(const char *s, fz_time_input *t, fz_err *err);
// Convergence order of a sampler's deterministic form (0 when stochastic or not an integrator).
int fz_sampler_order(fz_sampler_kind k);

// ---------------------------------------------------------------- schedules (schedule.c)
// ᾱ_t (t = 0..T−1) of a discrete β schedule into abar[T] (double precision throughout).
int fz_vp_alphas_cumprod(fz_beta_schedule kind, int T, double beta_start, double beta_end, double *abar, fz_err *err);
// Descending training indices of a diffusers spacing (LEADING/TRAILING/LINSPACE); dpm_flavour selects
// DPMSolverMultistepScheduler's variant. ts[n].
int fz_spacing_timesteps(fz_spacing sp, int T, int n, int steps_offset, int dpm_flavour, int *ts, fz_err *err);
// improved-diffusion space_timesteps(T, section_counts): writes the kept indices ascending into
// ts (capacity cap) and their count into *n.
int fz_respace_timesteps(int T, const char *sections, int *ts, int cap, int *n, fz_err *err);
// Karras σ grid: n values from sigma_max down to sigma_min.
void fz_karras_sigmas(int n, double sigma_min, double sigma_max, double rho, double *out);
// SD3 static time shift t' = shift·t / (1 + (shift − 1)·t).
double fz_flow_shift(double t, double shift);
// DDPM posterior variance β̃ = (1 − ᾱ_prev)/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_prev) (diffusers _get_variance).
double fz_vp_posterior_variance(double abar_t, double abar_prev);
// I²SB symmetric β table of T entries with the given β_max (linear_end = β_max/T), and std_fwd[T].
int fz_bridge_std_fwd(int T, double beta_max, double *std_fwd, fz_err *err);
// I²SB p(x_n' | x_n, x0) coefficients: x_n' = mu_x0·x0 + mu_xn·x_n + sqrt(var)·z, from std_fwd at n' and n.
void fz_bridge_posterior(double std_prev, double std_n, double *mu_x0, double *mu_xn, double *var);

// A built grid: pts[0..n] (n = steps), pts[n] the terminal point.
typedef struct fz_schedule {
  fz_point *pts;
  int n;
  fz_process process;
  // process parameters kept for off-grid points (midpoint evaluations)
  double *abar;             // vp table (T), NULL otherwise
  double *log_sigmas;       // vp table log σ_t, for σ → t interpolation
  int T;
  double beta_min, beta_max;
  fz_time_input tin;
  double time_scale;
  int flow_data_at_one;
} fz_schedule;

// Builds the grid of cfg (resolved process and spacing) for model's time input. Host memory.
int fz_schedule_build(const fz_sampler_config *cfg, const fz_model *model, fz_schedule *s, fz_err *err);
void fz_schedule_free(fz_schedule *s);
// The point at VE noise level sigma_ve (vp/vpsde/ve) or flow time t (flow); respaced is interpolated
// by the caller. Fails for bridges.
int fz_schedule_point_at(const fz_schedule *s, double tau, double respaced, fz_point *pt, fz_err *err);
// Resolves FZ_PROC_DEFAULT / FZ_SPACING_DEFAULT / FZ_TERM_DEFAULT for cfg->sampler.
fz_process fz_resolve_process(const fz_sampler_config *cfg);
fz_spacing fz_resolve_spacing(const fz_sampler_config *cfg, fz_process p);
fz_terminal fz_resolve_terminal(const fz_sampler_config *cfg, fz_process p);

// ---------------------------------------------------------------- parameterisations (param.c)
// An affine form over the tensors a step has: value = y·X + out·O + prior·P (X the state, O the model
// output, P the prior / x1).
typedef struct { double y, out, prior; } fz_form;
// x̂0 and ε̂ as forms of the model output at pt, for a state stored as x/g (g = 1: model space).
// Fails (with the reason) where the conversion is undefined (eps at alpha = 0, velocity on vp tables).
int fz_param_forms(fz_pred pred, const fz_point *pt, double g, int flow_data_at_one, fz_form *x0, fz_form *eps, fz_err *err);
// Scalar conversions (one element), for tests and docs: from the model output to x0 / ε.
double fz_param_to_x0(fz_pred pred, const fz_point *pt, double x, double out, double prior);
double fz_param_to_eps(fz_pred pred, const fz_point *pt, double x, double out, double prior);
// The model output of parameterisation pred that corresponds to a given (x0, ε) at pt.
double fz_param_from(fz_pred pred, const fz_point *pt, double x0, double eps, double prior);

// ---------------------------------------------------------------- the exact Gaussian model (gaussian.c)
#define FZ_GAUSS_MAX_C 64
// x0 ~ N(mu_c, sd_c²) per channel, independent of x1: the closed-form optimal predictor
// E[x0 | x_t] = mu + alpha·sd²/(alpha²·sd² + sigma²)·(x_t − alpha·mu − mu1·x1), for any process.
typedef struct fz_gauss_model {
  int channels;
  double mu[FZ_GAUSS_MAX_C], sd[FZ_GAUSS_MAX_C];
  fz_pred pred;              // what it emits
  int flow_data_at_one;      // emit the MMAIF-convention velocity (negated)
  const fz_tensor *prior;    // residual base and bridge x1 (same shape as x_t); may be NULL
  fz_tensor ones;            // max_hw ones on the backend
} fz_gauss_model;
// Prepares the model for tensors with at most max_hw pixels per channel on be.
int fz_gauss_model_init(fz_gauss_model *g, const fz_backend *be, int channels, const double *mu,
                        const double *sd, int64_t max_hw, fz_pred pred, fz_err *err);
void fz_gauss_model_free(fz_gauss_model *g);
// The fz_model_fn of the Gaussian model (user = fz_gauss_model*).
int fz_gauss_model_fn(void *user, const fz_tensor *x_t, double t_model, const fz_tensor *cond,
                      const fz_point *pt, fz_tensor *out, fz_err *err);
#endif
