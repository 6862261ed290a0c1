// simt_cudnn.cpp — the emulated cuDNN calls of cudnn.h: validated handles and descriptors, the algorithm and
// workspace queries, and cudnnConvolutionForward computed on the host (fp32 accumulation in filter-tap order).
#include "cudnn.h"
#include "simt_internal.h"
#include "simt_graph.h"
#include <cstdarg>
#include <cstdio>
#include <atomic>
#include <mutex>
#include <set>
#include <algorithm>
#include <vector>

struct cudnnContext {
  cudaStream_t stream;
};
struct cudnnTensorStruct {
  int set, n, c, h, w;
};
struct cudnnFilterStruct {
  int set, k, c, h, w;
};
struct cudnnConvolutionStruct {
  int set, pad_h, pad_w, u, v, dil_h, dil_w, groups;
  cudnnConvolutionMode_t mode;
  cudnnMathType_t math;
};

namespace {
std::atomic<unsigned long long> g_calls{0};
std::mutex g_mu;
// Every live handle and descriptor (by address).
std::set<const void *> &live_set() {
  static std::set<const void *> s;
  return s;
}
// 1 when p came from a cudnnCreate* call and was not destroyed.
bool live(const void *p) {
  std::lock_guard<std::mutex> lk(g_mu);
  return p && live_set().count(p) != 0;
}
// Registers p as live and returns CUDNN_STATUS_SUCCESS.
cudnnStatus_t add(const void *p) {
  std::lock_guard<std::mutex> lk(g_mu);
  live_set().insert(p);
  return CUDNN_STATUS_SUCCESS;
}
// Unregisters p; false when it was not live.
bool drop(const void *p) {
  std::lock_guard<std::mutex> lk(g_mu);
  return live_set().erase(p) != 0;
}
// Records the emulation's message for a failing call and returns st.
cudnnStatus_t fail(cudnnStatus_t st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cudnnStatus_t fail(cudnnStatus_t st, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fz_simt::api_note("%s", msg);
  return st;
}
// Output size of one spatial dimension (may be < 1 for an impossible geometry).
long long out_dim(int in, int pad, int f, int dil, int stride) {
  return 1 + ((long long)in + 2LL * pad - ((long long)(f - 1) * dil + 1)) / stride;
}
// Checks x / w / conv are set and mutually consistent; the output dims go to o[4].
cudnnStatus_t geometry(const char *fn, const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t x,
                       const cudnnFilterDescriptor_t w, int o[4]) {
  if (!live(conv) || !live(x) || !live(w)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: a descriptor is NULL or destroyed", fn);
  if (!conv->set || !x->set || !w->set) return fail(CUDNN_STATUS_BAD_PARAM, "%s: a descriptor was never set", fn);
  if (x->c != w->c * conv->groups)
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: x has %d channels, filter %d per group × %d groups", fn, x->c, w->c, conv->groups);
  if (w->k % conv->groups)
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: %d output channels are not a multiple of %d groups", fn, w->k, conv->groups);
  long long ho = out_dim(x->h, conv->pad_h, w->h, conv->dil_h, conv->u), wo = out_dim(x->w, conv->pad_w, w->w, conv->dil_w, conv->v);
  if (ho < 1 || wo < 1 || x->h + 2LL * conv->pad_h < (long long)(w->h - 1) * conv->dil_h + 1 ||
      x->w + 2LL * conv->pad_w < (long long)(w->w - 1) * conv->dil_w + 1)
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: the dilated %dx%d filter does not fit the padded %dx%d input", fn, w->h, w->w, x->h, x->w);
  o[0] = x->n; o[1] = w->k; o[2] = (int)ho; o[3] = (int)wo;
  return CUDNN_STATUS_SUCCESS;
}
// Workspace bytes of algo for this geometry; false when the emulation does not provide the algorithm.
bool workspace_of(cudnnConvolutionFwdAlgo_t algo, const cudnnFilterDescriptor_t w, const int o[4], size_t *bytes) {
  size_t crs = (size_t)w->c * w->h * w->w;
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: *bytes = 0; return true;
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: *bytes = crs * sizeof(int); return true;
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: *bytes = crs * (size_t)o[2] * o[3] * sizeof(float); return true;
    default: return false;
  }
}
}  // namespace

unsigned long long fz_simt::cudnn_forward_calls() { return g_calls.load(); }

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

const char *cudnnGetErrorString(cudnnStatus_t st) {
  switch (st) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_INTERNAL_ERROR: return "CUDNN_STATUS_INTERNAL_ERROR";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_STATUS_UNKNOWN";
  }
}

cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1) {
    cudaGetLastError();
    return fail(CUDNN_STATUS_NOT_INITIALIZED, "cudnnCreate: no CUDA device");
  }
  *handle = new cudnnContext{nullptr};
  return add(*handle);
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) {
  if (!drop(h)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroy: handle %p is not live", (void *)h);
  delete h;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s) {
  if (!live(h)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: handle %p is not live", (void *)h);
  if (!fz_simt::api_stream_ok(s)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: stream %p is not live", (void *)s);
  h->stream = s;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetStream(cudnnHandle_t h, cudaStream_t *s) {
  if (!live(h) || !s) return CUDNN_STATUS_BAD_PARAM;
  *s = h->stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) {
  if (!d) return CUDNN_STATUS_BAD_PARAM;
  *d = new cudnnTensorStruct{0, 0, 0, 0, 0};
  return add(*d);
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  if (!d) return CUDNN_STATUS_SUCCESS;  // (destroying NULL is allowed)
  if (!drop(d)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroyTensorDescriptor: %p is not live", (void *)d);
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t f, cudnnDataType_t t, int n, int c, int h,
                                         int w) {
  const char *fn = "cudnnSetTensor4dDescriptor";
  if (!live(d)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: descriptor %p is not live", fn, (void *)d);
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return fail(CUDNN_STATUS_BAD_PARAM, "%s: dims %d %d %d %d must be > 0", fn, n, c, h, w);
  if ((unsigned)f > 2u || (unsigned)t > 9u) return fail(CUDNN_STATUS_BAD_PARAM, "%s: format %d / data type %d", fn, f, t);
  if (f != CUDNN_TENSOR_NCHW || t != CUDNN_DATA_FLOAT)
    return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: the emulation has NCHW float tensors only (format %d, type %d)", fn, f, t);
  if ((long long)n * c * h * w > 0x7fffffffLL) return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: more than 2^31 - 1 elements", fn);
  *d = cudnnTensorStruct{1, n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) {
  if (!d) return CUDNN_STATUS_BAD_PARAM;
  *d = new cudnnFilterStruct{0, 0, 0, 0, 0};
  return add(*d);
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  if (!d) return CUDNN_STATUS_SUCCESS;
  if (!drop(d)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroyFilterDescriptor: %p is not live", (void *)d);
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f, int k, int c, int h,
                                         int w) {
  const char *fn = "cudnnSetFilter4dDescriptor";
  if (!live(d)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: descriptor %p is not live", fn, (void *)d);
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return fail(CUDNN_STATUS_BAD_PARAM, "%s: dims %d %d %d %d must be > 0", fn, k, c, h, w);
  if (f != CUDNN_TENSOR_NCHW || t != CUDNN_DATA_FLOAT)
    return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: the emulation has NCHW (KCRS) float filters only (format %d, type %d)", fn, f, t);
  *d = cudnnFilterStruct{1, k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) {
  if (!d) return CUDNN_STATUS_BAD_PARAM;
  *d = new cudnnConvolutionStruct{0, 0, 0, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DEFAULT_MATH};
  return add(*d);
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  if (!d) return CUDNN_STATUS_SUCCESS;
  if (!drop(d)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnDestroyConvolutionDescriptor: %p is not live", (void *)d);
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v, int dil_h,
                                              int dil_w, cudnnConvolutionMode_t mode, cudnnDataType_t compute) {
  const char *fn = "cudnnSetConvolution2dDescriptor";
  if (!live(d)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: descriptor %p is not live", fn, (void *)d);
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dil_h <= 0 || dil_w <= 0)
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: pads %d %d must be >= 0, strides %d %d and dilations %d %d > 0", fn, pad_h, pad_w, u, v,
                dil_h, dil_w);
  if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) return fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d", fn, mode);
  if (compute != CUDNN_DATA_FLOAT) return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: the emulation computes in float only", fn);
  d->set = 1; d->pad_h = pad_h; d->pad_w = pad_w; d->u = u; d->v = v; d->dil_h = dil_h; d->dil_w = dil_w; d->mode = mode;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups) {
  if (!live(d)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionGroupCount: descriptor %p is not live", (void *)d);
  if (groups < 1) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionGroupCount: %d groups", groups);
  d->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t math) {
  if (!live(d)) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionMathType: descriptor %p is not live", (void *)d);
  if ((unsigned)math > 3u) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionMathType: math type %d", math);
  d->math = math;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t conv, const cudnnTensorDescriptor_t x,
                                                    const cudnnFilterDescriptor_t w, int *n, int *c, int *h, int *wo) {
  int o[4];
  if (!n || !c || !h || !wo) return CUDNN_STATUS_BAD_PARAM;
  cudnnStatus_t st = geometry("cudnnGetConvolution2dForwardOutputDim", conv, x, w, o);
  if (st) return st;
  *n = o[0]; *c = o[1]; *h = o[2]; *wo = o[3];
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t h, int *count) {
  if (!live(h) || !count) return CUDNN_STATUS_BAD_PARAM;
  *count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  return CUDNN_STATUS_SUCCESS;
}
// Checks that y is set to the output geometry o.
static cudnnStatus_t check_y(const char *fn, const cudnnTensorDescriptor_t y, const int o[4]) {
  if (!live(y) || !y->set) return fail(CUDNN_STATUS_BAD_PARAM, "%s: y descriptor is NULL, destroyed or never set", fn);
  if (y->n != o[0] || y->c != o[1] || y->h != o[2] || y->w != o[3])
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: y is %dx%dx%dx%d, the convolution gives %dx%dx%dx%d", fn, y->n, y->c, y->h, y->w, o[0],
                o[1], o[2], o[3]);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                     const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
                                                     const cudnnTensorDescriptor_t y, int requested, int *returned,
                                                     cudnnConvolutionFwdAlgoPerf_t *perf) {
  const char *fn = "cudnnGetConvolutionForwardAlgorithm_v7";
  if (!live(h)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: handle is not live", fn);
  if (requested < 1 || !returned || !perf) return fail(CUDNN_STATUS_BAD_PARAM, "%s: requested %d, returned / perf NULL", fn, requested);
  int o[4];
  cudnnStatus_t st = geometry(fn, conv, x, w, o);
  if (!st) st = check_y(fn, y, o);
  if (st) return st;
  // Order: the emulated algorithms (least workspace first), then the rest as unsupported.
  static const cudnnConvolutionFwdAlgo_t order[CUDNN_CONVOLUTION_FWD_ALGO_COUNT] = {
      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
      CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
      CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED};
  int n = requested < CUDNN_CONVOLUTION_FWD_ALGO_COUNT ? requested : CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  for (int i = 0; i < n; i++) {
    size_t b = 0;
    bool ok = workspace_of(order[i], w, o, &b);
    perf[i] = cudnnConvolutionFwdAlgoPerf_t{order[i], ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_NOT_SUPPORTED, -1.0f, b,
                                            CUDNN_DETERMINISTIC, conv->math, {0, 0, 0}};
  }
  *returned = n;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                      const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
                                                      const cudnnTensorDescriptor_t y, cudnnConvolutionFwdAlgo_t algo,
                                                      size_t *bytes) {
  const char *fn = "cudnnGetConvolutionForwardWorkspaceSize";
  if (!live(h) || !bytes) return fail(CUDNN_STATUS_BAD_PARAM, "%s: handle not live or size pointer NULL", fn);
  int o[4];
  cudnnStatus_t st = geometry(fn, conv, x, w, o);
  if (!st) st = check_y(fn, y, o);
  if (st) return st;
  if ((unsigned)algo >= (unsigned)CUDNN_CONVOLUTION_FWD_ALGO_COUNT) return fail(CUDNN_STATUS_BAD_PARAM, "%s: algorithm %d", fn, algo);
  if (!workspace_of(algo, w, o, bytes)) return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: algorithm %d is not emulated", fn, algo);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void *alpha, const cudnnTensorDescriptor_t xd, const void *xv,
                                      const cudnnFilterDescriptor_t wd, const void *wv, const cudnnConvolutionDescriptor_t conv,
                                      cudnnConvolutionFwdAlgo_t algo, void *workspace, size_t workspace_bytes,
                                      const void *beta, const cudnnTensorDescriptor_t yd, void *yv) {
  const char *fn = "cudnnConvolutionForward";
  if (!live(h)) return fail(CUDNN_STATUS_BAD_PARAM, "%s: handle %p is not live", fn, (void *)h);
  if (!alpha || !beta) return fail(CUDNN_STATUS_BAD_PARAM, "%s: alpha / beta must be host pointers", fn);
  int o[4];
  cudnnStatus_t st = geometry(fn, conv, xd, wd, o);
  if (!st) st = check_y(fn, yd, o);
  if (st) return st;
  size_t need = 0;
  if ((unsigned)algo >= (unsigned)CUDNN_CONVOLUTION_FWD_ALGO_COUNT) return fail(CUDNN_STATUS_BAD_PARAM, "%s: algorithm %d", fn, algo);
  if (!workspace_of(algo, wd, o, &need)) return fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: algorithm %d is not emulated", fn, algo);
  if (workspace_bytes < need)
    return fail(CUDNN_STATUS_BAD_PARAM, "%s: algorithm %d needs %zu workspace bytes, %zu given", fn, algo, need, workspace_bytes);
  if (workspace_bytes && !workspace) return fail(CUDNN_STATUS_BAD_PARAM, "%s: workspace is NULL with %zu bytes", fn, workspace_bytes);
  const float *x = (const float *)xv, *w = (const float *)wv;
  float *y = (float *)yv;
  const size_t nx = (size_t)xd->n * xd->c * xd->h * xd->w, nw = (size_t)wd->k * wd->c * wd->h * wd->w,
               ny = (size_t)o[0] * o[1] * o[2] * o[3];
  const struct { const void *p; size_t bytes; const char *name; } ext[4] = {
      {x, nx * 4, "x"}, {w, nw * 4, "w"}, {y, ny * 4, "y"}, {workspace, need, "workspace"}};
  for (const auto &e : ext)
    if (e.bytes && !fz_simt::api_device_extent_ok(e.p, e.bytes))
      return fail(CUDNN_STATUS_BAD_PARAM, "%s: %s (%zu bytes at %p) is not inside one device allocation", fn, e.name, e.bytes, e.p);
  if (fz_simt::api_sticky()) return CUDNN_STATUS_EXECUTION_FAILED;
  // The convolution runs now, or later as a node of the stream's capture (simt_graph.h): the descriptors' values
  // are copied, as a captured kernel node holds its parameters (the caller may destroy the descriptors).
  const auto X = *xd;
  const auto Wt = *wd;
  const auto C = *conv;
  const float al = *(const float *)alpha, be = *(const float *)beta;
  const int o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3];
  auto run = [=]() -> cudaError_t {
    const int o[4] = {o0, o1, o2, o3};
    const int G = C.groups, Cg = Wt.c, Kg = Wt.k / G, R = Wt.h, S = Wt.w, H = X.h, W = X.w, P = o[2], Q = o[3];
    const bool flip = C.mode == CUDNN_CONVOLUTION;
    // fp32 accumulation over (c, r, s) in order for every output (as an FMA-math cuDNN kernel accumulates in fp32),
    // run plane-wise: for each filter tap, acc[p, q] += w·x over the output rows / columns that see x.
    std::vector<float> acc((size_t)P * Q);
    for (int n = 0; n < o[0]; n++)
      for (int k = 0; k < o[1]; k++) {
        const int g = k / Kg;
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int c = 0; c < Cg; c++) {
          const float *xp = x + ((size_t)n * X.c + (size_t)g * Cg + c) * H * W;
          for (int r = 0; r < R; r++)
            for (int s = 0; s < S; s++) {
              const int fr = flip ? R - 1 - r : r, fs = flip ? S - 1 - s : s;
              const float wv = w[(((size_t)k * Cg + c) * R + fr) * S + fs];
              const int ox = s * C.dil_w - C.pad_w;  // ix = q·v + ox
              int q0 = ox >= 0 ? 0 : (-ox + C.v - 1) / C.v, q1 = (W - 1 - ox) >= 0 ? (W - 1 - ox) / C.v + 1 : 0;
              if (q1 > Q) q1 = Q;
              for (int p = 0; p < P; p++) {
                const int iy = p * C.u - C.pad_h + r * C.dil_h;
                if (iy < 0 || iy >= H) continue;
                const float *xr = xp + (size_t)iy * W;
                float *ar = acc.data() + (size_t)p * Q;
                for (int q = q0; q < q1; q++) ar[q] += wv * xr[q * C.v + ox];
              }
            }
        }
        float *yp = y + ((size_t)n * o[1] + k) * P * Q;
        for (size_t i = 0; i < (size_t)P * Q; i++)
          yp[i] = be == 0.0f ? al * acc[i] : al * acc[i] + be * yp[i];  // beta = 0: y is not read
      }
    g_calls++;
    return cudaSuccess;
  };
  if (fz_simt::capturing(h->stream)) fz_simt::capture_node(h->stream, run, fn);
  else run();
  return CUDNN_STATUS_SUCCESS;
}
