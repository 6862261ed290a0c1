// resample.c — F.interpolate (nearest, bilinear, bicubic; no antialias) on the CPU with PyTorch's CPU index and
// weight formulas evaluated in f32 as PyTorch does (area_pixel_compute_scale / _source_index, nearest_idx,
// guard_index_and_lambda, cubic convolution with A = -0.75). Per output dim the taps are precomputed once;
// linear modes then run separably (along W, then along H) in bands of output rows, parallel over bands.
#include "cpu_seq.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

// Taps of one output coordinate: up to 4 source indices and weights.
typedef struct { int64_t i[4]; float w[4]; } taps;

// PyTorch area_pixel_compute_scale: (in-1)/(out-1) with align_corners, else 1/scale_factor or in/out.
static float area_scale(int64_t in, int64_t out, int align, double sf) {
  if (align) return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
  return sf > 0 ? (float)(1.0 / sf) : (float)in / (float)out;
}
// PyTorch area_pixel_compute_source_index (linear modes clamp negatives to 0; cubic does not).
static float source_index(float scale, int64_t dst, int align, int cubic) {
  if (align) return scale * (float)dst;
  float src = scale * ((float)dst + 0.5f) - 0.5f;
  return (!cubic && src < 0.0f) ? 0.0f : src;
}
// PyTorch guard_index_and_lambda: index = min(floor(src), in-1), lambda clamped to [0, 1].
static int64_t guard(float src, int64_t in, float *lambda) {
  int64_t i = (int64_t)floorf(src);
  if (i > in - 1) i = in - 1;
  float l = src - (float)i;
  *lambda = l < 0.0f ? 0.0f : l > 1.0f ? 1.0f : l;
  return i;
}
// Keys cubic convolution weights for fractional offset t, A = -0.75 (PyTorch get_cubic_upsample_coefficients).
static void cubic_coeffs(float w[4], float t) {
  const float A = -0.75f;
  float x1 = t + 1.0f, x2 = 1.0f - t, x3 = 2.0f - t;
  w[0] = ((A * x1 - 5.0f * A) * x1 + 8.0f * A) * x1 - 4.0f * A;
  w[1] = ((A + 2.0f) * t - (A + 3.0f)) * t * t + 1.0f;
  w[2] = ((A + 2.0f) * x2 - (A + 3.0f)) * x2 * x2 + 1.0f;
  w[3] = ((A * x3 - 5.0f * A) * x3 + 8.0f * A) * x3 - 4.0f * A;
}

// Fills tp[0..out) for one dimension.
static void make_taps(taps *tp, int64_t in, int64_t out, int mode, int align, double sf) {
  for (int64_t o = 0; o < out; o++) {
    taps *t = tp + o;
    if (mode == 0) {  // PyTorch nearest_idx
      int64_t i;
      if (out == in) i = o;
      else if (out == 2 * in) i = o >> 1;
      else {
        float s = sf > 0 ? (float)(1.0 / sf) : (float)in / (float)out;
        i = (int64_t)floorf((float)o * s);
        if (i > in - 1) i = in - 1;
      }
      t->i[0] = i; t->w[0] = 1.0f;
    } else if (mode == 1) {
      float lambda, scale = area_scale(in, out, align, sf);
      int64_t i = guard(source_index(scale, o, align, 0), in, &lambda);
      t->i[0] = i; t->i[1] = i + (i < in - 1 ? 1 : 0);
      t->w[0] = 1.0f - lambda; t->w[1] = lambda;
    } else {
      float lambda, scale = area_scale(in, out, align, sf);
      int64_t i = guard(source_index(scale, o, align, 1), in, &lambda);
      cubic_coeffs(t->w, lambda);
      for (int j = 0; j < 4; j++) {
        int64_t k = i - 1 + j;
        t->i[j] = k < 0 ? 0 : k > in - 1 ? in - 1 : k;
      }
    }
  }
}

// F.interpolate of the planes of x [..,H,W] to out [..,Ho,Wo] (nearest, bilinear, bicubic).
int fz_cpu_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners,
                       double scale_h, double scale_w, fz_err *err) {
  const int nd = x->ndim;
  const int64_t H = x->shape[nd - 2], W = x->shape[nd - 1], Ho = out->shape[nd - 2], Wo = out->shape[nd - 1];
  const int64_t P = fz_tensor_numel(x) / (H * W);  // H, W >= 1 (checked by the wrapper)
  const int nth = fz_cpu_threads(be);
  taps *ty = malloc(sizeof(taps) * (size_t)(Ho + Wo));
  if (!ty) return fz_fail(err, FZ_ENOMEM, "interpolate: no memory for %lld taps", (long long)(Ho + Wo));
  taps *tx = ty + Ho;
  make_taps(ty, H, Ho, mode, align_corners, scale_h);
  make_taps(tx, W, Wo, mode, align_corners, scale_w);
  const float *xd = x->data;
  float *od = out->data;
  if (mode == 0) {
#pragma omp parallel for schedule(static) num_threads(nth) if (P * Ho * Wo > 32768)
    for (int64_t t = 0; t < P * Ho; t++) {
      const float *row = xd + (t / Ho * H + ty[t % Ho].i[0]) * W;
      float *o = od + t * Wo;
      for (int64_t ox = 0; ox < Wo; ox++) o[ox] = row[tx[ox].i[0]];
    }
    free(ty);
    return FZ_OK;
  }
  // Separable, in bands of output rows: for each (plane, band) the input rows the band reads are interpolated
  // along W into per-thread scratch (a few rows: stays in cache), then each output row of the band is the
  // weighted sum of its 2 or 4 scratch rows. Same products and the same order of additions as PyTorch's CPU
  // kernel: out = Σ_j wy_j·(Σ_k wx_k·x[y_j][x_k]), first term assigned, then +=.
  const int nt = mode == 1 ? 2 : 4;
  int64_t ob = 65536 / Wo;  // output rows per band: about 256 KB of output
  ob = ob < 4 ? 4 : ob > Ho ? Ho : ob;
  const int64_t nbands = (Ho + ob - 1) / ob;
  int64_t maxrows = 1;  // taps are non-decreasing in the output index, so a band reads one contiguous range
  for (int64_t k = 0; k < nbands; k++) {
    int64_t o0 = k * ob, o1 = (o0 + ob < Ho ? o0 + ob : Ho) - 1, rows = ty[o1].i[nt - 1] - ty[o0].i[0] + 1;
    if (rows > maxrows) maxrows = rows;
  }
  float *tmp = malloc(sizeof(float) * (size_t)(maxrows * Wo * nth));
  if (!tmp) {
    free(ty);
    return fz_fail(err, FZ_ENOMEM, "interpolate: no memory for %lld scratch rows of %lld", (long long)(maxrows * nth),
                   (long long)Wo);
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (P * Ho * Wo > 32768)
  for (int64_t task = 0; task < P * nbands; task++) {
#ifdef _OPENMP
    float *buf = tmp + (int64_t)omp_get_thread_num() * maxrows * Wo;
#else
    float *buf = tmp;
#endif
    const int64_t p = task / nbands, o0 = task % nbands * ob, o1 = o0 + ob < Ho ? o0 + ob : Ho;
    const int64_t y0 = ty[o0].i[0], y1 = ty[o1 - 1].i[nt - 1];
    for (int64_t y = y0; y <= y1; y++) {  // along W
      const float *row = xd + (p * H + y) * W;
      float *o = buf + (y - y0) * Wo;
      if (nt == 2) {
        for (int64_t ox = 0; ox < Wo; ox++) {
          const taps *b = tx + ox;
          o[ox] = row[b->i[0]] * b->w[0] + row[b->i[1]] * b->w[1];
        }
      } else {
        for (int64_t ox = 0; ox < Wo; ox++) {
          const taps *b = tx + ox;
          float s = row[b->i[0]] * b->w[0];
          s += row[b->i[1]] * b->w[1];
          s += row[b->i[2]] * b->w[2];
          s += row[b->i[3]] * b->w[3];
          o[ox] = s;
        }
      }
    }
    for (int64_t oy = o0; oy < o1; oy++) {  // along H
      const taps *a = ty + oy;
      const float *t0 = buf + (a->i[0] - y0) * Wo, *t1 = buf + (a->i[1] - y0) * Wo;
      float *o = od + (p * Ho + oy) * Wo, w0 = a->w[0], w1 = a->w[1];
      if (nt == 2) {
#pragma omp simd
        for (int64_t ox = 0; ox < Wo; ox++) o[ox] = t0[ox] * w0 + t1[ox] * w1;
      } else {
        const float *t2 = buf + (a->i[2] - y0) * Wo, *t3 = buf + (a->i[3] - y0) * Wo;
        float w2 = a->w[2], w3 = a->w[3];
#pragma omp simd
        for (int64_t ox = 0; ox < Wo; ox++) {
          float s = t0[ox] * w0;
          s += t1[ox] * w1;
          s += t2[ox] * w2;
          s += t3[ox] * w3;
          o[ox] = s;
        }
      }
    }
  }
  free(tmp); free(ty);
  return FZ_OK;
}
