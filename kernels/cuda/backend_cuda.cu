// backend_cuda.cu — the CUDA backend table: device selection, one non-blocking stream per device, device
// memory through the CUDA runtime, error translation, and `fusor devices` listing. Replaces the stub of
// kernels/cpu/cuda_absent.c in builds with nvcc (FZ_HAVE_CUDA) or the SIMT emulation (FZ_CUDA_EMULATED).
#include "cuda_ops.h"
#include <mutex>
#include <stdio.h>
#include <string.h>
#if defined(FZ_HAVE_CUDA) || defined(FZ_CUDA_EMULATED)

#define FZ_CUDA_MAX_DEVICES 16

// Why no CUDA device can be used: no driver at all, or the runtime's message for e.
static const char *no_device_reason(cudaError_t e) {
  int drv = 0;
  if (cudaDriverGetVersion(&drv) == cudaSuccess && drv == 0
#ifdef FZ_CUDA_EMULATED
      && 0  // the emulation has no driver but reports its own reason
#endif
  )
    return "no NVIDIA driver is installed";
  cudaGetLastError();
  return e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
}

int fz_cuda_fail(const fz_backend *be, cudaError_t e, const char *what, fz_err *err) {
  fz_code code = e == cudaErrorMemoryAllocation ? FZ_ENOMEM
                 : (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || e == cudaErrorInvalidDevice) ? FZ_EUNSUP
                                                                                                                 : FZ_EINTERNAL;
#ifdef FZ_CUDA_EMULATED
  const char *detail = fz_simt::last_message();
#else
  const char *detail = "";
#endif
  return fz_fail(err, code, "%s: %s failed: %s (%s)%s%s", be ? be->name : "cuda", what, cudaGetErrorName(e),
                 cudaGetErrorString(e), detail[0] ? ": " : "", detail);
}

int fz_cublas_fail(const fz_backend *be, cublasStatus_t st, const char *what, fz_err *err) {
#ifdef FZ_CUDA_EMULATED
  const char *detail = fz_simt::last_message();
#else
  const char *detail = "";
#endif
  return fz_fail(err, st == CUBLAS_STATUS_INVALID_VALUE ? FZ_EINVAL : FZ_EINTERNAL, "%s: %s failed: cuBLAS status %d (%s)%s%s",
                 be ? be->name : "cuda", what, (int)st, cublasGetStatusString(st), detail[0] ? ": " : "", detail);
}

int fz_cuda_check_launch(const fz_backend *be, const char *what, fz_err *err) {
  cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, what, err);
}

// Makes be's device current on the calling host thread (the current device is per thread).
static int enter(const fz_backend *be, fz_err *err) {
  int cur = -1, want = fz_cuda_ctx_of(be)->device;
  if (cudaGetDevice(&cur) != cudaSuccess || cur != want) {
    cudaError_t e = cudaSetDevice(want);
    if (e != cudaSuccess) return fz_cuda_fail(be, e, "cudaSetDevice", err);
  }
  return FZ_OK;
}

void *fz_cuda_scratch(const fz_backend *be, size_t nbytes, fz_err *err) {
  fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  fz_cuda_stream(be);  // (makes the device current)
  if (c->scratch_bytes >= nbytes && c->scratch) return c->scratch;
  size_t want = nbytes < 4096 ? 4096 : nbytes + nbytes / 4;
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, want);
  if (e != cudaSuccess) {
    fz_cuda_fail(be, e, "scratch allocation", err);
    cudaGetLastError();
    return NULL;
  }
  if (c->scratch) cudaFree(c->scratch);  // waits for the ops that used it
  c->scratch = p;
  c->scratch_bytes = want;
  return p;
}

cudaStream_t fz_cuda_stream(const fz_backend *be) {
  const fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  int cur = -1;
  if (cudaGetDevice(&cur) != cudaSuccess || cur != c->device) cudaSetDevice(c->device);
  return c->stream;
}

// Device memory of nbytes (at least 1) on be's device; NULL with err.
static void *cuda_alloc(const fz_backend *be, size_t nbytes, fz_err *err) {
  if (enter(be, err)) return NULL;
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, nbytes ? nbytes : 1);
  if (e != cudaSuccess) {
    char what[64];
    snprintf(what, sizeof what, "cudaMalloc of %zu bytes", nbytes);
    fz_cuda_fail(be, e, what, err);
    cudaGetLastError();
    return NULL;
  }
  return p;
}

// Frees device memory p (NULL: nothing).
static void cuda_free(const fz_backend *be, void *p) {
  if (!p || enter(be, NULL)) return;
  if (cudaFree(p) != cudaSuccess) cudaGetLastError();  // free cannot report; the error is not left pending
}

// Copies n host bytes to device memory dst, in stream order.
static int cuda_upload(const fz_backend *be, void *dst, const void *src, size_t n, fz_err *err) {
  if (enter(be, err)) return err ? (int)err->code : FZ_EINTERNAL;
  // From pageable memory the call returns once src has been staged, so the caller may reuse it.
  cudaError_t e = cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, fz_cuda_ctx_of(be)->stream);
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "upload (cudaMemcpyAsync host to device)", err);
}

// Copies n device bytes to host memory dst after the stream's earlier work; waits for it.
static int cuda_download(const fz_backend *be, void *dst, const void *src, size_t n, fz_err *err) {
  if (enter(be, err)) return err ? (int)err->code : FZ_EINTERNAL;
  cudaStream_t s = fz_cuda_ctx_of(be)->stream;
  cudaError_t e = cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s);
  if (e == cudaSuccess) e = cudaStreamSynchronize(s);
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "download (cudaMemcpyAsync device to host)", err);
}

// Page-locked host memory of nbytes (cudaMallocHost), for staging transfers; NULL + err on failure.
static void *cuda_host_alloc(const fz_backend *be, size_t nbytes, fz_err *err) {
  if (enter(be, err)) return NULL;
  void *p = NULL;
  cudaError_t e = cudaMallocHost(&p, nbytes ? nbytes : 1);
  if (e != cudaSuccess) {
    fz_cuda_fail(be, e, "pinned host allocation (cudaMallocHost)", err);
    cudaGetLastError();
    return NULL;
  }
  fz_cuda_ctx_of(be)->pinned_allocs++;
  return p;
}

// Frees memory from cuda_host_alloc (waits for the transfers that use it, as cudaFreeHost does).
static void cuda_host_free(const fz_backend *be, void *p) {
  if (p && cudaFreeHost(p) != cudaSuccess) cudaGetLastError();
}

// Page-locked host buffers handed out by be's host_alloc so far (tests check that fz_fuse_scene stages through them).
extern "C" unsigned long long fz_cuda_pinned_allocs(const fz_backend *be) { return fz_cuda_ctx_of(be)->pinned_allocs; }

// Waits for every op issued on be.
static int cuda_sync(const fz_backend *be, fz_err *err) {
  if (enter(be, err)) return err ? (int)err->code : FZ_EINTERNAL;
  cudaError_t e = cudaStreamSynchronize(fz_cuda_ctx_of(be)->stream);
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "cudaStreamSynchronize", err);
}

static std::mutex g_mu;
static fz_cuda_ctx g_ctx[FZ_CUDA_MAX_DEVICES];
static fz_backend g_tab[FZ_CUDA_MAX_DEVICES];

// 1 in the SIMT-emulated build, 0 in the nvcc build (tests state bounds per build: tests/cuda/test_cuda_models.c).
extern "C" int fz_cuda_is_emulated(void) {
#ifdef FZ_CUDA_EMULATED
  return 1;
#else
  return 0;
#endif
}

// Returns the backend of CUDA device `device` (created on first use); NULL with err when there is none.
extern "C" const fz_backend *fz_backend_cuda(int device, fz_err *err) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n <= 0) {
    cudaGetLastError();
    fz_fail(err, FZ_EUNSUP, "cuda:%d requested, but no CUDA device is available (%s)", device,
            no_device_reason(e));
    return NULL;
  }
  if (device < 0 || device >= n || device >= FZ_CUDA_MAX_DEVICES) {
    fz_fail(err, FZ_EINVAL, "--device: cuda:%d requested, but this machine has %d CUDA device(s) (cuda:0..cuda:%d)", device,
            n, n - 1);
    return NULL;
  }
  std::lock_guard<std::mutex> lk(g_mu);
  fz_backend *t = &g_tab[device];
  if (t->name) return t;
  fz_cuda_ctx *c = &g_ctx[device];
  memset(c, 0, sizeof *c);
  c->device = device;
  snprintf(c->name, sizeof c->name, "cuda:%d", device);
  fz_backend tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.name = c->name;
  tmp.ctx = c;
  if ((e = cudaSetDevice(device)) != cudaSuccess || (e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess ||
      (e = cudaMalloc((void **)&c->flag, sizeof(int))) != cudaSuccess) {
    fz_cuda_fail(&tmp, e, "device set-up (stream, flag buffer)", err);
    cudaGetLastError();
    if (c->stream) cudaStreamDestroy(c->stream);
    return NULL;
  }
  cublasStatus_t bs = cublasCreate(&c->blas);
  if (bs == CUBLAS_STATUS_SUCCESS) bs = cublasSetStream(c->blas, c->stream);
  if (bs == CUBLAS_STATUS_SUCCESS) bs = cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH);  // fp32, no TF32
  if (bs != CUBLAS_STATUS_SUCCESS) {
    fz_cublas_fail(&tmp, bs, "cuBLAS set-up", err);
    if (c->blas) cublasDestroy(c->blas);
    cudaFree(c->flag);
    cudaStreamDestroy(c->stream);
    return NULL;
  }
  if (fz_cuda_libs_init(&tmp, err)) {  // cuDNN handle and cuFFT plan cache (libs.cu)
    cublasDestroy(c->blas);
    cudaFree(c->flag);
    cudaStreamDestroy(c->stream);
    return NULL;
  }
  tmp.alloc = cuda_alloc;
  tmp.free = cuda_free;
  tmp.upload = cuda_upload;
  tmp.download = cuda_download;
  tmp.sync = cuda_sync;
  tmp.host_alloc = cuda_host_alloc;
  tmp.host_free = cuda_host_free;
  fz_cuda_fill_core(&tmp);
  fz_cuda_fill_nn(&tmp);
  fz_cuda_fill_seq(&tmp);
  fz_cuda_fill_fir(&tmp);
  *t = tmp;
  return t;
}

// `fusor devices`: one line (or JSON object) per CUDA device with memory and compute capability; says why
// when there is none (no driver, no device). Returns 0.
extern "C" int fz_cuda_list_devices(FILE *out, int json) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n <= 0) {
    cudaGetLastError();
    const char *why = no_device_reason(e);
    if (json) fprintf(out, "{\"device\":\"cuda\",\"available\":false,\"reason\":\"%s\"}\n", why);
    else fprintf(out, "cuda    not available: %s; the CPU backend runs\n", why);
    return 0;
  }
  for (int d = 0; d < n; d++) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    double gib = (double)p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    if (json)
      fprintf(out, "{\"device\":\"cuda:%d\",\"available\":true,\"name\":\"%s\",\"memory_bytes\":%zu,\"compute_capability\":\"%d.%d\","
                   "\"multiprocessors\":%d}\n", d, p.name, p.totalGlobalMem, p.major, p.minor, p.multiProcessorCount);
    else
      fprintf(out, "cuda:%d  %s, %.1f GiB, compute capability %d.%d, %d multiprocessors\n", d, p.name, gib, p.major, p.minor,
              p.multiProcessorCount);
  }
  return 0;
}
#endif
