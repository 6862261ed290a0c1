// condunet.h — fusor's small conditional U-Net, the shared backbone of PAN-OTFM (models/pan_otfm.c) and the
// Schrödinger-bridge model: a denoiser / velocity field out = net(x_t, cond..., t). The PyTorch reference is
// tools/python/fusor_ref/condunet.py (same module names, so a state dict maps key for key under a prefix).
//   h = in_conv(cat[x_t, cond_0, cond_1, ...]); emb = temb.2(SiLU(temb.0(sinusoid_width(t))))
//   down level l: `blocks` ResBlocks -> width·mult[l]; skip_l = h; l < levels-1: conv3x3 stride 2
//   mid: ResBlock, [multi-head self-attention], ResBlock;  up level l = levels-1..0: cat[h, skip_l], ResBlocks,
//   l > 0: nearest 2x + conv3x3 -> width·mult[l-1];  out = out_conv(SiLU(GN(h)))
//   ResBlock: conv1(SiLU(GN(x))) -> GN·(1+scale)+shift (emb Linear, scale first) -> SiLU -> conv2, + skip(x)
// Tensor names (under the caller's prefix, e.g. "net."): temb.{0,2}, in_conv, down.<l>.res.<b>.{norm1, conv1,
// emb, norm2, conv2, skip}, down.<l>.down, mid.res1, mid.attn.{norm, q, k, v, proj}, mid.res2, up.<l>.res.<b>,
// up.<l>.up, out_norm, out_conv. Hyper-parameters (fusor.hparams): width, levels, blocks, groups, attn, heads,
// ch_mult ("1,2"). GroupNorm eps 1e-5; the sinusoid is guided-diffusion's (cos first, max period 10000).
#ifndef FZ_CONDUNET_H
#define FZ_CONDUNET_H
#include "model_internal.h"

#define FZ_CONDUNET_MAX_LEVELS 4
#define FZ_CONDUNET_MAX_BLOCKS 4
#define FZ_CONDUNET_MAX_COND 4
// Scratch slots of the model pool a condunet uses: slot0 .. slot0 + FZ_CONDUNET_SLOTS - 1.
#define FZ_CONDUNET_SLOTS 22

// The shape of a condunet.
typedef struct fz_condunet_cfg {
  int in_ch;    // channels of x_t (C)
  int cond_ch;  // conditioning channels concatenated after x_t (lms C + pan 1 + extra)
  int out_ch;   // output channels (C)
  int width;    // base width (channels of level 0 = width·mult[0]); time embedding 4·width
  int levels;   // 1..FZ_CONDUNET_MAX_LEVELS resolutions (H, W multiples of 2^(levels-1))
  int blocks;   // ResBlocks per level and direction, 1..FZ_CONDUNET_MAX_BLOCKS
  int groups;   // GroupNorm groups (divides every width)
  int attn;     // 1: self-attention in the middle block
  int heads;    // attention heads (divides the lowest width)
  int mult[FZ_CONDUNET_MAX_LEVELS];  // channel multipliers per level (default min(2^l, 4))
} fz_condunet_cfg;

typedef struct fz_condunet_res {
  fz_tensor *n1w, *n1b, *n2w, *n2b, *ew, *eb;
  fz_tensor es_w, es_b, eh_w, eh_b;  // views of emb: rows [0, cout) = scale, [cout, 2·cout) = shift
  fz_conv c1, c2, skip;
  int cin, cout, has_skip;
} fz_condunet_res;

typedef struct fz_condunet_attn {
  fz_tensor *nw, *nb, *qw, *qb, *kw, *kb, *vw, *vb, *pw, *pb;
} fz_condunet_attn;

// A loaded condunet (its parameters belong to the model m it was loaded into).
typedef struct fz_condunet {
  fz_condunet_cfg cfg;
  int slot0;
  fz_tensor *te0w, *te0b, *te2w, *te2b, *onw, *onb;
  fz_conv in_conv, out_conv, dconv[FZ_CONDUNET_MAX_LEVELS], uconv[FZ_CONDUNET_MAX_LEVELS];
  fz_condunet_res down[FZ_CONDUNET_MAX_LEVELS][FZ_CONDUNET_MAX_BLOCKS], up[FZ_CONDUNET_MAX_LEVELS][FZ_CONDUNET_MAX_BLOCKS];
  fz_condunet_res mid1, mid2;
  fz_condunet_attn at;
} fz_condunet;

// Fills cfg's width/levels/blocks/groups/attn/heads/mult from m->hparams (defaults 32, 2, 1, 8, 1, 4, min(2^l, 4));
// in_ch / cond_ch / out_ch are the caller's. Fails naming the hyper-parameter that is out of range.
int fz_condunet_read_hparams(const fz_pan_model *m, fz_condunet_cfg *cfg, fz_err *err);
// Loads a condunet of shape cfg from m->w under `prefix` (during the architecture's init); scratch slots
// slot0 .. slot0 + FZ_CONDUNET_SLOTS - 1 of m's pool. Errors name the tensor and the shape expected.
int fz_condunet_load(fz_pan_model *m, fz_condunet *u, const fz_condunet_cfg *cfg, const char *prefix, int slot0, fz_err *err);
// out [B, out_ch, H, W] = net(x_t [B, in_ch, H, W], cat of cond[0..ncond) [B, c_k, H, W] (Σ c_k = cond_ch), t [B] host
// floats fed to the sinusoid as given). H, W multiples of 2^(levels-1). out is the caller's (not a pool slot).
int fz_condunet_forward(fz_pan_model *m, const fz_condunet *u, const fz_tensor *x_t, const fz_tensor *const *cond, int ncond,
                        const float *t, fz_tensor *out, fz_err *err);
// The same with the times already on the device: t_dev f32 [B] (a sampler's CUDA graph reads them there).
int fz_condunet_forward_dev(fz_pan_model *m, const fz_condunet *u, const fz_tensor *x_t, const fz_tensor *const *cond, int ncond,
                            const fz_tensor *t_dev, fz_tensor *out, fz_err *err);
// H and W of a forward must be multiples of this (2^(levels-1)).
int fz_condunet_multiple(const fz_condunet *u);

#endif
