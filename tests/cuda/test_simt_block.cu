// test_simt_block.cu — block-level semantics of the CUDA execution model as the SIMT emulation implements
// them (and a GPU must too: these kernels are plain CUDA): built-in index variables of 3-D grids and blocks,
// __syncthreads ordering, __syncthreads_count/_and/_or, one copy of __shared__ memory per block even with
// blocks running concurrently on several host workers, dynamic shared memory and its 48 KiB opt-in limit,
// and launch-configuration errors. Every kernel runs under the in-order schedule and several randomised ones.
#include "cuda_test_util.h"

// out[gid] = packed threadIdx, blk[gid] = packed blockIdx, dims[gid] = packed blockDim / gridDim checks.
__global__ void k_ids(unsigned *tid, unsigned *bid, int *count) {
  unsigned nthr = blockDim.x * blockDim.y * blockDim.z;
  unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned gid = b * nthr + t;
  tid[gid] = threadIdx.x | (threadIdx.y << 10) | (threadIdx.z << 20);
  bid[gid] = blockIdx.x | (blockIdx.y << 10) | (blockIdx.z << 20);
  atomicAdd(count, 1);
}

// Oracle: CUDA's definition of the built-in variables — thread t of block b of a launch with block (bx,by,bz)
// and grid (gx,gy,gz) has threadIdx = (t % bx, t / bx % by, t / (bx·by)), likewise blockIdx; each thread
// runs exactly once.
TEST(simt_index_variables_3d) {
  CUT_NEED_DEVICE();
  dim3 grid(3, 2, 2), block(5, 4, 3);
  int nthr = 60, nblk = 12, n = nthr * nblk;
  unsigned *tid, *bid;
  int *count;
  CUT_OK(cudaMalloc(&tid, n * sizeof(unsigned)));
  CUT_OK(cudaMalloc(&bid, n * sizeof(unsigned)));
  CUT_OK(cudaMalloc(&count, sizeof(int)));
  CUT_OK(cudaMemset(count, 0, sizeof(int)));
  FZ_LAUNCH(k_ids, grid, block, 0, 0)(tid, bid, count);
  CUT_OK(cudaGetLastError());
  unsigned *ht = (unsigned *)malloc(n * sizeof(unsigned)), *hb = (unsigned *)malloc(n * sizeof(unsigned));
  int hc = 0;
  CUT_OK(cudaMemcpy(ht, tid, n * sizeof(unsigned), cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(hb, bid, n * sizeof(unsigned), cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(&hc, count, sizeof(int), cudaMemcpyDeviceToHost));
  cudaFree(tid); cudaFree(bid); cudaFree(count);
  int bad = -1;
  for (int g = 0; g < n && bad < 0; g++) {
    unsigned t = (unsigned)(g % nthr), b = (unsigned)(g / nthr);
    unsigned et = (t % 5) | ((t / 5 % 4) << 10) | ((t / 20) << 20), eb = (b % 3) | ((b / 3 % 2) << 10) | ((b / 6) << 20);
    if (ht[g] != et || hb[g] != eb) bad = g;
  }
  free(ht); free(hb);
  CHECKF(bad < 0, "thread %d has the wrong threadIdx / blockIdx", bad);
  CHECKF(hc == n, "%d threads ran, expected %d", hc, n);
}

// Inclusive prefix sum of 256 ints per block (Hillis–Steele, double-buffered, one barrier per step).
__global__ void k_scan(const int *in, int *out) {
  __shared__ int buf[2][256];
  int t = threadIdx.x, p = 0;
  buf[0][t] = in[blockIdx.x * 256 + t];
  __syncthreads();
  for (int off = 1; off < 256; off <<= 1) {
    int v = buf[p][t];
    if (t >= off) v += buf[p][t - off];
    buf[1 - p][t] = v;
    p = 1 - p;
    __syncthreads();
  }
  out[blockIdx.x * 256 + t] = buf[p][t];
}

// Oracle: a serial running sum per block of 256 inputs.
TEST(simt_barrier_prefix_sum_all_schedules) {
  CUT_NEED_DEVICE();
  const int nb = 24, n = nb * 256;
  int *h = (int *)malloc(n * sizeof(int)), *r = (int *)malloc(n * sizeof(int)), *d_in, *d_out;
  for (int i = 0; i < n; i++) h[i] = (int)((i * 2654435761u) % 1000) - 500;
  CUT_OK(cudaMalloc(&d_in, n * sizeof(int)));
  CUT_OK(cudaMalloc(&d_out, n * sizeof(int)));
  CUT_OK(cudaMemcpy(d_in, h, n * sizeof(int), cudaMemcpyHostToDevice));
  int bad = -1;
  uint64_t bad_seed = 0;
  for (uint64_t seed = 0; seed < 6 && bad < 0; seed++) {
    cut_schedule(seed);
    FZ_LAUNCH(k_scan, nb, 256, 0, 0)(d_in, d_out);
    if (cudaGetLastError() != cudaSuccess) { bad = -2; break; }
    cudaMemcpy(r, d_out, n * sizeof(int), cudaMemcpyDeviceToHost);
    for (int b = 0; b < nb && bad < 0; b++) {
      int s = 0;
      for (int t = 0; t < 256; t++) {
        s += h[b * 256 + t];
        if (r[b * 256 + t] != s) { bad = b * 256 + t; bad_seed = seed; break; }
      }
    }
  }
  cut_schedule_default();
  cudaFree(d_in); cudaFree(d_out); free(h); free(r);
  CHECKF(bad != -2, "k_scan launch failed");
  CHECKF(bad < 0, "prefix sum wrong at %d under schedule seed %llu", bad, (unsigned long long)bad_seed);
}

// Each block stamps its index into shared memory, then re-reads it many times around yield points:
// mism[b] counts entries that were not b (another block writing the same shared array).
__global__ void k_shared_is_per_block(int *mism) {
  __shared__ unsigned tag[128];
  int t = threadIdx.x, bad = 0;
  tag[t] = blockIdx.x;
  __syncthreads();
  for (int rep = 0; rep < 8; rep++) {
    FZ_SIMT_YIELD();
    for (int i = 0; i < 128; i++) bad += tag[i] != blockIdx.x;
    __syncthreads();
    tag[t] = blockIdx.x;  // rewrite: a block sharing this array would now clobber the other's stamps
    __syncthreads();
  }
  if (bad) atomicAdd(&mism[blockIdx.x], bad);
}

// Oracle: CUDA's definition of __shared__ — one copy per block, invisible to other blocks — so no
// mismatch can be seen; 64 blocks over the emulation's host workers run concurrently.
TEST(simt_shared_memory_is_per_block) {
  CUT_NEED_DEVICE();
  int *mism, h[64];
  CUT_OK(cudaMalloc(&mism, sizeof h));
  CUT_OK(cudaMemset(mism, 0, sizeof h));
#ifdef FZ_CUDA_EMULATED
  int w0 = fz_simt::workers();
  fz_simt::set_workers(2);
#endif
  for (uint64_t seed = 1; seed <= 3; seed++) {
    cut_schedule(seed);
    FZ_LAUNCH(k_shared_is_per_block, 64, 128, 0, 0)(mism);
  }
  cut_schedule_default();
#ifdef FZ_CUDA_EMULATED
  fz_simt::set_workers(w0);
#endif
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, mism, sizeof h, cudaMemcpyDeviceToHost));
  cudaFree(mism);
  for (int b = 0; b < 64; b++) CHECKF(h[b] == 0, "block %d saw %d foreign shared-memory values", b, h[b]);
}

// r[0..2] = __syncthreads_count / _and / _or of pred = (t % 3 == 0); r[3] = _and of pred 1.
__global__ void k_sync_votes(int *r) {
  int t = threadIdx.x;
  int c = __syncthreads_count(t % 3 == 0), a = __syncthreads_and(t % 3 == 0), o = __syncthreads_or(t % 3 == 0);
  int a1 = __syncthreads_and(1), o0 = __syncthreads_or(0);
  if (t == 0) { r[0] = c; r[1] = a; r[2] = o; r[3] = a1; r[4] = o0; }
}

// Oracle: closed forms for 200 threads — count of multiples of 3 in [0, 200) = 67; and = 0; or = 1;
// and(1) = 1; or(0) = 0.
TEST(simt_syncthreads_count_and_or) {
  CUT_NEED_DEVICE();
  int *d, h[5];
  CUT_OK(cudaMalloc(&d, sizeof h));
  for (uint64_t seed = 0; seed < 3; seed++) {
    cut_schedule(seed);
    FZ_LAUNCH(k_sync_votes, 1, 200, 0, 0)(d);
    CUT_OK(cudaGetLastError());
    CUT_OK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
    CHECKF(h[0] == 67 && h[1] == 0 && h[2] == 1 && h[3] == 1 && h[4] == 0, "got %d %d %d %d %d (seed %llu)", h[0], h[1],
           h[2], h[3], h[4], (unsigned long long)seed);
  }
  cut_schedule_default();
  cudaFree(d);
}

// Dynamic shared memory of n floats: s[t] = t, barrier, out[t] = s[n-1-t]; first[t] = s[t] as read
// before any write (emulation: uninitialised shared memory is poisoned).
__global__ void k_dyn_reverse(float *out, int n) {
  FZ_DYNAMIC_SHARED(float, s);
  for (int i = threadIdx.x; i < n; i += blockDim.x) s[i] = (float)i;
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[blockIdx.x * n + i] = s[n - 1 - i];
}
__global__ void k_dyn_first_read(float *out) {
  FZ_DYNAMIC_SHARED(float, s);
  out[threadIdx.x] = s[threadIdx.x];
}

// Oracle: CUDA semantics — dynamic shared memory holds what the block wrote; more than 48 KiB needs
// cudaFuncSetAttribute(cudaFuncAttributeMaxDynamicSharedMemorySize) first (CUDA programming guide).
TEST(simt_dynamic_shared_memory_and_limit) {
  CUT_NEED_DEVICE();
  int n = 1000, big = 16384;  // 4000 bytes, then 64 KiB
  float *d, *h = (float *)malloc(2 * (size_t)big * sizeof(float));
  CUT_OK(cudaMalloc(&d, 2 * (size_t)big * sizeof(float)));
  FZ_LAUNCH(k_dyn_reverse, 2, 128, n * sizeof(float), 0)(d, n);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, d, 2 * n * sizeof(float), cudaMemcpyDeviceToHost));
  for (int i = 0; i < 2 * n; i++) CHECKF(h[i] == (float)(n - 1 - i % n), "out[%d] = %g", i, (double)h[i]);
  FZ_LAUNCH(k_dyn_reverse, 1, 256, big * sizeof(float), 0)(d, big);
  cudaError_t e = cudaGetLastError();
  CHECKF(e != cudaSuccess, "a 64 KiB dynamic shared launch without the opt-in attribute succeeded");
  CUT_OK(cudaFuncSetAttribute(k_dyn_reverse, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)(big * sizeof(float))));
  FZ_LAUNCH(k_dyn_reverse, 2, 256, big * sizeof(float), 0)(d, big);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, d, 2 * (size_t)big * sizeof(float), cudaMemcpyDeviceToHost));
  for (int i = 0; i < 2 * big; i++) CHECKF(h[i] == (float)(big - 1 - i % big), "64 KiB out[%d] = %g", i, (double)h[i]);
#ifdef FZ_CUDA_EMULATED
  FZ_LAUNCH(k_dyn_first_read, 1, 32, 32 * sizeof(float), 0)(d);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, d, 32 * sizeof(float), cudaMemcpyDeviceToHost));
  for (int i = 0; i < 32; i++) CHECKF(h[i] != h[i], "uninitialised shared memory read %g, expected the NaN poison", (double)h[i]);
#endif
  cudaFree(d);
  free(h);
}

__global__ void k_nop(int *p) { if (p) p[0] = 1; }

// Oracle: what CUDA 13 reported on an H100 (docs/CUDA.md, "On a real GPU"): a block of more than 1024 threads,
// grid y > 65535 and block z > 64 each give cudaErrorInvalidValue (not cudaErrorInvalidConfiguration, as older
// CUDA did), reported once by cudaGetLastError and cleared (not sticky); a 1024-thread block then launches.
TEST(simt_launch_configuration_errors) {
  CUT_NEED_DEVICE();
  CUT_OK(cudaDeviceSynchronize());
  cudaError_t pending = cudaGetLastError();  // (an error left by an earlier test would be reported here first)
  CHECKF(pending == cudaSuccess, "an earlier launch left %s pending", cudaGetErrorName(pending));
  cudaError_t e[3];
  FZ_LAUNCH(k_nop, 1, dim3(32, 32, 2), 0, 0)(NULL);
  e[0] = cudaGetLastError();
  FZ_LAUNCH(k_nop, dim3(1, 65536, 1), 32, 0, 0)(NULL);
  e[1] = cudaGetLastError();
  FZ_LAUNCH(k_nop, dim3(1, 1, 1), dim3(1, 1, 65), 0, 0)(NULL);
  e[2] = cudaGetLastError();
  CHECKF(e[0] == cudaErrorInvalidValue && e[1] == cudaErrorInvalidValue && e[2] == cudaErrorInvalidValue,
         "2048 threads per block: %s; grid y 65536: %s; block z 65: %s", cudaGetErrorName(e[0]), cudaGetErrorName(e[1]),
         cudaGetErrorName(e[2]));
  CHECK(cudaGetLastError() == cudaSuccess);
  FZ_LAUNCH(k_nop, 1, 1024, 0, 0)(NULL);
  CUT_OK(cudaGetLastError());
}
