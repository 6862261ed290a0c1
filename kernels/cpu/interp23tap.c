// interp23tap.c — the DLPan/Pansharpening-toolbox LMS interpolator (interp23tap.m): ×2 stages of zero
// insertion followed by a separable 23-tap symmetric FIR with circular border, in double precision.
#include "cpu_fir.h"
#include <stdlib.h>
#include <string.h>

void fz_interp23tap_kernel(double k[23]) {
  // interp23tap.m: CDF23 = 2·[0.5 0.305334091185 0 -0.072698593239 0 0.021809577942 0 -0.005192756653 0
  // 0.000807762146 0 -0.000060081482], mirrored about the centre tap.
  static const double half[12] = {0.5, 0.305334091185, 0, -0.072698593239, 0, 0.021809577942, 0,
                                  -0.005192756653, 0, 0.000807762146, 0, -0.000060081482};
  for (int i = 0; i < 12; i++) {
    k[11 + i] = 2.0 * half[i];
    k[11 - i] = 2.0 * half[i];
  }
}

int fz_interp23tap_f64(const double *in, int h, int w, int ratio, double *out, fz_err *err) {
  if (ratio < 2 || (ratio & (ratio - 1)) != 0 || ratio > 64)
    return fz_fail(err, FZ_EINVAL, "interp23tap: ratio %d, expected a power of 2 in 2..64", ratio);
  if (h < 1 || w < 1) return fz_fail(err, FZ_EINVAL, "interp23tap: plane %dx%d must be non-empty", h, w);
  double k[23];
  fz_interp23tap_kernel(k);
  size_t fin = (size_t)h * ratio * (size_t)w * ratio;
  double *cur = malloc(fin * sizeof *cur), *nxt = malloc(fin * sizeof *nxt);
  if (!cur || !nxt) { free(cur); free(nxt); return fz_fail(err, FZ_ENOMEM, "interp23tap: no memory for %zu samples", fin); }
  memcpy(cur, in, (size_t)h * w * sizeof *cur);
  int ch = h, cw = w, rc = FZ_OK;
  for (int stage = 0; (1 << stage) < ratio && !rc; stage++) {
    int nh = 2 * ch, nw = 2 * cw;
    int off = stage == 0 ? 1 : 0;  // first stage fills 1-based even positions (2:2:end), later ones 1:2:end
    memset(nxt, 0, (size_t)nh * nw * sizeof *nxt);
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) nxt[(size_t)(2 * y + off) * nw + 2 * x + off] = cur[(size_t)y * cw + x];
    rc = fz_fir_sep_f64(nxt, nh, nw, k, 23, k, 23, FZ_FIR_PAD_CIRCULAR, cur, err);
    ch = nh;
    cw = nw;
  }
  if (!rc) memcpy(out, cur, fin * sizeof *out);
  free(cur);
  free(nxt);
  return rc;
}

int fz_cpu_interp23tap(const fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3];
  int64_t OH = H * ratio, OW = W * ratio;
  const float *xi = in->data;
  float *yo = out->data;
  int failed = 0, nt = fz_cpu_threads(be);
#pragma omp parallel for schedule(dynamic) num_threads(nt)
  for (int64_t p = 0; p < N * C; p++) {
    double *a = malloc((size_t)(H * W + OH * OW) * sizeof *a);
    if (!a) { failed = 1; continue; }
    double *b = a + H * W;
    for (int64_t i = 0; i < H * W; i++) a[i] = xi[p * H * W + i];
    if (fz_interp23tap_f64(a, (int)H, (int)W, ratio, b, NULL)) failed = 1;
    else
      for (int64_t i = 0; i < OH * OW; i++) yo[p * OH * OW + i] = (float)b[i];
    free(a);
  }
  if (failed) return fz_fail(err, FZ_ENOMEM, "interp23tap: no memory for a %lldx%lld plane", (long long)OH, (long long)OW);
  return FZ_OK;
}
