// fft.c — 2-D FFTs over the last two dims with FFTW (single precision), torch.fft semantics with
// norm="backward" (forward unscaled, inverse scaled by 1/(H·W)), fftshift / ifftshift and complex helpers.
// Complex values are interleaved (re, im) floats, which is FFTW's fftwf_complex layout.
// Threads: the P planes are split into one contiguous range per thread; each thread plans its own batched
// transform (fftwf_plan_many_dft*, FFTW_ESTIMATE, which never touches the arrays while planning) on its own
// pointers and executes it. FFTW's planner is not thread-safe, so planning and destroying are serialised
// by one process-wide mutex: the only mutable global of this file, owned by FFTW's own global planner state.
#include "cpu_seq.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_FFTW
#include <fftw3.h>
#include <pthread.h>

static pthread_mutex_t g_fftw_planner_lock = PTHREAD_MUTEX_INITIALIZER;

enum { C2C_FWD, C2C_INV, R2C, C2R };

// Plans and runs one batched transform of `count` H×W planes from in to out; 0 or an error code.
static int run_many(int kind, int64_t count, int64_t H, int64_t W, void *in, void *out) {
  int n[2] = {(int)H, (int)W};
  int64_t cw = W / 2 + 1;
  fftwf_plan plan;
  pthread_mutex_lock(&g_fftw_planner_lock);
  if (kind == C2C_FWD || kind == C2C_INV)
    plan = fftwf_plan_many_dft(2, n, (int)count, in, NULL, 1, (int)(H * W), out, NULL, 1, (int)(H * W),
                               kind == C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD, FFTW_ESTIMATE);
  else if (kind == R2C)
    plan = fftwf_plan_many_dft_r2c(2, n, (int)count, in, NULL, 1, (int)(H * W), out, NULL, 1, (int)(H * cw),
                                   FFTW_ESTIMATE);
  else
    plan = fftwf_plan_many_dft_c2r(2, n, (int)count, in, NULL, 1, (int)(H * cw), out, NULL, 1, (int)(H * W),
                                   FFTW_ESTIMATE);
  pthread_mutex_unlock(&g_fftw_planner_lock);
  if (!plan) return FZ_EINTERNAL;
  fftwf_execute(plan);
  pthread_mutex_lock(&g_fftw_planner_lock);
  fftwf_destroy_plan(plan);
  pthread_mutex_unlock(&g_fftw_planner_lock);
  return FZ_OK;
}

// Runs the transform over P planes, split into one contiguous range per thread. in_plane / out_plane are
// the plane sizes in floats. Returns 0 or FZ_EINTERNAL when FFTW could not plan.
static int run_planes(const fz_backend *be, int kind, int64_t P, int64_t H, int64_t W, float *in, int64_t in_plane,
                      float *out, int64_t out_plane) {
  int nt = fz_cpu_threads(be);
  if (nt > P) nt = (int)P;
  int fails = 0;
#pragma omp parallel for schedule(static, 1) num_threads(nt) reduction(+ : fails) if (nt > 1)
  for (int t = 0; t < nt; t++) {
    int64_t p0 = P * t / nt, p1 = P * (t + 1) / nt;
    if (p1 > p0 && run_many(kind, p1 - p0, H, W, in + p0 * in_plane, out + p0 * out_plane)) fails++;
  }
  return fails ? FZ_EINTERNAL : FZ_OK;
}

// Multiplies n floats by s.
static void scale_all(const fz_backend *be, float *x, int64_t n, float s) {
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 65536)
  for (int64_t i = 0; i < n; i++) x[i] *= s;
}

// The sizes FFTW takes as int.
static int too_big(int64_t P, int64_t H, int64_t W, fz_err *err, const char *op) {
  if (H * W > INT32_MAX / 2 || P > INT32_MAX)
    return fz_fail(err, FZ_EUNSUP, "%s: planes of %lld×%lld (or %lld planes) exceed FFTW's int sizes", op,
                   (long long)H, (long long)W, (long long)P);
  return FZ_OK;
}

int fz_cpu_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                int inverse, fz_err *err) {
  if (too_big(P, H, W, err, "fft2")) return err->code;
  float *od = out->data, *xd = x->data;
  float *src = xd;
  if (x_real) {  // widen to complex in out, then transform in place
    int64_t n = P * H * W;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 65536)
    for (int64_t i = 0; i < n; i++) { od[2 * i] = xd[i]; od[2 * i + 1] = 0.0f; }
    src = od;
  }
  if (run_planes(be, inverse ? C2C_INV : C2C_FWD, P, H, W, src, 2 * H * W, od, 2 * H * W))
    return fz_fail(err, FZ_EINTERNAL, "fft2: FFTW could not plan a %lld×%lld transform", (long long)H, (long long)W);
  if (inverse) scale_all(be, od, 2 * P * H * W, 1.0f / (float)(H * W));
  return FZ_OK;
}

int fz_cpu_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  if (too_big(P, H, W, err, "rfft2")) return err->code;
  // r2c out-of-place preserves its input (FFTW default), so x is only read.
  if (run_planes(be, R2C, P, H, W, x->data, H * W, out->data, 2 * H * (W / 2 + 1)))
    return fz_fail(err, FZ_EINTERNAL, "rfft2: FFTW could not plan a %lld×%lld transform", (long long)H, (long long)W);
  return FZ_OK;
}

int fz_cpu_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W,
                  fz_err *err) {
  if (too_big(P, H, W, err, "irfft2")) return err->code;
  // Multi-dimensional c2r overwrites its input: transform a copy.
  size_t nb = fz_tensor_nbytes(x);
  float *copy = fftwf_malloc(nb ? nb : 8);
  if (!copy) return fz_fail(err, FZ_ENOMEM, "irfft2: cannot allocate %zu bytes for the input copy", nb);
  memcpy(copy, x->data, nb);
  int rc = run_planes(be, C2R, P, H, W, copy, 2 * H * (W / 2 + 1), out->data, H * W);
  fftwf_free(copy);
  if (rc) return fz_fail(err, FZ_EINTERNAL, "irfft2: FFTW could not plan a %lld×%lld transform", (long long)H, (long long)W);
  scale_all(be, out->data, P * H * W, 1.0f / (float)(H * W));
  return FZ_OK;
}
#else
int fz_cpu_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                int inverse, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "fft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
int fz_cpu_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "rfft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
int fz_cpu_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W,
                  fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "irfft2: this fusor was built without FFTW (libfftw3-dev, pkg-config fftw3f)");
}
#endif

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
