// fft64.c — forward complex DFT of any length in double precision: iterative radix-2 for powers of two,
// Bluestein's chirp-z (through a power-of-two FFT) otherwise.
#include "fft64.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// In-place radix-2 DFT of n = 2^k samples (sign −1 forward, +1 inverse without scaling).
static void fft_pow2(double *re, double *im, int n, int sign) {
  for (int i = 1, j = 0; i < n; i++) {  // bit reversal
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    int half = len / 2;
    for (int k = 0; k < half; k++) {  // twiddles from the angle directly (no recurrence drift)
      double a = sign * 2 * M_PI * k / len, wr = cos(a), wi = sin(a);
      for (int i = k; i < n; i += len) {
        int j = i + half;
        double xr = re[j] * wr - im[j] * wi, xi = re[j] * wi + im[j] * wr;
        re[j] = re[i] - xr;
        im[j] = im[i] - xi;
        re[i] += xr;
        im[i] += xi;
      }
    }
  }
}

int fz_fft64(double *re, double *im, int n, fz_err *err) {
  if (n < 1) return fz_fail(err, FZ_EINVAL, "fft: length %d, expected >= 1", n);
  if ((n & (n - 1)) == 0) { fft_pow2(re, im, n, -1); return FZ_OK; }
  int m = 1;
  while (m < 2 * n - 1) m <<= 1;
  double *ar = calloc((size_t)m, sizeof *ar), *ai = calloc((size_t)m, sizeof *ai), *br = calloc((size_t)m, sizeof *br),
         *bi = calloc((size_t)m, sizeof *bi), *cr = malloc((size_t)n * sizeof *cr), *ci = malloc((size_t)n * sizeof *ci);
  if (!ar || !ai || !br || !bi || !cr || !ci) {
    free(ar); free(ai); free(br); free(bi); free(cr); free(ci);
    return fz_fail(err, FZ_ENOMEM, "fft: no memory for length %d", n);
  }
  for (int k = 0; k < n; k++) {  // chirp c[k] = exp(−iπ k²/n), k² reduced mod 2n for accuracy
    long long q = ((long long)k * k) % (2LL * n);
    double a = -M_PI * (double)q / n;
    cr[k] = cos(a);
    ci[k] = sin(a);
  }
  for (int k = 0; k < n; k++) {
    ar[k] = re[k] * cr[k] - im[k] * ci[k];
    ai[k] = re[k] * ci[k] + im[k] * cr[k];
    br[k] = cr[k];
    bi[k] = -ci[k];
    if (k) { br[m - k] = cr[k]; bi[m - k] = -ci[k]; }
  }
  fft_pow2(ar, ai, m, -1);
  fft_pow2(br, bi, m, -1);
  for (int k = 0; k < m; k++) {
    double xr = ar[k] * br[k] - ai[k] * bi[k], xi = ar[k] * bi[k] + ai[k] * br[k];
    ar[k] = xr;
    ai[k] = xi;
  }
  fft_pow2(ar, ai, m, +1);
  for (int k = 0; k < n; k++) {
    double xr = ar[k] / m, xi = ai[k] / m;
    re[k] = xr * cr[k] - xi * ci[k];
    im[k] = xr * ci[k] + xi * cr[k];
  }
  free(ar); free(ai); free(br); free(bi); free(cr); free(ci);
  return FZ_OK;
}
