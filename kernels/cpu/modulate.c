// modulate.c — adaLN conditioning on the CPU: modulate x·(1+scale)+shift and the gated residual
// residual + gate·y, with per-(batch, channel) factors in NCHW ([B,C,*]) or token ([B,*,C]) layout.
#include "cpu_nn.h"

// Splits x [B, ...] into the (b, c, inner) or (b, rows, c) view of layout; returns B·(middle) rows.
static void bc_view(const fz_tensor *x, int layout, int64_t *b, int64_t *c, int64_t *mid) {
  int64_t n = fz_tensor_numel(x);
  *b = x->shape[0];
  *c = layout == FZ_LAYOUT_NCHW ? x->shape[1] : x->shape[x->ndim - 1];
  *mid = (*b && *c) ? n / (*b * *c) : 0;  // NCHW: pixels per plane; NLC: tokens per batch
}

int fz_cpu_modulate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift,
                    const fz_tensor *scale, int layout, fz_err *err) {
  (void)err;
  int64_t B, C, M;
  bc_view(x, layout, &B, &C, &M);
  const float *xs = x->data, *sh = shift ? (const float *)shift->data : NULL, *sc = scale ? (const float *)scale->data : NULL;
  float *o = out->data;
  int64_t rows = layout == FZ_LAYOUT_NCHW ? B * C : B * M, len = layout == FZ_LAYOUT_NCHW ? M : C;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (rows * len > FZ_NN_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = xs + r * len;
    float *orow = o + r * len;
    if (layout == FZ_LAYOUT_NCHW) {  // row r is plane (b, c): one factor pair for the whole plane
      float s = 1.0f + (sc ? sc[r] : 0.0f), t = sh ? sh[r] : 0.0f;
#pragma omp simd
      for (int64_t j = 0; j < len; j++) orow[j] = xr[j] * s + t;
    } else {  // row r is token (b, m): factors indexed by channel
      int64_t b = r / M;
      const float *s = sc ? sc + b * C : NULL, *t = sh ? sh + b * C : NULL;
      if (s && t) {
#pragma omp simd
        for (int64_t j = 0; j < len; j++) orow[j] = xr[j] * (1.0f + s[j]) + t[j];
      } else if (s) {
#pragma omp simd
        for (int64_t j = 0; j < len; j++) orow[j] = xr[j] * (1.0f + s[j]);
      } else if (t) {
#pragma omp simd
        for (int64_t j = 0; j < len; j++) orow[j] = xr[j] + t[j];
      } else if (orow != xr) {
        for (int64_t j = 0; j < len; j++) orow[j] = xr[j];
      }
    }
  }
  return FZ_OK;
}

int fz_cpu_gate_residual(const fz_backend *be, fz_tensor *out, const fz_tensor *residual, const fz_tensor *gate,
                         const fz_tensor *y, int layout, fz_err *err) {
  (void)err;
  int64_t B, C, M;
  bc_view(residual, layout, &B, &C, &M);
  const float *rs = residual->data, *ys = y->data, *g = gate ? (const float *)gate->data : NULL;
  float *o = out->data;
  int64_t rows = layout == FZ_LAYOUT_NCHW ? B * C : B * M, len = layout == FZ_LAYOUT_NCHW ? M : C;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (rows * len > FZ_NN_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const float *rr = rs + r * len, *yr = ys + r * len;
    float *orow = o + r * len;
    if (!g) {
#pragma omp simd
      for (int64_t j = 0; j < len; j++) orow[j] = rr[j] + yr[j];
    } else if (layout == FZ_LAYOUT_NCHW) {
      float gv = g[r];
#pragma omp simd
      for (int64_t j = 0; j < len; j++) orow[j] = rr[j] + gv * yr[j];
    } else {
      const float *gr = g + (r / M) * C;
#pragma omp simd
      for (int64_t j = 0; j < len; j++) orow[j] = rr[j] + gr[j] * yr[j];
    }
  }
  return FZ_OK;
}
