// drpnn.c — DRPNN (Wei et al. 2017) as in DLPan-Toolbox a34f884 UDL/pansharpening/models/DRPNN/model_drpnn.py:
// x = cat[lms, pan]; r = conv2(8 x relu(conv7x7 32)(relu(conv1(x)))); out = conv3(x + r). All 7x7 'same'.
// The official WV3 weights are 63 % subnormal: flushed to zero at load (fz_param), as PyTorch with FTZ.
#include "dlpan_common.h"
#include <stdio.h>
#include <stdlib.h>

typedef struct drpnn { fz_conv c1, body[8], c2, c3; } drpnn;

// 1 for a DRPNN checkpoint: backbone.7.conv2 plus conv1..3.
static int drpnn_detect(const fz_weights *w) {
  return fz_weights_find(w, "backbone.7.conv2.weight") && fz_weights_find(w, "conv1.weight") &&
         fz_weights_find(w, "conv3.weight");
}

// Loads conv1 [32, C+1, 7, 7], backbone.0..7.conv2 [32, 32, 7, 7], conv2 [C+1, 32, 7, 7], conv3 [C, C+1, 7, 7].
static int drpnn_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv3.weight", err)) return err->code;
  int c = m->info.bands;
  drpnn *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  if (fz_conv_load(m, &p->c1, "conv1", 32, c + 1, 7, 1, 3, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  for (int i = 0; i < 8; i++) {
    char pre[48];
    snprintf(pre, sizeof pre, "backbone.%d.conv2", i);
    if (fz_conv_load(m, &p->body[i], pre, 32, 32, 7, 1, 3, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  }
  if (fz_conv_load(m, &p->c2, "conv2", c + 1, 32, 7, 1, 3, 1, 1, FZ_ACT_NONE, 0, err) ||
      fz_conv_load(m, &p->c3, "conv3", c, c + 1, 7, 1, 3, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  fz_dlpan_info(m, c, FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 1, 33);
  return FZ_OK;
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int drpnn_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const drpnn *p = m->priv;
  fz_tensor x, a, b, r;
  if (fz_cat2(m, in->lms, in->pan, DL_S0, &x, err)) return err->code;        // [N, C+1, H, W]
  if (fz_conv_run(m, &p->c1, &x, DL_S1, DL_WS, &a, err)) return err->code;   // [N, 32, H, W]
  for (int i = 0; i < 8; i++) {
    if (fz_conv_run(m, &p->body[i], &a, (i & 1) ? DL_S1 : DL_S2, DL_WS, &b, err)) return err->code;
    a = b;
  }
  if (fz_conv_run(m, &p->c2, &a, DL_S3, DL_WS, &r, err)) return err->code;   // [N, C+1, H, W]
  if (fz_add(m, &r, &r, &x, err)) return err->code;
  return fz_conv_into(m, &p->c3, &r, out, DL_WS, err);                       // [N, C, H, W]
}

// Frees the layer table.
static void drpnn_release(fz_pan_model *m) { free(m->priv); }

const fz_arch fz_arch_drpnn = {"drpnn", "DRPNN (Wei 2017), DLPan-Toolbox: 11 7x7 convs with a residual on [lms, pan]",
                               drpnn_detect, drpnn_init, drpnn_forward, drpnn_release, fz_keymap_drpnn, NULL};
