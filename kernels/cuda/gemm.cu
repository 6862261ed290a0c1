// gemm.cu — fp32 GEMM on the GPU: a tiled shared-memory SGEMM (64×64 block tile, k-step 16, 256 threads
// each accumulating a 4×4 strided micro-tile in registers) for batched / broadcast / transposed operands
// with alpha, beta and a fused bias + activation epilogue (PyTorch linear); batched GEMM goes through cuBLAS
// (the emulation's shim checks its column-major use). The segmented (per-cluster) GEMM of CANConv is a
// direct kernel that checks every cluster index.
// Roofline per output tile: 2·64·64·k FLOPs for (64+64)·k·4 bytes from global memory (16 FLOPs/byte):
// compute bound for large k; cuBLASLt epilogues / tensor cores for linear are planned (docs/CUDA.md).
#include "cuda_ops.h"
#include "device_util.cuh"
#include <limits.h>

#define GM_BM 64
#define GM_BN 64
#define GM_BK 16
#define GM_THREADS 256

// One (batched) GEMM: C[z] (m×n, row stride ldc) = alpha·op(A[z])·op(B[z]) + beta·C[z], then + bias
// (bias_mode 1: bias[j] per column, 2: bias[i] per row) and act. op(A)[i][p] = ta ? A[p·lda + i] : A[i·lda + p];
// op(B)[p][j] = tb ? B[j·ldb + p] : B[p·ldb + j]. Batch strides sa / sb / sc (0 broadcasts). beta = 0
// never reads C (NaNs in it do not propagate).
struct gemm_args {
  const float *a, *b;
  float *c;
  const float *bias;
  int64_t m, n, k, lda, ldb, ldc, sa, sb, sc, batch;
  int ta, tb, bias_mode, act;
  float alpha, beta, p0, p1;
};

FZ_HOT __global__ void __launch_bounds__(GM_THREADS) k_sgemm(gemm_args g) {
  __shared__ float As[GM_BK][GM_BM + 4];
  __shared__ float Bs[GM_BK][GM_BN + 4];
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int64_t i0 = (int64_t)blockIdx.y * GM_BM, j0 = (int64_t)blockIdx.x * GM_BN;
  for (int64_t z = blockIdx.z; z < g.batch; z += gridDim.z) {
    const float *A = g.a + z * g.sa, *B = g.b + z * g.sb;
    float *C = g.c + z * g.sc;
    float acc[4][4];
    FZ_UNROLL for (int r = 0; r < 4; r++)
      FZ_UNROLL for (int c = 0; c < 4; c++) acc[r][c] = 0.0f;
    for (int64_t p0 = 0; p0 < g.k; p0 += GM_BK) {
      // A tile (64×16): consecutive threads walk the contiguous dim of A (p when !ta, i when ta).
      for (int e = tid; e < GM_BM * GM_BK; e += GM_THREADS) {
        int ii = g.ta ? e % GM_BM : e / GM_BK, pp = g.ta ? e / GM_BM : e % GM_BK;
        int64_t gi = i0 + ii, gp = p0 + pp;
        As[pp][ii] = (gi < g.m && gp < g.k) ? (g.ta ? A[gp * g.lda + gi] : A[gi * g.lda + gp]) : 0.0f;
      }
      // B tile (16×64): contiguous dim is j when !tb, p when tb.
      for (int e = tid; e < GM_BK * GM_BN; e += GM_THREADS) {
        int jj = g.tb ? e / GM_BK : e % GM_BN, pp = g.tb ? e % GM_BK : e / GM_BN;
        int64_t gj = j0 + jj, gp = p0 + pp;
        Bs[pp][jj] = (gj < g.n && gp < g.k) ? (g.tb ? B[gj * g.ldb + gp] : B[gp * g.ldb + gj]) : 0.0f;
      }
      __syncthreads();
      FZ_UNROLL for (int pp = 0; pp < GM_BK; pp++) {
        float av[4], bv[4];
        FZ_UNROLL for (int r = 0; r < 4; r++) av[r] = As[pp][ty + 16 * r];
        FZ_UNROLL for (int c = 0; c < 4; c++) bv[c] = Bs[pp][tx + 16 * c];
        FZ_UNROLL for (int r = 0; r < 4; r++)
          FZ_UNROLL for (int c = 0; c < 4; c++) acc[r][c] += av[r] * bv[c];
      }
      __syncthreads();
    }
    FZ_UNROLL for (int r = 0; r < 4; r++) {
      int64_t gi = i0 + ty + 16 * r;
      if (gi >= g.m) continue;
      FZ_UNROLL for (int c = 0; c < 4; c++) {
        int64_t gj = j0 + tx + 16 * c;
        if (gj >= g.n) continue;
        float v = g.alpha * acc[r][c];
        if (g.beta != 0.0f) v += g.beta * C[gi * g.ldc + gj];
        if (g.bias_mode == 1) v += g.bias[gj];
        else if (g.bias_mode == 2) v += g.bias[gi];
        C[gi * g.ldc + gj] = g.act == FZ_ACT_NONE ? v : fz_dev_act_call(v, g.act, g.p0, g.p1);
      }
    }
  }
}

// Issues k_sgemm for g on be's stream.
static int launch_sgemm(const fz_backend *be, const gemm_args &g, const char *what, fz_err *err) {
  if (g.m == 0 || g.n == 0 || g.batch == 0) return FZ_OK;
  int64_t gx = (g.n + GM_BN - 1) / GM_BN, gy = (g.m + GM_BM - 1) / GM_BM;
  if (gx > INT_MAX || gy > 65535)
    return fz_fail(err, FZ_EUNSUP, "%s: %s of %lld×%lld exceeds the grid limits of this kernel", be->name, what, (long long)g.m,
                   (long long)g.n);
  dim3 grid((unsigned)gx, (unsigned)gy, (unsigned)(g.batch < 65535 ? g.batch : 65535));
  FZ_LAUNCH(k_sgemm, grid, GM_THREADS, 0, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, what, err);
}

int fz_cuda_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, int act,
                   float act_p0, float act_p1, fz_err *err) {
  gemm_args g;
  memset(&g, 0, sizeof g);
  g.n = w->shape[0];
  g.k = w->shape[1];
  g.m = g.n ? fz_tensor_numel(out) / g.n : 0;
  g.a = (const float *)x->data;  // x [M, K]
  g.b = (const float *)w->data;  // w [N, K]: op(B) = wᵀ
  g.c = (float *)out->data;
  g.lda = g.k;
  g.ldb = g.k;
  g.ldc = g.n;
  g.tb = 1;
  g.batch = 1;
  g.alpha = 1.0f;
  g.bias = bias ? (const float *)bias->data : NULL;
  g.bias_mode = bias ? 1 : 0;
  g.act = act;
  g.p0 = act_p0;
  g.p1 = act_p1;
  return launch_sgemm(be, g, "linear kernel", err);
}

// Batched GEMM through cuBLAS: row-major out = op(a)·op(b) is column-major outᵀ = op(b)ᵀ·op(a)ᵀ, and a
// row-major matrix's memory is its transpose in column-major, so the call passes b first with b's own
// transposition flag and leading dimension, then a (broadcast operands have stride 0). Sizes beyond cuBLAS's
// int range fall back to k_sgemm.
int fz_cuda_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch,
                         int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                         float alpha, float beta, fz_err *err) {
  if (batch == 0 || m == 0 || n == 0) return FZ_OK;
  const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  if (m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && batch <= INT_MAX && lda <= INT_MAX && ldb <= INT_MAX) {
    fz_cuda_stream(be);  // (makes the device current)
    cublasStatus_t st = cublasSgemmStridedBatched(
        fz_cuda_ctx_of(be)->blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n, (int)m,
        (int)k, &alpha, (const float *)bm->data, (int)ldb, b_batch == 1 ? 0 : k * n, (const float *)a->data, (int)lda,
        a_batch == 1 ? 0 : m * k, &beta, (float *)out->data, (int)n, m * n, (int)batch);
    return st == CUBLAS_STATUS_SUCCESS ? FZ_OK : fz_cublas_fail(be, st, "gemm (cublasSgemmStridedBatched)", err);
  }
  return fz_cuda_gemm_batched_tiled(be, out, a, bm, batch, a_batch, b_batch, m, n, k, trans_a, trans_b, alpha, beta, err);
}

int fz_cuda_gemm_batched_tiled(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch,
                               int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                               float alpha, float beta, fz_err *err) {
  gemm_args g;
  memset(&g, 0, sizeof g);
  g.a = (const float *)a->data;
  g.b = (const float *)bm->data;
  g.c = (float *)out->data;
  g.m = m;
  g.n = n;
  g.k = k;
  g.ta = trans_a;
  g.tb = trans_b;
  g.lda = trans_a ? m : k;
  g.ldb = trans_b ? k : n;
  g.ldc = n;
  g.sa = a_batch == 1 ? 0 : m * k;
  g.sb = b_batch == 1 ? 0 : k * n;
  g.sc = m * n;
  g.batch = batch;
  g.alpha = alpha;
  g.beta = beta;
  return launch_sgemm(be, g, "gemm kernel", err);
}

// out[r, j] = Σ_p x[r, p]·w[idx[r], p, j] + bias[idx[r], j]; a row whose index lies outside [0, G) is left
// unwritten and the smallest such row is recorded in *flag (atomicMin; the caller reports it).
__global__ void k_gemm_segmented(float *out, const float *x, const float *w, const float *bias, const int32_t *idx, int64_t R,
                                 int64_t K, int64_t N, int64_t G, int *flag) {
  int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < R * N; t += step) {
    int64_t r = t / N, j = t % N;
    int32_t gi = idx[r];
    if (gi < 0 || gi >= G) {
      atomicMin(flag, (int)(r < INT_MAX ? r : INT_MAX - 1));
      continue;
    }
    const float *xr = x + r * K, *wg = w + (int64_t)gi * K * N + j;
    float acc = 0.0f;
    for (int64_t p = 0; p < K; p++) acc += xr[p] * wg[p * N];
    out[t] = acc + (bias ? bias[(int64_t)gi * N + j] : 0.0f);
  }
}

int fz_cuda_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                           const fz_tensor *idx, fz_err *err) {
  int64_t R = x->shape[0], K = x->shape[1], G = w->shape[0], N = w->shape[2];
  if (R == 0 || N == 0) return FZ_OK;
  fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  fz_cuda_stream(be);  // (makes the device current)
  cudaError_t e = cudaMemsetAsync(c->flag, 0x7f, sizeof(int), c->stream);  // 0x7f7f7f7f: no bad row
  if (e != cudaSuccess) return fz_cuda_fail(be, e, "gemm_segmented flag reset", err);
  FZ_LAUNCH(k_gemm_segmented, fz_cuda_blocks(R * N, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, c->stream)(
      (float *)out->data, (const float *)x->data, (const float *)w->data, bias ? (const float *)bias->data : NULL,
      (const int32_t *)idx->data, R, K, N, G, c->flag);
  int rc = fz_cuda_check_launch(be, "gemm_segmented kernel", err);
  if (rc) return rc;
  int bad = 0;
  if ((e = cudaMemcpyAsync(&bad, c->flag, sizeof bad, cudaMemcpyDeviceToHost, c->stream)) != cudaSuccess ||
      (e = cudaStreamSynchronize(c->stream)) != cudaSuccess)
    return fz_cuda_fail(be, e, "gemm_segmented index check", err);
  if (bad != 0x7f7f7f7f) {
    int32_t v = 0;
    if ((e = cudaMemcpy(&v, (const int32_t *)idx->data + bad, sizeof v, cudaMemcpyDeviceToHost)) != cudaSuccess)
      return fz_cuda_fail(be, e, "gemm_segmented index check", err);
    return fz_fail(err, FZ_EINVAL, "gemm_segmented: idx[%d] = %d, expected a cluster index in [0, %lld)", bad, v, (long long)G);
  }
  return FZ_OK;
}
