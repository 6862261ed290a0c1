// conv_transpose2d.c — transposed 2-D convolution on the CPU (PyTorch conv_transpose2d, NCHW f32):
// for a block of input pixels, cols[(co,ky,kx), p] = Σ_ci w[ci,co,ky,kx]·x[ci,p] by sgemm, then col2im
// scatter-adds each column into out[co, iy·s + ky·d - pad, ix·s + kx·d - pad]. Work items are (image,
// group, block of output channels), so no two threads ever add into the same output element.
#include "cpu_nn.h"
#include "vmath_nn.h"
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
  int64_t n, ci, h, w, co, g, cig, cog, kh, kw, ho, wo, kk;  // kk = kh·kw
  int sh, sw, pt, pl, dh, dw;
  int64_t chunk, nchunks, tile;  // output channels per item, items per (image, group), input pixels per block
} tgeom;

// Summarises x [N,Ci,H,W], w [Ci,Co/g,kh,kw] and params; picks channel chunks and pixel block size.
static tgeom make_tgeom(const int64_t *xs, const int64_t *ws, const fz_conv2d_params *q, int nt) {
  tgeom g;
  g.n = xs[0]; g.ci = xs[1]; g.h = xs[2]; g.w = xs[3];
  g.g = q->groups; g.cig = g.ci / g.g; g.cog = ws[1]; g.co = g.cog * g.g; g.kh = ws[2]; g.kw = ws[3]; g.kk = g.kh * g.kw;
  g.sh = q->stride_h; g.sw = q->stride_w; g.dh = q->dil_h; g.dw = q->dil_w; g.pt = q->pad_h; g.pl = q->pad_w;
  g.ho = (g.h - 1) * g.sh - 2 * (int64_t)q->pad_h - q->pad_h_extra + (int64_t)g.dh * (g.kh - 1) + q->out_pad_h + 1;
  g.wo = (g.w - 1) * g.sw - 2 * (int64_t)q->pad_w - q->pad_w_extra + (int64_t)g.dw * (g.kw - 1) + q->out_pad_w + 1;
  // Output-channel chunks per (image, group): fixed by the shapes, not by nt, so that the sgemm calls (and
  // their rounding) are the same for any thread count.
  int64_t planes = g.n * g.g, want = planes >= 4 ? 1 : (4 + planes - 1) / planes;
  (void)nt;
  g.nchunks = want < g.cog ? want : g.cog;
  if (g.nchunks < 1) g.nchunks = 1;
  g.chunk = (g.cog + g.nchunks - 1) / g.nchunks;
  g.nchunks = (g.cog + g.chunk - 1) / g.chunk;
  int64_t m = g.chunk * g.kk, t = m ? 131072 / m : 4096, p = g.h * g.w;
  if (t < 64) t = 64;
  g.tile = t < p ? t : p;
  return g;
}

// 1 when every output pixel receives exactly one kernel tap: stride = kernel size, no dilation, no
// padding, and the output exactly H·stride × W·stride (the 2×2 stride-2 Up blocks).
static int is_tiling(const tgeom *g) {
  return g->sh == g->kh && g->sw == g->kw && g->dh == 1 && g->dw == 1 && g->pt == 0 && g->pl == 0 &&
         g->ho == g->h * g->sh && g->wo == g->w * g->sw;
}

size_t fz_cpu_conv_transpose2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  int nt = fz_cpu_threads(be);
  tgeom g = make_tgeom(x_shape, w_shape, p, nt);
  size_t per = ((size_t)(g.chunk * g.kk * g.tile) * sizeof(float) + 63) & ~(size_t)63;
  return (size_t)nt * per + 64;
}

// Scatter-adds the block cols[(co-c0)·kk + ky·kw + kx, j] (input pixels p0..p0+tw) into out planes o (co planes).
// With tiles (non-overlapping kernels that cover the output exactly, see is_tiling) it assigns bias + value
// instead, so the output needs no initialisation pass.
static void col2im_block(float *o, const float *cols, const tgeom *g, int64_t c0, int64_t c1, int64_t p0, int64_t tw,
                         const float *bias, int tiles) {
  for (int64_t co = c0; co < c1; co++)
    for (int64_t ky = 0; ky < g->kh; ky++)
      for (int64_t kx = 0; kx < g->kw; kx++) {
        const float *row = cols + ((co - c0) * g->kk + ky * g->kw + kx) * tw;
        float *plane = o + co * g->ho * g->wo;
        int64_t off = kx * g->dw - g->pl;
        // ix range with 0 <= ix·sw + off < wo
        int64_t ix_lo = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
        int64_t ix_hi = g->wo - off <= 0 ? 0 : (g->wo - off + g->sw - 1) / g->sw;
        if (ix_hi > g->w) ix_hi = g->w;
        for (int64_t p = p0, end = p0 + tw; p < end;) {
          int64_t iy = p / g->w, ix0 = p % g->w, ix1 = end - iy * g->w < g->w ? end - iy * g->w : g->w;
          int64_t oy = iy * g->sh + ky * g->dh - g->pt;
          if (oy >= 0 && oy < g->ho) {
            float *orow = plane + oy * g->wo;   // orow[ix·sw + off] is output column of input column ix
            const float *r = row + (p - p0);    // r[ix - ix0] is the column value of input pixel (iy, ix)
            int64_t a = ix0 > ix_lo ? ix0 : ix_lo, b = ix1 < ix_hi ? ix1 : ix_hi;
            int64_t s = g->sw;
            if (tiles) {
              float bv = bias ? bias[co] : 0.0f;
              for (int64_t ix = a; ix < b; ix++) orow[ix * s + off] = bv + r[ix - ix0];
            } else if (s == 1) {
#pragma omp simd
              for (int64_t ix = a; ix < b; ix++) orow[ix + off] += r[ix - ix0];
            } else {
              for (int64_t ix = a; ix < b; ix++) orow[ix * s + off] += r[ix - ix0];
            }
          }
          p += ix1 - ix0;
        }
      }
}

int fz_cpu_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                            const fz_tensor *bias, const void *p, fz_err *err) {
  const fz_conv2d_params *q = p;
  int nt = fz_cpu_threads(be);
  tgeom g = make_tgeom(x->shape, w->shape, q, nt);
  if (g.n == 0 || g.co == 0) return FZ_OK;
  size_t per = ((size_t)(g.chunk * g.kk * g.tile) * sizeof(float) + 63) & ~(size_t)63;
  size_t need = (size_t)nt * per + 64;
  void *mem = q->workspace, *owned = NULL;
  if (!mem) {
    owned = mem = malloc(need);  // no caller workspace: scratch for this call only
    if (!owned) return fz_fail(err, FZ_ENOMEM, "conv_transpose2d: cannot allocate %zu bytes of scratch", need);
  }
  char *scratch = (char *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
  const float *xd = x->data, *wd = w->data, *bd = bias ? (const float *)bias->data : NULL;
  float *od = out->data;
  int64_t P = g.h * g.w, per_img = g.ho * g.wo, items = g.n * g.g * g.nchunks;
  int64_t ntiles = g.tile ? (P + g.tile - 1) / g.tile : 0;
  int tiles = is_tiling(&g);
#pragma omp parallel num_threads(nt) if (items > 1 && g.n * g.ci * P * g.cog * g.kk > 100000)
  {
#ifdef _OPENMP
    float *cols = (float *)(scratch + (size_t)omp_get_thread_num() * per);
#else
    float *cols = (float *)scratch;
#endif
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; it++) {
      int64_t ng = it / g.nchunks, ni = ng / g.g, gi = ng % g.g, c0 = (it % g.nchunks) * g.chunk;
      int64_t c1 = c0 + g.chunk < g.cog ? c0 + g.chunk : g.cog;
      float *o = od + (ni * g.co + gi * g.cog) * per_img;  // this group's output planes
      for (int64_t co = c0; co < c1 && !tiles; co++) {
        float bv = bd ? bd[gi * g.cog + co] : 0.0f;
        float *pl = o + co * per_img;
        for (int64_t j = 0; j < per_img; j++) pl[j] = bv;
      }
      const float *xg = xd + (ni * g.ci + gi * g.cig) * P;
      const float *wg = wd + gi * g.cig * g.cog * g.kk + c0 * g.kk;  // w[g·cig + ci, co, ky, kx]
      for (int64_t t = 0; t < ntiles; t++) {
        int64_t p0 = t * g.tile, tw = P - p0 < g.tile ? P - p0 : g.tile;
        fz_cpu_sgemm(1, 0, (c1 - c0) * g.kk, tw, g.cig, 1.0f, wg, g.cog * g.kk, xg + p0, P, 0.0f, cols, tw);
        col2im_block(o, cols, &g, c0, c1, p0, tw, bd ? bd + gi * g.cog : NULL, tiles);
      }
      if (q->act != FZ_ACT_NONE)
        for (int64_t co = c0; co < c1; co++) fz_cpu_act_row(o + co * per_img, o + co * per_img, per_img, q->act, q->act_p0, q->act_p1);
    }
  }
  free(owned);
  return FZ_OK;
}
