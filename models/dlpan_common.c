// dlpan_common.c — shared pieces of the DLPan-Toolbox CNNs (see dlpan_common.h).
#include "dlpan_common.h"
#include <stdio.h>

int fz_dlpan_bands(fz_pan_model *m, const char *name, fz_err *err) {
  const fz_wtensor *t = fz_param_info(m, name);
  char got[96];
  if (!t)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' is missing; a %s checkpoint has it (is this file another architecture?)",
                   m->display, name, m->info.arch);
  if (t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 1024)
    return fz_fail(err, FZ_EINVAL, "%s: tensor '%s' has shape %s; expected [bands, channels, k, k] for %s", m->display, name,
                   fz_wshape_str(t->ndim, t->shape, got, sizeof got), m->info.arch);
  m->info.bands = (int)t->shape[0];
  return FZ_OK;
}

void fz_dlpan_info(fz_pan_model *m, int bands, unsigned inputs, int multiple, int halo) {
  fz_model_info *I = &m->info;
  I->bands = bands;
  I->inputs = inputs;
  I->multiple = multiple;
  I->halo = halo;
  I->clamp01 = 1;
  if (!I->sensor[0] && bands == 8 && I->scale == 0) {
    // The DLPan checkpoints fusor knows are the WV3 ones (11-bit, ÷2047).
    snprintf(I->sensor, sizeof I->sensor, "WV3");
    I->scale = 2047;
  }
}

int fz_dlpan_res_load(fz_pan_model *m, fz_dlpan_res *r, int i, fz_err *err) {
  char pre[64], name[96];
  snprintf(pre, sizeof pre, "res%d", i);
  snprintf(name, sizeof name, "%s.conv20.weight", pre);
  if (!fz_param_info(m, name)) snprintf(pre, sizeof pre, "backbone.%d", i - 1);
  snprintf(name, sizeof name, "%s.conv20", pre);
  if (fz_conv_load(m, &r->c20, name, 32, 32, 3, 1, 1, 1, 1, FZ_ACT_RELU, 0, err)) return err->code;
  snprintf(name, sizeof name, "%s.conv21", pre);
  return fz_conv_load(m, &r->c21, name, 32, 32, 3, 1, 1, 1, 1, FZ_ACT_NONE, 0, err);
}

int fz_dlpan_res_run(fz_pan_model *m, const fz_dlpan_res *r, fz_tensor *x, int t1, int t2, fz_err *err) {
  fz_tensor a, b;
  if (fz_conv_run(m, &r->c20, x, t1, DL_WS, &a, err)) return err->code;
  if (fz_conv_run(m, &r->c21, &a, t2, DL_WS, &b, err)) return err->code;
  return fz_add(m, x, x, &b, err);
}
