// model_internal.h — what every architecture file in models/ sees: the model object, the architecture
// table entry, and the shared building blocks (parameters, scratch pool, conv layers, channel concat).
#ifndef FZ_MODEL_INTERNAL_H
#define FZ_MODEL_INTERNAL_H
#include "model.h"
#include "generative.h"

#define FZ_MODEL_MAX_SLOTS 48

// The sampling hooks of a generative architecture (diffusion, flow matching, bridge): its network is a
// denoiser / velocity field, and a forward is a whole sampler run (models/generative.c drives them).
typedef struct fz_gen_ops {
  // The sampler the model was released or trained with: configuration and network time input.
  void (*sampler_default)(fz_sampler_config *cfg, fz_time_input *tin);
  // Checks a sampler configuration against the model (process, parameterisation) and completes its defaults;
  // the error names what does not fit.
  int (*check_sampler)(fz_pan_model *m, fz_sampler_config *cfg, fz_time_input tin, fz_err *err);
  // Samples a tile batch with m->gen's sampler (see fz_model_sample for the arguments).
  int (*sample)(fz_pan_model *m, const fz_pan_inputs *in, const fz_tensor *x_T, uint64_t image_index, fz_step_fn on_step,
                void *step_user, fz_tensor *out, fz_err *err);
} fz_gen_ops;

// The sampler state of a generative model (unused by regression nets).
typedef struct fz_gen_state {
  fz_sampler_config cfg;  // the sampler a forward runs
  fz_time_input tin;      // what the network's time embedding receives
  uint64_t seed;          // noise seed
  uint64_t next_image;    // noise image index of the next forward's first tile (reset per scene)
  uint64_t evals;         // network evaluations so far (a batch of N tiles counts N)
} fz_gen_state;

// One registered architecture.
typedef struct fz_arch {
  const char *name;
  const char *summary;
  // 1 when the tensor names of w belong to this architecture (detection without fusor.arch).
  int (*detect)(const fz_weights *w);
  // Reads m->w (tensors, hyper-parameters), fills m->info and loads the parameters.
  int (*init)(fz_pan_model *m, fz_err *err);
  // The forward pass; inputs were checked against m->info by fz_model_forward.
  int (*forward)(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err);
  // Releases m->priv (may be NULL).
  void (*release)(fz_pan_model *m);
  // `fusor convert` key mapping (NULL: names kept, only the generic hparams inference runs).
  fz_weights_keymap_fn keymap;
  // Generative architectures only (NULL for regression nets, whose forward is the network).
  const fz_gen_ops *gen;
} fz_arch;

// A reusable scratch buffer of the pool (grown, never shrunk).
typedef struct fz_slot {
  void *data;
  size_t bytes;
} fz_slot;

struct fz_pan_model {
  const fz_arch *arch;
  const fz_backend *be;
  fz_model_info info;
  char display[256];        // weights file name for messages
  const fz_weights *w;      // the weight set, only during init
  const char *hparams;      // fusor.hparams JSON (only during init; may be NULL)
  fz_tensor **params;       // owned parameter tensors (each malloc'd: pointers stay valid)
  int nparams, cap_params;
  fz_slot slots[FZ_MODEL_MAX_SLOTS];
  void *priv;               // architecture state
  fz_gen_state gen;         // sampler state (generative architectures)
};

// ---- hyper-parameters (flat JSON object of fusor.hparams)
// Looks up number `key` in the JSON object text js; 1 when found (value in *v), 0 when absent or not a number.
int fz_hp_num(const char *js, const char *key, double *v);
// Looks up string `key`; 1 when found (copied into buf, NUL-terminated, truncated to n-1).
int fz_hp_str(const char *js, const char *key, char *buf, size_t n);

// ---- parameters
// Loads tensor `name` of m->w as an f32 parameter on m->be and checks its shape is exactly shape[0..ndim);
// subnormal values are flushed to zero (|w| < 2^-126 changes no output above 1e-30, and keeps the
// kernels off the slow subnormal path). *out points into m->params (stable until the model is freed).
int fz_param(fz_pan_model *m, const char *name, int ndim, const int64_t *shape, fz_tensor **out, fz_err *err);
// Like fz_param, with f applied to every value after loading (e.g. A = -exp(A_log)).
int fz_param_map(fz_pan_model *m, const char *name, int ndim, const int64_t *shape, float (*f)(float), fz_tensor **out,
                 fz_err *err);
// Like fz_param for a tensor whose shape is read from the file; ndim must match. *out as fz_param.
int fz_param_any(fz_pan_model *m, const char *name, int ndim, fz_tensor **out, fz_err *err);
// The tensor `name` of m->w or NULL (for inferring sizes before loading).
const fz_wtensor *fz_param_info(const fz_pan_model *m, const char *name);
// Sets info.params from the loaded parameter tensors.
void fz_param_count(fz_pan_model *m);

// ---- scratch
// Makes *t an f32 view [shape] of pool slot `slot` (grown when too small; contents are not kept).
int fz_tmp(fz_pan_model *m, int slot, int ndim, const int64_t *shape, fz_tensor *t, fz_err *err);
// Raw scratch bytes of slot (grown to at least bytes). Returns NULL + err on failure.
void *fz_tmp_bytes(fz_pan_model *m, int slot, size_t bytes, fz_err *err);

// ---- conv layers
typedef struct fz_conv {
  fz_tensor *w, *b;         // weight [Co, Ci/g, kh, kw] (or [Ci, Co/g, kh, kw] transposed); bias [Co] or NULL
  fz_conv2d_params p;       // stride, padding, groups, fused activation
  int transposed;
  char name[48];            // module name for messages ("conv1")
} fz_conv;

// Loads <prefix>.weight [cout, cin/groups, k, k] and, when has_bias, <prefix>.bias [cout].
// pad is the symmetric padding; act the fused activation (LeakyReLU slope in act_p0).
int fz_conv_load(fz_pan_model *m, fz_conv *c, const char *prefix, int cout, int cin, int k, int stride, int pad,
                 int groups, int has_bias, fz_act act, float act_p0, fz_err *err);
// Loads a ConvTranspose2d <prefix>.weight [cin, cout, k, k] (+ bias [cout]) with stride and padding.
int fz_convt_load(fz_pan_model *m, fz_conv *c, const char *prefix, int cin, int cout, int k, int stride, int pad,
                  int has_bias, fz_act act, float act_p0, fz_err *err);
// Runs c on x [N, Ci, H, W] into a new view of slot `slot` (shape from the conv arithmetic), using
// slot ws_slot as conv workspace. *y receives the view.
int fz_conv_run(fz_pan_model *m, const fz_conv *c, const fz_tensor *x, int slot, int ws_slot, fz_tensor *y,
                fz_err *err);
// Runs c on x into an existing out tensor of the right shape.
int fz_conv_into(fz_pan_model *m, const fz_conv *c, const fz_tensor *x, fz_tensor *out, int ws_slot, fz_err *err);

// ---- tensor plumbing
// Copies src [N, Cs, H, W] into channels c0 .. c0+Cs-1 of dst [N, Cd, H, W] (torch.cat along dim 1).
int fz_copy_channels(fz_pan_model *m, fz_tensor *dst, int64_t c0, const fz_tensor *src, fz_err *err);
// *y = cat([first, second], dim 1) in slot `slot` (first [N,C1,H,W], second [N,C2,H,W]).
int fz_cat2(fz_pan_model *m, const fz_tensor *first, const fz_tensor *second, int slot, fz_tensor *y, fz_err *err);
// dst = src (same numel) on the model's backend.
int fz_copy(fz_pan_model *m, fz_tensor *dst, const fz_tensor *src, fz_err *err);
// out = a + b (same shape; out may alias a or b).
int fz_add(fz_pan_model *m, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, fz_err *err);

// ---- registry of architecture tables (defined in each models/<arch>.c)
extern const fz_arch fz_arch_pnn, fz_arch_pannet, fz_arch_dicnn, fz_arch_msdcnn, fz_arch_fusionnet, fz_arch_drpnn;
// Generative architectures (listed in g_archs of model.c like the others).
extern const fz_arch fz_arch_ssdiff;
extern const fz_arch fz_arch_pan_otfm;
extern const fz_arch fz_arch_sb_pan;
// Adds n network evaluations to m's count (called by a generative architecture's model callback).
void fz_gen_count(fz_pan_model *m, uint64_t n);

// Shared keymap core: drops tensors whose name starts with alias_prefix when the name with the prefix
// replaced by `canon` (formatted with the index) exists; then records spectral_num = bands and, for
// bands == 8, scale 2047 / sensor WV3 unless present. Used by the DLPan keymaps.
int fz_keymap_common(fz_weights *w, const char *arch, int bands, fz_err *err);
// Removes tensor i from w (its name is freed; data stays owned by w).
void fz_weights_remove(fz_weights *w, int i);

#endif
