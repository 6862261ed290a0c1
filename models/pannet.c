// pannet.c — PanNet (Yang et al. 2017) as in DLPan-Toolbox a34f884 UDL/pansharpening/models/PanNet/model_pannet.py
// and the toolbox's test loader (evaluation/ps_evaluate.py get_edge): the inputs are high-passed,
// hp(x) = x - boxFilter5x5(x) (OpenCV normalised box, BORDER_REFLECT_101 = reflect padding), then
// out = lms + conv3(res4..1(relu(conv1(cat[deconv(hp(ms)), hp(pan)])))), deconv = ConvTranspose 8x8 /4 pad 2.
// The box filter is a model-local depthwise 5x5 conv with weights 1/25 (a fixed helper, not a parameter).
#include "dlpan_common.h"
#include <stdlib.h>

typedef struct pannet {
  fz_conv deconv, c1, c3;
  fz_dlpan_res res[4];
  fz_tensor box;  // [C, 1, 5, 5] of 1/25 (channel 0 doubles as the PAN filter)
} pannet;

// 1 for a PanNet checkpoint (the only DLPan net with a transposed conv).
static int pannet_detect(const fz_weights *w) {
  return fz_weights_find(w, "deconv.weight") && fz_weights_find(w, "conv3.weight");
}

// Loads deconv [C, C, 8, 8], conv1 [32, C+1, 3, 3], res1..4, conv3 [C, 32, 3, 3]; builds the box filter.
static int pannet_init(fz_pan_model *m, fz_err *err) {
  if (fz_dlpan_bands(m, "conv3.weight", err)) return err->code;
  int c = m->info.bands;
  pannet *p = calloc(1, sizeof *p);
  if (!p) return fz_fail(err, FZ_ENOMEM, "out of memory");
  m->priv = p;
  if (fz_convt_load(m, &p->deconv, "deconv", c, c, 8, 4, 2, 1, FZ_ACT_NONE, 0, err) ||
      fz_conv_load(m, &p->c1, "conv1", 32, c + 1, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err))
    return err->code;
  for (int i = 0; i < 4; i++)
    if (fz_dlpan_res_load(m, &p->res[i], i + 1, err)) return err->code;
  if (fz_conv_load(m, &p->c3, "conv3", c, 32, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err)) return err->code;
  int64_t bs[4] = {c, 1, 5, 5};
  if (fz_tensor_alloc(&p->box, m->be, FZ_F32, 4, bs, err)) return err->code;
  float *k = malloc((size_t)c * 25 * sizeof *k);
  if (!k) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int i = 0; i < c * 25; i++) k[i] = 1.0f / 25.0f;
  int rc = fz_tensor_upload(&p->box, k, (size_t)c * 25 * sizeof *k, err);
  free(k);
  if (rc) return rc;
  fz_dlpan_info(m, c, FZ_MODEL_IN_MS | FZ_MODEL_IN_LMS | FZ_MODEL_IN_PAN, 4, 24);
  return FZ_OK;
}

// hp = x - box5x5(x) (reflect border) into slot `slot`; x [N, K, h, w] with K = C or 1.
static int highpass(fz_pan_model *m, const pannet *p, const fz_tensor *x, int slot, fz_tensor *hp, fz_err *err) {
  fz_tensor k = p->box;
  k.shape[0] = x->shape[1];
  fz_conv2d_params cp = {.pad_h = 2, .pad_w = 2, .groups = (int)x->shape[1], .pad_mode = FZ_PAD_REFLECT};
  if (fz_tmp(m, slot, 4, x->shape, hp, err)) return err->code;
  if (fz_op_conv2d(m->be, hp, x, &k, NULL, &cp, err)) return fz_wrap(err, "high-pass box filter");
  return fz_op_binary(m->be, hp, x, hp, FZ_BIN_SUB, err);
}

// ms [N,C,H/4,W/4], lms [N,C,H,W], pan [N,1,H,W] -> out [N,C,H,W].
static int pannet_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const pannet *p = m->priv;
  fz_tensor mh, ph, d, x, y;
  if (highpass(m, p, in->ms, DL_S0, &mh, err)) return err->code;             // [N, C, h, w]
  if (highpass(m, p, in->pan, DL_S1, &ph, err)) return err->code;            // [N, 1, H, W]
  if (fz_conv_run(m, &p->deconv, &mh, DL_S2, DL_WS, &d, err)) return err->code;  // [N, C, H, W]
  if (fz_cat2(m, &d, &ph, DL_S3, &x, err)) return err->code;                 // [N, C+1, H, W]
  if (fz_conv_run(m, &p->c1, &x, DL_S4, DL_WS, &y, err)) return err->code;   // [N, 32, H, W]
  for (int i = 0; i < 4; i++)
    if (fz_dlpan_res_run(m, &p->res[i], &y, DL_S5, DL_S6, err)) return err->code;
  if (fz_conv_into(m, &p->c3, &y, out, DL_WS, err)) return err->code;        // [N, C, H, W]
  return fz_add(m, out, out, in->lms, err);
}

// Frees the box filter and the state.
static void pannet_release(fz_pan_model *m) {
  pannet *p = m->priv;
  if (p) fz_tensor_free(&p->box);
  free(p);
}

const fz_arch fz_arch_pannet = {"pannet", "PanNet (Yang 2017), DLPan-Toolbox: lms + ResNet on high-passed ms (deconv x4) and pan",
                                pannet_detect, pannet_init, pannet_forward, pannet_release, fz_keymap_pannet, NULL};
