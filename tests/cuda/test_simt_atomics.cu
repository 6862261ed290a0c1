// test_simt_atomics.cu — atomics from many blocks at once (the emulation runs blocks on several host
// threads, so these are real concurrent read-modify-writes, and its scheduler switches threads at every
// atomic): integer / float / double adds, min / max, CAS loops, atomicInc wrap-around, exchange chains,
// bitwise ops and a shared-memory histogram.
#include "cuda_test_util.h"

#define AT_BLOCKS 48
#define AT_THREADS 256
#define AT_N (AT_BLOCKS * AT_THREADS)

// r: [0] Σ gid%7 (int), [1] max of (gid·37)%1001, [2] min of that + 5, [3] atomicInc(., 9) count,
// [4] OR of 1<<(gid%32), [5] XOR of gid, [6] AND of ~(1<<(gid%20)); fr[0] Σ 1.0f; dr[0] Σ gid/8 (double);
// ur[0] Σ gid by a CAS loop.
__global__ void k_atomics(int *r, unsigned *u, float *fr, double *dr, unsigned long long *ur) {
  int gid = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(&r[0], gid % 7);
  atomicMax(&r[1], (gid * 37) % 1001);
  atomicMin(&r[2], (gid * 37) % 1001 + 5);
  atomicInc(&u[0], 9u);
  atomicOr(&u[1], 1u << (gid % 32));
  atomicXor(&u[2], (unsigned)gid);
  atomicAnd(&u[3], ~(1u << (gid % 20)));
  atomicAdd(&fr[0], 1.0f);
  atomicAdd(&dr[0], gid / 8.0);
  unsigned long long old = ur[0], assumed;
  do {
    assumed = old;
    old = atomicCAS(&ur[0], assumed, assumed + (unsigned long long)gid);
  } while (old != assumed);
}

// Oracle: closed forms / host loops over gid < AT_N — Σ gid%7; max/min of (gid·37)%1001; atomicInc(v, 9)
// counts modulo 10 (guide: old >= 9 ? 0 : old + 1), so N increments leave N % 10; the OR of all 32 bits;
// XOR of 0..N-1; AND clears bits 0..19; Σ 1.0f = N exactly (N < 2^24); Σ gid/8 exact in double; Σ gid.
TEST(simt_atomics_concurrent_blocks) {
  CUT_NEED_DEVICE();
  int *r;
  unsigned *u;
  float *fr;
  double *dr;
  unsigned long long *ur;
  CUT_OK(cudaMalloc(&r, 3 * sizeof(int)));
  CUT_OK(cudaMalloc(&u, 4 * sizeof(unsigned)));
  CUT_OK(cudaMalloc(&fr, sizeof(float)));
  CUT_OK(cudaMalloc(&dr, sizeof(double)));
  CUT_OK(cudaMalloc(&ur, sizeof(unsigned long long)));
  for (uint64_t seed = 0; seed < 3; seed++) {
    int hr[3] = {0, -1, 1 << 30};
    unsigned hu[4] = {0, 0, 0, 0xffffffffu};
    float hf = 0;
    double hd = 0;
    unsigned long long hul = 0;
    CUT_OK(cudaMemcpy(r, hr, sizeof hr, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(u, hu, sizeof hu, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(fr, &hf, sizeof hf, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(dr, &hd, sizeof hd, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(ur, &hul, sizeof hul, cudaMemcpyHostToDevice));
    cut_schedule(seed);
    FZ_LAUNCH(k_atomics, AT_BLOCKS, AT_THREADS, 0, 0)(r, u, fr, dr, ur);
    CUT_OK(cudaGetLastError());
    CUT_OK(cudaMemcpy(hr, r, sizeof hr, cudaMemcpyDeviceToHost));
    CUT_OK(cudaMemcpy(hu, u, sizeof hu, cudaMemcpyDeviceToHost));
    CUT_OK(cudaMemcpy(&hf, fr, sizeof hf, cudaMemcpyDeviceToHost));
    CUT_OK(cudaMemcpy(&hd, dr, sizeof hd, cudaMemcpyDeviceToHost));
    CUT_OK(cudaMemcpy(&hul, ur, sizeof hul, cudaMemcpyDeviceToHost));
    long long sum7 = 0, sumg = 0;
    int mx = -1, mn = 1 << 30;
    unsigned x = 0;
    double sd = 0;
    for (int g = 0; g < AT_N; g++) {
      sum7 += g % 7;
      sumg += g;
      int v = (g * 37) % 1001;
      mx = v > mx ? v : mx;
      mn = v + 5 < mn ? v + 5 : mn;
      x ^= (unsigned)g;
      sd += g / 8.0;
    }
    CHECKF(hr[0] == sum7, "atomicAdd int: %d vs %lld", hr[0], sum7);
    CHECKF(hr[1] == mx && hr[2] == mn, "atomicMax/Min: %d %d vs %d %d", hr[1], hr[2], mx, mn);
    CHECKF(hu[0] == (unsigned)(AT_N % 10), "atomicInc: %u vs %u", hu[0], (unsigned)(AT_N % 10));
    CHECKF(hu[1] == 0xffffffffu && hu[2] == x && hu[3] == 0xfff00000u, "bitwise: %08x %08x %08x", hu[1], hu[2], hu[3]);
    CHECKF(hf == (float)AT_N, "atomicAdd float: %g vs %d", (double)hf, AT_N);
    CHECKF(hd == sd, "atomicAdd double: %.17g vs %.17g", hd, sd);
    CHECKF(hul == (unsigned long long)sumg, "atomicCAS loop: %llu vs %lld", hul, sumg);
  }
  cut_schedule_default();
  cudaFree(r); cudaFree(u); cudaFree(fr); cudaFree(dr); cudaFree(ur);
}

// Exchange chain: every thread swaps its id + 1 into one slot and records what it took out.
__global__ void k_exch_chain(int *slot, int *taken) {
  int gid = blockIdx.x * blockDim.x + threadIdx.x;
  taken[gid] = atomicExch(slot, gid + 1);
}

// Oracle: atomicExch is a sequence of swaps, so the values taken out plus the final slot value are exactly
// the initial value 0 and the N ids 1..N, each once.
TEST(simt_atomic_exchange_chain) {
  CUT_NEED_DEVICE();
  int *slot, *taken, *h = (int *)malloc((AT_N + 1) * sizeof(int));
  char *seen = (char *)calloc(AT_N + 1, 1);
  CUT_OK(cudaMalloc(&slot, sizeof(int)));
  CUT_OK(cudaMalloc(&taken, AT_N * sizeof(int)));
  CUT_OK(cudaMemset(slot, 0, sizeof(int)));
  FZ_LAUNCH(k_exch_chain, AT_BLOCKS, AT_THREADS, 0, 0)(slot, taken);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, taken, AT_N * sizeof(int), cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(h + AT_N, slot, sizeof(int), cudaMemcpyDeviceToHost));
  cudaFree(slot); cudaFree(taken);
  int bad = -1;
  for (int i = 0; i <= AT_N && bad < 0; i++) {
    if (h[i] < 0 || h[i] > AT_N || seen[h[i]]) bad = i;
    else seen[h[i]] = 1;
  }
  free(h); free(seen);
  CHECKF(bad < 0, "value %d of the exchange chain is missing or repeated", bad);
}

// 64-bin histogram of (gid·97) % 64 per block in shared memory, flushed with global atomics.
__global__ void k_histogram(unsigned *hist) {
  __shared__ unsigned bins[64];
  int t = threadIdx.x, gid = blockIdx.x * blockDim.x + t;
  if (t < 64) bins[t] = 0;
  __syncthreads();
  atomicAdd(&bins[(gid * 97) % 64], 1u);
  __syncthreads();
  if (t < 64) atomicAdd(&hist[t], bins[t]);
}

// Oracle: a host histogram of the same keys.
TEST(simt_shared_memory_histogram) {
  CUT_NEED_DEVICE();
  unsigned *d, h[64], ref[64] = {0};
  CUT_OK(cudaMalloc(&d, sizeof h));
  CUT_OK(cudaMemset(d, 0, sizeof h));
  FZ_LAUNCH(k_histogram, AT_BLOCKS, AT_THREADS, 0, 0)(d);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  cudaFree(d);
  for (int g = 0; g < AT_N; g++) ref[(g * 97) % 64]++;
  for (int b = 0; b < 64; b++) CHECKF(h[b] == ref[b], "bin %d: %u vs %u", b, h[b], ref[b]);
}
