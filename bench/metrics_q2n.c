// metrics_q2n.c — Q2n (Q4 / Q8 / any band count) of the DLPan-Toolbox: q2n.m, onions_quality.m,
// onion_mult.m, onion_mult2D.m, norm_blocco.m, replicated operation by operation (including the
// uint16 cast, mirror padding to whole blocks, zero bands up to a power of two, and the σ = 0 → eps
// and mean = 0 special cases) in double precision.
#include "metrics.h"
#include "metrics_util.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// onion_mult.m: ris = o1·o2 in the Cayley–Dickson algebra of dimension n (a power of 2).
// s is scratch of at least 8n doubles.
static void onion_mult(const double *o1, const double *o2, int n, double *ris, double *s) {
  if (n == 1) { ris[0] = o1[0] * o2[0]; return; }
  int L = n / 2;
  const double *a = o1, *c = o2;
  double *b = s, *d = s + L, *bc = s + 2 * L, *ac = s + 3 * L, *r1 = s + 4 * L, *r2 = s + 5 * L, *r3 = s + 6 * L,
         *r4 = s + 7 * L, *sub = s + 8 * L;
  for (int i = 0; i < L; i++) {
    b[i] = i ? -o1[L + i] : o1[L];  // b = [b(1), -b(2:end)]
    d[i] = i ? -o2[L + i] : o2[L];
  }
  if (n == 2) {
    ris[0] = a[0] * c[0] - d[0] * b[0];
    ris[1] = a[0] * d[0] + c[0] * b[0];
    return;
  }
  for (int i = 0; i < L; i++) {
    bc[i] = i ? -b[i] : b[i];
    ac[i] = i ? -a[i] : a[i];
  }
  onion_mult(a, c, L, r1, sub);
  onion_mult(d, bc, L, r2, sub);
  onion_mult(ac, d, L, r3, sub);
  onion_mult(c, b, L, r4, sub);
  for (int i = 0; i < L; i++) {
    ris[i] = r1[i] - r2[i];
    ris[L + i] = r3[i] + r4[i];
  }
}

// std2 of an h×w plane: sqrt(Σ(x − mean)² / (n − 1)), sums in column-major order.
static double std2(const double *p, int h, int w, double mean) {
  double s = 0;
  for (int x = 0; x < w; x++)
    for (int y = 0; y < h; y++) {
      double d = p[(size_t)y * w + x] - mean;
      s += d * d;
    }
  return sqrt(s / ((double)h * w - 1));
}

// onions_quality.m on B×B blocks d1 (GT) and d2 (fused), N3 bands each (band-major, modified in place).
// Writes the N3 hypercomplex components of q. wk is scratch of 2·B² + 24·N3 doubles.
static void onions_quality(double *d1, double *d2, int B, int N3, double *q, double *wk) {
  size_t bb = (size_t)B * B;
  double n = (double)B * B, nn = n / (n - 1);
  double *mq1 = wk, *mq2 = wk + bb, *m1 = wk + 2 * bb, *m2 = m1 + N3, *v1 = m2 + N3, *v2 = v1 + N3, *pr = v2 + N3,
         *scr = pr + N3;
  for (size_t i = bb; i < (size_t)N3 * bb; i++) d2[i] = -d2[i];  // dat2 = cat(3, dat2(:,:,1), -dat2(:,:,2:end))
  for (int b = 0; b < N3; b++) {
    double *x = d1 + b * bb, *y = d2 + b * bb;
    double s = fz_mu_mean2(x, B, B), t = std2(x, B, B, s);  // norm_blocco: [y, a = mean2, c = std2 or eps]
    if (t == 0) t = DBL_EPSILON;
    for (size_t i = 0; i < bb; i++) x[i] = ((x[i] - s) / t) + 1;
    if (s == 0) {
      if (b == 0) for (size_t i = 0; i < bb; i++) y[i] = y[i] - s + 1;
      else for (size_t i = 0; i < bb; i++) y[i] = -(-y[i] - s + 1);
    } else {
      if (b == 0) for (size_t i = 0; i < bb; i++) y[i] = ((y[i] - s) / t) + 1;
      else for (size_t i = 0; i < bb; i++) y[i] = -(((-y[i] - s) / t) + 1);
    }
  }
  double q1m = 0, q2m = 0;
  memset(mq1, 0, 2 * bb * sizeof *mq1);
  for (int b = 0; b < N3; b++) {
    const double *x = d1 + b * bb, *y = d2 + b * bb;
    m1[b] = fz_mu_mean2(x, B, B);
    m2[b] = fz_mu_mean2(y, B, B);
    q1m += m1[b] * m1[b];
    q2m += m2[b] * m2[b];
    for (size_t i = 0; i < bb; i++) {
      mq1[i] += x[i] * x[i];
      mq2[i] += y[i] * y[i];
    }
  }
  q1m = sqrt(q1m);
  q2m = sqrt(q2m);
  for (size_t i = 0; i < bb; i++) {  // mod_q = sqrt(...), then mod_q.^2 as MATLAB does
    double a = sqrt(mq1[i]), c = sqrt(mq2[i]);
    mq1[i] = a * a;
    mq2[i] = c * c;
  }
  double termine2 = q1m * q2m, termine4 = q1m * q1m + q2m * q2m;
  double int1 = nn * fz_mu_mean2(mq1, B, B), int2 = nn * fz_mu_mean2(mq2, B, B);
  double termine3 = int1 + int2 - nn * (q1m * q1m + q2m * q2m);
  double mean_bias = 2 * termine2 / termine4;
  if (termine3 == 0) {
    for (int b = 0; b < N3; b++) q[b] = 0;
    q[N3 - 1] = mean_bias;
    return;
  }
  double cbm = 2 / termine3;
  // qu = onion_mult2D(dat1, dat2) is the per-pixel product; qv needs only its band sums, accumulated
  // pixel by pixel in MATLAB's column-major order
  for (int b = 0; b < N3; b++) q[b] = 0;
  for (int x = 0; x < B; x++)
    for (int y = 0; y < B; y++) {
      size_t i = (size_t)y * B + x;
      for (int b = 0; b < N3; b++) {
        v1[b] = d1[b * bb + i];
        v2[b] = d2[b * bb + i];
      }
      onion_mult(v1, v2, N3, pr, scr);
      for (int b = 0; b < N3; b++) q[b] += pr[b];
    }
  onion_mult(m1, m2, N3, pr, scr);  // qm
  for (int b = 0; b < N3; b++) {
    double qv = nn * (q[b] / n);
    q[b] = ((qv - nn * pr[b]) * mean_bias) * cbm;
  }
}

// Mirror-pads band plane src (h×w) to (h+e1)×(w+e2) as q2n.m does (columns first, then rows, both
// mirrored including the edge sample), casting to uint16 (round half away, saturate), into dst.
static void pad_cast(const double *src, int h, int w, int e1, int e2, double *dst) {
  int W = w + e2, H = h + e1;
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) dst[(size_t)y * W + x] = src[(size_t)y * w + x];
    for (int x = 0; x < e2; x++) dst[(size_t)y * W + w + x] = src[(size_t)y * w + (w - 1 - x)];
  }
  for (int y = 0; y < e1; y++) memcpy(dst + (size_t)(h + y) * W, dst + (size_t)(h - 1 - y) * W, (size_t)W * sizeof *dst);
  for (size_t i = 0; i < (size_t)H * W; i++) {
    double v = round(dst[i]);  // C round(): half away from zero, as MATLAB's uint16()
    dst[i] = v < 0 ? 0 : v > 65535 ? 65535 : v;
  }
}

int fz_metric_q2n(const fz_mimg *ref, const fz_mimg *fus, int block, int shift, double *out, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "Q2n: reference", fus, "Q2n: fused", err);
  if (rc) return rc;
  if (block < 2 || block > 4096 || shift < 1 || shift > block)
    return fz_fail(err, FZ_EINVAL, "Q2n: block %d and shift %d, expected 2 <= block <= 4096 and 1 <= shift <= block", block,
                   shift);
  int N1 = ref->h, N2 = ref->w, C = ref->c;
  int stepx = (N1 + shift - 1) / shift, stepy = (N2 + shift - 1) / shift;
  int est1 = (stepx - 1) * shift + block - N1, est2 = (stepy - 1) * shift + block - N2;
  if (est1 > N1 || est2 > N2)
    return fz_fail(err, FZ_EINVAL, "Q2n: image %dx%d is too small to mirror-pad to whole %dx%d blocks (needs %d rows, %d columns)",
                   N1, N2, block, block, est1, est2);
  int N3 = 1;
  while (N3 < C) N3 *= 2;
  int H = N1 + est1, W = N2 + est2;
  size_t HW = (size_t)H * W, bb = (size_t)block * block;
  double *gt = calloc((size_t)N3 * HW, sizeof *gt), *fu = calloc((size_t)N3 * HW, sizeof *fu);
  double *b1 = malloc((size_t)N3 * bb * sizeof *b1), *b2 = malloc((size_t)N3 * bb * sizeof *b2);
  double *wk = malloc((2 * bb + 24 * (size_t)N3) * sizeof *wk), *q = malloc((size_t)N3 * sizeof *q);
  double *map = malloc((size_t)stepx * stepy * sizeof *map);
  if (!gt || !fu || !b1 || !b2 || !wk || !q || !map) {
    free(gt); free(fu); free(b1); free(b2); free(wk); free(q); free(map);
    return fz_fail(err, FZ_ENOMEM, "Q2n: no memory for a %dx%dx%d image", N3, H, W);
  }
  size_t hw = (size_t)N1 * N2;
  for (int c = 0; c < C; c++) {
    pad_cast(ref->p + c * hw, N1, N2, est1, est2, gt + c * HW);
    pad_cast(fus->p + c * hw, N1, N2, est1, est2, fu + c * HW);
  }
  for (int j = 0; j < stepx; j++)
    for (int i = 0; i < stepy; i++) {
      for (int c = 0; c < N3; c++)
        for (int y = 0; y < block; y++) {
          size_t s = c * HW + (size_t)(j * shift + y) * W + (size_t)i * shift;
          memcpy(b1 + c * bb + (size_t)y * block, gt + s, (size_t)block * sizeof *b1);
          memcpy(b2 + c * bb + (size_t)y * block, fu + s, (size_t)block * sizeof *b2);
        }
      onions_quality(b1, b2, block, N3, q, wk);
      double s2 = 0;
      for (int c = 0; c < N3; c++) s2 += q[c] * q[c];
      map[(size_t)j * stepy + i] = sqrt(s2);
    }
  *out = fz_mu_mean2(map, stepx, stepy);
  free(gt); free(fu); free(b1); free(b2); free(wk); free(q); free(map);
  return FZ_OK;
}
