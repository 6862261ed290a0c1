// pool.c — global average and max pooling on the CPU: one value per (n, c) plane of x [N, C, H·W].
#include "cpu_nn.h"
#include <math.h>

int fz_cpu_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t planes, int64_t hw, int mode,
                       fz_err *err) {
  (void)err;
  const float *xs = x->data;
  float *o = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (planes * hw > FZ_NN_PAR_MIN)
  for (int64_t p = 0; p < planes; p++) {
    const float *s = xs + p * hw;
    if (mode == FZ_POOL_AVG) {
      double acc = 0.0;  // double accumulation: planes of 2^16+ pixels keep full float accuracy
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < hw; i++) acc += s[i];
      o[p] = hw ? (float)(acc / (double)hw) : NAN;  // torch: mean of an empty plane is NaN
    } else {
      float m = -INFINITY;
      int nan = 0;
#pragma omp simd reduction(max : m) reduction(| : nan)
      for (int64_t i = 0; i < hw; i++) {
        m = s[i] > m ? s[i] : m;
        nan |= s[i] != s[i];
      }
      o[p] = nan ? NAN : m;  // torch max pooling propagates NaN
    }
  }
  return FZ_OK;
}
