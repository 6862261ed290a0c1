// fz_cuda.h — what every kernels/cuda/*.cu source includes. The same source compiles two ways:
//   nvcc (FZ_HAVE_CUDA or `make cuda-check`): the real CUDA headers; FZ_LAUNCH is <<<...>>>;
//   g++ -x c++ -DFZ_CUDA_EMULATED -Ikernels/cuda/simt: the SIMT emulation (kernels/cuda/simt), which runs
//   every CUDA thread as a fiber on the CPU (tests; docs/CUDA.md).
// Kernels therefore use only: FZ_LAUNCH for launches, FZ_DYNAMIC_SHARED for extern shared memory, and
// FZ_SIMT_YIELD() where a race-exposing preemption point helps; everything else is plain CUDA C++.
#ifndef FZ_CUDA_H
#define FZ_CUDA_H
#include <cuda_runtime.h>
#include <cublas_v2.h>
// cuDNN and cuFFT: always in the emulation (kernels/cuda/simt shims); under nvcc when cuda.mk found their headers.
#if defined(FZ_CUDA_EMULATED) || defined(FZ_HAVE_CUDNN)
#define FZ_CUDA_WITH_CUDNN 1
#include <cudnn.h>
#endif
#if defined(FZ_CUDA_EMULATED) || defined(FZ_HAVE_CUFFT)
#define FZ_CUDA_WITH_CUFFT 1
#include <cufft.h>
#endif
#include <stdint.h>
#include <string.h>
extern "C" {
#include "../../runtime/backend.h"
#include "../../runtime/rng.h"
}

#ifdef FZ_CUDA_EMULATED
// FZ_LAUNCH(kernel, grid, block, smem, stream)(args...): kernel<<<grid, block, smem, stream>>>(args...).
// A template kernel goes in parentheses: FZ_LAUNCH((k_gemm<64, 64>), grid, block, 0, s)(...).
#define FZ_LAUNCH(...) FZ_LAUNCH_IMPL(__VA_ARGS__)  // (arguments are macro-expanded first)
#define FZ_LAUNCH_IMPL(kernel, grid, block, smem, stream) \
  ::fz_simt::make_launcher(kernel, #kernel, (grid), (block), (smem), (stream))
// Declares `T *name` pointing at the block's dynamic shared memory (extern __shared__ under nvcc).
#define FZ_DYNAMIC_SHARED(T, name) T *name = static_cast<T *>(::fz_simt::dynamic_shared())
#else
#define FZ_LAUNCH(...) FZ_LAUNCH_IMPL(__VA_ARGS__)
#define FZ_LAUNCH_IMPL(kernel, grid, block, smem, stream) kernel<<<(grid), (block), (smem), (stream)>>>
#define FZ_DYNAMIC_SHARED(T, name)                              \
  extern __shared__ __align__(16) unsigned char fz_dyn_smem_[]; \
  T *name = reinterpret_cast<T *>(fz_dyn_smem_)
#define FZ_SIMT_YIELD() ((void)0)
#endif

// Full unrolling of a loop with a compile-time trip count (register-resident accumulator tiles).
#ifdef __CUDACC__
#define FZ_UNROLL _Pragma("unroll")
#else
#define FZ_UNROLL
#endif

// A device function kept out of line (epilogues call heavy code once instead of inlining it per element).
#ifdef __CUDACC__
#define FZ_NOINLINE __noinline__
#else
#define FZ_NOINLINE __attribute__((noinline))
#endif

// Marks a kernel whose ptxas report must show no register spills (checked by kernels/cuda/ptxas_check.sh).
#define FZ_HOT

// Backend-private state of one CUDA device (fz_backend.ctx).
typedef struct fz_cuda_ctx {
  int device;
  cudaStream_t stream;  // every op of this backend runs on it, in order
  cublasHandle_t blas;  // cuBLAS handle bound to stream (the emulation's shim under FZ_CUDA_EMULATED)
  int *flag;            // one device int for kernels to report a data error (e.g. an index out of range)
  void *scratch;        // device scratch reused by successive ops (stream order keeps uses apart)
  size_t scratch_bytes;
  char name[16];        // "cuda:N"
  struct fz_cuda_libs *libs;  // cuDNN handle, cuFFT plan cache and routing (libs.cu); NULL: hand-written kernels only
  unsigned long long pinned_allocs;  // page-locked host buffers handed out (host_alloc; tests check the path is taken)
} fz_cuda_ctx;

// The context of a CUDA backend table.
static inline fz_cuda_ctx *fz_cuda_ctx_of(const fz_backend *be) { return (fz_cuda_ctx *)be->ctx; }
// The stream of backend be, after making be's device current on the calling host thread (the current
// device is per thread; a failure to switch is reported by the launch check that follows).
cudaStream_t fz_cuda_stream(const fz_backend *be);
// Fills err for CUDA error e during `what` on backend be; returns the fz_code (ENOMEM, EUNSUP or EINTERNAL).
int fz_cuda_fail(const fz_backend *be, cudaError_t e, const char *what, fz_err *err);
// Fills err for cuBLAS status st during `what` on backend be; returns FZ_EINVAL or FZ_EINTERNAL.
int fz_cublas_fail(const fz_backend *be, cublasStatus_t st, const char *what, fz_err *err);
// Checks the launch just issued (cudaGetLastError); 0 or the fz_code with err filled.
int fz_cuda_check_launch(const fz_backend *be, const char *what, fz_err *err);
// Device scratch of at least nbytes for the op being issued on be (grown on demand, never shrunk; a backend
// table serves one host thread at a time, like the stream it issues to). NULL with err on failure.
void *fz_cuda_scratch(const fz_backend *be, size_t nbytes, fz_err *err);
// Grid size for n items with `threads` per block, at most `cap` blocks (kernels grid-stride beyond that).
static inline unsigned fz_cuda_blocks(int64_t n, int threads, unsigned cap) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return b > (int64_t)cap ? cap : (unsigned)b;
}

// libs.cu: which library calls the backend routes ops through (bits), and the set-up / queries.
enum { FZ_CUDA_LIB_CUDNN = 1, FZ_CUDA_LIB_CUFFT = 2 };
// Creates be's cuDNN handle and cuFFT plan cache (the libraries this build has) and enables them; 0 or err.
int fz_cuda_libs_init(fz_backend *be, fz_err *err);
// The cuDNN handle of be bound to its stream, or NULL when conv2d geometry g must use the hand-written kernels
// (no cuDNN, disabled, fewer multiply-adds than the threshold). cudnn_conv2d (conv.cu) uses it.
#ifdef FZ_CUDA_WITH_CUDNN
cudnnHandle_t fz_cuda_cudnn(const fz_backend *be, int64_t macs);
#endif
#ifdef FZ_CUDA_WITH_CUFFT
// A cached cuFFT plan on be's stream for the cufftPlanMany arguments (inembed / onembed NULL: basic layout);
// -1 with err on failure or when cuFFT is disabled (err->code FZ_EUNSUP then, without message).
cufftHandle fz_cuda_cufft_plan(const fz_backend *be, int rank, const int *n, const int *inembed, int istride, int idist,
                               const int *onembed, int ostride, int odist, cufftType type, int batch, fz_err *err);
// Fills err for cuFFT result r during `what`; returns FZ_EINVAL or FZ_EINTERNAL.
int fz_cufft_fail(const fz_backend *be, cufftResult r, const char *what, fz_err *err);
#endif
// 1 when be routes through the libraries in `mask` (FZ_CUDA_LIB_* bits).
int fz_cuda_libs_enabled(const fz_backend *be, unsigned mask);

// pipeline.cu: batches streamed host -> device -> host with pinned, double-buffered staging; the upload of
// batch b+1 and the download of batch b-1 run on a copy stream while batch b computes on a compute stream,
// handed off by events (docs/CUDA.md, "Pinned transfers and overlap").
// One batch's device work: reads in_floats at d_in, writes out_floats at d_out, issued on stream s only.
typedef cudaError_t (*fz_cuda_batch_fn)(void *ctx, int batch, const float *d_in, float *d_out, cudaStream_t s);
enum {
  FZ_CUDA_PIPE_SERIAL = 1,         // reference: one stream, one batch at a time, no pinned staging
  FZ_CUDA_PIPE_OMIT_UPLOAD_WAIT = 2  // tests only: drop the compute stream's wait on the upload (a known bug)
};
typedef struct fz_cuda_pipe {
  int nbatch;
  size_t in_floats, out_floats;  // per batch
  const float *in;               // host, nbatch * in_floats (pageable)
  float *out;                    // host, nbatch * out_floats (pageable)
  fz_cuda_batch_fn fn;
  void *ctx;
} fz_cuda_pipe;
// Runs fn over every batch of p (flags: FZ_CUDA_PIPE_*); p->out is complete on return. cudaSuccess or the
// first CUDA error (everything the run allocated is freed either way).
cudaError_t fz_cuda_pipeline_run(const fz_cuda_pipe *p, unsigned flags);

// Fill the op entries of a CUDA backend table (one function per .cu family).
void fz_cuda_fill_core(fz_backend *t);        // random.cu: lincomb, randn, randn_image
void fz_cuda_fill_nn(fz_backend *t);          // the nn family (elementwise, norms, softmax, GEMM, conv)
void fz_cuda_fill_seq(fz_backend *t);         // the seq family (attention, scan, layout, resampling, FFT, k-means)
void fz_cuda_fill_fir(fz_backend *t);         // fir.cu: MATLAB imfilter, imresize, interp23tap
#endif
