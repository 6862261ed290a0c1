// test_simt_race.cu — the emulation's bug finders: deliberately broken kernels (a reduction and a
// neighbour exchange with their __syncthreads removed) must give wrong results under the race-exposing
// scheduler while their correct twins never do; and the errors a GPU would hang on or silently corrupt
// (barrier divergence, deadlock, warp masks naming absent, exited or disagreeing lanes, shuffles reading
// outside the mask, host pointers passed to kernels) must fail the launch with a message. The kernels are
// plain CUDA (they compile with nvcc too); the tests are emulation-only.
#include "cuda_test_util.h"

// Tree reduction of 256 integer-valued floats per block; with_barrier = 0 drops the barrier after each
// step (the bug: a thread reads s[t + st] before its owner has added into it).
__global__ void k_reduce(const float *x, float *out, int with_barrier) {
  __shared__ float s[256];
  int t = threadIdx.x;
  s[t] = x[blockIdx.x * 256 + t];
  __syncthreads();
  for (int st = 128; st > 0; st >>= 1) {
    if (t < st) s[t] += s[t + st];
    if (with_barrier) __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = s[0];
}

// Neighbour exchange: s[t] = t + 1 + salt_b, then out[t] = s[t - 1] (0 for t = 0), salt_b = salt + 1000·block
// (so that values a previous block left in shared memory never look right). Without the barrier this is
// still right when threads run one after another in order — the race only shows under other orders.
__global__ void k_neighbour(int *out, int with_barrier, int salt) {
  __shared__ int s[128];
  int t = threadIdx.x, sb = salt + 1000 * (int)blockIdx.x;
  s[t] = t + 1 + sb;
  if (with_barrier) __syncthreads();
  out[blockIdx.x * 128 + t] = t ? s[t - 1] : 0;
}

#ifdef FZ_CUDA_EMULATED
// Runs k_reduce on 8 blocks under schedule seed; returns the number of blocks whose sum is wrong (-1: launch
// failed). sums[] are the exact block sums.
static int reduce_wrong_blocks(const float *dx, float *dout, const double *sums, int with_barrier, uint64_t seed) {
  cut_schedule(seed);
  FZ_LAUNCH(k_reduce, 8, 256, 0, 0)(dx, dout, with_barrier);
  if (cudaGetLastError() != cudaSuccess) return -1;
  float h[8];
  cudaMemcpy(h, dout, sizeof h, cudaMemcpyDeviceToHost);
  int wrong = 0;
  for (int b = 0; b < 8; b++) wrong += (double)h[b] != sums[b];
  return wrong;
}

// Oracle: the exact sum of each block's 256 integers (exact in float). The correct kernel must match under
// the in-order schedule and 8 random ones; the barrier-less kernel must be caught (some block wrong) under
// at least 7 of the 8 random schedules, and a seed must reproduce its result.
TEST(simt_race_reduction_without_barrier_is_caught) {
  float h[8 * 256], *dx, *dout;
  double sums[8] = {0};
  for (int i = 0; i < 8 * 256; i++) { h[i] = (float)(i % 13 + 1); sums[i / 256] += h[i]; }
  CUT_OK(cudaMalloc(&dx, sizeof h));
  CUT_OK(cudaMalloc(&dout, 8 * sizeof(float)));
  CUT_OK(cudaMemcpy(dx, h, sizeof h, cudaMemcpyHostToDevice));
  int ok_wrong = 0, caught = 0;
  for (uint64_t seed = 0; seed <= 8; seed++) ok_wrong += reduce_wrong_blocks(dx, dout, sums, 1, seed) != 0;
  for (uint64_t seed = 1; seed <= 8; seed++) caught += reduce_wrong_blocks(dx, dout, sums, 0, seed) > 0;
  float r1[8], r2[8];
  reduce_wrong_blocks(dx, dout, sums, 0, 5);
  cudaMemcpy(r1, dout, sizeof r1, cudaMemcpyDeviceToHost);
  reduce_wrong_blocks(dx, dout, sums, 0, 5);
  cudaMemcpy(r2, dout, sizeof r2, cudaMemcpyDeviceToHost);
  cut_schedule_default();
  cudaFree(dx); cudaFree(dout);
  CHECKF(ok_wrong == 0, "the correct reduction was wrong under %d schedules", ok_wrong);
  CHECKF(caught >= 7, "the barrier-less reduction was caught under only %d of 8 random schedules", caught);
  CHECKF(memcmp(r1, r2, sizeof r1) == 0, "schedule seed 5 did not reproduce the racy result");
}

// Oracle: out[t] = t + salt_b for t > 0, 0 for t = 0 (the closed form of s[t-1]). Without the barrier the
// in-order schedule (seed 0) hides the race, and random schedules expose it.
TEST(simt_race_hidden_by_in_order_schedule_is_exposed) {
  int *d, h[4 * 128];
  CUT_OK(cudaMalloc(&d, sizeof h));
  int wrong[3] = {0, 0, 0};  // correct kernel (all seeds), racy under seed 0, racy under seeds 1..8
  for (uint64_t seed = 0; seed <= 8; seed++)
    for (int wb = 0; wb < 2; wb++) {
      int salt = (int)(seed * 10000 + (uint64_t)wb * 5000);
      cut_schedule(seed);
      FZ_LAUNCH(k_neighbour, 4, 128, 0, 0)(d, wb, salt);
      CUT_OK(cudaGetLastError());
      CUT_OK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
      int bad = 0;
      for (int i = 0; i < 4 * 128; i++) bad += h[i] != (i % 128 ? i % 128 + salt + 1000 * (i / 128) : 0);
      if (wb) wrong[0] += bad != 0;
      else if (seed == 0) wrong[1] += bad != 0;
      else wrong[2] += bad != 0;
    }
  cut_schedule_default();
  cudaFree(d);
  CHECKF(wrong[0] == 0, "the correct exchange was wrong under %d schedules", wrong[0]);
  CHECKF(wrong[1] == 0, "the in-order schedule should hide this race (it runs thread t-1 before t)");
  CHECKF(wrong[2] >= 7, "random schedules exposed the race only %d times of 8", wrong[2]);
}

// Launches a kernel expected to fail; returns 1 when it failed with cudaErrorLaunchFailure (or want) and
// fz_simt::last_message() contains needle, then clears the sticky error.
static int fails_with(cudaError_t got, cudaError_t want, const char *needle, char *msg, size_t n) {
  snprintf(msg, n, "%s: %s", cudaGetErrorName(got), fz_simt::last_message());
  int ok = got == want && strstr(fz_simt::last_message(), needle) != NULL;
  fz_simt::clear_sticky_error();
  return ok;
}
#endif

__global__ void k_early_return(int *p) {
  __shared__ int s[64];
  if (threadIdx.x >= 48) return;  // the bug: these threads skip the barrier below
  s[threadIdx.x] = 1;
  __syncthreads();
  p[threadIdx.x] = s[(threadIdx.x + 1) % 48];
}
__global__ void k_deadlock(int *p) {
  int v = threadIdx.x;
  if (threadIdx.x % 32 < 16) {
    __syncthreads();  // lanes 0-15 wait here for lanes 16-31 ...
  } else {
    v = __shfl_sync(0xffffffffu, v, 0);  // ... which wait here for lanes 0-15
    __syncthreads();
  }
  p[threadIdx.x] = v;
}
__global__ void k_partial_warp(int *p) {
  p[threadIdx.x] = __shfl_down_sync(0xffffffffu, (int)threadIdx.x, 1);  // 48 threads: warp 1 has 16 lanes
}
__global__ void k_mask_disagree(int *p) {
  unsigned m = threadIdx.x < 16 ? 0xffffffffu : 0x7fffffffu;  // lanes 16-30 leave lane 31 out, the others do not
  p[threadIdx.x] = __shfl_sync(m | (1u << (threadIdx.x % 32)), (int)threadIdx.x, 0);
}
__global__ void k_read_outside_mask(int *p) {
  if (threadIdx.x % 2 == 0) p[threadIdx.x] = __shfl_sync(0x55555555u, (int)threadIdx.x, threadIdx.x + 1);
}

#ifdef FZ_CUDA_EMULATED
// Oracle: the CUDA programming guide — __syncthreads must be reached by every thread of the block, and
// warp operations need every lane of their mask to execute the same operation with the same mask (lanes
// passing different masks wait for each other forever); the emulation must report each violation (instead
// of hanging like a GPU) as a failed launch naming the problem, leave a sticky error, and work again once
// it is cleared.
TEST(simt_detects_divergence_deadlock_and_bad_masks) {
  int *d;
  char msg[800];
  CUT_OK(cudaMalloc(&d, 64 * sizeof(int)));
  FZ_LAUNCH(k_early_return, 1, 64, 0, 0)(d);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorLaunchFailure, "barrier divergence", msg, sizeof msg), "early return: %s", msg);
  FZ_LAUNCH(k_deadlock, 1, 64, 0, 0)(d);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorLaunchFailure, "deadlock", msg, sizeof msg), "deadlock: %s", msg);
  FZ_LAUNCH(k_partial_warp, 1, 48, 0, 0)(d);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorLaunchFailure, "beyond the block's last thread", msg, sizeof msg), "partial warp: %s", msg);
  FZ_LAUNCH(k_mask_disagree, 1, 32, 0, 0)(d);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorLaunchFailure, "with mask 0x7fffffff", msg, sizeof msg), "mask disagreement: %s", msg);
  FZ_LAUNCH(k_read_outside_mask, 1, 32, 0, 0)(d);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorLaunchFailure, "not in the mask", msg, sizeof msg), "read outside mask: %s", msg);
  int host[64];
  FZ_LAUNCH(k_partial_warp, 1, 32, 0, 0)(host);
  CHECKF(fails_with(cudaGetLastError(), cudaErrorIllegalAddress, "argument 1", msg, sizeof msg), "host pointer: %s", msg);
  // The device works again after the sticky error is cleared.
  FZ_LAUNCH(k_partial_warp, 1, 32, 0, 0)(d);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(host, d, 32 * sizeof(int), cudaMemcpyDeviceToHost));
  for (int t = 0; t < 32; t++) CHECKF(host[t] == (t < 31 ? t + 1 : 31), "shfl_down lane %d = %d", t, host[t]);
  cudaFree(d);
}

// Oracle: CUDA semantics of sticky errors — after a kernel fault every later call reports it until the
// context is reset; cudaDeviceReset frees all device memory.
TEST(simt_kernel_errors_are_sticky_until_reset) {
  int *d;
  size_t live0 = fz_simt::live_allocations(NULL);
  CUT_OK(cudaMalloc(&d, 64 * sizeof(int)));
  FZ_LAUNCH(k_early_return, 1, 64, 0, 0)(d);
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure);
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure);  // sticky: still reported
  int h = 0;
  CHECK(cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost) == cudaErrorLaunchFailure);
  CHECK(cudaDeviceSynchronize() == cudaErrorLaunchFailure);
  fz_simt::clear_sticky_error();
  CUT_OK(cudaFree(d));
  CHECK(fz_simt::live_allocations(NULL) == live0);
}
#endif
