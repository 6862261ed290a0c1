// model.h — the pansharpening model registry: architecture name -> config (from the safetensors metadata
// fusor.arch / fusor.hparams and the tensor shapes), load, forward, input convention, normalisation.
// A model is a function of (backend, weights, inputs) -> outputs; docs/MODELS.md describes every
// architecture, its official source and its input convention.
#ifndef FZ_MODEL_H
#define FZ_MODEL_H
#include <stdint.h>
#include "backend.h"
#include "error.h"
#include "tensor.h"
#include "weights.h"

typedef struct fz_pan_model fz_pan_model;

// Inputs a forward reads (bits of fz_model_info.inputs).
enum { FZ_MODEL_IN_MS = 1, FZ_MODEL_IN_LMS = 2, FZ_MODEL_IN_PAN = 4 };

// What a loaded model is and how it must be fed.
typedef struct fz_model_info {
  char arch[32];         // registry name: pnn, pannet, dicnn, msdcnn, fusionnet, drpnn, cannet, fusionmamba
  char sensor[16];       // sensor the weights were trained for ("WV3", "GF2", ...), "" when unknown
  int bands;             // C: spectral bands of MS / LMS / output
  int ratio;             // PAN / MS size ratio: fusor.hparams "ratio" (default 4; MS-reading nets take 4 only)
  double scale;          // DN / scale gives the [0,1] data the network expects; 0 when the file does not say
  unsigned inputs;       // FZ_MODEL_IN_* bits that forward reads (the others may be NULL)
  int multiple;          // H and W of a forward must be multiples of this (PAN grid)
  int fixed_tile;        // > 0: the tile side the official code runs at (FusionMamba: 256); 0 = any size
  int halo;              // PAN pixels at a tile edge that see the edge (receptive-field radius): overlap hint
  int clamp01;           // 1 when the official test clamps the output to [0,1] before scaling back
  int64_t params;        // learned parameters
} fz_model_info;

// One forward's inputs on the model's backend, already divided by info.scale:
//   ms  [N, C, H/ratio, W/ratio] (low-resolution MS), lms [N, C, H, W] (MS upsampled to the PAN grid),
//   pan [N, 1, H, W]. Inputs the model does not read (info.inputs) may be NULL.
typedef struct fz_pan_inputs {
  const fz_tensor *ms, *lms, *pan;
} fz_pan_inputs;

// Number of registered architectures and the name / one-line summary of the i-th.
int fz_model_arch_count(void);
const char *fz_model_arch_name(int i);
const char *fz_model_arch_summary(int i);

// Loads a model from a weights file (fusor safetensors, or an official .pth directly) onto backend be.
// The architecture comes from metadata fusor.arch, else from the tensor names; hyper-parameters from
// fusor.hparams (spectral_num, scale, sensor, ...) checked against the tensor shapes. display names the
// file in messages (NULL = path). Errors name the file, the tensor and the expected shape.
int fz_model_load(const char *path, const char *display, const fz_backend *be, fz_pan_model **out, fz_err *err);
// Same from an already loaded weight set (not retained after the call).
int fz_model_from_weights(const fz_weights *w, const char *display, const fz_backend *be, fz_pan_model **out,
                          fz_err *err);
// The model's description (valid while m lives).
const fz_model_info *fz_model_get_info(const fz_pan_model *m);
// The backend the model runs on.
const fz_backend *fz_model_backend(const fz_pan_model *m);
// Runs the network: in (see fz_pan_inputs) -> out [N, C, H, W] (allocated by the caller on the model's
// backend, f32). Checks every shape against info (bands, ratio, multiple) and names what differs.
int fz_model_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err);
// Releases the model (NULL is a no-op).
void fz_model_free(fz_pan_model *m);

// The architecture name that w's tensor names identify, or NULL (used when fusor.arch is absent).
const char *fz_model_detect_arch(const fz_weights *w);
// The `fusor convert` key mapping for arch (NULL for an unknown arch). It checks the checkpoint against the
// architecture, drops aliased duplicate names, and records fusor.hparams defaults it can infer
// (spectral_num, and scale/sensor when the band count decides them).
fz_weights_keymap_fn fz_model_keymap(const char *arch);
// Normalisation scale of a sensor name (WV3/WV2/QB/IKONOS 2047, GF2 1023, GE1 255), 0 when unknown.
double fz_sensor_scale(const char *sensor);

#endif
