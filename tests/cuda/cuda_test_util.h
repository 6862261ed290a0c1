// cuda_test_util.h — shared helpers of the tests/cuda sources (compiled by g++ against the SIMT emulation
// for `make test-cuda-emu`, and by nvcc for `make test-gpu`): C headers with C linkage, the CUDA backend
// lookup, and emulation-only controls that are no-ops on a GPU.
#ifndef FZ_CUDA_TEST_UTIL_H
#define FZ_CUDA_TEST_UTIL_H
#include "fz_cuda.h"
extern "C" {
#include "test.h"
#include "op_cases.h"
const fz_backend *fz_backend_cuda(int device, fz_err *err);
int fz_cuda_list_devices(FILE *out, int json);
unsigned fz_cuda_set_libraries(const fz_backend *be, unsigned mask, int64_t cudnn_min_macs);
}
#include <stdlib.h>
#include <string.h>

// Sets the emulation's schedule seed (0: in order; other: randomised); nothing on a GPU.
static inline void cut_schedule(uint64_t seed) {
#ifdef FZ_CUDA_EMULATED
  fz_simt::set_schedule_seed(seed);
#else
  (void)seed;
#endif
}
// Restores the default schedule (env FZ_SIMT_SEED or 1).
static inline void cut_schedule_default(void) {
#ifdef FZ_CUDA_EMULATED
  const char *e = getenv("FZ_SIMT_SEED");
  fz_simt::set_schedule_seed(e ? strtoull(e, NULL, 10) : 1);
#endif
}
// 1 when a CUDA device (real or emulated) is present.
static inline int cut_have_device(void) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) cudaGetLastError();
  return e == cudaSuccess && n > 0;
}
// Skips the calling test when there is no device (nvcc build on a machine without a GPU).
#define CUT_NEED_DEVICE() do { if (!cut_have_device()) SKIP("no CUDA device"); } while (0)
// Detail of the last CUDA error ("" on a GPU; the emulation's message under it).
static inline const char *cut_detail(void) {
#ifdef FZ_CUDA_EMULATED
  return fz_simt::last_message();
#else
  return "";
#endif
}
// Fails the test when a CUDA call does not succeed, naming the call and the error.
#define CUT_OK(call) do { cudaError_t e_ = (call); \
  CHECKF(e_ == cudaSuccess, "%s: %s %s", #call, cudaGetErrorName(e_), cut_detail()); } while (0)
#endif
