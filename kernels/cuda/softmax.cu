// softmax.cu — numerically stable softmax along one dim, x viewed as [outer, len, inner]:
// inner == 1 (rows contiguous): one block per row, block reductions of the max and of the exp-sum;
// inner > 1: one thread per (outer, column), three strided passes (coalesced across the columns).
// A NaN anywhere in a row makes the whole row NaN (PyTorch). Roofline: 8 bytes, ~3 FLOPs + one exp per
// element (two reads of the row when it does not stay in L1): memory bound.
#include "cuda_ops.h"
#include "device_util.cuh"

// One block per row r of [rows, len] (contiguous); out may alias x.
FZ_HOT __global__ void k_softmax_rows(float *out, const float *x, int64_t rows, int64_t len) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * len;
    float *orow = out + r * len;
    float m = -INFINITY;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) m = fz_dev_nanmax(m, xr[i]);
    m = fz_block_nanmax(m);
    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += expf(xr[i] - m);
    s = fz_block_sum(s);
    float inv = 1.0f / s;
    for (int64_t i = threadIdx.x; i < len; i += blockDim.x) orow[i] = expf(xr[i] - m) * inv;
    __syncthreads();  // (in place) every thread has read row r before the block moves on
  }
}

// One thread per (o, j): softmax over l < len of x[o, l, j].
__global__ void k_softmax_strided(float *out, const float *x, int64_t outer, int64_t len, int64_t inner) {
  int64_t cols = outer * inner, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < cols; t += step) {
    int64_t o = t / inner, j = t % inner;
    const float *xc = x + o * len * inner + j;
    float *oc = out + o * len * inner + j;
    float m = -INFINITY, s = 0.0f;
    for (int64_t l = 0; l < len; l++) m = fz_dev_nanmax(m, xc[l * inner]);
    for (int64_t l = 0; l < len; l++) s += expf(xc[l * inner] - m);
    float inv = 1.0f / s;
    for (int64_t l = 0; l < len; l++) oc[l * inner] = expf(xc[l * inner] - m) * inv;
  }
}

int fz_cuda_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t len, int64_t inner,
                    fz_err *err) {
  if (outer == 0 || len == 0 || inner == 0) return FZ_OK;
  cudaStream_t s = fz_cuda_stream(be);
  if (inner == 1)
    FZ_LAUNCH(k_softmax_rows, (unsigned)(outer < 65535 ? outer : 65535), FZ_RED_THREADS, 0, s)((float *)out->data,
                                                                                               (const float *)x->data, outer, len);
  else
    FZ_LAUNCH(k_softmax_strided, fz_cuda_blocks(outer * inner, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, s)(
        (float *)out->data, (const float *)x->data, outer, len, inner);
  return fz_cuda_check_launch(be, "softmax kernel", err);
}
