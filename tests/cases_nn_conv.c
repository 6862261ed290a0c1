// cases_nn_conv.c — op cases for conv2d, conv_transpose2d and conv1d.
// Oracle: the PyTorch definitions written as plain double-precision loops in this file (direct sums over
// the padded input for conv; the scatter form out[iy·s+ky·d-p] += x·w for transposed conv), with the
// padding modes implemented independently of the kernels (reflect by mirroring step by step).
// Tolerance: 1e-5 mixed abs/rel (fz_case_err) for sums of K ≤ 600 products of values in [-1, 1] in fp32.
#include "cases_nn.h"
#include <math.h>
#include <stdio.h>

// Padded index → source index (PyTorch modes), or -1 for a zero. Reflect mirrors repeatedly without
// repeating the edge, which is PyTorch's definition for pad < n.
static int64_t ref_src(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  if (mode == FZ_PAD_ZERO) return -1;
  if (mode == FZ_PAD_REPLICATE) return i < 0 ? 0 : n - 1;
  if (mode == FZ_PAD_CIRCULAR) { while (i < 0) i += n; while (i >= n) i -= n; return i; }
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;  // reflect
  return i;
}

typedef struct {
  int n, ci, h, w, co, kh, kw, bias;
  fz_conv2d_params p;
} conv_spec;

// Runs conv2d for spec s and compares with the double loop.
static int run_conv2d(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, const conv_spec *s) {
  nn_case c;
  nc_init(&c, be, seed, err);
  fz_conv2d_params p = s->p;
  int g = p.groups ? p.groups : 1, sh = p.stride_h ? p.stride_h : 1, sw = p.stride_w ? p.stride_w : 1;
  int dh = p.dil_h ? p.dil_h : 1, dw = p.dil_w ? p.dil_w : 1;
  int64_t pt = p.pad_h, pb = p.pad_h + p.pad_h_extra, pl = p.pad_w, pr = p.pad_w + p.pad_w_extra;
  int64_t ho = (s->h + pt + pb - dh * (s->kh - 1) - 1) / sh + 1, wo = (s->w + pl + pr - dw * (s->kw - 1) - 1) / sw + 1;
  int64_t cig = s->ci / g, cog = s->co / g;
  float *hx, *hw, *hb = NULL;
  fz_tensor *x = nc_rand(&c, SH(s->n, s->ci, s->h, s->w), -1, 1, &hx);
  fz_tensor *w = nc_rand(&c, SH(s->co, cig, s->kh, s->kw), -1, 1, &hw);
  fz_tensor *b = s->bias ? nc_rand(&c, SH(s->co), -1, 1, &hb) : NULL;
  fz_tensor *o = nc_out(&c, SH(s->n, s->co, ho, wo));
  if (!c.rc) nc_check(&c, fz_op_conv2d(be, o, x, w, b, &p, err));
  double *ref = nc_ref(&c, s->n * s->co * ho * wo);
  if (ref)
    for (int64_t n = 0; n < s->n; n++)
      for (int64_t co = 0; co < s->co; co++)
        for (int64_t oy = 0; oy < ho; oy++)
          for (int64_t ox = 0; ox < wo; ox++) {
            double acc = hb ? hb[co] : 0.0;
            int64_t gi = co / cog;
            for (int64_t ci = 0; ci < cig; ci++)
              for (int64_t ky = 0; ky < s->kh; ky++)
                for (int64_t kx = 0; kx < s->kw; kx++) {
                  int64_t iy = ref_src(oy * sh - pt + ky * dh, s->h, p.pad_mode);
                  int64_t ix = ref_src(ox * sw - pl + kx * dw, s->w, p.pad_mode);
                  if (iy < 0 || ix < 0) continue;
                  acc += (double)hw[((co * cig + ci) * s->kh + ky) * s->kw + kx] *
                         hx[((n * s->ci + gi * cig + ci) * s->h + iy) * s->w + ix];
                }
            ref[((n * s->co + co) * ho + oy) * wo + ox] = nc_act_ref(acc, p.act, p.act_p0, p.act_p1);
          }
  char d[200];
  snprintf(d, sizeof d, "x[%d,%d,%d,%d] w[%d,%lld,%d,%d] s(%d,%d) p(%lld/%lld,%lld/%lld) d(%d,%d) g%d mode%d act%d", s->n, s->ci,
           s->h, s->w, s->co, (long long)cig, s->kh, s->kw, sh, sw, (long long)pt, (long long)pb, (long long)pl, (long long)pr,
           dh, dw, g, (int)p.pad_mode, (int)p.act);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

#define CONV_CASE(name, ...) \
  FZ_OP_CASE(name) { conv_spec s_ = __VA_ARGS__; return run_conv2d(be, seed, res, err, &s_); }

// im2col path: 3×3 'same' with bias, batch 2, odd sizes.
CONV_CASE(conv2d_3x3_pad1_bias, {2, 5, 7, 9, 6, 3, 3, 1, {.pad_h = 1, .pad_w = 1}})
// pointwise path with fused ReLU.
CONV_CASE(conv2d_1x1_relu, {2, 17, 5, 7, 9, 1, 1, 1, {.act = FZ_ACT_RELU}})
// grouped 1×1.
CONV_CASE(conv2d_1x1_groups3, {1, 6, 4, 5, 9, 1, 1, 1, {.groups = 3}})
// 1×1 with stride 2 (im2col path, not pointwise).
CONV_CASE(conv2d_1x1_stride2, {2, 4, 7, 6, 5, 1, 1, 0, {.stride_h = 2, .stride_w = 2}})
// 5×5, stride 2, dilation 2, odd sizes.
CONV_CASE(conv2d_5x5_s2_d2, {1, 3, 11, 13, 4, 5, 5, 1, {.stride_h = 2, .stride_w = 2, .dil_h = 2, .dil_w = 2, .pad_h = 3, .pad_w = 3}})
// 7×7 reflect padding (pad 3 < 8).
CONV_CASE(conv2d_7x7_reflect, {2, 2, 8, 9, 3, 7, 7, 1, {.pad_h = 3, .pad_w = 3, .pad_mode = FZ_PAD_REFLECT}})
// 3×3 replicate padding, stride 2, GELU.
CONV_CASE(conv2d_3x3_replicate_s2_gelu, {1, 4, 9, 10, 5, 3, 3, 1, {.stride_h = 2, .stride_w = 2, .pad_h = 2, .pad_w = 1, .pad_mode = FZ_PAD_REPLICATE, .act = FZ_ACT_GELU}})
// 3×3 circular padding, 2 groups, dilation 2.
CONV_CASE(conv2d_3x3_circular_g2_d2, {2, 4, 6, 7, 6, 3, 3, 1, {.pad_h = 2, .pad_w = 2, .dil_h = 2, .dil_w = 2, .groups = 2, .pad_mode = FZ_PAD_CIRCULAR}})
// reflect with asymmetric kernel 3×5 and rectangular stride.
CONV_CASE(conv2d_3x5_reflect_s12, {1, 3, 6, 11, 2, 3, 5, 0, {.stride_h = 1, .stride_w = 2, .pad_h = 1, .pad_w = 2, .pad_mode = FZ_PAD_REFLECT}})
// depthwise 3×3 with bias and LeakyReLU.
CONV_CASE(conv2d_dw3x3_leaky, {2, 8, 7, 9, 8, 3, 3, 1, {.pad_h = 1, .pad_w = 1, .groups = 8, .act = FZ_ACT_LEAKY_RELU, .act_p0 = 0.01f}})
// depthwise with channel multiplier 2, stride 2, dilation 2, reflect.
CONV_CASE(conv2d_dw_mult2_s2_reflect, {1, 4, 10, 9, 8, 3, 3, 1, {.stride_h = 2, .stride_w = 2, .dil_h = 2, .dil_w = 2, .pad_h = 2, .pad_w = 2, .groups = 4, .pad_mode = FZ_PAD_REFLECT}})
// depthwise 7×7 on one image of two channels (the output rows are split in bands across items).
CONV_CASE(conv2d_dw7x7_bands, {1, 2, 19, 21, 2, 7, 7, 1, {.pad_h = 3, .pad_w = 3, .groups = 2, .pad_mode = FZ_PAD_REPLICATE}})
// depthwise 5×5 circular.
CONV_CASE(conv2d_dw5x5_circular, {2, 3, 6, 5, 3, 5, 5, 0, {.pad_h = 2, .pad_w = 2, .groups = 3, .pad_mode = FZ_PAD_CIRCULAR, .act = FZ_ACT_SILU}})
// depthwise on wide rows (64-wide vector blocks, 16-wide blocks and a scalar tail), dilation 2, reflect.
CONV_CASE(conv2d_dw_wide_rows, {2, 3, 5, 87, 3, 3, 3, 1, {.pad_h = 2, .pad_w = 2, .dil_h = 2, .dil_w = 2, .groups = 3, .pad_mode = FZ_PAD_REFLECT}})
// one input channel, 6 outputs (PAN stem: the depthwise path with multiplier 6).
CONV_CASE(conv2d_cin1, {2, 1, 9, 8, 6, 3, 3, 1, {.pad_h = 1, .pad_w = 1}})
// 1×1 image with a 3×3 kernel and zero padding.
CONV_CASE(conv2d_1x1_image, {3, 4, 1, 1, 5, 3, 3, 1, {.pad_h = 1, .pad_w = 1}})
// 2×2 stride 2 (the Down blocks).
CONV_CASE(conv2d_2x2_s2, {2, 6, 8, 10, 7, 2, 2, 1, {.stride_h = 2, .stride_w = 2}})
// even kernel with asymmetric 'same' padding (1 top/left, 2 bottom/right) and with less at the end.
CONV_CASE(conv2d_4x4_asym_pad, {1, 3, 7, 6, 4, 4, 4, 1, {.pad_h = 1, .pad_w = 2, .pad_h_extra = 1, .pad_w_extra = -1}})
// several im2col blocks that start mid-row (K = 144 → 910-pixel blocks on a 40×41 image).
CONV_CASE(conv2d_blocks_midrow, {1, 16, 40, 41, 5, 3, 3, 1, {.pad_h = 1, .pad_w = 1, .act = FZ_ACT_SIGMOID}})
// reflect, 3×3, 2 groups, batch 2 with tanh-GELU.
CONV_CASE(conv2d_reflect_g2_gelu_tanh, {2, 6, 5, 6, 4, 3, 3, 1, {.pad_h = 1, .pad_w = 1, .groups = 2, .pad_mode = FZ_PAD_REFLECT, .act = FZ_ACT_GELU_TANH}})

// conv2d with a caller-provided workspace (the arena path): same result as the per-call scratch.
FZ_OP_CASE(conv2d_caller_workspace) {
  static const int64_t xs[4] = {2, 5, 7, 9}, ws[4] = {6, 5, 3, 3};
  fz_conv2d_params p = {.pad_h = 1, .pad_w = 1};
  size_t bytes = 0;
  int rc = fz_op_conv2d_workspace(be, xs, ws, &p, &bytes, err);
  if (rc) return rc;
  void *mem = malloc(bytes ? bytes : 1);
  if (!mem) return fz_fail(err, FZ_ENOMEM, "no memory");
  conv_spec s = {2, 5, 7, 9, 6, 3, 3, 1, p};
  s.p.workspace = mem;
  s.p.workspace_bytes = bytes;
  rc = run_conv2d(be, seed, res, err, &s);
  free(mem);
  return rc;
}

// ---- conv_transpose2d ---------------------------------------------------------------------------------

typedef struct {
  int n, ci, h, w, co, kh, kw, bias;
  fz_conv2d_params p;
} convt_spec;

// Runs conv_transpose2d for spec s and compares with the scatter-form double loop.
static int run_convt(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, const convt_spec *s) {
  nn_case c;
  nc_init(&c, be, seed, err);
  fz_conv2d_params p = s->p;
  int g = p.groups ? p.groups : 1, sh = p.stride_h ? p.stride_h : 1, sw = p.stride_w ? p.stride_w : 1;
  int dh = p.dil_h ? p.dil_h : 1, dw = p.dil_w ? p.dil_w : 1;
  int64_t ho = (s->h - 1) * sh - 2 * p.pad_h - p.pad_h_extra + dh * (s->kh - 1) + p.out_pad_h + 1;
  int64_t wo = (s->w - 1) * sw - 2 * p.pad_w - p.pad_w_extra + dw * (s->kw - 1) + p.out_pad_w + 1;
  int64_t cig = s->ci / g, cog = s->co / g;
  float *hx, *hw, *hb = NULL;
  fz_tensor *x = nc_rand(&c, SH(s->n, s->ci, s->h, s->w), -1, 1, &hx);
  fz_tensor *w = nc_rand(&c, SH(s->ci, cog, s->kh, s->kw), -1, 1, &hw);
  fz_tensor *b = s->bias ? nc_rand(&c, SH(s->co), -1, 1, &hb) : NULL;
  fz_tensor *o = nc_out(&c, SH(s->n, s->co, ho, wo));
  if (!c.rc) nc_check(&c, fz_op_conv_transpose2d(be, o, x, w, b, &p, err));
  double *ref = nc_ref(&c, s->n * s->co * ho * wo);
  if (ref) {
    // Scatter form of the definition: every input pixel adds x·w into the cropped output.
    for (int64_t n = 0; n < s->n; n++)
      for (int64_t ci = 0; ci < s->ci; ci++)
        for (int64_t k = 0; k < cog; k++)
          for (int64_t iy = 0; iy < s->h; iy++)
            for (int64_t ix = 0; ix < s->w; ix++)
              for (int64_t ky = 0; ky < s->kh; ky++)
                for (int64_t kx = 0; kx < s->kw; kx++) {
                  int64_t oy = iy * sh + ky * dh - p.pad_h, ox = ix * sw + kx * dw - p.pad_w;
                  if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                  int64_t co = (ci / cig) * cog + k;
                  ref[((n * s->co + co) * ho + oy) * wo + ox] +=
                      (double)hx[((n * s->ci + ci) * s->h + iy) * s->w + ix] * hw[((ci * cog + k) * s->kh + ky) * s->kw + kx];
                }
    for (int64_t n = 0; n < s->n; n++)
      for (int64_t co = 0; co < s->co; co++)
        for (int64_t j = 0; j < ho * wo; j++) {
          double *r = &ref[(n * s->co + co) * ho * wo + j];
          *r = nc_act_ref(*r + (hb ? hb[co] : 0.0), p.act, p.act_p0, p.act_p1);
        }
  }
  char d[200];
  snprintf(d, sizeof d, "x[%d,%d,%d,%d] w[%d,%lld,%d,%d] s(%d,%d) p(%d,%d)+(%d,%d) op(%d,%d) d(%d,%d) g%d", s->n, s->ci, s->h,
           s->w, s->ci, (long long)cog, s->kh, s->kw, sh, sw, p.pad_h, p.pad_w, p.pad_h_extra, p.pad_w_extra, p.out_pad_h,
           p.out_pad_w, dh, dw, g);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

#define CONVT_CASE(name, ...) \
  FZ_OP_CASE(name) { convt_spec s_ = __VA_ARGS__; return run_convt(be, seed, res, err, &s_); }

// 2×2 stride 2 (the Up blocks), bias.
CONVT_CASE(convt_2x2_s2, {2, 6, 5, 7, 4, 2, 2, 1, {.stride_h = 2, .stride_w = 2}})
// 2×2 stride 2 with output_padding 1 (last row/column get only the bias), GELU, batch 2.
CONVT_CASE(convt_2x2_s2_outpad, {2, 3, 4, 5, 4, 2, 2, 1, {.stride_h = 2, .stride_w = 2, .out_pad_h = 1, .out_pad_w = 1, .act = FZ_ACT_GELU}})
// 3×3 stride 2 pad 1 output_padding 1, 2 groups, LeakyReLU.
CONVT_CASE(convt_3x3_s2_op1_g2, {1, 4, 4, 5, 6, 3, 3, 1, {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .out_pad_h = 1, .out_pad_w = 1, .groups = 2, .act = FZ_ACT_LEAKY_RELU, .act_p0 = 0.2f}})
// 4×3 kernel, strides (3,2), dilation 2, padding (2,1), output_padding (1,0).
CONVT_CASE(convt_4x3_s32_d2, {2, 3, 3, 4, 2, 4, 3, 0, {.stride_h = 3, .stride_w = 2, .dil_h = 2, .dil_w = 2, .pad_h = 2, .pad_w = 1, .out_pad_h = 1}})
// 1×1 input image, 3×3 kernel, stride 1.
CONVT_CASE(convt_1x1_image, {2, 3, 1, 1, 5, 3, 3, 1, {0}})
// depthwise transposed (groups = channels) with extra cropping at the end (pad extra 1).
CONVT_CASE(convt_dw_extra_crop, {1, 4, 5, 6, 4, 3, 3, 1, {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .pad_h_extra = 1, .pad_w_extra = 1, .groups = 4}})
// several input-pixel blocks per item (64×64 input, blocks of 3640 pixels), SiLU.
CONVT_CASE(convt_blocks, {1, 4, 64, 64, 16, 3, 3, 1, {.pad_h = 1, .pad_w = 1, .act = FZ_ACT_SILU}})

// ---- conv1d -----------------------------------------------------------------------------------------------

typedef struct {
  int n, ci, l, co, k, bias;
  fz_conv1d_params p;
} conv1_spec;

// Runs conv1d for spec s and compares with the double loop.
static int run_conv1d(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, const conv1_spec *s) {
  nn_case c;
  nc_init(&c, be, seed, err);
  fz_conv1d_params p = s->p;
  int g = p.groups ? p.groups : 1, st = p.stride ? p.stride : 1, dl = p.dil ? p.dil : 1;
  int64_t lo = (s->l + p.pad_left + p.pad_right - dl * (s->k - 1) - 1) / st + 1, cig = s->ci / g, cog = s->co / g;
  float *hx, *hw, *hb = NULL;
  fz_tensor *x = nc_rand(&c, SH(s->n, s->ci, s->l), -1, 1, &hx);
  fz_tensor *w = nc_rand(&c, SH(s->co, cig, s->k), -1, 1, &hw);
  fz_tensor *b = s->bias ? nc_rand(&c, SH(s->co), -1, 1, &hb) : NULL;
  fz_tensor *o = nc_out(&c, SH(s->n, s->co, lo));
  if (!c.rc) nc_check(&c, fz_op_conv1d(be, o, x, w, b, &p, err));
  double *ref = nc_ref(&c, s->n * s->co * lo);
  if (ref)
    for (int64_t n = 0; n < s->n; n++)
      for (int64_t co = 0; co < s->co; co++)
        for (int64_t t = 0; t < lo; t++) {
          double acc = hb ? hb[co] : 0.0;
          for (int64_t ci = 0; ci < cig; ci++)
            for (int64_t j = 0; j < s->k; j++) {
              int64_t i = ref_src(t * st - p.pad_left + j * dl, s->l, p.pad_mode);
              if (i >= 0) acc += (double)hw[(co * cig + ci) * s->k + j] * hx[(n * s->ci + (co / cog) * cig + ci) * s->l + i];
            }
          ref[(n * s->co + co) * lo + t] = nc_act_ref(acc, p.act, p.act_p0, p.act_p1);
        }
  char d[160];
  snprintf(d, sizeof d, "x[%d,%d,%d] w[%d,%lld,%d] s%d pad(%d,%d) d%d g%d mode%d", s->n, s->ci, s->l, s->co, (long long)cig, s->k, st,
           p.pad_left, p.pad_right, dl, g, (int)p.pad_mode);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

#define CONV1_CASE(name, ...) \
  FZ_OP_CASE(name) { conv1_spec s_ = __VA_ARGS__; return run_conv1d(be, seed, res, err, &s_); }

// Mamba: causal depthwise k = 4 (pad_left 3, pad_right 0), bias, SiLU.
CONV1_CASE(conv1d_causal_dw_k4_silu, {2, 6, 37, 6, 4, 1, {.pad_left = 3, .groups = 6, .act = FZ_ACT_SILU}})
// grouped 1×1 (x_proj of 4 directions as one grouped conv).
CONV1_CASE(conv1d_grouped_1x1, {2, 8, 19, 12, 1, 0, {.groups = 4}})
// general: stride 2, dilation 2, reflect padding (2, 1).
CONV1_CASE(conv1d_s2_d2_reflect, {1, 3, 17, 5, 3, 1, {.stride = 2, .dil = 2, .pad_left = 2, .pad_right = 1, .pad_mode = FZ_PAD_REFLECT}})
// circular padding (1, 1), k = 3, batch 2.
CONV1_CASE(conv1d_circular_k3, {2, 2, 5, 3, 3, 1, {.pad_left = 1, .pad_right = 1, .pad_mode = FZ_PAD_CIRCULAR}})
// long sequences: output rows longer than one 2048-column segment, stride 1 and stride 2.
CONV1_CASE(conv1d_causal_dw_long, {1, 3, 4500, 3, 4, 1, {.pad_left = 3, .groups = 3, .act = FZ_ACT_SILU}})
CONV1_CASE(conv1d_dw_long_s2, {1, 2, 4203, 4, 5, 0, {.stride = 2, .pad_left = 2, .pad_right = 2, .groups = 2, .pad_mode = FZ_PAD_REPLICATE}})
