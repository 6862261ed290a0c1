// ssdiff.h — SSDiff (Zhong et al., NeurIPS 2024) exactly as released in Z-ypnos/SSdiff_main@9a648a5:
// the SSNet denoiser (model/SSNet.py, model/fusformer.py, model/nn.py) and its sampler (DDIM respaced to
// "ddim10" on the improved-diffusion cosine schedule, x0 = clamp(net + lms, 0, 1), ε̂ re-derived from the
// clamped x0, the respaced index 9..0 fed to the time embedding, output = the last x0), run per 64×64 PAN
// tile and merged by the PatchMergeModule rule (models/patchmerge.c). docs/MODELS_GENERATIVE.md describes
// the port, every stand-in and the parity results.
//
// An SSDiff model is a generative fz_pan_model (architecture "ssdiff" of the registry, driven through
// models/generative.h): fz_model_forward on it runs the whole sampler on each tile batch (so fz_fuse_scene
// tiles it like any model), while fz_ssdiff_net runs one network evaluation. The fz_ssdiff_* sampling calls
// below are the generic fz_model_* calls restricted to SSDiff models. Weights: the official state_dict names (no key mapping); F32, F16, BF16 or
// FP8 (E4M3 / E5M2) tensors; fusor.hparams may give dim_head (default 16), scale, sensor.
#ifndef FZ_SSDIFF_H
#define FZ_SSDIFF_H
#include <stdint.h>
#include "model.h"
#include "fuse.h"
#include "generative.h"
#include "../samplers/sampler.h"

// Loads SSDiff weights (fusor safetensors or the official .pth) onto be through fz_model_load, failing when
// the file holds another architecture. display names the file in messages (NULL = path).
int fz_ssdiff_load(const char *path, const char *display, const fz_backend *be, fz_pan_model **out, fz_err *err);
// 1 when m is an SSDiff model.
int fz_is_ssdiff(const fz_pan_model *m);
// 1 when the tensor names of w are SSNet's (conv_pan2x_t, conv_lms2x_t, fusformer0..4).
int fz_ssdiff_detect(const fz_weights *w);

// The SSNet hyper-parameters read from the weights.
typedef struct fz_ssdiff_info {
  int dim;               // base width (32 released); levels run dim, 2dim, 4dim, 2dim, dim
  int dim_head;          // attention head width (16 released); heads = width / dim_head
  int model_channels;    // time-embedding base (128 released; the MLP is model_channels -> 4·model_channels)
  int bands;             // ms_dim
  int rb_hidden[4];      // ResBlock hidden widths (int(se_ratio_rb·width))
  int ff_hidden[5];      // APFM feed-forward widths (int(se_ratio_mlp·width))
  int norm;              // stem norm (norm_type): 0 BatchNorm (released), 1 GroupNorm(32), 2 identity
} fz_ssdiff_info;
const fz_ssdiff_info *fz_ssdiff_get_info(const fz_pan_model *m);

// One network evaluation, SSNet.forward_impl(lms, pan, ms, x_t, t): lms, x_t [N,C,H,W], pan [N,1,H,W],
// ms [N,C,H/4,W/4] (normalised, on the model's backend), t [N] host floats (the time-embedding input) ->
// out [N,C,H,W], the predicted residual x0 − lms. H, W multiples of 4.
int fz_ssdiff_net(fz_pan_model *m, const fz_tensor *lms, const fz_tensor *pan, const fz_tensor *ms, const fz_tensor *x_t,
                  const float *t, fz_tensor *out, fz_err *err);
// The same with the timesteps already on the device: t_dev f32 [N] (a sampler's CUDA graph reads them there).
int fz_ssdiff_net_dev(fz_pan_model *m, const fz_tensor *lms, const fz_tensor *pan, const fz_tensor *ms, const fz_tensor *x_t,
                      const fz_tensor *t_dev, fz_tensor *out, fz_err *err);

// The released sampler: DDIM, η 0, vp cosine T = 1000, respacing "ddim10", clamp x0 to [0,1], ε̂ from the
// clamped x0, output the last x0. *tin receives the released time input (FZ_TIN_RESPACED).
void fz_ssdiff_sampler_default(fz_sampler_config *cfg, fz_time_input *tin);
// Sets the sampler, time input and seed that fz_model_forward / fz_ssdiff_sample_scene use (defaults: the
// released sampler, seed 0). The process must be vp (or default resolving to vp); fails otherwise.
int fz_ssdiff_set_sampler(fz_pan_model *m, const fz_sampler_config *cfg, fz_time_input tin, uint64_t seed, fz_err *err);

// Samples a batch of tiles: in = {ms, lms, pan} as for fz_model_forward (all three required), out [N,C,H,W]
// (the sampler's output: for the released sampler the last x0, in [0,1]). x_T [N,C,H,W] (may be NULL) is
// the injected start state; without it the start noise is Philox noise of (seed, image image_index + n).
// on_step may be NULL.
int fz_ssdiff_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index,
                     fz_step_fn on_step, void *step_user, fz_tensor *out, fz_err *err);
// Network evaluations (per image: a batch of N tiles counts N) made by m's sampler since it was loaded.
uint64_t fz_ssdiff_evaluations(const fz_pan_model *m);
// Samples a whole scene tile by tile (fz_fuse_scene: o->tile 64 and FZ_MERGE_PATCHMERGE are the released
// PatchMergeModule(64, 64, 16) setting); tile k of the scene gets noise image k. out [C,H,W] host.
int fz_ssdiff_sample_scene(fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, float *out, fz_err *err);

#endif
