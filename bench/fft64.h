// fft64.h — a small double-precision complex FFT for any length (radix-2, Bluestein otherwise), used by the
// FSDS metric; exact up to rounding (no approximation), so it matches numpy/torch FFTs to ~1e-15 relative.
#ifndef FZ_FFT64_H
#define FZ_FFT64_H
#include "error.h"

// In-place forward DFT X[k] = Σ_n x[n]·exp(−2πi·kn/N) of the n complex samples (re, im).
int fz_fft64(double *re, double *im, int n, fz_err *err);
#endif
