// softmax.c — numerically stable softmax along one dim on the CPU: x viewed as [outer, len, inner];
// subtract the max, exponentiate (vectorised exp of vmath_nn.h), divide by the sum.
#include "cpu_nn.h"
#include "vmath_nn.h"

// Columns of the inner > 1 case processed together (their running max/sum live on the stack).
#define SM_COLS 256

// Softmax of one contiguous row x[0..len) into d (d may equal x). While the exp pass (compute-bound)
// runs, the next row (next, NULL for none) is prefetched, so the max pass of the next row hits cache.
static void softmax_row(float *d, const float *x, int64_t len, const float *next) {
  float m = -INFINITY;
  int nan = 0;
#pragma omp simd reduction(max : m) reduction(| : nan)
  for (int64_t i = 0; i < len; i++) {
    m = x[i] > m ? x[i] : m;
    nan |= x[i] != x[i];
  }
  if (nan) m = NAN;  // torch: a NaN anywhere in the row makes the whole row NaN
  float s = 0.0f;
  for (int64_t i0 = 0; i0 < len; i0 += 256) {
    int64_t i1 = i0 + 256 < len ? i0 + 256 : len;
    if (next)
      for (int64_t i = i0; i < i1; i += 16) __builtin_prefetch(next + i);
#pragma omp simd reduction(+ : s)
    for (int64_t i = i0; i < i1; i++) {
      float e = fz_vexp(x[i] - m);
      d[i] = e;
      s += e;
    }
  }
  float inv = 1.0f / s;
#pragma omp simd
  for (int64_t i = 0; i < len; i++) d[i] *= inv;
}

int fz_cpu_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t len, int64_t inner,
                   fz_err *err) {
  (void)err;
  if (outer == 0 || len == 0 || inner == 0) return FZ_OK;
  const float *xs = x->data;
  float *o = out->data;
  int nt = fz_cpu_threads(be);
  int64_t total = outer * len * inner;
  if (inner == 1) {
#pragma omp parallel for schedule(static) num_threads(nt) if (total > FZ_NN_PAR_MIN)
    for (int64_t r = 0; r < outer; r++) softmax_row(o + r * len, xs + r * len, len, r + 1 < outer ? xs + (r + 1) * len : NULL);
    return FZ_OK;
  }
  int64_t per = (inner + SM_COLS - 1) / SM_COLS, items = outer * per;
#pragma omp parallel for schedule(static) num_threads(nt) if (total > FZ_NN_PAR_MIN)
  for (int64_t it = 0; it < items; it++) {
    int64_t ob = it / per, j0 = (it % per) * SM_COLS, cw = inner - j0 < SM_COLS ? inner - j0 : SM_COLS;
    const float *xb = xs + ob * len * inner + j0;
    float *db = o + ob * len * inner + j0;
    float m[SM_COLS], s[SM_COLS];
    for (int64_t j = 0; j < cw; j++) { m[j] = -INFINITY; s[j] = 0.0f; }
    for (int64_t l = 0; l < len; l++) {
      const float *xr = xb + l * inner;
      for (int64_t j = 0; j < cw; j++) m[j] = (xr[j] > m[j] || xr[j] != xr[j] || m[j] != m[j]) ? (m[j] != m[j] ? m[j] : xr[j]) : m[j];
    }
    for (int64_t l = 0; l < len; l++) {
      const float *xr = xb + l * inner;
      float *dr = db + l * inner;
#pragma omp simd
      for (int64_t j = 0; j < cw; j++) {
        float e = fz_vexp(xr[j] - m[j]);
        dr[j] = e;
        s[j] += e;
      }
    }
    for (int64_t j = 0; j < cw; j++) s[j] = 1.0f / s[j];
    for (int64_t l = 0; l < len; l++) {
      float *dr = db + l * inner;
#pragma omp simd
      for (int64_t j = 0; j < cw; j++) dr[j] *= s[j];
    }
  }
  return FZ_OK;
}
