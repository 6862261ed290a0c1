// resample.cu — F.interpolate (nearest, bilinear, bicubic; no antialias), F.grid_sample (nearest /
// bilinear, zeros / border padding) and the sinusoidal timestep embedding on the GPU. One thread per output
// element; the index and weight formulas are PyTorch's, evaluated in f32 in the same order as the CPU
// backend (kernels/cpu/resample.c, grid_sample.c, embedding.c), and interpolation sums along W first, then
// along H, as PyTorch's kernels do. Roofline: memory bound (2-16 reads per output).
#include "cuda_ops.h"
#include "device_util.cuh"

// PyTorch area_pixel_compute_scale: (in-1)/(out-1) with align_corners, else 1/scale_factor or in/out.
__device__ __forceinline__ float fz_area_scale(int64_t in, int64_t out, int align, float inv_sf) {
  if (align) return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
  return inv_sf > 0.0f ? inv_sf : (float)in / (float)out;
}
// Source index and taps of output coordinate o along one dim (mode 0 nearest, 1 bilinear, 2 bicubic):
// tap indices idx[0..nt) and weights w[0..nt) (nt = 1, 2 or 4).
__device__ __forceinline__ void fz_taps(int64_t o, int64_t in, int64_t out, int mode, int align, float inv_sf, int64_t idx[4],
                                        float w[4]) {
  if (mode == 0) {  // PyTorch nearest_idx
    int64_t i;
    if (out == in) i = o;
    else if (out == 2 * in) i = o >> 1;
    else {
      float s = inv_sf > 0.0f ? inv_sf : (float)in / (float)out;
      i = (int64_t)floorf((float)o * s);
      if (i > in - 1) i = in - 1;
    }
    idx[0] = i;
    w[0] = 1.0f;
    return;
  }
  float scale = fz_area_scale(in, out, align, inv_sf);
  float src = align ? scale * (float)o : scale * ((float)o + 0.5f) - 0.5f;
  if (mode == 1 && !align && src < 0.0f) src = 0.0f;  // linear modes clamp negative source indices
  int64_t i = (int64_t)floorf(src);
  if (i > in - 1) i = in - 1;
  float t = src - (float)i;
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  if (mode == 1) {
    idx[0] = i;
    idx[1] = i + (i < in - 1 ? 1 : 0);
    w[0] = 1.0f - t;
    w[1] = t;
    return;
  }
  const float A = -0.75f;  // Keys cubic convolution (PyTorch get_cubic_upsample_coefficients)
  float x1 = t + 1.0f, x2 = 1.0f - t, x3 = 2.0f - t;
  w[0] = ((A * x1 - 5.0f * A) * x1 + 8.0f * A) * x1 - 4.0f * A;
  w[1] = ((A + 2.0f) * t - (A + 3.0f)) * t * t + 1.0f;
  w[2] = ((A + 2.0f) * x2 - (A + 3.0f)) * x2 * x2 + 1.0f;
  w[3] = ((A * x3 - 5.0f * A) * x3 + 8.0f * A) * x3 - 4.0f * A;
  for (int j = 0; j < 4; j++) {
    int64_t k = i - 1 + j;
    idx[j] = k < 0 ? 0 : k > in - 1 ? in - 1 : k;
  }
}

// out [P, Ho, Wo] from planes x [P, H, W].
__global__ void k_interpolate(float *out, const float *x, int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo, int mode,
                              int align, float inv_sh, float inv_sw) {
  const int nt = mode == 0 ? 1 : mode == 1 ? 2 : 4;
  int64_t total = P * Ho * Wo, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    int64_t ox = t % Wo, oy = (t / Wo) % Ho, p = t / (Wo * Ho);
    int64_t iy[4] = {0, 0, 0, 0}, ix[4] = {0, 0, 0, 0};
    float wy[4] = {0, 0, 0, 0}, wx[4] = {0, 0, 0, 0};
    fz_taps(oy, H, Ho, mode, align, inv_sh, iy, wy);
    fz_taps(ox, W, Wo, mode, align, inv_sw, ix, wx);
    const float *pl = x + p * H * W;
    float acc = 0.0f;
    for (int j = 0; j < nt; j++) {
      const float *r = pl + iy[j] * W;
      float s;
      if (nt == 1) s = r[ix[0]];
      else if (nt == 2) s = r[ix[0]] * wx[0] + r[ix[1]] * wx[1];
      else {
        s = r[ix[0]] * wx[0];
        s += r[ix[1]] * wx[1];
        s += r[ix[2]] * wx[2];
        s += r[ix[3]] * wx[3];
      }
      if (nt == 1) acc = s;
      else if (j == 0) acc = s * wy[0];
      else acc += s * wy[j];
    }
    out[t] = acc;
  }
}

// PyTorch grid_sampler_compute_source_index: unnormalise a [-1, 1] coordinate, clip for border padding.
__device__ __forceinline__ float fz_grid_source(float c, int64_t size, int pad, int align) {
  float s = align ? ((c + 1.0f) / 2.0f) * (float)(size - 1) : ((c + 1.0f) * (float)size - 1.0f) / 2.0f;
  if (pad == 1) s = fminf((float)(size - 1), fmaxf(s, 0.0f));
  return s;
}

// out[n, c, oy, ox] = x[n, c] sampled at grid[n, oy, ox] = (x, y) in [-1, 1]; one thread per (n, oy, ox).
__global__ void k_grid_sample(float *out, const float *x, const float *grid, int64_t N, int64_t C, int64_t H, int64_t W,
                              int64_t Ho, int64_t Wo, int mode, int pad, int align) {
  int64_t total = N * Ho * Wo, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    int64_t n = t / (Ho * Wo), pix = t % (Ho * Wo);
    const float *gp = grid + t * 2;
    float ix = fz_grid_source(gp[0], W, pad, align), iy = fz_grid_source(gp[1], H, pad, align);
    float *o = out + n * C * Ho * Wo + pix;
    const float *xp = x + n * C * H * W;
    if (mode == 0) {
      float rx = nearbyintf(ix), ry = nearbyintf(iy);  // half to even, as PyTorch's std::nearbyint
      bool inb = rx >= 0.0f && rx < (float)W && ry >= 0.0f && ry < (float)H;
      int64_t off = inb ? (int64_t)ry * W + (int64_t)rx : 0;
      for (int64_t c = 0; c < C; c++) o[c * Ho * Wo] = inb ? xp[c * H * W + off] : 0.0f;
    } else if (!(ix > -1.0f && ix < (float)W && iy > -1.0f && iy < (float)H)) {
      for (int64_t c = 0; c < C; c++) o[c * Ho * Wo] = 0.0f;  // every tap outside (or NaN)
    } else {
      float fx = floorf(ix), fy = floorf(iy);
      int64_t x0 = (int64_t)fx, y0 = (int64_t)fy, x1 = x0 + 1, y1 = y0 + 1;
      float wnw = ((float)x1 - ix) * ((float)y1 - iy), wne = (ix - (float)x0) * ((float)y1 - iy);
      float wsw = ((float)x1 - ix) * (iy - (float)y0), wse = (ix - (float)x0) * (iy - (float)y0);
      bool vx0 = x0 >= 0 && x0 < W, vx1 = x1 >= 0 && x1 < W, vy0 = y0 >= 0 && y0 < H, vy1 = y1 >= 0 && y1 < H;
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

// out [B, dim]: freq_i = exp((neg_log·i) / denom), arg = (t·freq_i)·scale, [cos, sin] or [sin, cos]; odd dim: 0.
__global__ void k_timestep_embedding(float *out, const float *t, int64_t B, int64_t dim, int sin_first, float neg_log,
                                     float denom, float scale) {
  int64_t half = dim / 2, total = B * dim, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += step) {
    int64_t b = e / dim, col = e % dim;
    if (col >= 2 * half) {
      out[e] = 0.0f;
      continue;
    }
    int64_t i = col < half ? col : col - half;
    float freq = expf((neg_log * (float)i) / denom), arg = (t[b] * freq) * scale;
    bool want_sin = (col < half) == (sin_first != 0);
    out[e] = want_sin ? sinf(arg) : cosf(arg);
  }
}

#define EW_GRID(n) fz_cuda_blocks((n), FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be)

int fz_cuda_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners, double scale_h,
                        double scale_w, fz_err *err) {
  const int nd = x->ndim;
  int64_t H = x->shape[nd - 2], W = x->shape[nd - 1], Ho = out->shape[nd - 2], Wo = out->shape[nd - 1];
  int64_t P = (H && W) ? fz_tensor_numel(x) / (H * W) : 0;
  if (P * Ho * Wo == 0) return FZ_OK;
  // 1/scale_factor in f32 as the CPU backend computes it ((float)(1.0 / sf)); 0 means "size given".
  float inv_sh = scale_h > 0 ? (float)(1.0 / scale_h) : 0.0f, inv_sw = scale_w > 0 ? (float)(1.0 / scale_w) : 0.0f;
  FZ_LAUNCH(k_interpolate, EW_GRID(P * Ho * Wo))((float *)out->data, (const float *)x->data, P, H, W, Ho, Wo, mode,
                                                 align_corners, inv_sh, inv_sw);
  return fz_cuda_check_launch(be, "interpolate kernel", err);
}

int fz_cuda_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid, int mode, int pad,
                        int align_corners, fz_err *err) {
  int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], Ho = grid->shape[1], Wo = grid->shape[2];
  if (N * Ho * Wo == 0) return FZ_OK;
  FZ_LAUNCH(k_grid_sample, EW_GRID(N * Ho * Wo))((float *)out->data, (const float *)x->data, (const float *)grid->data, N, C,
                                                 H, W, Ho, Wo, mode, pad, align_corners);
  return fz_cuda_check_launch(be, "grid_sample kernel", err);
}

int fz_cuda_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, int sin_first, float freq_shift,
                               float scale, float max_period, fz_err *err) {
  int64_t B = out->shape[0], dim = out->shape[1];
  if (B * dim == 0) return FZ_OK;
  float neg_log = (float)-log((double)max_period), denom = (float)(dim / 2) - freq_shift;  // as the CPU backend
  FZ_LAUNCH(k_timestep_embedding, EW_GRID(B * dim))((float *)out->data, (const float *)t->data, B, dim, sin_first, neg_log,
                                                    denom, scale);
  return fz_cuda_check_launch(be, "timestep_embedding kernel", err);
}
