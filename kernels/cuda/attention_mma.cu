// attention_mma.cu — flash attention on the tensor cores (nvcuda::wmma, 16×16×16 bf16 / fp16 fragments, fp32
// accumulation) for `--precision bf16|fp16`: one block of 4 warps per 64 queries; each warp owns 16 query rows.
// Per 64-key tile (staged in shared memory): S = Q·Kᵀ on the tensor cores, the online softmax in fp32 by lane pairs
// (one query row per pair, scores in base 2), P split into two 16-bit parts (hi + lo: about 16 bits of the fp32
// weight survive), O += P_hi·V + P_lo·V on the tensor cores with O in shared memory (rescaled per row by the
// softmax correction). Head dims are zero-padded to multiples of 16 (up to
// 128). Compiled by nvcc only: the SIMT emulation has no warp matrix unit, so precision.cu runs this kernel only
// after checking it on the device against the portable 16-bit kernel (k_attn16, its emulated twin), and
// `fusor selftest` prints that check. Roofline: 4·Nq·Nk·d FLOPs on the tensor cores; K/V tiles are reused by 64
// queries.
#include "attention_mma.h"
#include "device_util.cuh"

#define AM_WARPS 4
#define AM_THREADS (AM_WARPS * 32)
#define AM_BQ (AM_WARPS * 16)
#define AM_BK 64
#define AM_MAXD 128

#if !defined(FZ_CUDA_EMULATED)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>
#include <mutex>

static int64_t am_pad16(int64_t x) { return (x + 15) / 16 * 16; }

// Dynamic shared memory bytes for padded head dims dp, dvp and storage bytes tb.
static size_t am_smem(int64_t dp, int64_t dvp, size_t tb) {
  return tb * (size_t)(AM_BQ * dp + AM_BK * dp + AM_BK * dvp + 2 * AM_BQ * AM_BK) + sizeof(float) * (size_t)(AM_BQ * AM_BK + AM_BQ * dvp);
}

template <class T> __device__ __forceinline__ T am_of(float x);
template <> __device__ __forceinline__ __nv_bfloat16 am_of<__nv_bfloat16>(float x) { return __float2bfloat16(x); }
template <> __device__ __forceinline__ __half am_of<__half>(float x) { return __float2half(x); }
template <class T> __device__ __forceinline__ float am_to(T x);
template <> __device__ __forceinline__ float am_to<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }
template <> __device__ __forceinline__ float am_to<__half>(__half x) { return __half2float(x); }

// Copies rows [r0, r0 + rows) of a [.., n, c] operand (token stride sn, channel stride 1) into dst [rows, cp]
// (16-bit), zero-filling channels >= c and tokens >= n. All threads of the block take part.
template <class T>
__device__ __forceinline__ void am_stage(T *dst, const T *src, int64_t sn, int64_t r0, int64_t n, int c, int cp, int rows) {
  const T zero = am_of<T>(0.0f);
  for (int e = threadIdx.x; e < rows * cp; e += AM_THREADS) {
    const int r = e / cp, ch = e % cp;
    dst[e] = (ch < c && r0 + r < n) ? src[(r0 + r) * sn + ch] : zero;
  }
}

template <class T>
FZ_HOT __global__ void __launch_bounds__(AM_THREADS) k_attn_mma(fz_attn_mma g, int dp, int dvp) {
  using namespace nvcuda;
  extern __shared__ __align__(128) unsigned char am_sm[];
  T *Qs = (T *)am_sm, *Ks = Qs + AM_BQ * dp, *Vs = Ks + AM_BK * dp, *Ps = Vs + AM_BK * dvp;
  float *Ss = (float *)(Ps + 2 * AM_BQ * AM_BK), *Os = Ss + AM_BQ * AM_BK;  // Ps: [warp][hi, lo][16][BK]
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, d = (int)g.d, dv = (int)g.dv;
  const int64_t nqb = (g.Nq + AM_BQ - 1) / AM_BQ, task = blockIdx.x;
  const int64_t b = task / (g.H * nqb), h = (task / nqb) % g.H, q0 = (task % nqb) * AM_BQ;
  const T *qp = (const T *)g.q + b * g.qsb + h * g.qsh, *kp = (const T *)g.k + b * g.ksb + h * g.ksh;
  const T *vp = (const T *)g.v + b * g.vsb + h * g.vsh;
  am_stage<T>(Qs, qp, g.qsn, q0, g.Nq, d, dp, AM_BQ);
  for (int e = threadIdx.x; e < AM_BQ * dvp; e += AM_THREADS) Os[e] = 0.0f;
  T *Pw = Ps + warp * 2 * 16 * AM_BK, *Plw = Pw + 16 * AM_BK;
  float *Sw = Ss + warp * 16 * AM_BK, *Ow = Os + warp * 16 * dvp;
  const T *Qw = Qs + warp * 16 * dp;
  const int r = lane >> 1, half = lane & 1;            // this lane pair's query row; the half of the columns
  const int64_t qi = q0 + warp * 16 + r;
  const float qscale = g.scale * 1.4426950408889634f;  // scores in base 2
  float m = -INFINITY, l = 0.0f;
  const int64_t last_q = q0 + AM_BQ - 1 < g.Nq - 1 ? q0 + AM_BQ - 1 : g.Nq - 1;
  const int64_t kend = g.causal ? (last_q + 1 < g.Nk ? last_q + 1 : g.Nk) : g.Nk;
  for (int64_t k0 = 0; k0 < kend; k0 += AM_BK) {
    __syncthreads();  // Q / O initialised; the previous K / V tile consumed
    am_stage<T>(Ks, kp, g.ksn, k0, g.Nk, d, dp, AM_BK);
    am_stage<T>(Vs, vp, g.vsn, k0, g.Nk, dv, dvp, AM_BK);
    __syncthreads();
    for (int nf = 0; nf < AM_BK / 16; nf++) {  // S = Q·Kᵀ for 16 keys at a time
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::fill_fragment(acc, 0.0f);
      for (int kk = 0; kk < dp; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> bt;
        wmma::load_matrix_sync(a, Qw + kk, dp);
        wmma::load_matrix_sync(bt, Ks + nf * 16 * dp + kk, dp);
        wmma::mma_sync(acc, a, bt, acc);
      }
      wmma::store_matrix_sync(Sw + nf * 16, acc, AM_BK, wmma::mem_row_major);
    }
    __syncwarp();
    // online softmax of row r over this tile's 64 columns: this lane takes 32 of them
    const int j0 = half * (AM_BK / 2);
    float mloc = -INFINITY;
    for (int j = j0; j < j0 + AM_BK / 2; j++) {
      const int64_t kj = k0 + j;
      const bool ok = kj < g.Nk && (!g.causal || kj <= qi);
      if (ok) mloc = fmaxf(mloc, Sw[r * AM_BK + j] * qscale);
    }
    mloc = fmaxf(mloc, __shfl_xor_sync(0xffffffffu, mloc, 1));
    const float mnew = fmaxf(m, mloc);
    const float corr = mnew == -INFINITY ? 1.0f : exp2f(m - mnew);
    float lsum = 0.0f;
    for (int j = j0; j < j0 + AM_BK / 2; j++) {
      const int64_t kj = k0 + j;
      const bool ok = mnew != -INFINITY && kj < g.Nk && (!g.causal || kj <= qi);
      const float p = ok ? exp2f(Sw[r * AM_BK + j] * qscale - mnew) : 0.0f;
      const T hi = am_of<T>(p);
      Pw[r * AM_BK + j] = hi;
      Plw[r * AM_BK + j] = am_of<T>(p - am_to<T>(hi));
      lsum += p;
    }
    lsum += __shfl_xor_sync(0xffffffffu, lsum, 1);
    l = l * corr + lsum;
    m = mnew;
    for (int c = half * (dvp / 2); c < (half + 1) * (dvp / 2); c++) Ow[r * dvp + c] *= corr;
    __syncwarp();
    for (int nf = 0; nf < dvp / 16; nf++) {  // O += P·V for 16 output channels at a time
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      wmma::load_matrix_sync(acc, Ow + nf * 16, dvp, wmma::mem_row_major);
      for (int kk = 0; kk < AM_BK; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> bv;
        wmma::load_matrix_sync(bv, Vs + kk * dvp + nf * 16, dvp);
        wmma::load_matrix_sync(a, Pw + kk, AM_BK);
        wmma::mma_sync(acc, a, bv, acc);
        wmma::load_matrix_sync(a, Plw + kk, AM_BK);
        wmma::mma_sync(acc, a, bv, acc);
      }
      wmma::store_matrix_sync(Ow + nf * 16, acc, dvp, wmma::mem_row_major);
    }
    __syncwarp();
  }
  __syncwarp();
  if (qi < g.Nq) {
    float *op = g.out + b * g.osb + h * g.osh + qi * g.osn;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    const int c0 = half * ((dv + 1) / 2), c1 = half ? dv : (dv + 1) / 2;
    for (int c = c0; c < c1; c++) op[c] = am_to<T>(am_of<T>(Ow[r * dvp + c] * inv));
  }
}

int fz_cuda_attn_mma_supported(const fz_attn_mma *g) {
  return g->d >= 1 && g->dv >= 1 && g->d <= AM_MAXD && g->dv <= AM_MAXD && g->B * g->H * ((g->Nq + AM_BQ - 1) / AM_BQ) <= 2147483647LL;
}

cudaError_t fz_cuda_attn_mma_launch(const fz_attn_mma *g, cudaStream_t s) {
  if (!fz_cuda_attn_mma_supported(g)) return cudaErrorNotSupported;
  const int64_t dp = am_pad16(g->d), dvp = am_pad16(g->dv), blocks = g->B * g->H * ((g->Nq + AM_BQ - 1) / AM_BQ);
  if (blocks == 0) return cudaSuccess;
  const size_t smem = am_smem(dp, dvp, 2);
  static std::mutex mu;
  static int opted[2][64];  // per storage type and device: the dynamic shared memory limit has been raised
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return e;
  if (smem > 48 * 1024 && dev < 64) {
    std::lock_guard<std::mutex> lock(mu);
    if (!opted[g->bf16][dev]) {
      const size_t max_smem = am_smem(AM_MAXD, AM_MAXD, 2);
      e = g->bf16 ? cudaFuncSetAttribute(k_attn_mma<__nv_bfloat16>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)max_smem)
                  : cudaFuncSetAttribute(k_attn_mma<__half>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)max_smem);
      if (e != cudaSuccess) return e;
      opted[g->bf16][dev] = 1;
    }
  }
  if (g->bf16) k_attn_mma<__nv_bfloat16><<<(unsigned)blocks, AM_THREADS, smem, s>>>(*g, (int)dp, (int)dvp);
  else k_attn_mma<__half><<<(unsigned)blocks, AM_THREADS, smem, s>>>(*g, (int)dp, (int)dvp);
  return cudaGetLastError();
}

#else  // the SIMT emulation: no warp matrix unit

int fz_cuda_attn_mma_supported(const fz_attn_mma *g) { return 0; }
cudaError_t fz_cuda_attn_mma_launch(const fz_attn_mma *g, cudaStream_t s) { return cudaErrorNotSupported; }

#endif
