// mtf.c — sensor MTF gain tables and the genMTF.m filter design (fspecial Gaussian, kaiser, fwind1 /
// fsamp2), reproduced operation by operation in double precision; MTF.m / MTF_PAN.m filtering.
#include "mtf.h"
#include "backend.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct { const char *alias, *canon; } sensor_alias;
static const sensor_alias k_aliases[] = {
    {"WV3", "WV3"},         {"WorldView-3", "WV3"}, {"WorldView3", "WV3"}, {"WV2", "WV2"},
    {"WorldView-2", "WV2"}, {"WorldView2", "WV2"},  {"WV4", "WV4"},        {"WorldView-4", "WV4"},
    {"QB", "QB"},           {"QuickBird", "QB"},    {"IKONOS", "IKONOS"},  {"IK", "IKONOS"},
    {"GeoEye1", "GeoEye1"}, {"GeoEye-1", "GeoEye1"}, {"GE1", "GeoEye1"},   {"GeoEye", "GeoEye1"},
    {"GF2", "GF2"},         {"Gaofen-2", "GF2"},    {"GaoFen2", "GF2"},    {"none", "none"},
    {"L8", "L8"},           {"Landsat8", "L8"},     {"Landsat-8", "L8"},   {"OLI", "L8"},
    {"L7", "L7"},           {"Landsat7", "L7"},     {"Landsat-7", "L7"},   {"ETM+", "L7"},
};

const char *fz_sensor_canonical(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof k_aliases / sizeof k_aliases[0]; i++)
    if (!strcasecmp(name, k_aliases[i].alias)) return k_aliases[i].canon;
  return NULL;
}

const char *fz_sensor_fr_alias(const char *name) {
  const char *c = fz_sensor_canonical(name);
  if (c && (!strcmp(c, "QB") || !strcmp(c, "GF2"))) return "IKONOS";
  return c ? c : name;
}

int fz_mtf_ms_gnyq(const char *sensor, int nbands, double *gnyq, fz_err *err) {
  static const double qb[4] = {0.34, 0.32, 0.30, 0.22}, ik[4] = {0.26, 0.28, 0.29, 0.28},
                      ge[4] = {0.23, 0.23, 0.23, 0.23}, wv2[8] = {0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.27},
                      wv3[8] = {0.325, 0.355, 0.360, 0.350, 0.365, 0.360, 0.335, 0.315};
  if (nbands < 1 || nbands > FZ_MTF_MAX_BANDS)
    return fz_fail(err, FZ_EINVAL, "MTF: %d bands, expected 1..%d", nbands, FZ_MTF_MAX_BANDS);
  const char *c = fz_sensor_canonical(sensor);
  const double *tab = NULL;
  int n = 0;
  if (c && !strcmp(c, "QB")) tab = qb, n = 4;
  else if (c && !strcmp(c, "IKONOS")) tab = ik, n = 4;
  else if (c && (!strcmp(c, "GeoEye1") || !strcmp(c, "WV4"))) tab = ge, n = 4;
  else if (c && !strcmp(c, "WV2")) tab = wv2, n = 8;
  else if (c && !strcmp(c, "WV3")) tab = wv3, n = 8;
  if (!tab) {  // genMTF.m 'otherwise': 0.3 for every band; also Landsat 8 OLI / 7 ETM+ (docs/DEMO.md, "MTF gains")
    for (int i = 0; i < nbands; i++) gnyq[i] = 0.3;
    return FZ_OK;
  }
  if (nbands > n)
    return fz_fail(err, FZ_EINVAL, "MTF: sensor %s has gains for %d bands, the image has %d bands", c, n, nbands);
  for (int i = 0; i < nbands; i++) gnyq[i] = tab[i];
  return FZ_OK;
}

int fz_mtf_pan_gnyq(const char *sensor, double *gnyq, fz_err *err) {
  const char *c = fz_sensor_canonical(sensor);
  if (c && !strcmp(c, "QB")) *gnyq = 0.15;
  else if (c && !strcmp(c, "IKONOS")) *gnyq = 0.17;
  else if (c && (!strcmp(c, "GeoEye1") || !strcmp(c, "WV4"))) *gnyq = 0.16;
  else if (c && !strcmp(c, "WV2")) *gnyq = 0.11;
  else if (c && !strcmp(c, "WV3")) *gnyq = 0.14;
  else if (c && !strcmp(c, "none")) *gnyq = 0.15;
  else if (c && (!strcmp(c, "L8") || !strcmp(c, "L7"))) *gnyq = 0.15;  // as 'none' (docs/DEMO.md, "MTF gains")
  else
    return fz_fail(err, FZ_EINVAL, "MTF_PAN: sensor '%s' has no PAN gain; expected QB, IKONOS, GeoEye1, WV4, WV2, WV3 or none",
                   sensor ? sensor : "(null)");
  return FZ_OK;
}

// Modified Bessel function of the first kind, order 0 (power series; |x| small here).
static double bessel_i0(double x) {
  double sum = 1, term = 1, q = x * x / 4;
  for (int k = 1; k < 500; k++) {
    term *= q / ((double)k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

void fz_kaiser(int n, double beta, double *w) {
  if (n == 1) { w[0] = 1; return; }
  double bes = fabs(bessel_i0(beta)), xind = (double)(n - 1) * (n - 1);
  for (int i = 0; i < n; i++) {
    double xi = 2.0 * i - (n - 1);  // kaiser.m: xi = 4·((i - (n-1)/2))², so r² = xi²/xind
    w[i] = fabs(bessel_i0(beta * sqrt(1 - xi * xi / xind)) / bes);
  }
}

int fz_fwind1(const double *hd, const double *w1, int n, double *h, fz_err *err) {
  if (n < 3 || n % 2 == 0 || n > 1025) return fz_fail(err, FZ_EINVAL, "fwind1: size %d, expected an odd size 3..1025", n);
  for (int i = 0; i < n; i++)
    if (fabs(w1[i] - w1[n - 1 - i]) > sqrt(DBL_EPSILON))
      return fz_fail(err, FZ_EINVAL, "fwind1: 1-D window must be symmetric to use Huang's method");
  double *t = malloc((size_t)n * sizeof *t), *er = malloc((size_t)n * n * sizeof *er),
         *ei = malloc((size_t)n * n * sizeof *ei), *tr = malloc((size_t)n * n * sizeof *tr),
         *ti = malloc((size_t)n * n * sizeof *ti);
  if (!t || !er || !ei || !tr || !ti) {
    free(t); free(er); free(ei); free(tr); free(ti);
    return fz_fail(err, FZ_ENOMEM, "fwind1: no memory");
  }
  int c = (n - 1) / 2;
  // fsamp2 (uniform case) for odd n is the centred inverse DFT:
  // h[m1,m2] = (1/n²) Σ_j Hd[j1,j2] exp(2πi((j1-c)(c-m1) + (j2-c)(c-m2))/n); E[j,m] = exp(2πi (j-c)(c-m)/n).
  for (int j = 0; j < n; j++)
    for (int m = 0; m < n; m++) {
      long long e = ((long long)(j - c) * (c - m)) % n;
      if (e < 0) e += n;
      double a = 2 * M_PI * (double)e / n;
      er[j * n + m] = cos(a);
      ei[j * n + m] = sin(a);
    }
  for (int j1 = 0; j1 < n; j1++)  // T[j1,m2] = Σ_j2 Hd[j1,j2] E[j2,m2]
    for (int m2 = 0; m2 < n; m2++) {
      double sr = 0, si = 0;
      for (int j2 = 0; j2 < n; j2++) {
        sr += hd[j1 * n + j2] * er[j2 * n + m2];
        si += hd[j1 * n + j2] * ei[j2 * n + m2];
      }
      tr[j1 * n + m2] = sr;
      ti[j1 * n + m2] = si;
    }
  // Huang's circular window: t = (-(n-1)/2:(n-1)/2)·(2/(n-1)); w = interp1(t, w1, sqrt(t1²+t2²)), 0 beyond t(end).
  double step = 2.0 / (n - 1);
  for (int i = 0; i < n; i++) t[i] = (double)(i - c) * step;
  for (int m1 = 0; m1 < n; m1++)
    for (int m2 = 0; m2 < n; m2++) {
      double re = 0;
      for (int j1 = 0; j1 < n; j1++) re += er[j1 * n + m1] * tr[j1 * n + m2] - ei[j1 * n + m1] * ti[j1 * n + m2];
      re /= (double)n * n;
      double r = sqrt(t[m2] * t[m2] + t[m1] * t[m1]), wv = 0;
      if (!(r < t[0] || r > t[n - 1])) {
        int k = c;  // r >= 0 = t[c]: find t[k] <= r <= t[k+1]
        while (k < n - 2 && t[k + 1] < r) k++;
        if (r == t[n - 1]) wv = w1[n - 1];
        else wv = w1[k] + (r - t[k]) * (w1[k + 1] - w1[k]) / (t[k + 1] - t[k]);
      }
      h[m1 * n + m2] = re * wv;
    }
  free(t); free(er); free(ei); free(tr); free(ti);
  return FZ_OK;
}

int fz_mtf_kernel(double gnyq, int ratio, int ntaps, double *h, fz_err *err) {
  if (!(gnyq > 0 && gnyq < 1)) return fz_fail(err, FZ_EINVAL, "MTF: gain at Nyquist %g, expected 0 < GNyq < 1", gnyq);
  if (ratio < 1 || ratio > 64) return fz_fail(err, FZ_EINVAL, "MTF: ratio %d, expected 1..64", ratio);
  if (ntaps < 3 || ntaps % 2 == 0 || ntaps > 1025) return fz_fail(err, FZ_EINVAL, "MTF: %d taps, expected odd 3..1025", ntaps);
  int n = ntaps, c = (n - 1) / 2;
  double fcut = 1.0 / ratio;
  double alpha = sqrt(pow((n - 1) * (fcut / 2), 2) / (-2 * log(gnyq)));
  double *H = malloc((size_t)n * n * sizeof *H), *w = malloc((size_t)n * sizeof *w);
  if (!H || !w) { free(H); free(w); return fz_fail(err, FZ_ENOMEM, "MTF: no memory"); }
  // fspecial('gaussian', n, alpha): exp(-(x²+y²)/(2σ²)), zero below eps·max, normalised to sum 1
  double mx = 0, sum = 0;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      double xx = x - c, yy = y - c;
      double v = exp(-(xx * xx + yy * yy) / (2 * alpha * alpha));
      H[y * n + x] = v;
      if (v > mx) mx = v;
    }
  for (int i = 0; i < n * n; i++)
    if (H[i] < DBL_EPSILON * mx) H[i] = 0;
  for (int x = 0; x < n; x++)  // MATLAB sum(h(:)) runs down columns
    for (int y = 0; y < n; y++) sum += H[y * n + x];
  mx = 0;
  for (int i = 0; i < n * n; i++) {
    H[i] /= sum;
    if (H[i] > mx) mx = H[i];
  }
  for (int i = 0; i < n * n; i++) H[i] /= mx;  // Hd = H ./ max(H(:))
  fz_kaiser(n, 0.5, w);
  int rc = fz_fwind1(H, w, n, h, err);
  free(H);
  free(w);
  return rc;
}

int fz_mtf_filter(const double *img, int c, int h, int w, const char *sensor, int ratio, double *out, fz_err *err) {
  double *g = malloc((size_t)(c > 0 ? c : 1) * sizeof *g);
  double *k = malloc(FZ_MTF_TAPS * FZ_MTF_TAPS * sizeof *k);
  if (!g || !k) { free(g); free(k); return fz_fail(err, FZ_ENOMEM, "MTF: no memory"); }
  int rc = fz_mtf_ms_gnyq(sensor, c, g, err);
  for (int b = 0; b < c && !rc; b++) {
    rc = fz_mtf_kernel(g[b], ratio, FZ_MTF_TAPS, k, err);
    if (!rc)
      rc = fz_fir2d_f64(img + (size_t)b * h * w, h, w, k, FZ_MTF_TAPS, FZ_MTF_TAPS, FZ_FIR_PAD_REPLICATE,
                        out + (size_t)b * h * w, err);
  }
  free(g);
  free(k);
  return rc;
}

int fz_mtf_filter_pan(const double *pan, int h, int w, const char *sensor, int ratio, double *out, fz_err *err) {
  double g;
  int rc = fz_mtf_pan_gnyq(sensor, &g, err);
  if (rc) return rc;
  double *k = malloc(FZ_MTF_TAPS * FZ_MTF_TAPS * sizeof *k);
  if (!k) return fz_fail(err, FZ_ENOMEM, "MTF_PAN: no memory");
  rc = fz_mtf_kernel(g, ratio, FZ_MTF_TAPS, k, err);
  if (!rc) rc = fz_fir2d_f64(pan, h, w, k, FZ_MTF_TAPS, FZ_MTF_TAPS, FZ_FIR_PAD_REPLICATE, out, err);
  free(k);
  return rc;
}
