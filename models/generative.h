// generative.h — the public face of generative pansharpening models (SSDiff, PAN-OTFM, the Schrödinger
// bridge): a model whose forward is a whole sampler run. Any registered architecture with sampling hooks
// (fz_arch.gen) is driven through these calls; fz_model_forward on such a model samples the tile batch with
// the model's current sampler (noise image = next_image + n, advancing), so fz_fuse_scene tiles it like a
// regression net.
#ifndef FZ_GENERATIVE_H
#define FZ_GENERATIVE_H
#include <stdint.h>
#include "model.h"
#include "../samplers/sampler.h"

struct fz_scene;
struct fz_fuse_opts;

// 1 when m is a generative model (its forward is a sampler run).
int fz_model_is_generative(const fz_pan_model *m);
// The sampler m was released / trained with (cfg, and the time input when tin != NULL). Fails for a
// regression model.
int fz_model_sampler_default(const fz_pan_model *m, fz_sampler_config *cfg, fz_time_input *tin, fz_err *err);
// The configuration of sampler `kind` on m's own process (its table, clamp and ε̂ rule kept from the
// default sampler) with `steps` steps (0: the default's); an improved-diffusion respaced grid becomes
// "ddimN" for DDIM and "N" otherwise. The caller may change fields before fz_model_set_sampler.
int fz_model_sampler_for(const fz_pan_model *m, fz_sampler_kind kind, int steps, fz_sampler_config *cfg, fz_err *err);
// Sets the sampler, the network time input and the noise seed of m's forwards; checked against the model
// (a VP diffusion model rejects the flow process, ...): the error names what does not fit.
int fz_model_set_sampler(fz_pan_model *m, const fz_sampler_config *cfg, fz_time_input tin, uint64_t seed, fz_err *err);
// The sampler m's forwards currently run (valid while m lives; NULL for a regression model).
const fz_sampler_config *fz_model_sampler(const fz_pan_model *m);
// Samples a batch of tiles: in as for fz_model_forward (normalised, on m's backend), out [N,C,H,W] f32.
// x_T [N,C,H,W] (may be NULL) is an injected start state; without it the start noise is Philox noise of
// (seed, image image_index + n). on_step (may be NULL) sees every step.
int fz_model_sample(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                    void *step_user, fz_tensor *out, fz_err *err);
// Network evaluations made by m's sampler since it was loaded (a batch of N tiles counts N); 0 for regression.
uint64_t fz_model_evaluations(const fz_pan_model *m);
// Samples (or, for a regression model, runs) a whole scene tile by tile through fz_fuse_scene, tile k of
// the scene getting noise image k, so the result does not depend on the batch size. out [C,H,W] host.
int fz_model_sample_scene(fz_pan_model *m, const struct fz_scene *s, const struct fz_fuse_opts *o, float *out, fz_err *err);

#endif
