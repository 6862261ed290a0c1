// activation.c — elementwise activations (ReLU, LeakyReLU, GELU erf/tanh, SiLU, sigmoid, softplus, sin,
// tanh) and gated units (SimpleGate, GEGLU, SwiGLU halves) on the CPU, with vectorised math of vmath_nn.h.
#include "cpu_nn.h"
#include "vmath_nn.h"
#include <string.h>

// One `omp simd` loop per activation kind so that each is vectorised (a switch inside a loop is not).
#define ACT_LOOP(expr)                                 \
  do {                                                 \
    _Pragma("omp simd") for (int64_t i = 0; i < n; i++) { \
      float v = src[i];                                \
      dst[i] = (expr);                                 \
    }                                                  \
  } while (0)

void fz_cpu_act_row(float *dst, const float *src, int64_t n, int act, float p0, float p1) {
  switch (act) {
    case FZ_ACT_RELU: ACT_LOOP(v > 0.0f ? v : (v != v ? v : 0.0f)); break;
    case FZ_ACT_LEAKY_RELU: ACT_LOOP(v > 0.0f ? v : v * p0); break;
    case FZ_ACT_GELU: ACT_LOOP(fz_vgelu(v)); break;
    case FZ_ACT_GELU_TANH: ACT_LOOP(fz_vgelu_tanh(v)); break;
    case FZ_ACT_SILU: ACT_LOOP(v / (1.0f + fz_vexp(-v))); break;
    case FZ_ACT_SIGMOID: ACT_LOOP(fz_vsigmoid(v)); break;
    case FZ_ACT_SOFTPLUS: ACT_LOOP(fz_vsoftplus(v, p0, p1)); break;
    case FZ_ACT_SIN:
      for (int64_t i0 = 0; i0 < n; i0 += 256) {  // blocks: the input is kept for the libm fix-up (dst may be src)
        float tmp[256];
        int64_t len = n - i0 < 256 ? n - i0 : 256, big = 0;
        memcpy(tmp, src + i0, (size_t)len * sizeof *tmp);
#pragma omp simd reduction(+ : big)
        for (int64_t i = 0; i < len; i++) {
          dst[i0 + i] = fz_vsin(tmp[i]);
          big += !(fabsf(tmp[i]) <= 8192.0f);
        }
        if (big)
          for (int64_t i = 0; i < len; i++)
            if (!(fabsf(tmp[i]) <= 8192.0f)) dst[i0 + i] = sinf(tmp[i]);  // exact range reduction
      }
      break;
    case FZ_ACT_TANH: ACT_LOOP(fz_vtanh(v)); break;
    default:
      if (dst != src)
        for (int64_t i = 0; i < n; i++) dst[i] = src[i];
      break;
  }
}

// Elements per parallel chunk of an elementwise op (a multiple of 64 bytes).
#define ACT_CHUNK 16384

int fz_cpu_act(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int act, float p0, float p1, fz_err *err) {
  (void)err;
  int64_t n = fz_tensor_numel(x), nchunks = (n + ACT_CHUNK - 1) / ACT_CHUNK;
  const float *xs = x->data;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > FZ_NN_PAR_MIN)
  for (int64_t c = 0; c < nchunks; c++) {
    int64_t i0 = c * ACT_CHUNK, len = n - i0 < ACT_CHUNK ? n - i0 : ACT_CHUNK;
    fz_cpu_act_row(o + i0, xs + i0, len, act, p0, p1);
  }
  return FZ_OK;
}

int fz_cpu_glu(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t half, int64_t inner,
               int act, float p0, fz_err *err) {
  (void)err;
  // For each o < outer the a-half x[o, :half, :] and the b-half x[o, half:, :] are contiguous blocks of
  // hi = half·inner elements; out[o] is one such block. Items are (o, chunk of ACT_CHUNK elements).
  int64_t hi = half * inner, per = (hi + ACT_CHUNK - 1) / ACT_CHUNK, items = outer * per;
  const float *xs = x->data;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (outer * hi > FZ_NN_PAR_MIN)
  for (int64_t it = 0; it < items; it++) {
    int64_t oo = it / per, j0 = (it % per) * ACT_CHUNK, len = hi - j0 < ACT_CHUNK ? hi - j0 : ACT_CHUNK;
    const float *a = xs + oo * 2 * hi + j0, *b = a + hi;
    float *d = o + oo * hi + j0;
    if (act == FZ_ACT_NONE) {
#pragma omp simd
      for (int64_t j = 0; j < len; j++) d[j] = a[j] * b[j];
    } else {
      fz_cpu_act_row(d, b, len, act, p0, 0.0f);
#pragma omp simd
      for (int64_t j = 0; j < len; j++) d[j] *= a[j];
    }
  }
  return FZ_OK;
}
