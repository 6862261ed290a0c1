// metrics_ivf.c — visible/infrared, multi-exposure and multi-focus fusion metrics with the definitions of
// the evaluator the CDDFuse family publishes (MMIF-CDDFuse utils/Evaluator.py @ fd8da1f): EN, SD, SF, AG,
// MI (sklearn mutual_info_score, nats), SCD, VIF (VIFF, 4 scales), Qabf, SSIM (skimage structural_similarity,
// 7×7 uniform window). Images are grey H×W doubles (the papers' pipeline: 8-bit values, rounded).
#include "metrics.h"
#include "metrics_util.h"
#include "backend.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Checks that img is one grey band of at least min×min finite samples.
static int need_grey(const fz_mimg *img, const char *what, int min, fz_err *err) {
  int rc = fz_mimg_check(img, what, err);
  if (rc) return rc;
  if (img->c != 1) return fz_fail(err, FZ_EINVAL, "%s: %d bands, expected one grey band (convert with fz_ivf_grey)", what, img->c);
  if (img->h < min || img->w < min)
    return fz_fail(err, FZ_EINVAL, "%s: %dx%d, expected at least %dx%d", what, img->h, img->w, min, min);
  return FZ_OK;
}

int fz_ivf_grey(const fz_mimg *img, double *out, fz_err *err) {
  int rc = fz_mimg_check(img, "grey conversion", err);
  if (rc) return rc;
  if (img->c != 1 && img->c != 3)
    return fz_fail(err, FZ_EINVAL, "grey conversion: %d bands, expected 1 (grey) or 3 (RGB)", img->c);
  size_t hw = (size_t)img->h * img->w;
  for (size_t i = 0; i < hw; i++) {
    if (img->c == 1) out[i] = nearbyint(img->p[i]);
    else {  // cv2.cvtColor(BGR2GRAY) on float32: B·0.114 + G·0.587 + R·0.299 in single precision, then np.round
      float r = (float)img->p[i], g = (float)img->p[hw + i], b = (float)img->p[2 * hw + i];
      float y = b * 0.114f + g * 0.587f + r * 0.299f;
      out[i] = nearbyint((double)y);  // round half to even, as np.round
    }
  }
  return FZ_OK;
}

int fz_ivf_en(const fz_mimg *f, double *out, fz_err *err) {
  int rc = need_grey(f, "EN", 1, err);
  if (rc) return rc;
  size_t n = (size_t)f->h * f->w;
  double hist[256] = {0};
  for (size_t i = 0; i < n; i++) {  // np.uint8(np.round(img)): the 8-bit value (saturated here)
    double v = nearbyint(f->p[i]);
    hist[v < 0 ? 0 : v > 255 ? 255 : (int)v] += 1;
  }
  double e = 0;
  for (int k = 0; k < 256; k++) {
    double p = hist[k] / (double)n;
    if (p > 0) e -= p * log2(p);
  }
  *out = e;
  return FZ_OK;
}

int fz_ivf_sd(const fz_mimg *f, double *out, fz_err *err) {
  int rc = need_grey(f, "SD", 1, err);
  if (rc) return rc;
  size_t n = (size_t)f->h * f->w;
  double m = 0, s = 0;
  for (size_t i = 0; i < n; i++) m += f->p[i];
  m /= (double)n;
  for (size_t i = 0; i < n; i++) s += (f->p[i] - m) * (f->p[i] - m);
  *out = sqrt(s / (double)n);  // np.std: population
  return FZ_OK;
}

int fz_ivf_sf(const fz_mimg *f, double *out, fz_err *err) {
  int rc = need_grey(f, "SF", 2, err);
  if (rc) return rc;
  int h = f->h, w = f->w;
  double rf = 0, cf = 0;
  for (int y = 0; y < h; y++)
    for (int x = 1; x < w; x++) {
      double d = f->p[(size_t)y * w + x] - f->p[(size_t)y * w + x - 1];
      rf += d * d;
    }
  for (int y = 1; y < h; y++)
    for (int x = 0; x < w; x++) {
      double d = f->p[(size_t)y * w + x] - f->p[(size_t)(y - 1) * w + x];
      cf += d * d;
    }
  *out = sqrt(rf / ((double)h * (w - 1)) + cf / ((double)(h - 1) * w));
  return FZ_OK;
}

int fz_ivf_ag(const fz_mimg *f, double *out, fz_err *err) {
  int rc = need_grey(f, "AG", 2, err);
  if (rc) return rc;
  int h = f->h, w = f->w;
  const double *p = f->p;
  double s = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double gx = x == 0 ? p[(size_t)y * w + 1] - p[(size_t)y * w]
                  : x == w - 1 ? p[(size_t)y * w + x] - p[(size_t)y * w + x - 1]
                               : (p[(size_t)y * w + x + 1] - p[(size_t)y * w + x - 1]) / 2;
      double gy = y == 0 ? p[w + (size_t)x] - p[x]
                  : y == h - 1 ? p[(size_t)y * w + x] - p[(size_t)(y - 1) * w + x]
                               : (p[(size_t)(y + 1) * w + x] - p[(size_t)(y - 1) * w + x]) / 2;
      s += sqrt((gx * gx + gy * gy) / 2);
    }
  *out = s / ((double)h * w);
  return FZ_OK;
}

typedef struct { double a, b; } pair_t;
static int cmp_d(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}
static int cmp_pair(const void *x, const void *y) {
  const pair_t *a = x, *b = y;
  return a->a < b->a ? -1 : a->a > b->a ? 1 : a->b < b->b ? -1 : a->b > b->b;
}
// Count of v among the sorted array s (n values).
static double count_of(const double *s, size_t n, double v) {
  size_t lo = 0, hi = n;
  while (lo < hi) { size_t m = (lo + hi) / 2; if (s[m] < v) lo = m + 1; else hi = m; }
  size_t a = lo;
  hi = n;
  while (lo < hi) { size_t m = (lo + hi) / 2; if (s[m] <= v) lo = m + 1; else hi = m; }
  return (double)(lo - a);
}

// sklearn.metrics.mutual_info_score(x, y) in nats: every distinct value is a label.
static int mutual_info(const double *x, const double *y, size_t n, double *out, fz_err *err) {
  int small = 1;  // 8-bit integer data (the usual case): a 256×256 joint histogram instead of sorting
  for (size_t i = 0; i < n && small; i++)
    small = x[i] >= 0 && x[i] <= 255 && y[i] >= 0 && y[i] <= 255 && x[i] == floor(x[i]) && y[i] == floor(y[i]);
  if (small) {
    double *j = calloc(256 * 256 + 512, sizeof *j);
    if (!j) return fz_fail(err, FZ_ENOMEM, "MI: no memory");
    double *px = j + 65536, *py = px + 256, N = (double)n, mi = 0;
    for (size_t i = 0; i < n; i++) {
      int a = (int)x[i], b = (int)y[i];
      j[a * 256 + b] += 1;
      px[a] += 1;
      py[b] += 1;
    }
    for (int a = 0; a < 256; a++)
      for (int b = 0; b < 256; b++) {
        double nij = j[a * 256 + b];
        if (nij == 0) continue;
        double cnm = nij / N, t = cnm * (log(nij) - log(N)) + cnm * (-log(px[a] * py[b]) + log(N) + log(N));
        if (fabs(t) >= DBL_EPSILON) mi += t;
      }
    free(j);
    *out = mi < 0 ? 0 : mi;
    return FZ_OK;
  }
  pair_t *pr = malloc(n * sizeof *pr);
  double *sx = malloc(n * sizeof *sx), *sy = malloc(n * sizeof *sy);
  if (!pr || !sx || !sy) { free(pr); free(sx); free(sy); return fz_fail(err, FZ_ENOMEM, "MI: no memory"); }
  for (size_t i = 0; i < n; i++) {
    pr[i].a = sx[i] = x[i];
    pr[i].b = sy[i] = y[i];
  }
  qsort(pr, n, sizeof *pr, cmp_pair);
  qsort(sx, n, sizeof *sx, cmp_d);
  qsort(sy, n, sizeof *sy, cmp_d);
  double N = (double)n, mi = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && pr[j].a == pr[i].a && pr[j].b == pr[i].b) j++;
    double nij = (double)(j - i), pi = count_of(sx, n, pr[i].a), pj = count_of(sy, n, pr[i].b);
    double cnm = nij / N;
    double log_outer = -log(pi * pj) + log(N) + log(N);
    double t = cnm * (log(nij) - log(N)) + cnm * log_outer;
    if (fabs(t) >= DBL_EPSILON) mi += t;
    i = j;
  }
  free(pr); free(sx); free(sy);
  *out = mi < 0 ? 0 : mi;
  return FZ_OK;
}

// Pearson-style correlation Σ(a−ā)(b−b̄)/sqrt(Σ(a−ā)² Σ(b−b̄)²) of n samples.
static double corr(const double *a, const double *b, size_t n) {
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= (double)n;
  mb /= (double)n;
  for (size_t i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / sqrt(saa * sbb);
}

// 'valid' correlation of an h×w plane with the separable n×n kernel g⊗g (g: n taps); out is (h-n+1)×(w-n+1),
// tmp holds h×(w-n+1).
static void corr_valid(const double *img, int h, int w, const double *g, int n, double *tmp, double *out) {
  int oh = h - n + 1, ow = w - n + 1;
  // taps in the outer loop, pixels in the inner one (vectorises); every output still sums taps 0..n-1 in order
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++) {
    double *t = tmp + (size_t)y * ow;
    const double *r = img + (size_t)y * w;
    for (int x = 0; x < ow; x++) t[x] = g[0] * r[x];
    for (int j = 1; j < n; j++)
      for (int x = 0; x < ow; x++) t[x] += g[j] * r[x + j];
  }
#pragma omp parallel for schedule(static)
  for (int y = 0; y < oh; y++) {
    double *o = out + (size_t)y * ow;
    for (int x = 0; x < ow; x++) o[x] = g[0] * tmp[(size_t)y * ow + x];
    for (int i = 1; i < n; i++) {
      const double *t = tmp + (size_t)(y + i) * ow;
      for (int x = 0; x < ow; x++) o[x] += g[i] * t[x];
    }
  }
}

// Evaluator.compare_viff(ref, dist): pixel-domain VIF over 4 scales; 1.0 when the ratio is NaN.
static int compare_viff(const double *ref0, const double *dist0, int h0, int w0, double *out, fz_err *err) {
  size_t n0 = (size_t)h0 * w0;
  double *ref = malloc(n0 * sizeof *ref), *dist = malloc(n0 * sizeof *dist), *tmp = malloc(n0 * sizeof *tmp);
  double *b = malloc(7 * n0 * sizeof *b);  // 6 maps of the current scale plus the row-pass scratch
  if (!ref || !dist || !tmp || !b) { free(ref); free(dist); free(tmp); free(b); return fz_fail(err, FZ_ENOMEM, "VIF: no memory"); }
  memcpy(ref, ref0, n0 * sizeof *ref);
  memcpy(dist, dist0, n0 * sizeof *dist);
  int h = h0, w = w0;
  double num = 0, den = 0, sigma_nsq = 2, eps = 1e-10;
  for (int scale = 1; scale <= 4; scale++) {
    // fspecial-style Gaussian N×N, sd = N/5: no tap falls below eps·max for these sizes, so the normalised
    // window is the outer product of the normalised 1-D Gaussian
    int N = (1 << (5 - scale)) + 1;
    double sd = N / 5.0, win[17], sum = 0;
    for (int i = 0; i < N; i++) {
      double x = i - (N - 1) / 2.0;
      sum += win[i] = exp(-(x * x) / (2 * sd * sd));
    }
    for (int i = 0; i < N; i++) win[i] /= sum;
    if (scale > 1) {  // filter, then keep every second row and column
      int vh = h - N + 1, vw = w - N + 1;
      if (vh < 1 || vw < 1) { free(ref); free(dist); free(tmp); free(b); return fz_fail(err, FZ_EINVAL, "VIF: image too small for 4 scales"); }
      double *src[2] = {ref, dist};
      int nh = (vh + 1) / 2, nw = (vw + 1) / 2;
      for (int s = 0; s < 2; s++) {
        corr_valid(src[s], h, w, win, N, b, tmp);
        for (int y = 0; y < nh; y++)
          for (int x = 0; x < nw; x++) src[s][(size_t)y * nw + x] = tmp[(size_t)(2 * y) * vw + 2 * x];
      }
      h = nh;
      w = nw;
    }
    int oh = h - N + 1, ow = w - N + 1;
    if (oh < 1 || ow < 1) { free(ref); free(dist); free(tmp); free(b); return fz_fail(err, FZ_EINVAL, "VIF: image too small for 4 scales"); }
    size_t on = (size_t)oh * ow, n = (size_t)h * w;
    double *mu1 = b, *mu2 = b + on, *s11 = mu2 + on, *s22 = s11 + on, *s12 = s22 + on, *sq = s12 + on;
    corr_valid(ref, h, w, win, N, tmp, mu1);
    corr_valid(dist, h, w, win, N, tmp, mu2);
    for (size_t i = 0; i < n; i++) sq[i] = ref[i] * ref[i];
    corr_valid(sq, h, w, win, N, tmp, s11);
    for (size_t i = 0; i < n; i++) sq[i] = dist[i] * dist[i];
    corr_valid(sq, h, w, win, N, tmp, s22);
    for (size_t i = 0; i < n; i++) sq[i] = ref[i] * dist[i];
    corr_valid(sq, h, w, win, N, tmp, s12);
    for (size_t i = 0; i < on; i++) {
      double sg1 = s11[i] - mu1[i] * mu1[i], sg2 = s22[i] - mu2[i] * mu2[i], sg12 = s12[i] - mu1[i] * mu2[i];
      if (sg1 < 0) sg1 = 0;
      if (sg2 < 0) sg2 = 0;
      double g = sg12 / (sg1 + eps), sv = sg2 - g * sg12;
      if (sg1 < eps) { g = 0; sv = sg2; sg1 = 0; }
      if (sg2 < eps) { g = 0; sv = 0; }
      if (g < 0) { sv = sg2; g = 0; }
      if (sv <= eps) sv = eps;
      num += log10(1 + g * g * sg1 / (sv + sigma_nsq));
      den += log10(1 + sg1 / sigma_nsq);
    }
  }
  free(ref); free(dist); free(tmp); free(b);
  double v = num / den;
  *out = isnan(v) ? 1.0 : v;
  return FZ_OK;
}

// Qabf_getArray: Sobel magnitude g and angle a (atan(Sy/Sx), π/2 where Sx = 0) by true 'same' convolution.
static void qabf_array(const double *img, int h, int w, double *g, double *a) {
  static const double h1[9] = {1, 2, 1, 0, 0, 0, -1, -2, -1}, h3[9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double sx = 0, sy = 0;
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {  // convolution: out[y,x] = Σ k[i,j]·img[y+1−i, x+1−j]
          int yy = y + 1 - i, xx = x + 1 - j;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          double v = img[(size_t)yy * w + xx];
          sx += h3[i * 3 + j] * v;
          sy += h1[i * 3 + j] * v;
        }
      size_t k = (size_t)y * w + x;
      g[k] = sqrt(sx * sx + sy * sy);
      a[k] = sx == 0 ? M_PI / 2 : atan(sy / sx);
    }
}

// Qabf_getQabf for one pixel: edge-strength and orientation preservation of source (gA, aA) in F.
static double qabf_q(double aA, double gA, double aF, double gF) {
  double G = gA > gF ? gF / gA : gA == gF ? gF : gA / gF;
  double A = 1 - fabs(aA - aF) / (M_PI / 2);
  double qg = 0.9994 / (1 + exp(-15 * (G - 0.5))), qa = 0.9879 / (1 + exp(-22 * (A - 0.8)));
  return qg * qa;
}

int fz_ivf_ssim(const fz_mimg *x, const fz_mimg *y, double data_range, double *out, fz_err *err) {
  int rc = need_grey(x, "SSIM", 7, err);
  if (!rc) rc = need_grey(y, "SSIM", 7, err);
  if (!rc) rc = fz_mimg_check_pair(x, "SSIM: fused", y, "SSIM: source", err);
  if (rc) return rc;
  if (!(data_range > 0)) return fz_fail(err, FZ_EINVAL, "SSIM: data range %g, expected > 0", data_range);
  int h = x->h, w = x->w;
  size_t n = (size_t)h * w;
  int pw = w + 6, ph = h + 6;
  double *m = malloc((5 * n + 2 * (size_t)ph * pw + (size_t)ph * w) * sizeof *m);
  if (!m) return fz_fail(err, FZ_ENOMEM, "SSIM: no memory");
  // skimage: uniform_filter(size 7, mode 'reflect' = edge-repeating mirror), sample covariance 49/48
  double C1 = (0.01 * data_range) * (0.01 * data_range), C2 = (0.03 * data_range) * (0.03 * data_range), cn = 49.0 / 48;
  double *px = m + 5 * n, *py = px + (size_t)ph * pw, *tmp = py + (size_t)ph * pw;
  for (int yy = 0; yy < ph; yy++)
    for (int xx = 0; xx < pw; xx++) {
      size_t k = (size_t)fz_fir_pad_index(yy - 3, h, FZ_FIR_PAD_SYMMETRIC) * w + fz_fir_pad_index(xx - 3, w, FZ_FIR_PAD_SYMMETRIC);
      px[(size_t)yy * pw + xx] = x->p[k];
      py[(size_t)yy * pw + xx] = y->p[k];
    }
  double *prod = malloc((size_t)ph * pw * sizeof *prod);
  if (!prod) { free(m); return fz_fail(err, FZ_ENOMEM, "SSIM: no memory"); }
  for (int q = 0; q < 5; q++) {
    const double *src = q == 0 ? px : q == 1 ? py : prod;
    if (q >= 2)
      for (size_t k = 0; k < (size_t)ph * pw; k++) prod[k] = q == 2 ? px[k] * px[k] : q == 3 ? py[k] * py[k] : px[k] * py[k];
#pragma omp parallel for schedule(static)
    for (int yy = 0; yy < ph; yy++) {
      double *t = tmp + (size_t)yy * w;
      const double *r = src + (size_t)yy * pw;
      for (int xx = 0; xx < w; xx++) t[xx] = r[xx];
      for (int j = 1; j < 7; j++)
        for (int xx = 0; xx < w; xx++) t[xx] += r[xx + j];
    }
#pragma omp parallel for schedule(static)
    for (int yy = 0; yy < h; yy++) {
      double *o = m + q * n + (size_t)yy * w;
      for (int xx = 0; xx < w; xx++) o[xx] = tmp[(size_t)yy * w + xx];
      for (int i = 1; i < 7; i++)
        for (int xx = 0; xx < w; xx++) o[xx] += tmp[(size_t)(yy + i) * w + xx];
      for (int xx = 0; xx < w; xx++) o[xx] /= 49;
    }
  }
  free(prod);
  double acc = 0;
  for (int yy = 3; yy < h - 3; yy++)
    for (int xx = 3; xx < w - 3; xx++) {
      size_t k = (size_t)yy * w + xx;
      double ux = m[k], uy = m[n + k];
      double vx = cn * (m[2 * n + k] - ux * ux), vy = cn * (m[3 * n + k] - uy * uy), vxy = cn * (m[4 * n + k] - ux * uy);
      acc += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
    }
  free(m);
  *out = acc / ((double)(h - 6) * (w - 6));
  return FZ_OK;
}

void fz_ivf_opts_default(fz_ivf_opts *o) { o->ssim_range = 2; }

int fz_metrics_ivf(const fz_mimg *fused, const fz_mimg *a, const fz_mimg *b, const fz_ivf_opts *o, fz_ivf_scores *s,
                   fz_err *err) {
  int rc = need_grey(fused, "fused", 7, err);
  if (!rc) rc = need_grey(a, "source A", 7, err);
  if (!rc) rc = need_grey(b, "source B", 7, err);
  if (!rc) rc = fz_mimg_check_pair(fused, "fused", a, "source A", err);
  if (!rc) rc = fz_mimg_check_pair(fused, "fused", b, "source B", err);
  if (rc) return rc;
  int h = fused->h, w = fused->w;
  size_t n = (size_t)h * w;
  rc = fz_ivf_en(fused, &s->en, err);
  if (!rc) rc = fz_ivf_sd(fused, &s->sd, err);
  if (!rc) rc = fz_ivf_sf(fused, &s->sf, err);
  if (!rc) rc = fz_ivf_ag(fused, &s->ag, err);
  double m1, m2;
  if (!rc) rc = mutual_info(fused->p, a->p, n, &m1, err);
  if (!rc) rc = mutual_info(fused->p, b->p, n, &m2, err);
  if (rc) return rc;
  s->mi = m1 + m2;
  double *d = malloc(6 * n * sizeof *d);
  if (!d) return fz_fail(err, FZ_ENOMEM, "IVF metrics: no memory");
  for (size_t i = 0; i < n; i++) {  // SCD: corr(A, F − B) + corr(B, F − A)
    d[i] = fused->p[i] - b->p[i];
    d[n + i] = fused->p[i] - a->p[i];
  }
  s->scd = corr(a->p, d, n) + corr(b->p, d + n, n);
  double v1 = 0, v2 = 0;
  rc = compare_viff(a->p, fused->p, h, w, &v1, err);
  if (!rc) rc = compare_viff(b->p, fused->p, h, w, &v2, err);
  s->vif = v1 + v2;
  if (!rc) {
    double *gA = d, *aA = d + n, *gB = d + 2 * n, *aB = d + 3 * n, *gF = d + 4 * n, *aF = d + 5 * n, num = 0, den = 0;
    qabf_array(a->p, h, w, gA, aA);
    qabf_array(b->p, h, w, gB, aB);
    qabf_array(fused->p, h, w, gF, aF);
    for (size_t i = 0; i < n; i++) {
      den += gA[i] + gB[i];
      num += qabf_q(aA[i], gA[i], aF[i], gF[i]) * gA[i] + qabf_q(aB[i], gB[i], aF[i], gF[i]) * gB[i];
    }
    s->qabf = num / den;
  }
  free(d);
  double s1 = 0, s2 = 0;
  if (!rc) rc = fz_ivf_ssim(fused, a, o->ssim_range, &s1, err);
  if (!rc) rc = fz_ivf_ssim(fused, b, o->ssim_range, &s2, err);
  s->ssim = s1 + s2;
  return rc;
}
