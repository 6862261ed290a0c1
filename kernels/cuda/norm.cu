// norm.cu — normalisation and pooling on the GPU: LayerNorm and RMSNorm over rows (one block per row,
// two-pass mean / variance with block reductions; LayerNorm rows of <= 1024 values: one warp per row), LayerNorm over channels per pixel (one thread per
// pixel, coalesced across pixels), GroupNorm (one block per group for the statistics, then an elementwise
// pass with the fused activation), inference BatchNorm, and global average / max pooling (one block per
// plane; the average accumulates in double). Roofline: memory bound (2-3 reads + 1 write per element).
#include "cuda_ops.h"
#include "device_util.cuh"

// Mean and 1/sqrt(var + eps) of x[0..n) by two passes (mean, then mean squared deviation); all threads
// of the block get them.
__device__ __forceinline__ void fz_block_stats(const float *x, int64_t n, float eps, float *mean, float *rstd) {
  float s = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
  float m = fz_block_sum(s) / (float)n;
  float q = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    float d = x[i] - m;
    q += d * d;
  }
  float v = fz_block_sum(q) / (float)n;
  *mean = m;
  *rstd = 1.0f / sqrtf(v + eps);
}

// LayerNorm of each row of [rows, C]; gamma / beta may be NULL. out may alias x.
FZ_HOT __global__ void k_layer_norm(float *out, const float *x, const float *gamma, const float *beta, int64_t rows, int64_t C,
                                    float eps) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * C;
    float *orow = out + r * C;
    float m, rs;
    fz_block_stats(xr, C, eps, &m, &rs);
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
      float v = (xr[j] - m) * rs;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      orow[j] = v;
    }
    __syncthreads();
  }
}

// LayerNorm of short rows (C <= FZ_LN_WARP_MAX_C): one warp per row (8 rows per 256-thread block), two-pass
// statistics by warp shuffles, no barriers; a block per row would leave most of its threads idle.
#define FZ_LN_WARP_MAX_C 1024
FZ_HOT __global__ void k_layer_norm_warp(float *out, const float *x, const float *gamma, const float *beta, int64_t rows,
                                         int64_t C, float eps) {
  const int lane = threadIdx.x & 31, wpb = blockDim.x >> 5;
  for (int64_t r = (int64_t)blockIdx.x * wpb + (threadIdx.x >> 5); r < rows; r += (int64_t)gridDim.x * wpb) {
    const float *xr = x + r * C;
    float *orow = out + r * C;
    float s = 0.0f;
    for (int64_t j = lane; j < C; j += 32) s += xr[j];
    const float m = fz_warp_sum(s) / (float)C;
    float q = 0.0f;
    for (int64_t j = lane; j < C; j += 32) {
      float d = xr[j] - m;
      q += d * d;
    }
    const float rs = 1.0f / sqrtf(fz_warp_sum(q) / (float)C + eps);
    for (int64_t j = lane; j < C; j += 32) {  // (out may alias x: each lane rewrites only what it read last)
      float v = (xr[j] - m) * rs;
      if (gamma) v *= gamma[j];
      if (beta) v += beta[j];
      orow[j] = v;
    }
  }
}

// RMSNorm of each row: out = x / sqrt(mean(x²) + eps) · gamma.
__global__ void k_rms_norm(float *out, const float *x, const float *gamma, int64_t rows, int64_t C, float eps) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * C;
    float *orow = out + r * C;
    float q = 0.0f;
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) q += xr[j] * xr[j];
    float rs = 1.0f / sqrtf(fz_block_sum(q) / (float)C + eps);
    for (int64_t j = threadIdx.x; j < C; j += blockDim.x) orow[j] = xr[j] * rs * (gamma ? gamma[j] : 1.0f);
    __syncthreads();
  }
}

// LayerNorm over the C channels of each pixel of x [N, C, S]: one thread per (n, pixel).
__global__ void k_layer_norm_channels(float *out, const float *x, const float *gamma, const float *beta, int64_t N, int64_t C,
                                      int64_t S, float eps) {
  int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < N * S; t += step) {
    int64_t n = t / S, p = t % S;
    const float *xp = x + n * C * S + p;
    float *op = out + n * C * S + p;
    float m = 0.0f, q = 0.0f;
    for (int64_t c = 0; c < C; c++) m += xp[c * S];
    m /= (float)C;
    for (int64_t c = 0; c < C; c++) {
      float d = xp[c * S] - m;
      q += d * d;
    }
    float rs = 1.0f / sqrtf(q / (float)C + eps);
    for (int64_t c = 0; c < C; c++)
      op[c * S] = (xp[c * S] - m) * rs * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
  }
}

// Statistics of group gi (of N·G groups, each gsize contiguous elements): stats[2gi] = mean, [2gi+1] = rstd.
__global__ void k_group_stats(float *stats, const float *x, int64_t ngroups, int64_t gsize, float eps) {
  for (int64_t gi = blockIdx.x; gi < ngroups; gi += gridDim.x) {
    float m, rs;
    fz_block_stats(x + gi * gsize, gsize, eps, &m, &rs);
    if (threadIdx.x == 0) {
      stats[2 * gi] = m;
      stats[2 * gi + 1] = rs;
    }
    __syncthreads();
  }
}

// out = act((x - mean)·rstd·gamma[c] + beta[c]) for x [N, C, S] with G groups of C/G channels.
__global__ void k_group_apply(float *out, const float *x, const float *stats, const float *gamma, const float *beta, int64_t C,
                              int64_t S, int64_t cg, int64_t total, int act, float p0) {
  int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
    int64_t nc = i / S, c = nc % C, gi = (nc / C) * (C / cg) + c / cg;
    float v = (x[i] - stats[2 * gi]) * stats[2 * gi + 1];
    if (gamma) v *= gamma[c];
    if (beta) v += beta[c];
    out[i] = fz_dev_act(v, act, p0, 0.0f);
  }
}

// Inference BatchNorm on x [N, C, S]: out = act((x - mean[c]) / sqrt(var[c] + eps) · gamma[c] + beta[c]).
__global__ void k_batch_norm(float *out, const float *x, const float *mean, const float *var, const float *gamma,
                             const float *beta, int64_t C, int64_t S, int64_t total, float eps, int act, float p0) {
  int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += step) {
    int64_t c = (i / S) % C;
    float sc = (gamma ? gamma[c] : 1.0f) / sqrtf(var[c] + eps);
    float v = (x[i] - mean[c]) * sc + (beta ? beta[c] : 0.0f);
    out[i] = fz_dev_act(v, act, p0, 0.0f);
  }
}

// One block per plane p of x [planes, hw]: out[p] = mean (double accumulation) or NaN-propagating max.
__global__ void k_global_pool(float *out, const float *x, int64_t planes, int64_t hw, int mode) {
  for (int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const float *s = x + p * hw;
    if (mode == FZ_POOL_AVG) {
      double acc = 0.0;
      for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) acc += s[i];
      acc = fz_block_sum(acc);
      if (threadIdx.x == 0) out[p] = hw ? (float)(acc / (double)hw) : __int_as_float(0x7fc00000);
    } else {
      float m = -INFINITY;
      for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) m = fz_dev_nanmax(m, s[i]);
      m = fz_block_nanmax(m);
      if (threadIdx.x == 0) out[p] = m;
    }
    __syncthreads();
  }
}

#define ROW_GRID(rows) (unsigned)((rows) < 65535 ? (rows) : 65535), FZ_RED_THREADS, 0, fz_cuda_stream(be)
#define EW_GRID(n) fz_cuda_blocks((n), FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be)
#define DPTR(t) ((t) ? (const float *)(t)->data : NULL)

int fz_cuda_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, const fz_tensor *beta,
                       float eps, fz_err *err) {
  int64_t C = x->shape[x->ndim - 1], rows = C ? fz_tensor_numel(x) / C : 0;
  if (rows == 0) return FZ_OK;
  if (C <= FZ_LN_WARP_MAX_C) {
    FZ_LAUNCH(k_layer_norm_warp, fz_cuda_blocks(rows, FZ_EW_THREADS / 32, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be))(
        (float *)out->data, (const float *)x->data, DPTR(gamma), DPTR(beta), rows, C, eps);
    return fz_cuda_check_launch(be, "layer_norm (warp per row) kernel", err);
  }
  FZ_LAUNCH(k_layer_norm, ROW_GRID(rows))((float *)out->data, (const float *)x->data, DPTR(gamma), DPTR(beta), rows, C, eps);
  return fz_cuda_check_launch(be, "layer_norm kernel", err);
}

int fz_cuda_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps, fz_err *err) {
  int64_t C = x->shape[x->ndim - 1], rows = C ? fz_tensor_numel(x) / C : 0;
  if (rows == 0) return FZ_OK;
  FZ_LAUNCH(k_rms_norm, ROW_GRID(rows))((float *)out->data, (const float *)x->data, DPTR(gamma), rows, C, eps);
  return fz_cuda_check_launch(be, "rms_norm kernel", err);
}

int fz_cuda_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                                const fz_tensor *beta, float eps, fz_err *err) {
  int64_t N = x->shape[0], C = x->shape[1], S = (N && C) ? fz_tensor_numel(x) / (N * C) : 0;
  if (N * S == 0 || C == 0) return FZ_OK;
  FZ_LAUNCH(k_layer_norm_channels, EW_GRID(N * S))((float *)out->data, (const float *)x->data, DPTR(gamma), DPTR(beta), N, C, S,
                                                   eps);
  return fz_cuda_check_launch(be, "layer_norm_channels kernel", err);
}

int fz_cuda_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma,
                       const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err) {
  int64_t N = x->shape[0], C = x->shape[1], S = (N && C) ? fz_tensor_numel(x) / (N * C) : 0;
  int64_t cg = C / groups, ngroups = N * groups, gsize = cg * S;
  if (ngroups == 0 || gsize == 0) return FZ_OK;
  float *stats = (float *)fz_cuda_scratch(be, (size_t)ngroups * 2 * sizeof(float), err);
  if (!stats) return err ? (int)err->code : FZ_ENOMEM;
  FZ_LAUNCH(k_group_stats, ROW_GRID(ngroups))(stats, (const float *)x->data, ngroups, gsize, eps);
  int rc = fz_cuda_check_launch(be, "group_norm statistics kernel", err);
  if (!rc) {
    FZ_LAUNCH(k_group_apply, EW_GRID(N * C * S))((float *)out->data, (const float *)x->data, stats, DPTR(gamma), DPTR(beta), C,
                                                 S, cg, N * C * S, act, act_p0);
    rc = fz_cuda_check_launch(be, "group_norm kernel", err);
  }
  return rc;
}

int fz_cuda_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean, const fz_tensor *var,
                       const fz_tensor *gamma, const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err) {
  int64_t N = x->shape[0], C = x->shape[1], total = fz_tensor_numel(x), S = (N && C) ? total / (N * C) : 0;
  if (total == 0) return FZ_OK;
  FZ_LAUNCH(k_batch_norm, EW_GRID(total))((float *)out->data, (const float *)x->data, (const float *)mean->data,
                                          (const float *)var->data, DPTR(gamma), DPTR(beta), C, S, total, eps, act, act_p0);
  return fz_cuda_check_launch(be, "batch_norm kernel", err);
}

int fz_cuda_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t planes, int64_t hw, int mode,
                        fz_err *err) {
  if (planes == 0) return FZ_OK;
  FZ_LAUNCH(k_global_pool, ROW_GRID(planes))((float *)out->data, (const float *)x->data, planes, hw, mode);
  return fz_cuda_check_launch(be, "global_pool kernel", err);
}
