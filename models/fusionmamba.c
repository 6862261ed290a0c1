// fusionmamba.c — FusionMamba (placeholder until the Mamba port lands in this file).
#include "model_internal.h"

// 1 for a FusionMamba checkpoint.
static int fm_detect(const fz_weights *w) { return fz_weights_find(w, "spe_attn.block.0.weight") != NULL; }
// Not implemented yet: an explicit error.
static int fm_init(fz_model *m, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: the FusionMamba architecture is not implemented in this build yet", m->display);
}
static int fm_forward(fz_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "FusionMamba is not implemented");
}
const fz_arch fz_arch_fusionmamba = {"fusionmamba", "FusionMamba (TGRS 2024): dual-input Mamba U-nets (not implemented yet)",
                                     fm_detect, fm_init, fm_forward, NULL, NULL};
