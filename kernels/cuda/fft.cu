// fft.cu — 2-D DFTs over the last two dims (torch.fft semantics, norm="backward"), fftshift and complex
// helpers on the GPU. The transforms are direct DFTs evaluated in double, separably (along W, then along H;
// irfft2 along H, then the complex-to-real step along W exactly as FFTW / PocketFFT define it, ignoring the
// imaginary parts of the self-conjugate bins): accurate to fp32 rounding, O(H·W·(H+W)) work. When the build
// has cuFFT and it is enabled (libs.cu) the three transforms go through cuFFT plans instead (cufft_*: R2C,
// C2C, and C2C + C2R for irfft2, normalised here); the direct DFTs stay as the path without cuFFT.
// Complex values are interleaved (re, im) floats; the intermediate rows are kept in double in scratch.
#include "cuda_ops.h"
#include "device_util.cuh"

#define EW_GRID(n) fz_cuda_blocks((n), FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be)
#define EW_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// e^{sign·2πi·num/den} for integers (num reduced mod den first, so the angle is exact in double).
__device__ __forceinline__ void fz_twiddle(int64_t num, int64_t den, int sign, double *c, double *s) {
  double a = 6.283185307179586476925286766559 * (double)(num % den) / (double)den;
  *c = cos(a);
  *s = sign * sin(a);
}

// Row step: Y[p, m, k] = Σ_n x[p, m, n]·e^{sign·2πi kn/W} for k < Wk (x real when xr). Y double complex.
__global__ void k_dft_rows(double *Y, const float *x, int64_t P, int64_t H, int64_t W, int64_t Wk, int xr, int sign) {
  EW_LOOP(t, P * H * Wk) {
    int64_t k = t % Wk, pm = t / Wk;
    const float *row = x + pm * W * (xr ? 1 : 2);
    double re = 0.0, im = 0.0;
    for (int64_t n = 0; n < W; n++) {
      double c, s, a = row[xr ? n : 2 * n], b = xr ? 0.0 : row[2 * n + 1];
      fz_twiddle(k * n, W, sign, &c, &s);
      re += a * c - b * s;
      im += a * s + b * c;
    }
    Y[2 * t] = re;
    Y[2 * t + 1] = im;
  }
}

// Column step: out[p, k, l] = scale·Σ_m Y[p, m, l]·e^{sign·2πi km/H} over the Wk columns of Y (float out).
__global__ void k_dft_cols(float *out, const double *Y, int64_t P, int64_t H, int64_t Wk, int sign, double scale) {
  EW_LOOP(t, P * H * Wk) {
    int64_t l = t % Wk, k = (t / Wk) % H, p = t / (Wk * H);
    const double *col = Y + (p * H * Wk + l) * 2;
    double re = 0.0, im = 0.0;
    for (int64_t m = 0; m < H; m++) {
      double c, s, a = col[m * Wk * 2], b = col[m * Wk * 2 + 1];
      fz_twiddle(k * m, H, sign, &c, &s);
      re += a * c - b * s;
      im += a * s + b * c;
    }
    out[2 * t] = (float)(re * scale);
    out[2 * t + 1] = (float)(im * scale);
  }
}

// irfft2, step 1: Z[p, m, l] = Σ_k S[p, k, l]·e^{+2πi km/H} for the Wc = W/2+1 columns (double).
__global__ void k_idft_cols_half(double *Z, const float *S, int64_t P, int64_t H, int64_t Wc) {
  EW_LOOP(t, P * H * Wc) {
    int64_t l = t % Wc, m = (t / Wc) % H, p = t / (Wc * H);
    const float *col = S + (p * H * Wc + l) * 2;
    double re = 0.0, im = 0.0;
    for (int64_t k = 0; k < H; k++) {
      double c, s, a = col[k * Wc * 2], b = col[k * Wc * 2 + 1];
      fz_twiddle(k * m, H, 1, &c, &s);
      re += a * c - b * s;
      im += a * s + b * c;
    }
    Z[2 * t] = re;
    Z[2 * t + 1] = im;
  }
}

// irfft2, step 2: y[p, m, n] = (Σ_l w_l·Re(Z[p, m, l]·e^{2πi ln/W})) / (H·W), w_l = 1 for the self-conjugate
// bins (l = 0, and l = W/2 for even W; their imaginary parts are ignored) and 2 for the others.
__global__ void k_c2r_rows(float *y, const double *Z, int64_t P, int64_t H, int64_t W, int64_t Wc) {
  EW_LOOP(t, P * H * W) {
    int64_t n = t % W, pm = t / W;
    const double *row = Z + pm * Wc * 2;
    double acc = 0.0;
    for (int64_t l = 0; l < Wc; l++) {
      double c, s, zr = row[2 * l], zi = row[2 * l + 1];
      fz_twiddle(l * n, W, 1, &c, &s);
      bool self_conj = l == 0 || (W % 2 == 0 && l == W / 2);
      acc += self_conj ? zr * c : 2.0 * (zr * c - zi * s);
    }
    y[t] = (float)(acc / (double)(H * W));
  }
}

// torch.fft.fftshift / ifftshift of P planes H×W of elem floats: out[(i + sh) mod H, (j + sw) mod W] = in[i, j].
__global__ void k_fftshift(float *out, const float *x, int64_t P, int64_t H, int64_t W, int elem, int64_t sh, int64_t sw) {
  EW_LOOP(t, P * H * W) {
    int64_t j = t % W, i = (t / W) % H, p = t / (W * H);
    int64_t o = (p * H + (i + sh) % H) * W + (j + sw) % W;
    for (int e = 0; e < elem; e++) out[o * elem + e] = x[t * elem + e];
  }
}

// out[i] = |z_i|, arg z_i, Re z_i or Im z_i (part) of interleaved complex z.
__global__ void k_complex_part(float *out, const float *z, int64_t n, int part) {
  EW_LOOP(i, n) {
    float re = z[2 * i], im = z[2 * i + 1];
    out[i] = part == FZ_COMPLEX_ABS ? hypotf(re, im) : part == FZ_COMPLEX_ANGLE ? atan2f(im, re) : part == FZ_COMPLEX_REAL ? re : im;
  }
}

// out[i] = mag[i]·(cos ph[i], sin ph[i]) as interleaved complex.
__global__ void k_polar(float *out, const float *mag, const float *ph, int64_t n) {
  EW_LOOP(i, n) {
    out[2 * i] = mag[i] * cosf(ph[i]);
    out[2 * i + 1] = mag[i] * sinf(ph[i]);
  }
}

// out[2i] = x[i], out[2i+1] = 0: real values as interleaved complex (fft2 of a real input through cuFFT C2C).
__global__ void k_real_to_complex(float *out, const float *x, int64_t n) {
  EW_LOOP(i, n) {
    out[2 * i] = x[i];
    out[2 * i + 1] = 0.0f;
  }
}

// x[i] *= s over n floats (the 1/(H·W) of the inverse transforms: cuFFT does not normalise).
__global__ void k_scale(float *x, int64_t n, float s) {
  EW_LOOP(i, n) x[i] *= s;
}

// Zeroes the imaginary parts of the self-conjugate bins (l = 0, and l = W/2 for even W) of R rows of Wc complex
// values, making each row a Hermitian half-spectrum: cuFFT's C2R is only specified for Hermitian input, and
// torch / PocketFFT ignore those parts anyway.
__global__ void k_hermitian_fix(float *z, int64_t R, int64_t W, int64_t Wc) {
  EW_LOOP(r, R) {
    z[2 * (r * Wc) + 1] = 0.0f;
    if (W % 2 == 0) z[2 * (r * Wc + W / 2) + 1] = 0.0f;
  }
}

#ifdef FZ_CUDA_WITH_CUFFT
// True when every size of a P×H×W transform fits cuFFT's 32-bit arguments.
static bool cufft_fits(int64_t P, int64_t H, int64_t W) { return P * H * (W + 2) < (int64_t)1 << 31; }

// fft2 through cuFFT: C2C of rank 2 over the P planes (a real input is widened to complex in scratch first),
// then 1/(H·W) for the inverse. -1 when cuFFT is not in use (nothing issued), else 0 or the fz_code.
static int cufft_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                      int inverse, fz_err *err) {
  if (!fz_cuda_libs_enabled(be, FZ_CUDA_LIB_CUFFT) || !cufft_fits(P, H, W)) return -1;
  int n[2] = {(int)H, (int)W};
  cufftHandle plan = fz_cuda_cufft_plan(be, 2, n, NULL, 1, 0, NULL, 1, 0, CUFFT_C2C, (int)P, err);
  if (plan == -1) return err ? (int)err->code : FZ_EINTERNAL;
  float *in = (float *)x->data;
  if (x_real) {
    if (!(in = (float *)fz_cuda_scratch(be, sizeof(float) * 2 * (size_t)(P * H * W), err))) return err ? (int)err->code : FZ_ENOMEM;
    FZ_LAUNCH(k_real_to_complex, EW_GRID(P * H * W))(in, (const float *)x->data, P * H * W);
    int rc = fz_cuda_check_launch(be, "fft2 real-to-complex kernel", err);
    if (rc) return rc;
  }
  cufftResult r = cufftExecC2C(plan, (cufftComplex *)in, (cufftComplex *)out->data, inverse ? CUFFT_INVERSE : CUFFT_FORWARD);
  if (r != CUFFT_SUCCESS) return fz_cufft_fail(be, r, "fft2 (cufftExecC2C)", err);
  if (!inverse) return FZ_OK;
  FZ_LAUNCH(k_scale, EW_GRID(2 * P * H * W))((float *)out->data, 2 * P * H * W, (float)(1.0 / (double)(H * W)));
  return fz_cuda_check_launch(be, "ifft2 scale kernel", err);
}

// rfft2 through cuFFT: one R2C of rank 2 over the P planes ([P, H, W] real -> [P, H, W/2+1] complex).
static int cufft_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  if (!fz_cuda_libs_enabled(be, FZ_CUDA_LIB_CUFFT) || !cufft_fits(P, H, W)) return -1;
  int n[2] = {(int)H, (int)W};
  cufftHandle plan = fz_cuda_cufft_plan(be, 2, n, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, (int)P, err);
  if (plan == -1) return err ? (int)err->code : FZ_EINTERNAL;
  cufftResult r = cufftExecR2C(plan, (cufftReal *)x->data, (cufftComplex *)out->data);
  return r == CUFFT_SUCCESS ? FZ_OK : fz_cufft_fail(be, r, "rfft2 (cufftExecR2C)", err);
}

// irfft2 through cuFFT with torch's semantics for any input: the inverse C2C along H (per plane, Wc strided
// columns) into scratch, the self-conjugate bins made Hermitian, a C2R of length W along each row (which
// overwrites the scratch, never x), then 1/(H·W).
static int cufft_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  if (!fz_cuda_libs_enabled(be, FZ_CUDA_LIB_CUFFT) || !cufft_fits(P, H, W)) return -1;
  int64_t Wc = W / 2 + 1;
  int nh[1] = {(int)H}, emb[1] = {(int)H}, nw[1] = {(int)W};
  cufftHandle col = fz_cuda_cufft_plan(be, 1, nh, emb, (int)Wc, 1, emb, (int)Wc, 1, CUFFT_C2C, (int)Wc, err);
  if (col == -1) return err ? (int)err->code : FZ_EINTERNAL;
  cufftHandle row = fz_cuda_cufft_plan(be, 1, nw, NULL, 1, 0, NULL, 1, 0, CUFFT_C2R, (int)(P * H), err);
  if (row == -1) return err ? (int)err->code : FZ_EINTERNAL;
  cufftComplex *Z = (cufftComplex *)fz_cuda_scratch(be, sizeof(cufftComplex) * (size_t)(P * H * Wc), err);
  if (!Z) return err ? (int)err->code : FZ_ENOMEM;
  cufftComplex *X = (cufftComplex *)x->data;
  for (int64_t p = 0; p < P; p++) {
    cufftResult r = cufftExecC2C(col, X + p * H * Wc, Z + p * H * Wc, CUFFT_INVERSE);
    if (r != CUFFT_SUCCESS) return fz_cufft_fail(be, r, "irfft2 column step (cufftExecC2C)", err);
  }
  FZ_LAUNCH(k_hermitian_fix, EW_GRID(P * H))((float *)Z, P * H, W, Wc);
  int rc = fz_cuda_check_launch(be, "irfft2 Hermitian fix kernel", err);
  if (rc) return rc;
  cufftResult r = cufftExecC2R(row, Z, (cufftReal *)out->data);
  if (r != CUFFT_SUCCESS) return fz_cufft_fail(be, r, "irfft2 row step (cufftExecC2R)", err);
  FZ_LAUNCH(k_scale, EW_GRID(P * H * W))((float *)out->data, P * H * W, (float)(1.0 / (double)(H * W)));
  return fz_cuda_check_launch(be, "irfft2 scale kernel", err);
}
#endif

// Double scratch of n complex values (fz_cuda_scratch); NULL with err on failure.
static double *dscratch(const fz_backend *be, int64_t n, fz_err *err) {
  return (double *)fz_cuda_scratch(be, sizeof(double) * 2 * (size_t)n, err);
}

int fz_cuda_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                 int inverse, fz_err *err) {
  if (P * H * W == 0) return FZ_OK;
#ifdef FZ_CUDA_WITH_CUFFT
  int lrc = cufft_fft2(be, out, x, P, H, W, x_real, inverse, err);
  if (lrc != -1) return lrc;
#endif
  double *Y = dscratch(be, P * H * W, err);
  if (!Y) return err ? (int)err->code : FZ_ENOMEM;
  int sign = inverse ? 1 : -1;
  FZ_LAUNCH(k_dft_rows, EW_GRID(P * H * W))(Y, (const float *)x->data, P, H, W, W, x_real, sign);
  int rc = fz_cuda_check_launch(be, "fft2 row kernel", err);
  if (rc) return rc;
  FZ_LAUNCH(k_dft_cols, EW_GRID(P * H * W))((float *)out->data, Y, P, H, W, sign, inverse ? 1.0 / (double)(H * W) : 1.0);
  return fz_cuda_check_launch(be, "fft2 column kernel", err);
}

int fz_cuda_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  int64_t Wc = W / 2 + 1;
  if (P * H * W == 0) return FZ_OK;
#ifdef FZ_CUDA_WITH_CUFFT
  int lrc = cufft_rfft2(be, out, x, P, H, W, err);
  if (lrc != -1) return lrc;
#endif
  double *Y = dscratch(be, P * H * Wc, err);
  if (!Y) return err ? (int)err->code : FZ_ENOMEM;
  FZ_LAUNCH(k_dft_rows, EW_GRID(P * H * Wc))(Y, (const float *)x->data, P, H, W, Wc, 1, -1);
  int rc = fz_cuda_check_launch(be, "rfft2 row kernel", err);
  if (rc) return rc;
  FZ_LAUNCH(k_dft_cols, EW_GRID(P * H * Wc))((float *)out->data, Y, P, H, Wc, -1, 1.0);
  return fz_cuda_check_launch(be, "rfft2 column kernel", err);
}

int fz_cuda_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  int64_t Wc = W / 2 + 1;
  if (P * H * W == 0) return FZ_OK;
#ifdef FZ_CUDA_WITH_CUFFT
  int lrc = cufft_irfft2(be, out, x, P, H, W, err);
  if (lrc != -1) return lrc;
#endif
  double *Z = dscratch(be, P * H * Wc, err);
  if (!Z) return err ? (int)err->code : FZ_ENOMEM;
  FZ_LAUNCH(k_idft_cols_half, EW_GRID(P * H * Wc))(Z, (const float *)x->data, P, H, Wc);
  int rc = fz_cuda_check_launch(be, "irfft2 column kernel", err);
  if (rc) return rc;
  FZ_LAUNCH(k_c2r_rows, EW_GRID(P * H * W))((float *)out->data, Z, P, H, W, Wc);
  return fz_cuda_check_launch(be, "irfft2 row kernel", err);
}

int fz_cuda_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int elem,
                     int inverse, fz_err *err) {
  if (P * H * W == 0) return FZ_OK;
  int64_t sh = inverse ? H - H / 2 : H / 2, sw = inverse ? W - W / 2 : W / 2;  // roll by n/2, or back by n/2
  FZ_LAUNCH(k_fftshift, EW_GRID(P * H * W))((float *)out->data, (const float *)x->data, P, H, W, elem, sh, sw);
  return fz_cuda_check_launch(be, "fftshift kernel", err);
}

int fz_cuda_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int part, fz_err *err) {
  int64_t n = fz_tensor_numel(out);
  if (n == 0) return FZ_OK;
  FZ_LAUNCH(k_complex_part, EW_GRID(n))((float *)out->data, (const float *)x->data, n, part);
  return fz_cuda_check_launch(be, "complex_part kernel", err);
}

int fz_cuda_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err) {
  int64_t n = fz_tensor_numel(mag);
  if (n == 0) return FZ_OK;
  FZ_LAUNCH(k_polar, EW_GRID(n))((float *)out->data, (const float *)mag->data, (const float *)phase->data, n);
  return fz_cuda_check_launch(be, "polar kernel", err);
}
