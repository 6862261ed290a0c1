// rng.c — Box–Muller normals on top of the Philox block function.
#include "rng.h"
#include "detmath.h"
#include <math.h>

void fz_philox_normal4(uint64_t seed, uint64_t stream, uint64_t block, float out[4]) {
  uint32_t w[4];
  fz_philox_block(seed, stream, block, w);
  for (int p = 0; p < 2; p++) {
    double u1 = fz_u32_to_open01(w[2 * p]), u2 = fz_u32_to_open01(w[2 * p + 1]);
    double r = sqrt(-2.0 * fz_det_log(u1)), sn, cs;  // detmath.h: the same bits on every backend
    fz_det_sincos_2pi(u2, &sn, &cs);
    out[2 * p] = (float)(r * cs);
    out[2 * p + 1] = (float)(r * sn);
  }
}

float fz_philox_normal(uint64_t seed, uint64_t stream, uint64_t index) {
  float v[4];
  fz_philox_normal4(seed, stream, index >> 2, v);
  return v[index & 3];
}

void fz_philox_fill_normal(float *out, uint64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
  uint64_t i = 0;
  while (i < n) {
    uint64_t idx = offset + i, blk = idx >> 2;
    unsigned lane = (unsigned)(idx & 3);
    float v[4];
    fz_philox_normal4(seed, stream, blk, v);
    for (; lane < 4 && i < n; lane++, i++) out[i] = v[lane];
  }
}

void fz_philox_fill_uniform(float *out, uint64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
  uint64_t i = 0;
  while (i < n) {
    uint64_t idx = offset + i;
    unsigned lane = (unsigned)(idx & 3);
    uint32_t w[4];
    fz_philox_block(seed, stream, idx >> 2, w);
    for (; lane < 4 && i < n; lane++, i++) {
      float u = (float)fz_u32_to_open01(w[lane]);
      out[i] = u >= 1.0f ? 0x1.fffffep-1f : u;  // keep the open interval after rounding to float
    }
  }
}
