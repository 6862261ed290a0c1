// norm.c — normalisation on the CPU: LayerNorm over the last dim, LayerNorm over channels per pixel
// (NCHW LayerNorm2d), GroupNorm, BatchNorm (inference) and RMSNorm. Row and group statistics are accumulated
// in double (shifted by a pivot element, so E[x²]-E[x]² does not cancel); the per-pixel channel statistics
// use two float passes over a cached block. Outputs are written in one more pass.
#include "cpu_nn.h"
#include "vmath_nn.h"
#include <stdlib.h>

// Mean and 1/sqrt(var + eps) (biased variance) of x[0..n) in one pass: sums of (x - x[0]) and its square.
static void stats_row(const float *x, int64_t n, float eps, float *mean, float *rstd) {
  double p = n ? x[0] : 0.0, s = 0.0, q = 0.0;
#pragma omp simd reduction(+ : s, q)
  for (int64_t i = 0; i < n; i++) {
    double d = (double)x[i] - p;
    s += d;
    q += d * d;
  }
  double m = n ? s / (double)n : 0.0, v = n ? q / (double)n - m * m : 0.0;
  if (v < 0) v = 0;
  *mean = (float)(p + m);
  *rstd = (float)(1.0 / sqrt(v + (double)eps));
}

int fz_cpu_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                      const fz_tensor *beta, float eps, fz_err *err) {
  (void)err;
  int64_t c = x->shape[x->ndim - 1], rows = c ? fz_tensor_numel(x) / c : 0;
  const float *xs = x->data, *g = gamma ? (const float *)gamma->data : NULL, *b = beta ? (const float *)beta->data : NULL;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (rows * c > FZ_NN_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = xs + r * c;
    float *orow = o + r * c, mean, rstd;
    stats_row(xr, c, eps, &mean, &rstd);
    if (g && b) {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) orow[j] = (xr[j] - mean) * rstd * g[j] + b[j];
    } else if (g) {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) orow[j] = (xr[j] - mean) * rstd * g[j];
    } else {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) orow[j] = (xr[j] - mean) * rstd + (b ? b[j] : 0.0f);
    }
  }
  return FZ_OK;
}

// Pixels per block of the channel LayerNorm (their statistics live on the stack).
#define LNC_PIX 512

int fz_cpu_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                               const fz_tensor *beta, float eps, fz_err *err) {
  (void)err;
  int64_t n = x->shape[0], c = x->shape[1], s = (n && c) ? fz_tensor_numel(x) / (n * c) : 0;
  int64_t per = (s + LNC_PIX - 1) / LNC_PIX, items = n * per;
  const float *xs = x->data, *g = gamma ? (const float *)gamma->data : NULL, *b = beta ? (const float *)beta->data : NULL;
  float *o = out->data;
  float inv_c = c ? 1.0f / (float)c : 0.0f;
  // Two-pass statistics in float over a block of pixels (the block, C × LNC_PIX floats, stays in cache):
  // mean first, then the mean of squared deviations, so no cancellation.
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n * c * s > FZ_NN_PAR_MIN)
  for (int64_t it = 0; it < items; it++) {
    int64_t ni = it / per, p0 = (it % per) * LNC_PIX, w = s - p0 < LNC_PIX ? s - p0 : LNC_PIX;
    const float *xb = xs + ni * c * s + p0;
    float *ob = o + ni * c * s + p0;
    float mean[LNC_PIX], var[LNC_PIX];
    for (int64_t j = 0; j < w; j++) { mean[j] = 0; var[j] = 0; }
    for (int64_t ch = 0; ch < c; ch++) {
      const float *xr = xb + ch * s;
#pragma omp simd
      for (int64_t j = 0; j < w; j++) mean[j] += xr[j];
    }
#pragma omp simd
    for (int64_t j = 0; j < w; j++) mean[j] /= (float)c;  // a division: 1/c rounded would add an error
    for (int64_t ch = 0; ch < c; ch++) {
      const float *xr = xb + ch * s;
#pragma omp simd
      for (int64_t j = 0; j < w; j++) {
        float d = xr[j] - mean[j];
        var[j] = fmaf(d, d, var[j]);
      }
    }
#pragma omp simd
    for (int64_t j = 0; j < w; j++) var[j] = 1.0f / sqrtf(var[j] * inv_c + eps);  // now 1/std
    for (int64_t ch = 0; ch < c; ch++) {
      const float *xr = xb + ch * s;
      float *orow = ob + ch * s, gv = g ? g[ch] : 1.0f, bv = b ? b[ch] : 0.0f;
#pragma omp simd
      for (int64_t j = 0; j < w; j++) orow[j] = (xr[j] - mean[j]) * var[j] * gv + bv;
    }
  }
  return FZ_OK;
}

// Elements per chunk when a GroupNorm group is split over threads.
#define GN_CHUNK 65536

// Writes one channel row: out = x·scale + shift, then act, in chunks of 4096 that stay in L1 for the
// activation pass.
static void affine_act_row(float *o, const float *x, int64_t n, float scale, float shift, int act, float p0) {
  for (int64_t i0 = 0; i0 < n; i0 += 4096) {
    int64_t len = n - i0 < 4096 ? n - i0 : 4096;
    float *oc = o + i0;
    const float *xc = x + i0;
#pragma omp simd
    for (int64_t i = 0; i < len; i++) oc[i] = xc[i] * scale + shift;
    if (act != FZ_ACT_NONE) fz_cpu_act_row(oc, oc, len, act, p0, 0.0f);
  }
}

int fz_cpu_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma,
                      const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err) {
  int64_t n = x->shape[0], c = x->shape[1], s = (n && c) ? fz_tensor_numel(x) / (n * c) : 0;
  int64_t cg = c / groups, gsize = cg * s, ngroups = n * groups;
  const float *xs = x->data, *g = gamma ? (const float *)gamma->data : NULL, *b = beta ? (const float *)beta->data : NULL;
  float *o = out->data;
  int nt = fz_cpu_threads(be);
  if (ngroups == 0 || gsize == 0) return FZ_OK;
  if (ngroups >= 8 || gsize <= GN_CHUNK) {  // the path depends on the shapes only: same rounding for any nt
    // One group per item: statistics, then the output pass while the group is still in cache.
#pragma omp parallel for schedule(static) num_threads(nt) if (ngroups * gsize > FZ_NN_PAR_MIN)
    for (int64_t gi = 0; gi < ngroups; gi++) {
      const float *xg = xs + gi * gsize;
      float mean, rstd;
      stats_row(xg, gsize, eps, &mean, &rstd);
      int64_t c0 = (gi % groups) * cg;
      for (int64_t k = 0; k < cg; k++) {
        float sc = rstd * (g ? g[c0 + k] : 1.0f), sh = (b ? b[c0 + k] : 0.0f) - mean * sc;
        affine_act_row(o + gi * gsize + k * s, xg + k * s, s, sc, sh, act, act_p0);
      }
    }
    return FZ_OK;
  }
  // Few large groups: partial sums per chunk in parallel, then the output pass per chunk.
  int64_t per = (gsize + GN_CHUNK - 1) / GN_CHUNK, items = ngroups * per;
  double *part = malloc((size_t)items * 3 * sizeof *part);
  float *ms = malloc((size_t)ngroups * 2 * sizeof *ms);
  if (!part || !ms) {
    free(part); free(ms);
    return fz_fail(err, FZ_ENOMEM, "group_norm: cannot allocate %lld partial sums", (long long)items);
  }
#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (int64_t it = 0; it < items; it++) {
      int64_t gi = it / per, j0 = (it % per) * GN_CHUNK, len = gsize - j0 < GN_CHUNK ? gsize - j0 : GN_CHUNK;
      const float *xc = xs + gi * gsize + j0;
      double piv = xs[gi * gsize], sm = 0, sq = 0;
#pragma omp simd reduction(+ : sm, sq)
      for (int64_t i = 0; i < len; i++) {
        double d = (double)xc[i] - piv;
        sm += d;
        sq += d * d;
      }
      part[3 * it] = sm; part[3 * it + 1] = sq; part[3 * it + 2] = piv;
    }
#pragma omp for schedule(static)
    for (int64_t gi = 0; gi < ngroups; gi++) {
      double sm = 0, sq = 0;
      for (int64_t k = 0; k < per; k++) { sm += part[3 * (gi * per + k)]; sq += part[3 * (gi * per + k) + 1]; }
      double m = sm / (double)gsize, v = sq / (double)gsize - m * m;
      v = v < 0 ? 0 : v;
      ms[2 * gi] = (float)(part[3 * gi * per + 2] + m);
      ms[2 * gi + 1] = (float)(1.0 / sqrt(v + (double)eps));
    }
#pragma omp for schedule(static)
    for (int64_t it = 0; it < items; it++) {
      int64_t gi = it / per, j0 = (it % per) * GN_CHUNK, j1 = gsize - j0 < GN_CHUNK ? gsize : j0 + GN_CHUNK;
      int64_t c0 = (gi % groups) * cg;
      for (int64_t j = j0; j < j1;) {  // split the chunk at channel boundaries
        int64_t k = j / s, e = (k + 1) * s < j1 ? (k + 1) * s : j1;
        float sc = ms[2 * gi + 1] * (g ? g[c0 + k] : 1.0f), sh = (b ? b[c0 + k] : 0.0f) - ms[2 * gi] * sc;
        affine_act_row(o + gi * gsize + j, xs + gi * gsize + j, e - j, sc, sh, act, act_p0);
        j = e;
      }
    }
  }
  free(part); free(ms);
  return FZ_OK;
}

// Elements per chunk of a BatchNorm plane.
#define BN_CHUNK 16384

int fz_cpu_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean,
                      const fz_tensor *var, const fz_tensor *gamma, const fz_tensor *beta, float eps, int act,
                      float act_p0, fz_err *err) {
  (void)err;
  int64_t n = x->shape[0], c = x->shape[1], s = (n && c) ? fz_tensor_numel(x) / (n * c) : 0;
  int64_t per = (s + BN_CHUNK - 1) / BN_CHUNK, items = n * c * per;
  const float *xs = x->data, *mu = mean->data, *va = var->data;
  const float *g = gamma ? (const float *)gamma->data : NULL, *b = beta ? (const float *)beta->data : NULL;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n * c * s > FZ_NN_PAR_MIN)
  for (int64_t it = 0; it < items; it++) {
    int64_t pl = it / per, ch = pl % c, j0 = (it % per) * BN_CHUNK, len = s - j0 < BN_CHUNK ? s - j0 : BN_CHUNK;
    float sc = (float)((g ? g[ch] : 1.0) / sqrt((double)va[ch] + (double)eps));
    float sh = (b ? b[ch] : 0.0f) - mu[ch] * sc;
    affine_act_row(o + pl * s + j0, xs + pl * s + j0, len, sc, sh, act, act_p0);
  }
  return FZ_OK;
}

int fz_cpu_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps,
                    fz_err *err) {
  (void)err;
  int64_t c = x->shape[x->ndim - 1], rows = c ? fz_tensor_numel(x) / c : 0;
  const float *xs = x->data, *g = gamma ? (const float *)gamma->data : NULL;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (rows * c > FZ_NN_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = xs + r * c;
    float *orow = o + r * c;
    double q = 0.0;
#pragma omp simd reduction(+ : q)
    for (int64_t j = 0; j < c; j++) q += (double)xr[j] * xr[j];
    float rs = (float)(1.0 / sqrt(q / (double)c + (double)eps));
    if (g) {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) orow[j] = xr[j] * rs * g[j];
    } else {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) orow[j] = xr[j] * rs;
    }
  }
  return FZ_OK;
}
