// test_simt_runtime.cu — the CUDA runtime calls fusor uses, with their documented semantics: copies in every
// direction including 2-D pitched copies and symbols, memsets, streams and events (ordering and timing),
// device properties and the error API; under the emulation also its stricter checks (copy direction and
// bounds against the allocation table, double frees, destroyed handles, allocation accounting).
#include "cuda_test_util.h"

__constant__ float c_coef[4];
__global__ void k_scale(float *x, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) x[i] = x[i] * c_coef[i % 4] + c_coef[3];
}

// Oracle: host arithmetic on the same values — H2D, kernel, D2D, D2H, memset bytes, pitched 2-D copy of a
// sub-rectangle, and __constant__ memory written by cudaMemcpyToSymbol; operations on one stream run in
// order; an event pair brackets them with a non-negative elapsed time.
TEST(simt_runtime_copies_streams_events) {
  CUT_NEED_DEVICE();
  const int n = 1000;
  float h[n], r[n], coef[4] = {2.0f, -1.0f, 0.5f, 3.0f};
  for (int i = 0; i < n; i++) h[i] = (float)i * 0.25f;
  float *a, *b;
  cudaStream_t s;
  cudaEvent_t e0, e1;
  CUT_OK(cudaMalloc(&a, n * sizeof(float)));
  CUT_OK(cudaMalloc(&b, n * sizeof(float)));
  CUT_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  CUT_OK(cudaEventCreate(&e0));
  CUT_OK(cudaEventCreate(&e1));
  CUT_OK(cudaMemcpyToSymbol(c_coef, coef, sizeof coef));
  CUT_OK(cudaEventRecord(e0, s));
  CUT_OK(cudaMemcpyAsync(a, h, n * sizeof(float), cudaMemcpyHostToDevice, s));
  FZ_LAUNCH(k_scale, 4, 128, 0, s)(a, n);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpyAsync(b, a, n * sizeof(float), cudaMemcpyDeviceToDevice, s));
  CUT_OK(cudaMemcpyAsync(r, b, n * sizeof(float), cudaMemcpyDeviceToHost, s));
  CUT_OK(cudaEventRecord(e1, s));
  CUT_OK(cudaStreamSynchronize(s));
  float ms = -1;
  CUT_OK(cudaEventElapsedTime(&ms, e0, e1));
  CHECKF(ms >= 0, "elapsed %g ms", (double)ms);
  for (int i = 0; i < n; i++) CHECKF(r[i] == h[i] * coef[i % 4] + coef[3], "element %d: %g", i, (double)r[i]);
  // memset writes bytes: 0x3f800000 is 1.0f only when all four bytes match, so use 0 and 0xff patterns
  CUT_OK(cudaMemsetAsync(b, 0, n * sizeof(float), s));
  CUT_OK(cudaMemcpyAsync(r, b, n * sizeof(float), cudaMemcpyDeviceToHost, s));
  CUT_OK(cudaStreamSynchronize(s));
  for (int i = 0; i < n; i++) CHECKF(r[i] == 0.0f, "memset element %d", i);
  // 2-D copy: rows 0..9 of a 10×100 host matrix, columns 20..49, into a device matrix of pitch 40 floats.
  CUT_OK(cudaMemcpy2D(b, 40 * sizeof(float), h + 20, 100 * sizeof(float), 30 * sizeof(float), 10, cudaMemcpyHostToDevice));
  CUT_OK(cudaMemcpy(r, b, 400 * sizeof(float), cudaMemcpyDeviceToHost));
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 30; x++) CHECKF(r[y * 40 + x] == h[y * 100 + 20 + x], "2-D copy (%d, %d)", y, x);
  float back[4];
  CUT_OK(cudaMemcpyFromSymbol(back, c_coef, sizeof back));
  CHECK(memcmp(back, coef, sizeof back) == 0);
  CUT_OK(cudaEventDestroy(e0));
  CUT_OK(cudaEventDestroy(e1));
  CUT_OK(cudaStreamDestroy(s));
  CUT_OK(cudaFree(a));
  CUT_OK(cudaFree(b));
}

// Oracle: the CUDA runtime reference — the device count is positive, properties carry a compute capability
// >= 8.0 (fusor targets sm_80+), 32-thread warps and >= 48 KiB of shared memory per block; an invalid
// device ordinal is cudaErrorInvalidDevice; cudaGetLastError returns a non-sticky error once.
TEST(simt_runtime_device_properties_and_errors) {
  CUT_NEED_DEVICE();
  int n = 0;
  CUT_OK(cudaGetDeviceCount(&n));
  CHECK(n >= 1);
  cudaDeviceProp p;
  CUT_OK(cudaGetDeviceProperties(&p, 0));
  CHECKF(p.major >= 8 && p.warpSize == 32 && p.sharedMemPerBlock >= 48 * 1024 && p.totalGlobalMem > 0, "cc %d.%d warp %d",
         p.major, p.minor, p.warpSize);
  CHECK(cudaSetDevice(n + 3) == cudaErrorInvalidDevice);
  CHECK(cudaGetLastError() == cudaErrorInvalidDevice);
  CHECK(cudaGetLastError() == cudaSuccess);
  CUT_OK(cudaSetDevice(0));
  CHECK(strcmp(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue") == 0);
}

#ifdef FZ_CUDA_EMULATED
// Oracle: the emulation's documented strictness (simt_api.h) — a copy whose kind contradicts its pointers,
// or that runs past its allocation, is cudaErrorInvalidValue and moves nothing; freeing twice or freeing
// an interior pointer is cudaErrorInvalidValue; destroyed streams / events are invalid handles; live
// allocations are counted exactly; fresh device memory reads as NaN.
TEST(simt_runtime_emulation_checks) {
  size_t live0 = fz_simt::live_allocations(NULL), bytes0 = 0, bytes1 = 0;
  fz_simt::live_allocations(&bytes0);
  float *d, h[16];
  CUT_OK(cudaMalloc(&d, 16 * sizeof(float)));
  CHECK(fz_simt::live_allocations(&bytes1) == live0 + 1 && bytes1 == bytes0 + 64);
  CUT_OK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  CHECKF(h[0] != h[0], "fresh device memory reads %g, expected the NaN poison", (double)h[0]);
  CHECK(cudaMemcpy(d, h, sizeof h, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);       // kind reversed
  CHECK(cudaMemcpy(h, d, sizeof h + 4, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);   // past the end
  CHECK(cudaMemcpy(d + 1, h, sizeof h, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);   // past the end
  CHECK(cudaMemset(d + 8, 0, 9 * sizeof(float)) == cudaErrorInvalidValue);
  CHECK(strstr(fz_simt::last_message(), "cudaMemset") != NULL);
  CHECK(cudaFree(d + 1) == cudaErrorInvalidValue);
  cudaGetLastError();
  CUT_OK(cudaFree(d));
  CHECK(cudaFree(d) == cudaErrorInvalidValue);
  cudaStream_t s;
  cudaEvent_t e;
  CUT_OK(cudaStreamCreate(&s));
  CUT_OK(cudaEventCreate(&e));
  CUT_OK(cudaStreamDestroy(s));
  CUT_OK(cudaEventDestroy(e));
  CHECK(cudaStreamSynchronize(s) == cudaErrorInvalidResourceHandle);
  CHECK(cudaEventRecord(e, 0) == cudaErrorInvalidResourceHandle);
  cudaGetLastError();
  CHECK(fz_simt::live_allocations(NULL) == live0);
}
#endif
