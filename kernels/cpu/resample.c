// resample.c — F.interpolate (nearest, bilinear, bicubic; no antialias) on the CPU with PyTorch's CPU index and
// weight formulas evaluated in f32 as PyTorch does (area_pixel_compute_scale / _source_index, nearest_idx,
// guard_index_and_lambda, cubic convolution with A = -0.75). Per output dim the taps are precomputed once;
// then every plane is a gather-and-weight pass, parallel over (plane, output row).
#include "cpu_seq.h"
#include <math.h>
#include <stdlib.h>

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

int fz_cpu_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners,
                       double scale_h, double scale_w, fz_err *err) {
  const int nd = x->ndim;
  const int64_t H = x->shape[nd - 2], W = x->shape[nd - 1], Ho = out->shape[nd - 2], Wo = out->shape[nd - 1];
  const int64_t P = fz_tensor_numel(x) / (H * W);  // H, W >= 1 (checked by the wrapper)
  taps *ty = malloc(sizeof(taps) * (size_t)(Ho + Wo));
  if (!ty) return fz_fail(err, FZ_ENOMEM, "interpolate: no memory for %lld taps", (long long)(Ho + Wo));
  taps *tx = ty + Ho;
  make_taps(ty, H, Ho, mode, align_corners, scale_h);
  make_taps(tx, W, Wo, mode, align_corners, scale_w);
  const int nt = mode == 0 ? 1 : mode == 1 ? 2 : 4;
  const float *xd = x->data;
  float *od = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (P * Ho * Wo > 32768)
  for (int64_t t = 0; t < P * Ho; t++) {
    int64_t p = t / Ho, oy = t % Ho;
    const taps *a = ty + oy;
    const float *plane = xd + p * H * W;
    float *o = od + t * Wo;
    if (nt == 1) {
      const float *row = plane + a->i[0] * W;
      for (int64_t ox = 0; ox < Wo; ox++) o[ox] = row[tx[ox].i[0]];
    } else if (nt == 2) {
      const float *r0 = plane + a->i[0] * W, *r1 = plane + a->i[1] * W;
      float wy0 = a->w[0], wy1 = a->w[1];
      for (int64_t ox = 0; ox < Wo; ox++) {
        const taps *b = tx + ox;
        float t0 = r0[b->i[0]] * b->w[0] + r0[b->i[1]] * b->w[1];
        float t1 = r1[b->i[0]] * b->w[0] + r1[b->i[1]] * b->w[1];
        o[ox] = t0 * wy0 + t1 * wy1;
      }
    } else {
      const float *r[4];
      for (int j = 0; j < 4; j++) r[j] = plane + a->i[j] * W;
      for (int64_t ox = 0; ox < Wo; ox++) {
        const taps *b = tx + ox;
        float acc = 0.0f;
        for (int j = 0; j < 4; j++) {
          float s = r[j][b->i[0]] * b->w[0];
          for (int k = 1; k < 4; k++) s += r[j][b->i[k]] * b->w[k];
          acc = j == 0 ? s * a->w[0] : acc + s * a->w[j];
        }
        o[ox] = acc;
      }
    }
  }
  free(ty);
  return FZ_OK;
}
