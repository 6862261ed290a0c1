// fft.c — 2-D FFTs over the last two dims with FFTW (single precision), torch.fft semantics with
// norm="backward" (forward unscaled, inverse scaled by 1/(H·W)), fftshift / ifftshift and complex helpers.
// Complex values are interleaved (re, im) floats, which is FFTW's fftwf_complex layout.
// Each H×W plane is transformed row-column: 1-D transforms along the rows (contiguous), a blocked transpose,
// 1-D transforms along the former columns (now contiguous) in per-thread scratch, and a transpose back.
// Plans are FFTW_ESTIMATE: deterministic (FFTW_MEASURE picks algorithms by timing, so its rounding could change
// from run to run), and row transforms of contiguous data are where ESTIMATE plans are good; FFTW's own 2-D
// ESTIMATE plan walks the columns with a stride and was about 3× slower for 256×256 planes on this machine.
// Threads take whole planes, so results do not depend on the thread count. FFTW's planner is not thread-safe:
// planning and destroying are serialised by one process-wide mutex (the only global of this file; it guards
// FFTW's own global planner state). Executing a plan on new arrays is thread-safe.
#include "cpu_seq.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_FFTW
#include <fftw3.h>
#include <pthread.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static pthread_mutex_t g_fftw_planner_lock = PTHREAD_MUTEX_INITIALIZER;

// out[s][r] = k·in[r][s] for an R×S matrix of complex values, 16×16 blocks (k = 1: a plain move).
static void transpose_c(fftwf_complex *out, const fftwf_complex *in, int64_t R, int64_t S, float k) {
  for (int64_t r0 = 0; r0 < R; r0 += 16)
    for (int64_t s0 = 0; s0 < S; s0 += 16) {
      int64_t r1 = r0 + 16 < R ? r0 + 16 : R, s1 = s0 + 16 < S ? s0 + 16 : S;
      for (int64_t s = s0; s < s1; s++)
        for (int64_t r = r0; r < r1; r++) {
          out[s * R + r][0] = k * in[r * S + s][0];
          out[s * R + r][1] = k * in[r * S + s][1];
        }
    }
}

// 1 when every plane start base + p·stride_bytes (p < P) is SIMD-aligned as FFTW wants.
static int planes_aligned(const void *base, int64_t stride_bytes) {
  return fftwf_alignment_of((float *)base) == 0 && stride_bytes % 64 == 0;
}

enum { C2C_FWD, C2C_INV, R2C, C2R };

// The plans of one call: rows (along W, H of them per plane) and columns (along H, in scratch).
typedef struct { fftwf_plan rows, cols; } plan_pair;

// Creates the plans for kind on H×W planes. row_in / row_out are the first plane's row-step arrays (alignment
// decides FFTW_UNALIGNED); scratch is one thread's column buffer. Returns 0 or FZ_EINTERNAL.
static int make_plans(plan_pair *pp, int kind, int64_t H, int64_t W, void *row_in, void *row_out, int row_aligned,
                      fftwf_complex *scratch) {
  const int h = (int)H, w = (int)W, wc = (int)(W / 2 + 1);
  const unsigned rf = FFTW_ESTIMATE | (row_aligned ? 0 : FFTW_UNALIGNED);
  const int sign = kind == C2C_FWD || kind == R2C ? FFTW_FORWARD : FFTW_BACKWARD;
  const int ncols = kind == C2C_FWD || kind == C2C_INV ? w : wc;  // columns after the row step
  pthread_mutex_lock(&g_fftw_planner_lock);
  if (kind == R2C)
    pp->rows = fftwf_plan_many_dft_r2c(1, &w, h, row_in, NULL, 1, w, row_out, NULL, 1, wc, rf);
  else if (kind == C2R)
    pp->rows = fftwf_plan_many_dft_c2r(1, &w, h, row_in, NULL, 1, wc, row_out, NULL, 1, w, rf);
  else
    pp->rows = fftwf_plan_many_dft(1, &w, h, row_in, NULL, 1, w, row_out, NULL, 1, w, sign, rf);
  // Columns, transposed to rows of length H in scratch, in place.
  pp->cols = fftwf_plan_many_dft(1, &h, ncols, scratch, NULL, 1, h, scratch, NULL, 1, h, sign, FFTW_ESTIMATE);
  pthread_mutex_unlock(&g_fftw_planner_lock);
  return pp->rows && pp->cols ? FZ_OK : FZ_EINTERNAL;
}

static void destroy_plans(plan_pair *pp) {
  pthread_mutex_lock(&g_fftw_planner_lock);
  if (pp->rows) fftwf_destroy_plan(pp->rows);
  if (pp->cols) fftwf_destroy_plan(pp->cols);
  pthread_mutex_unlock(&g_fftw_planner_lock);
}

// Transforms P planes: in / out plane strides in floats (in_plane, out_plane). kind C2C_*: complex -> complex
// (in may equal out); R2C: real -> half spectrum; C2R: half spectrum -> real (in is not modified). The result
// is multiplied by k (the 1/(H·W) of inverse transforms), folded into the transpose back.
static int run_planes(const fz_backend *be, int kind, int64_t P, int64_t H, int64_t W, float *in, int64_t in_plane,
                      float *out, int64_t out_plane, float k, fz_err *err, const char *op) {
  const int64_t wc = W / 2 + 1, cols = (kind == C2C_FWD || kind == C2C_INV) ? W : wc;
  int nt = fz_cpu_threads(be);
  if (nt > P) nt = (int)P;
  // Per thread: the column buffer [cols][H] and, for C2R, the row-step input [H][wc].
  const int64_t per = cols * H + (kind == C2R ? H * wc : 0);
  fftwf_complex *scratch = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(per * nt));
  if (!scratch) return fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zu bytes of FFT scratch", op,
                               sizeof(fftwf_complex) * (size_t)(per * nt));
  int aligned = kind == C2R ? planes_aligned(out, out_plane * 4)
                            : planes_aligned(in, in_plane * 4) && planes_aligned(out, out_plane * 4);
  plan_pair pp = {0};
  void *row_in = kind == C2R ? (void *)(scratch + cols * H) : (void *)in;
  int rc = make_plans(&pp, kind, H, W, row_in, out, aligned, scratch);
  if (rc) {
    destroy_plans(&pp);
    fftwf_free(scratch);
    return fz_fail(err, FZ_EINTERNAL, "%s: FFTW could not plan a %lld×%lld transform", op, (long long)H, (long long)W);
  }
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int64_t p = 0; p < P; p++) {
#ifdef _OPENMP
    int tid = omp_get_thread_num();
#else
    int tid = 0;
#endif
    fftwf_complex *col = scratch + (int64_t)tid * per;
    float *ip = in + p * in_plane, *op_ = out + p * out_plane;
    if (kind == C2R) {
      fftwf_complex *rowbuf = col + cols * H;
      transpose_c(col, (fftwf_complex *)ip, H, wc, 1.0f);  // [H][wc] -> [wc][H]
      fftwf_execute_dft(pp.cols, col, col);                 // inverse along H
      transpose_c(rowbuf, col, wc, H, k);                   // back to [H][wc], scaled (the rest is linear)
      fftwf_execute_dft_c2r(pp.rows, rowbuf, op_);          // rows: half spectrum -> W reals
    } else {
      if (kind == R2C) fftwf_execute_dft_r2c(pp.rows, ip, (fftwf_complex *)op_);
      else fftwf_execute_dft(pp.rows, (fftwf_complex *)ip, (fftwf_complex *)op_);
      if (H > 1) {
        transpose_c(col, (fftwf_complex *)op_, H, cols, 1.0f);  // [H][cols] -> [cols][H]
        fftwf_execute_dft(pp.cols, col, col);
        transpose_c((fftwf_complex *)op_, col, cols, H, k);
      } else if (k != 1.0f) {
        for (int64_t i = 0; i < 2 * cols; i++) op_[i] *= k;
      }
    }
  }
  destroy_plans(&pp);
  fftwf_free(scratch);
  return FZ_OK;
}

// The sizes FFTW takes as int.
static int too_big(int64_t H, int64_t W, fz_err *err, const char *op) {
  if (H > INT32_MAX / 4 || W > INT32_MAX / 4)
    return fz_fail(err, FZ_EUNSUP, "%s: planes of %lld×%lld exceed FFTW's int sizes", op, (long long)H, (long long)W);
  return FZ_OK;
}

// fft2 / ifft2 of P complex (or real, widened) H×W planes into complex out.
int fz_cpu_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                int inverse, fz_err *err) {
  const char *op = inverse ? "ifft2" : "fft2";
  if (too_big(H, W, err, op)) return err->code;
  float *od = out->data, *src = x->data;
  if (x_real) {  // widen to complex in out, then transform in place
    const float *xd = x->data;
    int64_t n = P * H * W;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 65536)
    for (int64_t i = 0; i < n; i++) { od[2 * i] = xd[i]; od[2 * i + 1] = 0.0f; }
    src = od;
  }
  return run_planes(be, inverse ? C2C_INV : C2C_FWD, P, H, W, src, 2 * H * W, od, 2 * H * W,
                    inverse ? 1.0f / (float)(H * W) : 1.0f, err, op);
}

// rfft2 of P real H×W planes into P half spectra H×(W/2+1).
int fz_cpu_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  if (too_big(H, W, err, "rfft2")) return err->code;
  // The r2c row step reads x and writes out (FFTW preserves the input of out-of-place r2c).
  return run_planes(be, R2C, P, H, W, x->data, H * W, out->data, 2 * H * (W / 2 + 1), 1.0f, err, "rfft2");
}

// irfft2 of P half spectra H×(W/2+1) into P real H×W planes.
int fz_cpu_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W,
                  fz_err *err) {
  if (too_big(H, W, err, "irfft2")) return err->code;
  return run_planes(be, C2R, P, H, W, x->data, 2 * H * (W / 2 + 1), out->data, H * W, 1.0f / (float)(H * W), err,
                    "irfft2");
}
#else
// Built without FFTW: fft2 / ifft2 fail with FZ_EUNSUP naming the missing library.
int fz_cpu_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                int inverse, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "fft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
// Built without FFTW: rfft2 fails with FZ_EUNSUP.
int fz_cpu_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "rfft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
// Built without FFTW: irfft2 fails with FZ_EUNSUP.
int fz_cpu_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W,
                  fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "irfft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
#endif

// fftshift / ifftshift (torch.roll by ±n/2) of P planes of H×W elements of elem floats.
int fz_cpu_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int elem,
                    int inverse, fz_err *err) {
  (void)err;
  // torch.roll by H/2, W/2 (fftshift) or by -(H/2), -(W/2) (ifftshift): out[(y+sy)%H][(x+sx)%W] = in[y][x].
  const int64_t sy = inverse ? H - H / 2 : H / 2, sx = inverse ? W - W / 2 : W / 2, rowf = W * elem;
  const float *xd = x->data;
  float *od = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (P * H * rowf > 65536)
  for (int64_t t = 0; t < P * H; t++) {
    int64_t p = t / H, yo = t % H, yi = (yo - sy + H) % H;
    const float *src = xd + (p * H + yi) * rowf;
    float *dst = od + (p * H + yo) * rowf;
    memcpy(dst + sx * elem, src, sizeof(float) * (size_t)((W - sx) * elem));
    memcpy(dst, src + (W - sx) * elem, sizeof(float) * (size_t)(sx * elem));
  }
  return FZ_OK;
}

// |z|, angle, real or imaginary part of n interleaved complex values.
int fz_cpu_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int part, fz_err *err) {
  (void)err;
  const int64_t n = fz_tensor_numel(out);
  const float *xd = x->data;
  float *od = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 32768)
  for (int64_t i = 0; i < n; i++) {
    float re = xd[2 * i], im = xd[2 * i + 1];
    if (part == 0) od[i] = (float)sqrt((double)re * re + (double)im * im);  // no overflow in double
    else if (part == 1) od[i] = atan2f(im, re);
    else od[i] = part == 2 ? re : im;
  }
  return FZ_OK;
}

// (mag, phase) pairs -> interleaved complex values.
int fz_cpu_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err) {
  (void)err;
  const int64_t n = fz_tensor_numel(mag);
  const float *m = mag->data, *ph = phase->data;
  float *od = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 32768)
  for (int64_t i = 0; i < n; i++) {
    od[2 * i] = m[i] * cosf(ph[i]);
    od[2 * i + 1] = m[i] * sinf(ph[i]);
  }
  return FZ_OK;
}
