// dicnn.c — DiCNN (He et al. 2019) as in DLPan-Toolbox a34f884 UDL/pansharpening/models/DiCNN/model_dicnn.py:
// out = lms + conv3(relu(conv2(relu(conv1(cat[lms, pan]))))), 3x3 'same' convs, 64 channels.
#include "dlpan_common.h"
#include <stdlib.h>

typedef struct dicnn { fz_conv c1, c2, c3; } dicnn;

// 1 for a DiCNN checkpoint: conv1 [64, C+1, 3, 3], conv2 [64, 64, 3, 3], conv3 3x3, nothing else.
static int dicnn_detect(const fz_weights *w) {
  const fz_wtensor *a = fz_weights_find(w, "conv1.weight"), *b = fz_weights_find(w, "conv2.weight"),
                   *c = fz_weights_find(w, "conv3.weight");
  return a && b && c && a->ndim == 4 && a->shape[0] == 64 && a->shape[2] == 3 && b->ndim == 4 && b->shape[0] == 64 &&
         b->shape[1] == 64 && b->shape[2] == 3 && c->ndim == 4 && c->shape[2] == 3 && !fz_weights_find(w, "deconv.weight") &&
         !fz_weights_find(w, "res1.conv20.weight") && !fz_weights_find(w, "backbone.0.conv2.weight");
}

// Loads conv1 [64, C+1, 3, 3], conv2 [64, 64, 3, 3], conv3 [C, 64, 3, 3].
static int dicnn_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv3.weight", err)) return err->code;
  int c = m->info.bands;
  dicnn *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  if (fz_conv_load(m, &p->c1, "conv1", 64, c + 1, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->c2, "conv2", 64, 64, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->c3, "conv3", c, 64, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  fz_dlpan_info(m, c, FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 1, 3);
  return FZ_OK;
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int dicnn_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const dicnn *p = m->priv;
  fz_tensor x, a, b;
  if (fz_cat2(m, in->lms, in->pan, DL_S0, &x, err)) return err->code;        // [N, C+1, H, W]
  if (fz_conv_run(m, &p->c1, &x, DL_S1, DL_WS, &a, err)) return err->code;   // [N, 64, H, W]
  if (fz_conv_run(m, &p->c2, &a, DL_S2, DL_WS, &b, err)) return err->code;   // [N, 64, H, W]
  if (fz_conv_into(m, &p->c3, &b, out, DL_WS, err)) return err->code;        // [N, C, H, W]
  return fz_add(m, out, out, in->lms, err);
}

// Frees the layer table.
static void dicnn_release(fz_pan_model *m) { free(m->priv); }

const fz_arch fz_arch_dicnn = {"dicnn", "DiCNN (He 2019), DLPan-Toolbox: lms + 3 convs on [lms, pan]", dicnn_detect, dicnn_init,
                               dicnn_forward, dicnn_release, fz_keymap_dicnn, NULL};
