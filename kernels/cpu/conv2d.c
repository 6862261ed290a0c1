// conv2d.c — 2-D convolution on the CPU (PyTorch conv2d semantics, NCHW f32), three paths:
//  * pointwise (1×1, stride 1, no padding): one sgemm per (image, group, pixel block), no copies;
//  * one input channel per group (depthwise, with any channel multiplier): direct loops over a padded
//    band of rows, vectorised along the output row;
//  * everything else: im2col of a block of output pixels into per-thread scratch + sgemm.
// Padding modes zero / reflect / replicate / circular are resolved by index maps built once per call.
// Scratch comes from p->workspace when given (size: fz_cpu_conv2d_workspace), else one malloc per call.
#include "cpu_nn.h"
#include "vmath_nn.h"
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

// Shape and parameter summary of one conv2d call.
typedef struct {
  int64_t n, ci, h, w, co, g, cig, cog, kh, kw, ho, wo, k;  // k = cig·kh·kw (GEMM depth)
  int sh, sw, pt, pb, pl, pr, dh, dw, mode;
} geom;

// Summarises x [N,Ci,H,W], w [Co,Ci/g,kh,kw] and normalised params into a geom.
static geom make_geom(const int64_t *xs, const int64_t *ws, const fz_conv2d_params *q) {
  geom g;
  g.n = xs[0]; g.ci = xs[1]; g.h = xs[2]; g.w = xs[3];
  g.co = ws[0]; g.kh = ws[2]; g.kw = ws[3];
  g.g = q->groups; g.cig = g.ci / g.g; g.cog = g.co / g.g; g.k = g.cig * g.kh * g.kw;
  g.sh = q->stride_h; g.sw = q->stride_w; g.dh = q->dil_h; g.dw = q->dil_w;
  g.pt = q->pad_h; g.pb = q->pad_h + q->pad_h_extra; g.pl = q->pad_w; g.pr = q->pad_w + q->pad_w_extra;
  g.mode = q->pad_mode;
  g.ho = (g.h + g.pt + g.pb - (int64_t)g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.wo = (g.w + g.pl + g.pr - (int64_t)g.dw * (g.kw - 1) - 1) / g.sw + 1;
  return g;
}

// Source index of padded position i in [0, n) under padding mode (PyTorch: reflect excludes the edge);
// -1 means a zero. Valid for |overhang| within the limits the wrapper checked (pad < n for reflect).
static inline int64_t pad_index(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case FZ_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    case FZ_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    case FZ_PAD_CIRCULAR: return ((i % n) + n) % n;
    default: return -1;
  }
}

// 1 for 1×1 stride-1 unpadded convolutions (plain GEMM on the NCHW planes).
static int is_pointwise(const geom *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && !g->pt && !g->pb && !g->pl && !g->pr;
}

// Output pixels per im2col block: about 2^17 floats of scratch, at least 64 pixels.
static int64_t tile_pixels(const geom *g) {
  int64_t t = g->k ? 131072 / g->k : 4096;
  if (t < 64) t = 64;
  if (t > 4096) t = 4096;
  int64_t p = g->ho * g->wo;
  return t < p ? t : p;
}

// Output rows per band of the depthwise path, so that there are about 4 items per thread.
static int64_t dw_band(const geom *g, int nt) {
  int64_t planes = g->n * g->g, bands = planes >= 4 * nt ? 1 : (4 * nt + planes - 1) / planes;
  if (bands > g->ho) bands = g->ho;
  return (g->ho + bands - 1) / bands;
}

// Floats of per-thread scratch (and ints of shared maps) the chosen path needs.
static void scratch_sizes(const geom *g, int nt, size_t *per_thread, size_t *maps) {
  *per_thread = 0;
  *maps = 0;
  if (is_pointwise(g)) return;
  if (g->cig == 1) {
    int64_t band = dw_band(g, nt), rows = (band - 1) * g->sh + (g->kh - 1) * g->dh + 1;
    *per_thread = (size_t)(rows * (g->w + g->pl + g->pr));
    return;
  }
  *per_thread = (size_t)(g->k * tile_pixels(g));
  *maps = (size_t)(g->kh * g->ho + g->kw * g->wo + 2 * g->kw);
}

size_t fz_cpu_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  geom g = make_geom(x_shape, w_shape, p);
  size_t pt, maps;
  scratch_sizes(&g, fz_cpu_threads(be), &pt, &maps);
  if (!pt && !maps) return 0;
  size_t pt_al = (pt * sizeof(float) + 63) & ~(size_t)63;
  return (size_t)fz_cpu_threads(be) * pt_al + maps * sizeof(int64_t) + 64;
}

// ---- pointwise ---------------------------------------------------------------------------------------

// out[n, g-block] (cog × P) = w_g (cog × cig) · x[n, g-block] (cig × P), P split in pixel blocks.
static void conv_pointwise(const geom *g, int nt, float *o, const float *x, const float *w, const float *bias,
                           const fz_conv2d_params *q) {
  int64_t P = g->h * g->w, blk = 2048;
  if (P == 0) return;
  if (P < blk) blk = P;
  int64_t per = (P + blk - 1) / blk, items = g->n * g->g * per;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (items > 1 && g->co * g->cig * P * g->n > 100000)
  for (int64_t it = 0; it < items; it++) {
    int64_t ng = it / per, ni = ng / g->g, gi = ng % g->g, p0 = (it % per) * blk, tw = P - p0 < blk ? P - p0 : blk;
    float *c = o + (ni * g->co + gi * g->cog) * P + p0;
    fz_cpu_sgemm(0, 0, g->cog, tw, g->cig, 1.0f, w + gi * g->cog * g->cig, g->cig, x + (ni * g->ci + gi * g->cig) * P + p0, P,
                 0.0f, c, P);
    if (bias || q->act != FZ_ACT_NONE)
      fz_cpu_bias_act_block(c, g->cog, tw, P, bias ? bias + gi * g->cog : NULL, 0, q->act, q->act_p0, q->act_p1);
  }
}

// ---- one input channel per group (depthwise) -----------------------------------------------------------

// Fills rows [0, rows) of the padded band starting at padded row py0 for input plane src (H×W), row
// width pw = pl + W + pr.
static void fill_band(float *band, const float *src, const geom *g, int64_t py0, int64_t rows) {
  int64_t pw = g->pl + g->w + g->pr;
  for (int64_t r = 0; r < rows; r++) {
    float *d = band + r * pw;
    int64_t iy = pad_index(py0 + r - g->pt, g->h, g->mode);
    if (iy < 0) { memset(d, 0, (size_t)pw * sizeof *d); continue; }
    const float *s = src + iy * g->w;
    for (int64_t j = 0; j < g->pl; j++) { int64_t ix = pad_index(j - g->pl, g->w, g->mode); d[j] = ix < 0 ? 0.0f : s[ix]; }
    memcpy(d + g->pl, s, (size_t)g->w * sizeof *d);
    for (int64_t j = 0; j < g->pr; j++) { int64_t ix = pad_index(g->w + j, g->w, g->mode); d[g->pl + g->w + j] = ix < 0 ? 0.0f : s[ix]; }
  }
}

// 16 floats as one GCC/Clang vector (one zmm with AVX-512, lowered to narrower registers elsewhere);
// used only inside functions (never passed by value), loaded and stored with memcpy (unaligned).
typedef float dw_v16 __attribute__((vector_size(64)));

// One output row of a stride-1 depthwise conv: orow[ox] = bv + Σ_ky,kx wk[ky,kx]·prow[ky·dh·pw + ox + kx·dw],
// 64 outputs at a time in four vector accumulators (each tap loaded once per 16 outputs), scalar tail.
static void dw_row_s1(float *orow, const float *prow, int64_t pw, const float *wk, int64_t kh, int64_t kw, int64_t dh,
                      int64_t dw, int64_t wo, float bv) {
  int64_t ox = 0;
  for (; ox + 64 <= wo; ox += 64) {
    dw_v16 a0, a1, a2, a3, v;
    for (int i = 0; i < 16; i++) a0[i] = bv;
    a1 = a0; a2 = a0; a3 = a0;
    for (int64_t ky = 0; ky < kh; ky++) {
      const float *pr = prow + ky * dh * pw + ox;
      for (int64_t kx = 0; kx < kw; kx++) {
        float wv = wk[ky * kw + kx];
        const float *pp = pr + kx * dw;
        memcpy(&v, pp, 64); a0 += wv * v;
        memcpy(&v, pp + 16, 64); a1 += wv * v;
        memcpy(&v, pp + 32, 64); a2 += wv * v;
        memcpy(&v, pp + 48, 64); a3 += wv * v;
      }
    }
    memcpy(orow + ox, &a0, 64);
    memcpy(orow + ox + 16, &a1, 64);
    memcpy(orow + ox + 32, &a2, 64);
    memcpy(orow + ox + 48, &a3, 64);
  }
  for (; ox + 16 <= wo; ox += 16) {
    dw_v16 a0, v;
    for (int i = 0; i < 16; i++) a0[i] = bv;
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        memcpy(&v, prow + ky * dh * pw + ox + kx * dw, 64);
        a0 += wk[ky * kw + kx] * v;
      }
    memcpy(orow + ox, &a0, 64);
  }
  for (; ox < wo; ox++) {
    float acc = bv;
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) acc += wk[ky * kw + kx] * prow[ky * dh * pw + ox + kx * dw];
    orow[ox] = acc;
  }
}

// Output columns per segment of the depthwise path (its activation pass then runs on L1-resident data).
#define DW_SEG 2048

// Direct conv for one input channel per group: items (image, group, band of output rows).
static void conv_depthwise(const geom *g, int nt, float *o, const float *x, const float *w, const float *bias,
                           const fz_conv2d_params *q, float *scratch, size_t per_thread) {
  int64_t band = dw_band(g, nt), nbands = (g->ho + band - 1) / band, items = g->n * g->g * nbands;
  int64_t pw = g->pl + g->w + g->pr, ho = g->ho, wo = g->wo;
#pragma omp parallel num_threads(nt) if (items > 1 && g->n * g->co * ho * wo * g->kh * g->kw > 100000)
  {
#ifdef _OPENMP
    float *pad = scratch + (size_t)omp_get_thread_num() * per_thread;
#else
    float *pad = scratch;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; it++) {
      int64_t ng = it / nbands, ni = ng / g->g, gi = ng % g->g, oy0 = (it % nbands) * band;
      int64_t oy1 = oy0 + band < ho ? oy0 + band : ho;
      int64_t rows = (oy1 - oy0 - 1) * g->sh + (g->kh - 1) * g->dh + 1;
      fill_band(pad, x + (ni * g->ci + gi) * g->h * g->w, g, oy0 * g->sh, rows);
      for (int64_t k = 0; k < g->cog; k++) {
        int64_t co = gi * g->cog + k;
        const float *wk = w + co * g->kh * g->kw;
        float bv = bias ? bias[co] : 0.0f;
        for (int64_t oy = oy0; oy < oy1; oy++) {
          float *orow0 = o + ((ni * g->co + co) * ho + oy) * wo;
          for (int64_t x0 = 0; x0 < wo; x0 += DW_SEG) {  // segments: the activation pass stays in L1
            int64_t len = wo - x0 < DW_SEG ? wo - x0 : DW_SEG;
            float *orow = orow0 + x0;
            const float *prow0 = pad + (oy - oy0) * g->sh * pw + x0 * g->sw;
            if (g->sw == 1) {
              dw_row_s1(orow, prow0, pw, wk, g->kh, g->kw, g->dh, g->dw, len, bv);
            } else {
              int64_t s = g->sw;
#pragma omp simd
              for (int64_t ox = 0; ox < len; ox++) orow[ox] = bv;
              for (int64_t ky = 0; ky < g->kh; ky++)
                for (int64_t kx = 0; kx < g->kw; kx++) {
                  float wv = wk[ky * g->kw + kx];
                  const float *pp = prow0 + ky * g->dh * pw + kx * g->dw;
#pragma omp simd
                  for (int64_t ox = 0; ox < len; ox++) orow[ox] += wv * pp[ox * s];
                }
            }
            if (q->act != FZ_ACT_NONE) fz_cpu_act_row(orow, orow, len, q->act, q->act_p0, q->act_p1);
          }
        }
      }
    }
  }
}

// ---- im2col + GEMM -------------------------------------------------------------------------------------

// Fills the im2col block cols[k, 0..tw) for output pixels p0..p0+tw of image plane group xg (cig×H×W).
// ymap[ky·Ho + oy] / xmap[kx·Wo + ox] are source rows / columns (-1: zero); output columns
// [xin[2kx], xin[2kx+1]) read the unpadded interior ix = ox·sw + kx·dw - pl and are copied directly.
static void im2col_block(float *cols, const float *xg, const geom *g, int64_t p0, int64_t tw, const int64_t *ymap,
                         const int64_t *xmap, const int64_t *xin) {
  int64_t wo = g->wo, sw = g->sw;
  for (int64_t c = 0; c < g->cig; c++) {
    const float *plane = xg + c * g->h * g->w;
    for (int64_t ky = 0; ky < g->kh; ky++)
      for (int64_t kx = 0; kx < g->kw; kx++) {
        float *d = cols + ((c * g->kh + ky) * g->kw + kx) * tw;
        const int64_t *xm = xmap + kx * wo;
        int64_t off = kx * g->dw - g->pl, lo = xin[2 * kx], hi = xin[2 * kx + 1];
        int64_t p = p0, end = p0 + tw;
        while (p < end) {
          int64_t oy = p / wo, ox0 = p % wo, ox1 = (end - oy * wo) < wo ? end - oy * wo : wo, len = ox1 - ox0;
          int64_t iy = ymap[ky * g->ho + oy];
          if (iy < 0) {
            memset(d, 0, (size_t)len * sizeof *d);
          } else {
            const float *srow = plane + iy * g->w;
            int64_t a = lo < ox0 ? ox0 : (lo > ox1 ? ox1 : lo), b = hi < a ? a : (hi > ox1 ? ox1 : hi);
            for (int64_t ox = ox0; ox < a; ox++) d[ox - ox0] = xm[ox] < 0 ? 0.0f : srow[xm[ox]];
            if (b > a && sw == 1) {
              memcpy(d + (a - ox0), srow + a + off, (size_t)(b - a) * sizeof *d);
            } else if (b > a) {
              float *dd = d + (a - ox0);
              const float *ss = srow + a * sw + off;
#pragma omp simd
              for (int64_t j = 0; j < b - a; j++) dd[j] = ss[j * sw];
            }
            for (int64_t ox = b; ox < ox1; ox++) d[ox - ox0] = xm[ox] < 0 ? 0.0f : srow[xm[ox]];
          }
          d += len;
          p += len;
        }
      }
  }
}

// General conv: per item (image, group, pixel block) im2col into the thread's scratch, then sgemm.
static void conv_im2col(const geom *g, int nt, float *o, const float *x, const float *w, const float *bias,
                        const fz_conv2d_params *q, float *scratch, size_t per_thread, int64_t *maps) {
  int64_t *ymap = maps, *xmap = maps + g->kh * g->ho, *xin = xmap + g->kw * g->wo;
  for (int64_t kx = 0; kx < g->kw; kx++) {  // interior output columns: 0 <= ox·sw + off < W
    int64_t off = kx * g->dw - g->pl, lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
    int64_t hi = g->w - off <= 0 ? 0 : (g->w - off + g->sw - 1) / g->sw;
    if (hi > g->wo) hi = g->wo;
    if (lo > g->wo) lo = g->wo;
    xin[2 * kx] = lo;
    xin[2 * kx + 1] = hi < lo ? lo : hi;
  }
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t oy = 0; oy < g->ho; oy++) ymap[ky * g->ho + oy] = pad_index(oy * g->sh - g->pt + ky * g->dh, g->h, g->mode);
  for (int64_t kx = 0; kx < g->kw; kx++)
    for (int64_t ox = 0; ox < g->wo; ox++) xmap[kx * g->wo + ox] = pad_index(ox * g->sw - g->pl + kx * g->dw, g->w, g->mode);
  int64_t P = g->ho * g->wo, T = tile_pixels(g), per = (P + T - 1) / T, items = g->n * g->g * per;
#pragma omp parallel num_threads(nt) if (items > 1 && g->n * g->co * P * g->k > 100000)
  {
#ifdef _OPENMP
    float *cols = scratch + (size_t)omp_get_thread_num() * per_thread;
#else
    float *cols = scratch;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; it++) {
      int64_t ng = it / per, ni = ng / g->g, gi = ng % g->g, p0 = (it % per) * T, tw = P - p0 < T ? P - p0 : T;
      im2col_block(cols, x + (ni * g->ci + gi * g->cig) * g->h * g->w, g, p0, tw, ymap, xmap, xin);
      float *c = o + (ni * g->co + gi * g->cog) * P + p0;
      fz_cpu_sgemm(0, 0, g->cog, tw, g->k, 1.0f, w + gi * g->cog * g->k, g->k, cols, tw, 0.0f, c, P);
      if (bias || q->act != FZ_ACT_NONE)
        fz_cpu_bias_act_block(c, g->cog, tw, P, bias ? bias + gi * g->cog : NULL, 0, q->act, q->act_p0, q->act_p1);
    }
  }
}

int fz_cpu_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  const void *p, fz_err *err) {
  const fz_conv2d_params *q = p;
  geom g = make_geom(x->shape, w->shape, q);
  int nt = fz_cpu_threads(be);
  const float *bd = bias ? (const float *)bias->data : NULL;
  if (g.n == 0 || g.co == 0) return FZ_OK;
  if (is_pointwise(&g)) {
    conv_pointwise(&g, nt, out->data, x->data, w->data, bd, q);
    return FZ_OK;
  }
  size_t per_thread, nmaps;
  scratch_sizes(&g, nt, &per_thread, &nmaps);
  per_thread = ((per_thread * sizeof(float) + 63) & ~(size_t)63) / sizeof(float);  // 64-byte aligned slices
  size_t need = (size_t)nt * per_thread * sizeof(float) + nmaps * sizeof(int64_t) + 64;
  void *mem = q->workspace, *owned = NULL;
  if (!mem) {
    owned = mem = malloc(need);  // no caller workspace: scratch for this call only
    if (!owned) return fz_fail(err, FZ_ENOMEM, "conv2d: cannot allocate %zu bytes of scratch", need);
  }
  float *scratch = (float *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
  int64_t *maps = (int64_t *)(scratch + (size_t)nt * per_thread);
  if (g.cig == 1) conv_depthwise(&g, nt, out->data, x->data, w->data, bd, q, scratch, per_thread);
  else conv_im2col(&g, nt, out->data, x->data, w->data, bd, q, scratch, per_thread, maps);
  free(owned);
  return FZ_OK;
}
