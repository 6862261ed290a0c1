// dlpan_common.h — pieces shared by the DLPan-Toolbox CNNs (PNN, PanNet, DiCNN, MSDCNN, FusionNet, DRPNN):
// band-count inference, the 32-channel ResNet block, [lms, pan] concatenation and their key maps.
#ifndef FZ_DLPAN_COMMON_H
#define FZ_DLPAN_COMMON_H
#include "model_internal.h"

// Scratch slots the DLPan files share (each forward uses its own subset; WS is the conv workspace).
enum { DL_S0 = 0, DL_S1, DL_S2, DL_S3, DL_S4, DL_S5, DL_S6, DL_S7, DL_S8, DL_WS = FZ_MODEL_MAX_SLOTS - 1 };

// Bands C of a DLPan checkpoint: shape[0] of tensor `name` (the last conv, [C, *, k, k]); fails naming it.
int fz_dlpan_bands(fz_pan_model *m, const char *name, fz_err *err);
// Fills info for a DLPan CNN: bands, the inputs bits, multiple, halo; sensor/scale defaults stay as given.
void fz_dlpan_info(fz_pan_model *m, int bands, unsigned inputs, int multiple, int halo);

// The Resblock of PanNet / FusionNet: x + conv21(relu(conv20(x))), 32 channels, 3x3.
typedef struct fz_dlpan_res {
  fz_conv c20, c21;
} fz_dlpan_res;
// Loads resblock i (1-based) from "res<i>.conv2x" or, when absent, its alias "backbone.<i-1>.conv2x".
int fz_dlpan_res_load(fz_pan_model *m, fz_dlpan_res *r, int i, fz_err *err);
// x <- x + conv21(relu(conv20(x))) in place; uses slots t1, t2 and the workspace slot.
int fz_dlpan_res_run(fz_pan_model *m, const fz_dlpan_res *r, fz_tensor *x, int t1, int t2, fz_err *err);

// Key maps for `fusor convert` (drop res/backbone aliases, record spectral_num and WV3 defaults).
int fz_keymap_pnn(fz_weights *w, fz_err *err);
int fz_keymap_pannet(fz_weights *w, fz_err *err);
int fz_keymap_dicnn(fz_weights *w, fz_err *err);
int fz_keymap_msdcnn(fz_weights *w, fz_err *err);
int fz_keymap_fusionnet(fz_weights *w, fz_err *err);
int fz_keymap_drpnn(fz_weights *w, fz_err *err);
#endif
