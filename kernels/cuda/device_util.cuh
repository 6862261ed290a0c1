// device_util.cuh — device helpers shared by the kernels/cuda/*.cu families: the fused activation,
// padding index maps, NaN-propagating max, and warp / block sums.
#ifndef FZ_CUDA_DEVICE_UTIL_CUH
#define FZ_CUDA_DEVICE_UTIL_CUH
#include "fz_cuda.h"

// Threads per block of the 1-D elementwise kernels and of the row-reduction kernels.
#define FZ_EW_THREADS 256
#define FZ_RED_THREADS 256
// Most blocks of a grid-stride 1-D launch (enough to fill any current GPU several times over).
#define FZ_EW_MAX_BLOCKS 65535u

// act(x) for activation kind act (fz_act) with parameters p0, p1 (PyTorch definitions, see ops_nn.h).
// GELU uses erfc so both tails keep their relative accuracy; GELU-tanh is x·sigmoid(2u).
__device__ __forceinline__ float fz_dev_act(float x, int act, float p0, float p1) {
  switch (act) {
    case FZ_ACT_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
    case FZ_ACT_LEAKY_RELU: return x > 0.0f ? x : x * p0;
    case FZ_ACT_GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);
    case FZ_ACT_GELU_TANH: {
      float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return x / (1.0f + expf(-2.0f * u));
    }
    case FZ_ACT_SILU: return x / (1.0f + expf(-x));
    case FZ_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case FZ_ACT_SOFTPLUS: {
      float y = p0 * x;
      return y > p1 ? x : log1pf(expf(y)) / p0;
    }
    case FZ_ACT_SIN: return sinf(x);
    case FZ_ACT_TANH: return tanhf(x);
    default: return x;
  }
}

// fz_dev_act kept out of line, for GEMM / conv epilogues that would otherwise inline it per output.
// (A template, so that one definition serves every translation unit without `inline`.)
template <int = 0> __device__ FZ_NOINLINE float fz_dev_act_call(float x, int act, float p0, float p1) {
  return fz_dev_act(x, act, p0, p1);
}

// Source index of padded position i along a dim of n under padding mode (fz_pad_mode; reflect excludes
// the edge, as PyTorch); -1 means a zero. Valid for the overhangs the fz_op wrappers allow.
__device__ __forceinline__ int64_t fz_dev_pad_index(int64_t i, int64_t n, int mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case FZ_PAD_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i;
    case FZ_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    case FZ_PAD_CIRCULAR: return ((i % n) + n) % n;
    default: return -1;
  }
}

// max that propagates NaN (torch.max semantics): once either side is NaN the result is NaN.
__device__ __forceinline__ float fz_dev_nanmax(float a, float b) { return (a != a || b != b) ? __int_as_float(0x7fc00000) : (a > b ? a : b); }

// Sum over the 32 lanes of a full warp (every lane gets the sum).
template <class T> __device__ __forceinline__ T fz_warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// NaN-propagating max over the 32 lanes of a full warp (every lane gets it).
template <class T> __device__ __forceinline__ T fz_warp_nanmax(T v) {
  for (int o = 16; o > 0; o >>= 1) v = fz_dev_nanmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum of v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// Must be reached by all threads of the block.
template <class T> __device__ __forceinline__ T fz_block_sum(T v) {
  __shared__ T part[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = fz_warp_sum(v);
  __syncthreads();  // part[] may still be read by a previous call
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T s = lane < nwarps ? part[lane] : T(0);
    s = fz_warp_sum(s);
    if (lane == 0) part[0] = s;
  }
  __syncthreads();
  return part[0];
}
// NaN-propagating max of v over the block (same contract as fz_block_sum).
__device__ __forceinline__ float fz_block_nanmax(float v) {
  __shared__ float part[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = fz_warp_nanmax(v);
  __syncthreads();
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float s = lane < nwarps ? part[lane] : -INFINITY;
    s = fz_warp_nanmax(s);
    if (lane == 0) part[0] = s;
  }
  __syncthreads();
  return part[0];
}
#endif
