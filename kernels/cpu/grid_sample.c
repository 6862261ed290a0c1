// grid_sample.c — F.grid_sample for 4-D inputs (nearest and bilinear, zeros and border padding, align_corners
// both ways) on the CPU, following PyTorch's GridSampler.h formulas; parallel over (batch, output row).
#include "cpu_seq.h"
#include <math.h>

// PyTorch grid_sampler_compute_source_index: unnormalise a [-1, 1] coordinate, then clip for border padding.
static float source(float c, int64_t size, int pad, int align) {
  float s = align ? ((c + 1.0f) / 2.0f) * (float)(size - 1) : ((c + 1.0f) * (float)size - 1.0f) / 2.0f;
  if (pad == 1) s = fminf((float)(size - 1), fmaxf(s, 0.0f));
  return s;
}

// F.grid_sample of x [N,C,H,W] at grid [N,Ho,Wo,2] -> out [N,C,Ho,Wo].
int fz_cpu_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid, int mode,
                       int pad, int align_corners, fz_err *err) {
  (void)err;
  const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  const int64_t Ho = grid->shape[1], Wo = grid->shape[2];
  const float *xd = x->data, *gd = grid->data;
  float *od = out->data;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (N * C * Ho * Wo > 32768)
  for (int64_t t = 0; t < N * Ho; t++) {
    int64_t n = t / Ho, oy = t % Ho;
    for (int64_t ox = 0; ox < Wo; ox++) {
      const float *g = gd + ((n * Ho + oy) * Wo + ox) * 2;
      float ix = source(g[0], W, pad, align_corners), iy = source(g[1], H, pad, align_corners);
      float *o = od + (n * C * Ho + oy) * Wo + ox;  // channel c at o[c·Ho·Wo]
      const float *xp = xd + n * C * H * W;
      if (mode == 0) {
        // nearbyint rounds half to even in the default rounding mode, as PyTorch's std::nearbyint.
        float rx = nearbyintf(ix), ry = nearbyintf(iy);
        int inb = rx >= 0 && rx < (float)W && ry >= 0 && ry < (float)H;
        int64_t off = inb ? (int64_t)ry * W + (int64_t)rx : 0;
        for (int64_t c = 0; c < C; c++) o[c * Ho * Wo] = inb ? xp[c * H * W + off] : 0.0f;
      } else if (!(ix > -1.0f && ix < (float)W && iy > -1.0f && iy < (float)H)) {
        // Every tap is outside (or the coordinate is NaN / huge): zeros padding gives 0. Also keeps the
        // float -> int conversions below in range.
        for (int64_t c = 0; c < C; c++) o[c * Ho * Wo] = 0.0f;
      } else {
        float fx = floorf(ix), fy = floorf(iy);
        int64_t x0 = (int64_t)fx, y0 = (int64_t)fy, x1 = x0 + 1, y1 = y0 + 1;
        float wnw = ((float)x1 - ix) * ((float)y1 - iy), wne = (ix - (float)x0) * ((float)y1 - iy);
        float wsw = ((float)x1 - ix) * (iy - (float)y0), wse = (ix - (float)x0) * (iy - (float)y0);
        int vx0 = x0 >= 0 && x0 < W, vx1 = x1 >= 0 && x1 < W, vy0 = y0 >= 0 && y0 < H, vy1 = y1 >= 0 && y1 < H;
        for (int64_t c = 0; c < C; c++) {
          const float *pl = xp + c * H * W;
          float acc = 0.0f;
          if (vy0 && vx0) acc += pl[y0 * W + x0] * wnw;
          if (vy0 && vx1) acc += pl[y0 * W + x1] * wne;
          if (vy1 && vx0) acc += pl[y1 * W + x0] * wsw;
          if (vy1 && vx1) acc += pl[y1 * W + x1] * wse;
          o[c * Ho * Wo] = acc;
        }
      }
    }
  }
  return FZ_OK;
}
