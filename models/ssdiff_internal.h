// ssdiff_internal.h — what models/ssdiff.c (loading, sampling, tiling) and models/ssdiff_net.c (the SSNet
// network) share: the parameter structs and the model state.
#ifndef FZ_SSDIFF_INTERNAL_H
#define FZ_SSDIFF_INTERNAL_H
#include "model_internal.h"
#include "ssdiff.h"

// Fusformer(dim, heads, dim_head, mlp, depth 1): Residual(PreNorm(Attention)) then Residual(PreNorm(FeedForward)).
typedef struct sd_apfm {
  int width, heads, hidden;
  fz_tensor *ln1_w, *ln1_b;            // layers.0.0.fn.norm (applied to both x and y)
  fz_tensor *sa1, *sa2, *se1, *se2;    // projections [width, width], no bias
  fz_tensor *out_w, *out_b;            // to_out.0
  fz_tensor *ln2_w, *ln2_b;            // layers.0.1.fn.norm
  fz_tensor *ff0_w, *ff0_b, *ff3_w, *ff3_b; // net.0 (-> hidden, LeakyReLU) and net.3 (-> width)
} sd_apfm;

// ResBlock: conv0 (LeakyReLU) -> conv1 -> + emb_layers(emb) -> GroupNorm32 -> SiLU -> zero conv, plus x.
typedef struct sd_res {
  fz_conv c0, c1, zc;
  fz_tensor *emb_w, *emb_b, *gn_w, *gn_b;
} sd_res;

// Down (the 'conv' path): conv 2x2/2 (LeakyReLU) -> conv 1x1 (C -> 2C) -> depthwise 3x3 (LeakyReLU).
typedef struct sd_down { fz_conv c0, c2, c3; } sd_down;
// Up (the 'up1' path): convT 2x2/2 (LeakyReLU); + skip; conv 3x3 (LeakyReLU).
typedef struct sd_up { fz_conv t, conv; } sd_up;

// A stem: conv3x3(cat[img, x_t]) + emb_layers(emb), then out_layers = norm -> SiLU -> zero conv.
typedef struct sd_stem {
  fz_conv in, zc;
  fz_tensor *emb_w, *emb_b;
  fz_tensor *n_w, *n_b, *n_mean, *n_var;  // BatchNorm (mean/var set) or GroupNorm (mean/var NULL); all NULL: identity
} sd_stem;

// An FMIM frequency mask of the spectrum [H, W, 2] (1 everywhere, s on the bins {0, H-1} x {0, W-1}).
typedef struct sd_mask {
  fz_tensor t;
  int h, w;
  float s;
} sd_mask;

typedef struct ssdiff {
  fz_ssdiff_info info;
  fz_tensor *te0_w, *te0_b, *te2_w, *te2_b;   // time_embed.0 / .2
  fz_conv up;                                  // upsample.upsamle.0 (C -> 16C, no bias), then PixelShuffle(4)
  sd_stem pan, lms;
  sd_apfm ap[5];
  sd_res rb[4];
  sd_down dn[2];
  sd_up upm[2];
  fz_conv hr0, hr2;                            // to_hrms.0 (LeakyReLU), to_hrms.2
  fz_tensor boost[5];                          // [1, width, 1, 1] channel-boost factors per level
  sd_mask mask[3];                             // FMIM masks (levels 0/4, 1/3, 2), rebuilt when the size changes
  fz_weights expanded;                         // FP8 tensors widened to F32 during init (empty otherwise)
} ssdiff;

// Loads the SSNet parameters of m->w into s (shapes inferred and checked); fills s->info.
int fz__ssdiff_net_load(fz_pan_model *m, ssdiff *s, fz_err *err);
// Releases what fz__ssdiff_net_load allocated outside m->params (boost vectors, masks).
void fz__ssdiff_net_release(ssdiff *s);

#endif
