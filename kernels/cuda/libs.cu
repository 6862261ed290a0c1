// libs.cu — the CUDA backend's use of NVIDIA's libraries beyond cuBLAS: one cuDNN handle per device (dense
// convolutions, conv.cu) and a small cache of cuFFT plans (fft.cu), both bound to the backend's stream, and the
// routing switches. In the nvcc build they exist when cuda.mk found cudnn.h / cufft.h (FZ_HAVE_CUDNN /
// FZ_HAVE_CUFFT, linked with -lcudnn / -lcufft); the emulated build always has them (kernels/cuda/simt shims),
// so the tests run the same routing a GPU runs. Routing (docs/CUDA.md, "cuDNN / cuFFT"):
//  * conv2d goes to cuDNN when it is dense (more than one input channel per group), zero-padded with
//    non-negative pads whose output size is cuDNN's symmetric one, and has at least `cudnn_min_macs`
//    multiply-adds (default FZ_CUDA_CUDNN_MIN_MACS); depthwise, padded-mode, causal conv1d and small convs
//    stay on the hand-written kernels;
//  * fft2 / rfft2 / irfft2 go to cuFFT whenever it is enabled.
// fz_cuda_set_libraries switches either off (tests compare both routes); env FZ_CUDA_LIBS=none|cudnn|cufft|all
// sets the default of new backends.
#include "cuda_ops.h"
#include <stdlib.h>

#define FZ_CUDA_CUDNN_MIN_MACS (1LL << 20)
#define FZ_CUFFT_CACHE 8

// One cached cuFFT plan and the arguments it was made for.
struct fft_entry {
  int used, rank, n[3], inembed[3], onembed[3], basic, istride, idist, ostride, odist, batch;
  unsigned type;
  uint64_t last_use;
#ifdef FZ_CUDA_WITH_CUFFT
  cufftHandle plan;
#endif
};

struct fz_cuda_libs {
  unsigned have, enabled;   // FZ_CUDA_LIB_* bits this build / device has, and those in use
  int64_t cudnn_min_macs;
#ifdef FZ_CUDA_WITH_CUDNN
  cudnnHandle_t dnn;
#endif
  fft_entry fft[FZ_CUFFT_CACHE];
  uint64_t clock;
};

// The library bits named by env FZ_CUDA_LIBS (default: all).
static unsigned env_mask(void) {
  const char *e = getenv("FZ_CUDA_LIBS");
  if (!e || !*e || !strcmp(e, "all")) return FZ_CUDA_LIB_CUDNN | FZ_CUDA_LIB_CUFFT;
  if (!strcmp(e, "cudnn")) return FZ_CUDA_LIB_CUDNN;
  if (!strcmp(e, "cufft")) return FZ_CUDA_LIB_CUFFT;
  return 0;  // "none" (and anything else: the hand-written kernels are always correct)
}

int fz_cuda_libs_init(fz_backend *be, fz_err *err) {
  fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  fz_cuda_libs *L = (fz_cuda_libs *)calloc(1, sizeof *L);
  if (!L) return fz_fail(err, FZ_ENOMEM, "%s: out of memory for the library state", be->name);
  L->cudnn_min_macs = FZ_CUDA_CUDNN_MIN_MACS;
#ifdef FZ_CUDA_WITH_CUDNN
  cudnnStatus_t st = cudnnCreate(&L->dnn);
  if (st == CUDNN_STATUS_SUCCESS) st = cudnnSetStream(L->dnn, c->stream);
  if (st != CUDNN_STATUS_SUCCESS) {
    int rc = fz_fail(err, FZ_EINTERNAL, "%s: cuDNN set-up failed: %s", be->name, cudnnGetErrorString(st));
    if (L->dnn) cudnnDestroy(L->dnn);
    free(L);
    return rc;
  }
  L->have |= FZ_CUDA_LIB_CUDNN;
#endif
#ifdef FZ_CUDA_WITH_CUFFT
  L->have |= FZ_CUDA_LIB_CUFFT;
#endif
  L->enabled = L->have & env_mask();
  c->libs = L;
  return FZ_OK;
}

int fz_cuda_libs_enabled(const fz_backend *be, unsigned mask) {
  const fz_cuda_libs *L = fz_cuda_ctx_of(be)->libs;
  return L && (L->enabled & mask) == mask;
}

// Routes be's ops through the libraries in mask (bits this build lacks are ignored); convs with fewer than
// cudnn_min_macs multiply-adds (< 0: keep the current threshold) stay on the hand-written kernels. Returns
// the previous mask. For tests and benchmarks; a backend serves one thread at a time.
extern "C" unsigned fz_cuda_set_libraries(const fz_backend *be, unsigned mask, int64_t cudnn_min_macs) {
  fz_cuda_libs *L = be ? fz_cuda_ctx_of(be)->libs : NULL;
  if (!L) return 0;
  unsigned old = L->enabled;
  L->enabled = mask & L->have;
  if (cudnn_min_macs >= 0) L->cudnn_min_macs = cudnn_min_macs;
  return old;
}

#ifdef FZ_CUDA_WITH_CUDNN
cudnnHandle_t fz_cuda_cudnn(const fz_backend *be, int64_t macs) {
  fz_cuda_libs *L = fz_cuda_ctx_of(be)->libs;
  if (!L || !(L->enabled & FZ_CUDA_LIB_CUDNN) || macs < L->cudnn_min_macs) return NULL;
  fz_cuda_stream(be);  // (makes the device current)
  return L->dnn;
}
#endif

#ifdef FZ_CUDA_WITH_CUFFT
int fz_cufft_fail(const fz_backend *be, cufftResult r, const char *what, fz_err *err) {
#ifdef FZ_CUDA_EMULATED
  const char *detail = fz_simt::last_message();
#else
  const char *detail = "";
#endif
  return fz_fail(err, r == CUFFT_INVALID_VALUE || r == CUFFT_INVALID_SIZE ? FZ_EINVAL : FZ_EINTERNAL, "%s: %s failed: cuFFT result %d%s%s",
                 be ? be->name : "cuda", what, (int)r, detail[0] ? ": " : "", detail);
}

cufftHandle fz_cuda_cufft_plan(const fz_backend *be, int rank, const int *n, const int *inembed, int istride, int idist,
                               const int *onembed, int ostride, int odist, cufftType type, int batch, fz_err *err) {
  fz_cuda_libs *L = fz_cuda_ctx_of(be)->libs;
  if (!L || !(L->enabled & FZ_CUDA_LIB_CUFFT)) {
    if (err) err->code = FZ_EUNSUP;
    return -1;
  }
  fft_entry key;
  memset(&key, 0, sizeof key);
  key.used = 1; key.rank = rank; key.type = (unsigned)type; key.batch = batch; key.basic = inembed == NULL;
  for (int i = 0; i < rank; i++) {
    key.n[i] = n[i];
    if (inembed) { key.inembed[i] = inembed[i]; key.onembed[i] = onembed[i]; }
  }
  if (inembed) { key.istride = istride; key.idist = idist; key.ostride = ostride; key.odist = odist; }
  fft_entry *victim = &L->fft[0];
  for (int i = 0; i < FZ_CUFFT_CACHE; i++) {
    fft_entry *e = &L->fft[i];
    if (e->used && e->rank == key.rank && e->type == key.type && e->batch == key.batch && e->basic == key.basic &&
        !memcmp(e->n, key.n, sizeof key.n) && !memcmp(e->inembed, key.inembed, sizeof key.inembed) &&
        !memcmp(e->onembed, key.onembed, sizeof key.onembed) && e->istride == key.istride && e->idist == key.idist &&
        e->ostride == key.ostride && e->odist == key.odist) {
      e->last_use = ++L->clock;
      fz_cuda_stream(be);
      return e->plan;
    }
    if (!e->used || (victim->used && e->last_use < victim->last_use)) victim = e;
  }
  if (victim->used) {  // the evicted plan may still be in use by queued work
    cudaStreamSynchronize(fz_cuda_ctx_of(be)->stream);
    cufftDestroy(victim->plan);
    victim->used = 0;
  }
  fz_cuda_stream(be);
  cufftHandle p = -1;
  cufftResult r = cufftPlanMany(&p, rank, (int *)n, (int *)inembed, istride, idist, (int *)onembed, ostride, odist, type, batch);
  if (r == CUFFT_SUCCESS) r = cufftSetStream(p, fz_cuda_ctx_of(be)->stream);
  if (r != CUFFT_SUCCESS) {
    if (p != -1) cufftDestroy(p);
    fz_cufft_fail(be, r, "cufftPlanMany", err);
    return -1;
  }
  key.plan = p;
  key.last_use = ++L->clock;
  *victim = key;
  return p;
}
#endif
