// conv1d.c — 1-D convolution on the CPU over [N, C, L] (PyTorch conv1d; Mamba's causal depthwise conv is
// pad_left = k-1, pad_right = 0): runs as a conv2d of height 1, so it shares conv2d's paths (direct loops
// for depthwise, sgemm for grouped 1×1, im2col + sgemm otherwise).
#include "cpu_nn.h"

int fz_cpu_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  const void *p, fz_err *err) {
  const fz_conv1d_params *q = p;
  fz_tensor x4 = *x, w4 = *w, o4 = *out;
  x4.ndim = w4.ndim = o4.ndim = 4;
  x4.shape[3] = x->shape[2]; x4.shape[2] = 1;    // [N, C, 1, L]
  w4.shape[3] = w->shape[2]; w4.shape[2] = 1;    // [Co, C/g, 1, k]
  o4.shape[3] = out->shape[2]; o4.shape[2] = 1;  // [N, Co, 1, Lo]
  x4.owns = w4.owns = o4.owns = 0;
  fz_conv2d_params c = {0};
  c.stride_h = 1; c.stride_w = q->stride;
  c.dil_h = 1; c.dil_w = q->dil;
  c.pad_w = q->pad_left; c.pad_w_extra = q->pad_right - q->pad_left;
  c.groups = q->groups;
  c.pad_mode = q->pad_mode;
  c.act = q->act; c.act_p0 = q->act_p0; c.act_p1 = q->act_p1;
  return fz_cpu_conv2d(be, &o4, &x4, &w4, bias, &c, err);
}
