// simt_cublas.cpp — the emulated cuBLAS calls of cublas_v2.h: validated handles, streams and arguments, and
// the column-major GEMM computed on the host.
#include "cublas_v2.h"
#include "simt_internal.h"
#include "simt_graph.h"
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <set>

struct cublasContext {
  cudaStream_t stream;
  int math, pointer_mode;
};

namespace {
std::mutex g_mu;
// The live cuBLAS handles.
std::set<const void *> &handles() {
  static std::set<const void *> h;
  return h;
}
// 1 when h is a handle from cublasCreate not yet destroyed.
bool live(cublasHandle_t h) {
  std::lock_guard<std::mutex> lk(g_mu);
  return handles().count(h) != 0;
}
// Records the emulation's message for a failing call and returns st.
cublasStatus_t fail(cublasStatus_t st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cublasStatus_t fail(cublasStatus_t st, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fz_simt::api_note("%s", msg);
  return st;
}
// Elements spanned by a column-major rows×cols matrix with leading dimension ld (0 when empty).
size_t span(int rows, int cols, int ld) { return rows && cols ? (size_t)(cols - 1) * (size_t)ld + (size_t)rows : 0; }
}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t *handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1) {
    cudaGetLastError();
    return CUBLAS_STATUS_NOT_INITIALIZED;
  }
  auto *c = new cublasContext{nullptr, CUBLAS_DEFAULT_MATH, CUBLAS_POINTER_MODE_HOST};
  std::lock_guard<std::mutex> lk(g_mu);
  handles().insert(c);
  *handle = c;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
  std::lock_guard<std::mutex> lk(g_mu);
  if (!handles().erase(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!fz_simt::api_stream_ok(s)) return fail(CUBLAS_STATUS_INVALID_VALUE, "cublasSetStream: stream %p is not live", (void *)s);
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasGetStream(cublasHandle_t h, cudaStream_t *s) {
  if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!s) return CUBLAS_STATUS_INVALID_VALUE;
  *s = h->stream;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode) {
  if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetPointerMode(cublasHandle_t h, cublasPointerMode_t mode) {
  if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode != CUBLAS_POINTER_MODE_HOST) return fail(CUBLAS_STATUS_NOT_SUPPORTED, "cublasSetPointerMode: only host pointers are emulated");
  h->pointer_mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusString(cublasStatus_t st) {
  switch (st) {
    case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    default: return "unknown cuBLAS status";
  }
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                         const float *alpha, const float *A, int lda, long long sA, const float *B, int ldb,
                                         long long sB, const float *beta, float *C, int ldc, long long sC, int batch) {
  const char *fn = "cublasSgemmStridedBatched";
  if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if ((unsigned)ta > 2u || (unsigned)tb > 2u) return fail(CUBLAS_STATUS_INVALID_VALUE, "%s: operation %d / %d", fn, ta, tb);
  int ar = ta == CUBLAS_OP_N ? m : k, ac = ta == CUBLAS_OP_N ? k : m, br = tb == CUBLAS_OP_N ? k : n, bc = tb == CUBLAS_OP_N ? n : k;
  if (m < 0 || n < 0 || k < 0 || batch < 0)
    return fail(CUBLAS_STATUS_INVALID_VALUE, "%s: m %d, n %d, k %d, batch %d must be >= 0", fn, m, n, k, batch);
  if (lda < (ar > 1 ? ar : 1) || ldb < (br > 1 ? br : 1) || ldc < (m > 1 ? m : 1))
    return fail(CUBLAS_STATUS_INVALID_VALUE, "%s: lda %d (needs >= %d), ldb %d (>= %d), ldc %d (>= %d)", fn, lda, ar, ldb, br, ldc, m);
  if (!alpha || !beta) return fail(CUBLAS_STATUS_INVALID_VALUE, "%s: alpha / beta must be host pointers", fn);
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  if (fz_simt::api_sticky()) return CUBLAS_STATUS_EXECUTION_FAILED;
  // Every matrix of the first and the last batch must lie inside device memory.
  const struct { const void *p; long long stride; size_t n; const char *name; } mats[3] = {
      {A, sA, k ? span(ar, ac, lda) : 0, "A"}, {B, sB, k ? span(br, bc, ldb) : 0, "B"}, {C, sC, span(m, n, ldc), "C"}};
  for (const auto &x : mats)
    for (long long b : {0LL, (long long)batch - 1})
      if (x.n && !fz_simt::api_device_extent_ok((const float *)x.p + b * x.stride, x.n * sizeof(float)))
        return fail(CUBLAS_STATUS_INVALID_VALUE, "%s: matrix %s of batch %lld (%zu elements from %p + %lld) is not inside one "
                    "device allocation (check ld, stride and the row-/column-major mapping)", fn, x.name, b, x.n, x.p, b * x.stride);
  const float al = *alpha, be = *beta;
  auto run = [=]() -> cudaError_t {  // (a node of a stream capture, simt_graph.h, or run now)
  for (long long b = 0; b < batch; b++) {
    const float *Ab = A + b * sA, *Bb = B + b * sB;
    float *Cb = C + b * sC;
    for (int j = 0; j < n; j++)
      for (int i = 0; i < m; i++) {
        float acc = 0.0f;
        for (int p = 0; p < k; p++) {
          float a = ta == CUBLAS_OP_N ? Ab[i + (size_t)p * lda] : Ab[p + (size_t)i * lda];
          float bv = tb == CUBLAS_OP_N ? Bb[p + (size_t)j * ldb] : Bb[j + (size_t)p * ldb];
          acc += a * bv;
        }
        float *c = Cb + i + (size_t)j * ldc;
        *c = be == 0.0f ? al * acc : al * acc + be * *c;  // beta = 0: C is not read
      }
  }
  return cudaSuccess;
  };
  if (fz_simt::capturing(h->stream)) fz_simt::capture_node(h->stream, run, fn);
  else run();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
