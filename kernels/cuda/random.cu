// random.cu — lincomb (the one op every sampler step is made of) and Philox normals on the GPU.
// The normals follow runtime/rng.c operation for operation: Philox4x32-10 block, u = (w + 0.5)·2^-32,
// Box–Muller r = sqrt(-2·log u1), (r·cos 2πu2, r·sin 2πu2) in double, one rounding to float, with log and
// sin/cos from runtime/detmath.h (fdlibm polynomials, every product and sum an IEEE _rn operation, no libm),
// so the numbers are bit-identical on the CPU, under the SIMT emulation (tests/cuda checks every lane) and on
// a GPU, where CUDA's own double log/cos/sin differ from glibc's in the last ulp.
#include "cuda_ops.h"
#include "device_util.cuh"
#include "detmath.h"

#define FZ_LINCOMB_MAX 64
// Inputs of lincomb passed by value (772 bytes of kernel parameters).
struct lincomb_args {
  const float *x[FZ_LINCOMB_MAX];
  float c[FZ_LINCOMB_MAX];
  int n;
};

// out[j] = Σ_i c[i]·x[i][j] for j < numel (grid-stride; out may alias any x[i]).
// Roofline: (n+1)·4 bytes and 2n FLOPs per element: memory bound.
FZ_HOT __global__ void k_lincomb(float *out, lincomb_args a, int64_t numel) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; j < numel; j += stride) {
    float acc = 0.0f;
    for (int i = 0; i < a.n; i++) acc += a.c[i] * a.x[i][j];
    out[j] = acc;
  }
}

// The four normals of Philox block `block` of (seed, stream), exactly as fz_philox_normal4 (rng.c).
__device__ __forceinline__ void fz_dev_normal4(uint64_t seed, uint64_t stream, uint64_t block, float out[4]) {
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

// out[i] = normal(seed, stream, offset + i), i < n: thread t owns Philox block first + t (4 outputs).
FZ_HOT __global__ void k_randn(float *out, int64_t n, uint64_t seed, uint64_t stream, uint64_t offset, int64_t nblocks) {
  uint64_t first = offset >> 2;
  int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < nblocks; t += step) {
    float v[4];
    fz_dev_normal4(seed, stream, first + (uint64_t)t, v);
    for (int lane = 0; lane < 4; lane++) {
      int64_t i = (int64_t)((first + (uint64_t)t) * 4 + (uint64_t)lane - offset);
      if (i >= 0 && i < n) out[i] = v[lane];
    }
  }
}

// Tile noise: out[pl, y, x] = normal(seed, stream_base + pl, (y0 + y)·gw + x0 + x) for planes pl < P, rows
// y < H, x < W. Item t = (row r = pl·H + y, j-th Philox block covering that row's index range).
FZ_HOT __global__ void k_randn_image(float *out, int64_t P, int64_t H, int64_t W, uint64_t seed, uint64_t stream_base,
                                     int64_t y0, int64_t x0, int64_t gw, int64_t per_row) {
  int64_t items = P * H * per_row, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < items; t += step) {
    int64_t r = t / per_row, j = t % per_row, pl = r / H, y = r % H;
    uint64_t start = (uint64_t)((y0 + y) * gw + x0), blk = (start >> 2) + (uint64_t)j;
    if (blk > ((start + (uint64_t)W - 1) >> 2)) continue;  // this row needs fewer blocks
    float v[4];
    fz_dev_normal4(seed, stream_base + (uint64_t)pl, blk, v);
    float *orow = out + r * W;
    for (int lane = 0; lane < 4; lane++) {
      int64_t x = (int64_t)(blk * 4 + (uint64_t)lane) - (int64_t)start;
      if (x >= 0 && x < W) orow[x] = v[lane];
    }
  }
}

int fz_cuda_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err) {
  int64_t numel = fz_tensor_numel(out);
  if (numel == 0) return FZ_OK;
  lincomb_args a;
  memset(&a, 0, sizeof a);
  a.n = n;
  for (int i = 0; i < n; i++) {
    a.x[i] = (const float *)xs[i]->data;
    a.c[i] = coef[i];
  }
  FZ_LAUNCH(k_lincomb, fz_cuda_blocks(numel, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0,
            fz_cuda_stream(be))((float *)out->data, a, numel);
  return fz_cuda_check_launch(be, "lincomb kernel", err);
}

int fz_cuda_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err) {
  int64_t n = fz_tensor_numel(out);
  if (n == 0) return FZ_OK;
  int64_t nblocks = (int64_t)(((offset + (uint64_t)n - 1) >> 2) - (offset >> 2) + 1);
  FZ_LAUNCH(k_randn, fz_cuda_blocks(nblocks, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be))(
      (float *)out->data, n, seed, stream, offset, nblocks);
  return fz_cuda_check_launch(be, "randn kernel", err);
}

int fz_cuda_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base, int64_t y0, int64_t x0,
                        int64_t global_w, fz_err *err) {
  int64_t P = out->shape[0] * out->shape[1], H = out->shape[2], W = out->shape[3];
  if (P == 0 || H == 0 || W == 0) return FZ_OK;
  int64_t per_row = (W + 3) / 4 + 1;  // a row of W numbers touches at most this many Philox blocks
  FZ_LAUNCH(k_randn_image, fz_cuda_blocks(P * H * per_row, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0,
            fz_cuda_stream(be))((float *)out->data, P, H, W, seed, stream_base, y0, x0, global_w, per_row);
  return fz_cuda_check_launch(be, "randn_image kernel", err);
}

void fz_cuda_fill_core(fz_backend *t) {
  t->lincomb = fz_cuda_lincomb;
  t->randn = fz_cuda_randn;
  t->randn_image = fz_cuda_randn_image;
}
