// random.c — Philox randn fills; the numbers depend only on (seed, stream, index), never on threads.
#include "cpu_ops.h"
#include "../../runtime/rng.h"

int fz_cpu_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err) {
  (void)err;
  int64_t numel = fz_tensor_numel(out), chunk = 4096;
  float *o = (float *)out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (numel > 65536)
  for (int64_t s = 0; s < numel; s += chunk) {
    int64_t n = numel - s < chunk ? numel - s : chunk;
    fz_philox_fill_normal(o + s, (uint64_t)n, seed, stream, offset + (uint64_t)s);
  }
  return FZ_OK;
}

int fz_cpu_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base,
                       int64_t y0, int64_t x0, int64_t global_w, fz_err *err) {
  (void)err;
  int64_t N = out->shape[0], C = out->shape[1], H = out->shape[2], W = out->shape[3];
  float *o = (float *)out->data;
#pragma omp parallel for collapse(2) schedule(static) num_threads(fz_cpu_threads(be)) if (N * C * H * W > 65536)
  for (int64_t nc = 0; nc < N * C; nc++)
    for (int64_t y = 0; y < H; y++)
      fz_philox_fill_normal(o + (nc * H + y) * W, (uint64_t)W, seed, stream_base + (uint64_t)nc,
                            (uint64_t)((y0 + y) * global_w + x0));
  return FZ_OK;
}
