// fusionnet.c — FusionNet (Deng et al. 2021) as in DLPan-Toolbox a34f884
// UDL/pansharpening/models/FusionNet/model_fusionnet.py: out = lms + conv3(res4..1(relu(conv1(pan.repeat(C) - lms)))).
#include "dlpan_common.h"
#include <stdlib.h>

typedef struct fusionnet { fz_conv c1, c3; fz_dlpan_res res[4]; } fusionnet;

// 1 for a FusionNet checkpoint: conv1 [32, C, 3, 3] plus the 32-channel resblocks, no PanNet deconv.
static int fusionnet_detect(const fz_weights *w) {
  const fz_wtensor *a = fz_weights_find(w, "conv1.weight");
  return a && a->ndim == 4 && a->shape[0] == 32 && !fz_weights_find(w, "deconv.weight") &&
         (fz_weights_find(w, "res1.conv20.weight") || fz_weights_find(w, "backbone.0.conv20.weight"));
}

// Loads conv1 [32, C, 3, 3], res1..4, conv3 [C, 32, 3, 3].
static int fusionnet_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv3.weight", err)) return err->code;
  int c = m->info.bands;
  fusionnet *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  if (fz_conv_load(m, &p->c1, "conv1", 32, c, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  for (int i = 0; i < 4; i++)
    if (fz_dlpan_res_load(m, &p->res[i], i + 1, err)) return err->code;
  if (fz_conv_load(m, &p->c3, "conv3", c, 32, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  fz_dlpan_info(m, c, FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 1, 10);
  return FZ_OK;
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int fusionnet_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const fusionnet *p = m->priv;
  fz_tensor d, x;
  if (fz_tmp(m, DL_S0, 4, in->lms->shape, &d, err)) return err->code;
  if (fz_op_binary(m->be, &d, in->pan, in->lms, FZ_BIN_SUB, err)) return err->code;  // pan (broadcast over C) - lms
  if (fz_conv_run(m, &p->c1, &d, DL_S1, DL_WS, &x, err)) return err->code;          // [N, 32, H, W]
  for (int i = 0; i < 4; i++)
    if (fz_dlpan_res_run(m, &p->res[i], &x, DL_S2, DL_S3, err)) return err->code;
  if (fz_conv_into(m, &p->c3, &x, out, DL_WS, err)) return err->code;                // [N, C, H, W]
  return fz_add(m, out, out, in->lms, err);
}

// Frees the layer table.
static void fusionnet_release(fz_pan_model *m) { free(m->priv); }

const fz_arch fz_arch_fusionnet = {"fusionnet", "FusionNet (Deng 2021), DLPan-Toolbox: lms + ResNet on pan - lms",
                                   fusionnet_detect, fusionnet_init, fusionnet_forward, fusionnet_release,
                                   fz_keymap_fusionnet, NULL};
