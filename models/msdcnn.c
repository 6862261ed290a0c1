// msdcnn.c — MSDCNN (Yuan et al. 2018) as in DLPan-Toolbox a34f884 UDL/pansharpening/models/MSDCNN/model_msdcnn.py:
// a deep multi-scale branch (7x7; {3,5,7}x20 + skip; 3x3; {3,5,7}x10 + skip; 5x5) plus a shallow branch
// (9x9, 1x1, 5x5) on cat[lms, pan]; out = relu(deep + shallow). No lms residual.
#include "dlpan_common.h"
#include <stdlib.h>

typedef struct msdcnn {
  fz_conv c1, c2[3], c3, c4[3], c5, s1, s2, s3;
} msdcnn;

// 1 for an MSDCNN checkpoint (the shallow branch is unique to it).
static int msdcnn_detect(const fz_weights *w) {
  return fz_weights_find(w, "shallow1.weight") && fz_weights_find(w, "conv2_3.weight");
}

// Loads the 14 convs for C bands (shapes in model_msdcnn.py).
static int msdcnn_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv5.weight", err)) return err->code;
  int c = m->info.bands;
  msdcnn *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  static const char *n2[3] = {"conv2_1", "conv2_2", "conv2_3"}, *n4[3] = {"conv4_1", "conv4_2", "conv4_3"};
  if (fz_conv_load(m, &p->c1, "conv1", 60, c + 1, 7, 1, 3, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  for (int i = 0; i < 3; i++)
    if (fz_conv_load(m, &p->c2[i], n2[i], 20, 60, 3 + 2 * i, 1, 1 + i, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  if (fz_conv_load(m, &p->c3, "conv3", 30, 60, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  for (int i = 0; i < 3; i++)
    if (fz_conv_load(m, &p->c4[i], n4[i], 10, 30, 3 + 2 * i, 1, 1 + i, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  if (fz_conv_load(m, &p->c5, "conv5", c, 30, 5, 1, 2, 1, 1, FZ_ACT_NONE, 0, err) ||
      fz_conv_load(m, &p->s1, "shallow1", 64, c + 1, 9, 1, 4, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->s2, "shallow2", 32, 64, 1, 1, 0, 1, 1, FZ_ACT_RELU, 0, err) ||
      fz_conv_load(m, &p->s3, "shallow3", c, 32, 5, 1, 2, 1, 1, FZ_ACT_NONE, 0, err))
    return err->code;
  fz_dlpan_info(m, c, FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 1, 12);
  return FZ_OK;
}

// y = relu(cat(convs[0..2](x)) + x), the multi-scale block; x [N, 3k, H, W]; uses slots t and cat.
static int multiscale(fz_pan_model *m, const fz_conv convs[3], const fz_tensor *x, int t, int cat, fz_tensor *y, fz_err *err) {
  if (fz_tmp(m, cat, 4, x->shape, y, err)) return err->code;
  int64_t c0 = 0;
  for (int i = 0; i < 3; i++) {
    fz_tensor b;
    if (fz_conv_run(m, &convs[i], x, t, DL_WS, &b, err)) return err->code;
    if (fz_copy_channels(m, y, c0, &b, err)) return err->code;
    c0 += b.shape[1];
  }
  if (fz_add(m, y, y, x, err)) return err->code;
  return fz_op_act(m->be, y, y, FZ_ACT_RELU, 0, 0, err);
}

// lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int msdcnn_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const msdcnn *p = m->priv;
  fz_tensor x, o1, o2, o3, o4, a, b;
  if (fz_cat2(m, in->lms, in->pan, DL_S0, &x, err)) return err->code;        // [N, C+1, H, W]
  if (fz_conv_run(m, &p->c1, &x, DL_S1, DL_WS, &o1, err)) return err->code;  // [N, 60, H, W]
  if (multiscale(m, p->c2, &o1, DL_S2, DL_S3, &o2, err)) return err->code;   // [N, 60, H, W]
  if (fz_conv_run(m, &p->c3, &o2, DL_S1, DL_WS, &o3, err)) return err->code; // [N, 30, H, W]
  if (multiscale(m, p->c4, &o3, DL_S2, DL_S4, &o4, err)) return err->code;   // [N, 30, H, W]
  if (fz_conv_into(m, &p->c5, &o4, out, DL_WS, err)) return err->code;       // [N, C, H, W]
  if (fz_conv_run(m, &p->s1, &x, DL_S1, DL_WS, &a, err)) return err->code;   // [N, 64, H, W]
  if (fz_conv_run(m, &p->s2, &a, DL_S2, DL_WS, &b, err)) return err->code;   // [N, 32, H, W]
  if (fz_conv_run(m, &p->s3, &b, DL_S3, DL_WS, &a, err)) return err->code;   // [N, C, H, W]
  if (fz_add(m, out, out, &a, err)) return err->code;
  return fz_op_act(m->be, out, out, FZ_ACT_RELU, 0, 0, err);
}

// Frees the layer table.
static void msdcnn_release(fz_pan_model *m) { free(m->priv); }

const fz_arch fz_arch_msdcnn = {"msdcnn", "MSDCNN (Yuan 2018), DLPan-Toolbox: multi-scale deep + shallow branches on [lms, pan]",
                                msdcnn_detect, msdcnn_init, msdcnn_forward, msdcnn_release, fz_keymap_msdcnn, NULL};
