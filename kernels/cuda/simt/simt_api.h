// simt_api.h — the CUDA runtime API subset fusor uses, implemented on the CPU by simt_api.cpp for the
// SIMT emulation: devices and properties, device / pinned memory, copies and memsets, streams, events,
// errors, function attributes. By default execution is synchronous and in issue order, which is one legal
// schedule of CUDA's asynchronous semantics; set_stream_mode(1 / 2) queues work on created streams and runs
// it lazily (or in a random legal order), which exposes missing cudaStreamWaitEvent / synchronisation. The emulation is stricter than a GPU where that catches bugs: copies
// check their direction and bounds against the allocation table, freed or unknown pointers are errors,
// destroyed streams / events are invalid handles, device memory starts filled with 0xff bytes (NaN for
// floats), and a kernel argument of pointer type must point into device or pinned memory.
// Errors raised inside a kernel (barrier divergence, deadlock, bad warp masks, illegal pointers) are
// sticky, as on a GPU, until cudaDeviceReset(); fz_simt::last_message() gives the details.
#ifndef FZ_SIMT_API_H
#define FZ_SIMT_API_H
#include <cstddef>
#include <cstdint>
#include <functional>
#include "simt_types.h"

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidSymbol = 13,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorAssert = 710,
  cudaErrorLaunchFailure = 719,
  cudaErrorNotSupported = 801,
  cudaErrorStreamCaptureUnsupported = 900,  // (stream capture: simt_graph.h)
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorUnknown = 999
};
typedef cudaError_t cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};

enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };

enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};

typedef struct CUstream_st *cudaStream_t;
typedef struct CUevent_st *cudaEvent_t;

#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01
#define cudaStreamLegacy ((cudaStream_t)0x1)
#define cudaStreamPerThread ((cudaStream_t)0x2)
#define cudaEventDefault 0x00
#define cudaEventBlockingSync 0x01
#define cudaEventDisableTiming 0x02
#define cudaHostAllocDefault 0x00
#define cudaHostAllocPortable 0x01
#define cudaHostAllocMapped 0x02
#define cudaHostRegisterDefault 0x00

// The fields of cudaDeviceProp that fusor reads (names and types as in CUDA 12/13).
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int regsPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  size_t totalConstMem;
  int major, minor;
  int multiProcessorCount;
  int maxThreadsPerMultiProcessor;
  size_t sharedMemPerMultiprocessor;
  size_t sharedMemPerBlockOptin;
  int l2CacheSize;
  int memoryBusWidth;
  int pciBusID, pciDeviceID;
  int integrated;
};

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaDriverGetVersion(int *v);
cudaError_t cudaRuntimeGetVersion(int *v);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaDeviceReset();

cudaError_t cudaMalloc(void **p, size_t n);
template <class T> static inline cudaError_t cudaMalloc(T **p, size_t n) { return cudaMalloc(reinterpret_cast<void **>(p), n); }
cudaError_t cudaFree(void *p);
cudaError_t cudaMallocHost(void **p, size_t n);
cudaError_t cudaHostAlloc(void **p, size_t n, unsigned flags);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaHostRegister(void *p, size_t n, unsigned flags);
cudaError_t cudaHostUnregister(void *p);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind kind, cudaStream_t s = 0);
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind kind);
cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t s = 0);
cudaError_t cudaMemset(void *p, int value, size_t n);
cudaError_t cudaMemsetAsync(void *p, int value, size_t n, cudaStream_t s = 0);
// __constant__ / __device__ symbols are ordinary host variables here.
cudaError_t fz_simt_symbol_copy(void *dst, const void *src, size_t n, size_t sym_bytes, size_t offset, int to_symbol);
template <class T>
static inline cudaError_t cudaMemcpyToSymbol(T &sym, const void *src, size_t n, size_t offset = 0,
                                             cudaMemcpyKind = cudaMemcpyHostToDevice) {
  return fz_simt_symbol_copy(reinterpret_cast<char *>(&sym) + offset, src, n, sizeof(T), offset, 1);
}
template <class T>
static inline cudaError_t cudaMemcpyFromSymbol(void *dst, const T &sym, size_t n, size_t offset = 0,
                                               cudaMemcpyKind = cudaMemcpyDeviceToHost) {
  return fz_simt_symbol_copy(dst, reinterpret_cast<const char *>(&sym) + offset, n, sizeof(T), offset, 0);
}

cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaStreamQuery(cudaStream_t s);
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags = 0);
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventQuery(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaEventDestroy(cudaEvent_t e);

cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);

cudaError_t cudaFuncSetAttribute(const void *func, cudaFuncAttribute attr, int value);
template <class... P>
static inline cudaError_t cudaFuncSetAttribute(void (*func)(P...), cudaFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void *>(func), attr, value);
}

// ---- emulation controls (no CUDA counterpart) ---------------------------------------------------------
namespace fz_simt {
// Schedule seed: 0 runs blocks in order and each block's threads in order, switching only when a thread
// blocks; any other value randomises block order, the choice of the next thread at every switch and
// preemption at yield points (atomics, fences, FZ_SIMT_YIELD). Default: env FZ_SIMT_SEED, else 1. Each
// launch's schedule derives from the seed and the number of launches since the seed was set, so setting
// a seed and re-running the same launches reproduces the same interleavings.
void set_schedule_seed(uint64_t seed);
uint64_t schedule_seed();
// Preemption at yield points: a switch with probability 1/n (0 = never). Default: env FZ_SIMT_PREEMPT, else 2.
void set_preempt(unsigned n);
// Host worker threads that run blocks of one launch in parallel (1..64). Default: env FZ_SIMT_WORKERS,
// else min(hardware threads, 8).
void set_workers(int n);
int workers();
// Number of emulated devices reported by cudaGetDeviceCount (default: env FZ_SIMT_DEVICES, else 1).
void set_device_count(int n);
// Clears a sticky kernel error without freeing anything (tests that provoke kernel failures on purpose;
// a real program must call cudaDeviceReset, which also frees all device memory, streams and events).
void clear_sticky_error();
// Detail of the last error raised by the emulation (kernel failure, invalid copy, ...), "" when none.
const char *last_message();
// Live device allocations (count and bytes), to check that code frees what it allocates.
size_t live_allocations(size_t *bytes);
// Kernels launched since start (a launch that failed its configuration check does not count).
uint64_t launch_count();
// Stream model (default: env FZ_SIMT_STREAMS, else 0). 0: every operation runs at issue time, in issue order.
// 1 (lazy): copies, memsets, kernels and event records issued to a created (non-default) stream are queued
// and run only when something needs them: cudaStreamSynchronize / Query of that stream, cudaEventSynchronize /
// Query of an event recorded after them, a cudaStreamWaitEvent dependency being resolved, cudaDeviceSynchronize,
// cudaFree / cudaFreeHost / cudaStreamDestroy (which synchronise), or legacy default-stream work (cudaMemcpy,
// cudaMemset, stream-0 launches), which first drains every blocking stream (not cudaStreamNonBlocking ones),
// as the legacy default stream does. So a consumer stream that lacks a cudaStreamWaitEvent on its producer
// runs before the producer and reads stale data. 2 (race): as 1, and after each queued operation the queue
// heads of the streams are advanced in a random order drawn from the schedule seed (each stream stays in
// order; waits still hold). cudaMemcpyAsync between device memory and pageable host memory (not from
// cudaMallocHost / cudaHostAlloc / cudaHostRegister) runs synchronously after the stream's queue, as on a
// GPU, and is counted (pageable_async_copies). Library shims (cuBLAS, cuDNN, cuFFT) run at issue time: use
// modes 1 and 2 on streams that carry only kernels, copies, memsets and events.
void set_stream_mode(int mode);
int stream_mode();
// cudaMemcpyAsync / cudaMemcpy2DAsync calls whose host side was pageable memory, since start.
uint64_t pageable_async_copies();
// Operations queued on created streams and not yet run (all streams).
size_t pending_stream_ops();
// Internal to the emulation (launches, simt_launch.h): 1 when work issued to s is queued (mode 1 / 2 and s is
// a created stream); queue_op queues fn on s (what names it in messages).
bool deferring(cudaStream_t s);
cudaError_t queue_op(cudaStream_t s, std::function<cudaError_t()> fn, const char *what);
// Runs all work queued on blocking created streams (legacy default stream semantics).
void drain_blocking_streams();
}  // namespace fz_simt
#endif
