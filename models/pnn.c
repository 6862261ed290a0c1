// pnn.c — PNN (Masi et al. 2016) as in DLPan-Toolbox a34f884 UDL/pansharpening/models/PNN/model_pnn.py:
// out = conv3(relu(conv2(relu(conv1(pad_replicate(cat[lms, pan], 8)))))), 'valid' 9x9 / 5x5 / 5x5 convs,
// no residual. The replicate pad of 8 (blk = (8+4+4+1)//2) is folded into conv1 as replicate padding,
// which is the same arithmetic: conv1 then sees exactly the padded image.
#include "dlpan_common.h"
#include <stdlib.h>

typedef struct pnn { fz_conv c1, c2, c3; } pnn;

// 1 for a PNN checkpoint: conv1 9x9, conv2 [32, 64, 5, 5], conv3 5x5, no MSDCNN shallow branch.
static int pnn_detect(const fz_weights *w) {
  const fz_wtensor *a = fz_weights_find(w, "conv1.weight"), *b = fz_weights_find(w, "conv2.weight"),
                   *c = fz_weights_find(w, "conv3.weight");
  return a && b && c && a->ndim == 4 && a->shape[0] == 64 && a->shape[2] == 9 && b->ndim == 4 && b->shape[2] == 5 &&
         c->ndim == 4 && c->shape[2] == 5 && !fz_weights_find(w, "shallow1.weight");
}

// Loads conv1..3 for C bands (conv1 [64, C+1, 9, 9], conv2 [32, 64, 5, 5], conv3 [C, 32, 5, 5]).
static int pnn_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv3.weight", err)) return err->code;
  int c = m->info.bands;
  pnn *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  if (fz_conv_load(m, &p->c1, "conv1", 64, c + 1, 9, 1, 8, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->c2, "conv2", 32, 64, 5, 1, 0, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->c3, "conv3", c, 32, 5, 1, 0, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  p->c1.p.pad_mode = FZ_PAD_REPLICATE;
  fz_dlpan_info(m, c, FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 1, 8);
  return FZ_OK;
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int pnn_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const pnn *p = m->priv;
  fz_tensor x, a, b;
  if (fz_cat2(m, in->lms, in->pan, DL_S0, &x, err)) return err->code;  // [N, C+1, H, W]
  if (fz_conv_run(m, &p->c1, &x, DL_S1, DL_WS, &a, err)) return err->code;  // [N, 64, H+8, W+8]
  if (fz_conv_run(m, &p->c2, &a, DL_S2, DL_WS, &b, err)) return err->code;  // [N, 32, H+4, W+4]
  return fz_conv_into(m, &p->c3, &b, out, DL_WS, err);                     // [N, C, H, W]
}

// Frees the layer table.
static void pnn_release(fz_pan_model *m) { free(m->priv); }

const fz_arch fz_arch_pnn = {"pnn", "PNN (Masi 2016), DLPan-Toolbox: 3 valid convs on replicate-padded [lms, pan]",
                             pnn_detect, pnn_init, pnn_forward, pnn_release, fz_keymap_pnn, NULL};
