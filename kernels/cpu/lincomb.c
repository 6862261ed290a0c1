// lincomb.c — out = sum_i coef[i] * xs[i], the one op every sampler step is made of.
#include "cpu_ops.h"

int fz_cpu_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err) {
  (void)err;
  int64_t numel = fz_tensor_numel(out);
  float *o = (float *)out->data;
  const float *x[64];
  for (int i = 0; i < n; i++) x[i] = (const float *)xs[i]->data;
  // Each element is computed from its own inputs only, so out may alias any xs[i].
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (numel > 65536)
  for (int64_t j = 0; j < numel; j++) {
    float acc = 0.0f;
    for (int i = 0; i < n; i++) acc += coef[i] * x[i][j];
    o[j] = acc;
  }
  return FZ_OK;
}
