// sb_pan.h — Schrödinger-bridge pansharpening (arch `sb_pan`; after Cao, Wu, Deng, arXiv 2404.11416, whose code is
// not released): an I²SB bridge from the LMS (x1) to the HRMS (x0) with the analytic posterior, and fusor's condunet
// (models/condunet.h) as the denoiser. The network sees x_n with cond = cat[lms, pan] and the bridge index n
// (time input `index`) and predicts x0 − lms; the model returns x̂0 = lms + net (FZ_PRED_X0). Sampling starts from
// the LMS: bridge_ode 1 step (default) or bridge_sde 5 steps. Tensors: the condunet's under "net.". Hyper-parameters
// (fusor.hparams): the condunet's (width, levels, blocks, groups, attn, heads, ch_mult), beta_max (0.3),
// train_steps (1000), scale / sensor. docs/MODELS_GENERATIVE.md, section "Schrödinger bridge".
#ifndef FZ_SB_PAN_H
#define FZ_SB_PAN_H
#include "model.h"
#include "../samplers/sampler.h"

// The sampler sb_pan ships with: bridge_ode, 1 step, on the bridge process (β_max 0.3, T 1000; the model's own
// beta_max / train_steps replace these when it is sampled), start from the LMS, time input = bridge index.
void fz_sb_pan_sampler_default(fz_sampler_config *cfg, fz_time_input *tin);
// 1 when m is an sb_pan model.
int fz_is_sb_pan(const fz_pan_model *m);
// The bridge of m: *beta_max and *train_steps (either may be NULL). Fails when m is not sb_pan.
int fz_sb_pan_bridge(const fz_pan_model *m, double *beta_max, int *train_steps, fz_err *err);
// One network evaluation: x0 [N,C,H,W] = lms + condunet(x_t, cat[lms, pan], t) with x_t, lms [N,C,H,W], pan [N,1,H,W]
// (normalised, on m's backend) and t [N] host bridge indices. Counts N evaluations.
int fz_sb_pan_denoise(fz_pan_model *m, const fz_tensor *x_t, const fz_tensor *lms, const fz_tensor *pan, const float *t,
                      fz_tensor *x0, fz_err *err);
#endif
