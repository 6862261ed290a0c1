// embedding.c — sinusoidal timestep embedding (guided-diffusion timestep_embedding, diffusers
// get_timestep_embedding) on the CPU, in f32 with PyTorch's order of operations:
// freq_i = exp((−ln(max_period)·i) / (half − shift)), arg = (t·freq_i)·scale.
#include "cpu_seq.h"
#include <math.h>

// Sinusoidal embedding of t [B] into out [B,dim] (cos-first unless sin_first).
int fz_cpu_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, int sin_first,
                              float freq_shift, float scale, float max_period, fz_err *err) {
  (void)err;
  const int64_t B = out->shape[0], dim = out->shape[1], half = dim / 2;
  const float *td = t->data;
  float *od = out->data;
  const float neg_log = (float)-log((double)max_period);  // Python float -> f32 tensor arithmetic
  const float denom = (float)half - freq_shift;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (B * dim > 65536)
  for (int64_t b = 0; b < B; b++) {
    float *o = od + b * dim;
    for (int64_t i = 0; i < half; i++) {
      float freq = expf((neg_log * (float)i) / denom);
      float arg = (td[b] * freq) * scale;
      float c = cosf(arg), s = sinf(arg);
      o[i] = sin_first ? s : c;
      o[half + i] = sin_first ? c : s;
    }
    if (dim % 2) o[dim - 1] = 0.0f;
  }
  return FZ_OK;
}
