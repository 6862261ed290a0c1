// cpu_ops.h — CPU implementations of the backend op entries (one .c file per op family).
#ifndef FZ_CPU_OPS_H
#define FZ_CPU_OPS_H
#include "../../runtime/backend.h"

// Number of OpenMP threads the CPU backend be runs with.
int fz_cpu_threads(const fz_backend *be);

// elementwise.c: out = sum_i coef[i]*xs[i] over numel(out) f32 elements.
int fz_cpu_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err);
// random.c: Philox normals (see runtime/rng.h).
int fz_cpu_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err);
int fz_cpu_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base,
                       int64_t y0, int64_t x0, int64_t global_w, fz_err *err);
// Fill the op-family entries of a CPU backend table (fill_nn.c, fill_seq.c, fill_fir.c).
void fz_cpu_fill_nn(fz_backend *t);
void fz_cpu_fill_seq(fz_backend *t);
void fz_cpu_fill_fir(fz_backend *t);
#endif
