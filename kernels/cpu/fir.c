// fir.c — 2-D FIR filtering with MATLAB imfilter semantics (correlation, 'same' output, zero /
// replicate / symmetric / circular borders), in double precision, plus the CPU backend op on f32 tensors.
#include "cpu_fir.h"
#include <stdlib.h>
#include <string.h>

const char *fz_fir_pad_name(fz_fir_pad pad) {
  switch (pad) {
    case FZ_FIR_PAD_ZERO: return "zero";
    case FZ_FIR_PAD_REPLICATE: return "replicate";
    case FZ_FIR_PAD_SYMMETRIC: return "symmetric";
    case FZ_FIR_PAD_CIRCULAR: return "circular";
  }
  return "?";
}

// Maps index i into [0, n) under pad (n >= 1); -1 for zero padding outside.
int64_t fz_fir_pad_index(int64_t i, int64_t n, fz_fir_pad pad) {
  if (i >= 0 && i < n) return i;
  switch (pad) {
    case FZ_FIR_PAD_ZERO: return -1;
    case FZ_FIR_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    case FZ_FIR_PAD_SYMMETRIC: {  // period 2n: 0..n-1, n-1..0
      int64_t m = i % (2 * n);
      if (m < 0) m += 2 * n;
      return m < n ? m : 2 * n - 1 - m;
    }
    case FZ_FIR_PAD_CIRCULAR: {
      int64_t m = i % n;
      return m < 0 ? m + n : m;
    }
  }
  return -1;
}

static int check_pad(fz_fir_pad pad, const char *op, fz_err *err) {
  if ((int)pad < FZ_FIR_PAD_ZERO || (int)pad > FZ_FIR_PAD_CIRCULAR)
    return fz_fail(err, FZ_EINVAL, "%s: pad mode %d, expected 0..3 (zero, replicate, symmetric, circular)", op, (int)pad);
  return FZ_OK;
}

// Builds the (h+kh-1)×(w+kw-1) padded copy of an h×w plane for a kh×kw kernel centred at ((kh-1)/2, (kw-1)/2).
static double *pad_plane(const double *in, int h, int w, int kh, int kw, fz_fir_pad pad, fz_err *err) {
  int ph = h + kh - 1, pw = w + kw - 1, cy = (kh - 1) / 2, cx = (kw - 1) / 2;
  double *p = malloc((size_t)ph * (size_t)pw * sizeof *p);
  if (!p) { fz_fail(err, FZ_ENOMEM, "fir2d: no memory for a %dx%d padded plane", ph, pw); return NULL; }
  int64_t *xi = malloc((size_t)pw * sizeof *xi);
  if (!xi) { free(p); fz_fail(err, FZ_ENOMEM, "fir2d: no memory"); return NULL; }
  for (int x = 0; x < pw; x++) xi[x] = fz_fir_pad_index(x - cx, w, pad);
  for (int y = 0; y < ph; y++) {
    int64_t sy = fz_fir_pad_index(y - cy, h, pad);
    double *row = p + (size_t)y * pw;
    if (sy < 0) { memset(row, 0, (size_t)pw * sizeof *row); continue; }
    const double *src = in + (size_t)sy * w;
    for (int x = 0; x < pw; x++) row[x] = xi[x] < 0 ? 0.0 : src[xi[x]];
  }
  free(xi);
  return p;
}

int fz_fir2d_f64(const double *in, int h, int w, const double *k, int kh, int kw, fz_fir_pad pad, double *out, fz_err *err) {
  int rc = check_pad(pad, "fir2d", err);
  if (rc) return rc;
  if (h < 1 || w < 1 || kh < 1 || kw < 1)
    return fz_fail(err, FZ_EINVAL, "fir2d: plane %dx%d and kernel %dx%d must be non-empty", h, w, kh, kw);
  double *p = pad_plane(in, h, w, kh, kw, pad, err);
  if (!p) return err ? err->code : FZ_ENOMEM;
  int pw = w + kw - 1;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++) {
    double *o = out + (size_t)y * w;
    for (int x = 0; x < w; x++) o[x] = 0.0;
    for (int i = 0; i < kh; i++) {
      const double *src = p + (size_t)(y + i) * pw;
      for (int j = 0; j < kw; j++) {
        double kv = k[(size_t)i * kw + j];
        if (kv == 0.0) continue;
        const double *s = src + j;
        for (int x = 0; x < w; x++) o[x] += kv * s[x];
      }
    }
  }
  free(p);
  return FZ_OK;
}

int fz_fir_sep_f64(const double *in, int h, int w, const double *ky, int kh, const double *kx, int kw, fz_fir_pad pad,
                   double *out, fz_err *err) {
  int rc = check_pad(pad, "fir_sep", err);
  if (rc) return rc;
  if (h < 1 || w < 1 || kh < 1 || kw < 1)
    return fz_fail(err, FZ_EINVAL, "fir_sep: plane %dx%d and taps %d, %d must be non-empty", h, w, kh, kw);
  double *tmp = malloc((size_t)h * w * sizeof *tmp);
  double *line = malloc((size_t)((h > w ? h : w) + (kh > kw ? kh : kw)) * sizeof *line);
  if (!tmp || !line) { free(tmp); free(line); return fz_fail(err, FZ_ENOMEM, "fir_sep: no memory for %dx%d", h, w); }
  int cx = (kw - 1) / 2, cy = (kh - 1) / 2;
  for (int y = 0; y < h; y++) {  // along x
    const double *src = in + (size_t)y * w;
    for (int x = 0; x < w + kw - 1; x++) {
      int64_t s = fz_fir_pad_index(x - cx, w, pad);
      line[x] = s < 0 ? 0.0 : src[s];
    }
    for (int x = 0; x < w; x++) {
      double acc = 0;
      for (int j = 0; j < kw; j++) acc += kx[j] * line[x + j];
      tmp[(size_t)y * w + x] = acc;
    }
  }
  for (int x = 0; x < w; x++) {  // along y
    for (int y = 0; y < h + kh - 1; y++) {
      int64_t s = fz_fir_pad_index(y - cy, h, pad);
      line[y] = s < 0 ? 0.0 : tmp[(size_t)s * w + x];
    }
    for (int y = 0; y < h; y++) {
      double acc = 0;
      for (int i = 0; i < kh; i++) acc += ky[i] * line[y + i];
      out[(size_t)y * w + x] = acc;
    }
  }
  free(tmp);
  free(line);
  return FZ_OK;
}

int fz_cpu_fir2d(const fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, int pad, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3];
  int kh = (int)kernel->shape[kernel->ndim - 2], kw = (int)kernel->shape[kernel->ndim - 1];
  int per_channel = kernel->ndim == 3;
  const float *ki = kernel->data, *xi = in->data;
  float *yo = out->data;
  int nk = per_channel ? (int)C : 1;
  double *kd = malloc((size_t)nk * kh * kw * sizeof *kd);
  if (!kd) return fz_fail(err, FZ_ENOMEM, "fir2d: no memory");
  for (int64_t i = 0; i < (int64_t)nk * kh * kw; i++) kd[i] = ki[i];
  int failed = 0;
  int nt = fz_cpu_threads(be);
#pragma omp parallel for schedule(dynamic) num_threads(nt)
  for (int64_t p = 0; p < N * C; p++) {
    double *a = malloc((size_t)(H * W) * 2 * sizeof *a);
    if (!a) { failed = 1; continue; }
    double *b = a + H * W;
    for (int64_t i = 0; i < H * W; i++) a[i] = xi[p * H * W + i];
    const double *k = kd + (per_channel ? (p % C) : 0) * kh * kw;
    if (fz_fir2d_f64(a, (int)H, (int)W, k, kh, kw, (fz_fir_pad)pad, b, NULL)) failed = 1;
    else
      for (int64_t i = 0; i < H * W; i++) yo[p * H * W + i] = (float)b[i];
    free(a);
  }
  free(kd);
  if (failed) return fz_fail(err, FZ_ENOMEM, "fir2d: no memory for a %lldx%lld plane", (long long)H, (long long)W);
  return FZ_OK;
}
