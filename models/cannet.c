// cannet.c — CANNet (placeholder until the CANConv port lands in this file).
#include "model_internal.h"

// 1 for a CANNet checkpoint.
static int cannet_detect(const fz_weights *w) { return fz_weights_find(w, "rb1.conv1.kernels") != NULL; }
// Not implemented yet: an explicit error.
static int cannet_init(fz_model *m, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: the CANNet architecture is not implemented in this build yet", m->display);
}
static int cannet_forward(fz_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "CANNet is not implemented");
}
const fz_arch fz_arch_cannet = {"cannet", "CANNet (Duanyll 2024): CANConv with per-image k-means (not implemented yet)",
                                cannet_detect, cannet_init, cannet_forward, NULL, NULL};
