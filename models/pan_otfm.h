// pan_otfm.h — PAN-OTFM (arXiv 2503.14975, "Taming Flow Matching with Unbalanced Optimal Transport into Fast
// Pansharpening"; code unreleased, so the model is defined by fusor: docs/MODELS_GENERATIVE.md "PAN-OTFM").
// A flow from the source x_0 = lms + source_noise·z (z: Philox start noise of the tile) to the HRMS x_1, with the
// velocity field v_θ(x_s, s | lms, pan) = condunet(x_s, cat[lms, pan], time_scale·s) (models/condunet.h, tensors
// "net.*"). Default sampler: one step (x̂_1 = x_0 + v_θ(x_0, 0)); flow_euler / flow_heun / flow_midpoint with any step
// count integrate the same field. In fusor's flow convention (t = 1 source, t = 0 data) the model runs with
// flow_data_at_one, prediction "velocity", time input "t", time scale time_scale, start = the prior.
// Hyper-parameters: spectral_num, source_noise (default 0.005), time_scale (1000) and the condunet ones.
#ifndef FZ_PAN_OTFM_H
#define FZ_PAN_OTFM_H
#include "condunet.h"

typedef struct fz_pan_otfm_info {
  int bands;
  double source_noise;  // σ of the source x_0 = lms + σ·z ([0,1] units)
  double time_scale;    // network time = time_scale · s
  fz_condunet_cfg net;
} fz_pan_otfm_info;

// 1 when m is a loaded PAN-OTFM model.
int fz_is_pan_otfm(const fz_pan_model *m);
// The model's configuration (NULL when m is not PAN-OTFM).
const fz_pan_otfm_info *fz_pan_otfm_get_info(const fz_pan_model *m);
// One network evaluation: out [B,C,H,W] = v_θ(x_s [B,C,H,W], s | lms [B,C,H,W], pan [B,1,H,W]) with s [B] host model
// times in [0, 1] (s = 0 the source, 1 the data); the velocity points from the source to the data.
int fz_pan_otfm_net(fz_pan_model *m, const fz_tensor *x_s, const fz_tensor *lms, const fz_tensor *pan, const float *s,
                    fz_tensor *out, fz_err *err);
// The source state of a tile batch: x0 [B,C,H,W] = lms + source_noise·z, z the Philox start noise of
// (seed, image image_index + b) that fz_sample would draw for a noise start.
int fz_pan_otfm_source(fz_pan_model *m, const fz_tensor *lms, uint64_t seed, uint64_t image_index, fz_tensor *x0, fz_err *err);

#endif
