// cublas_v2.h — the SIMT emulation's cuBLAS: the calls fusor makes, implemented on the CPU with their
// documented semantics (cuBLAS library user guide): column-major matrices, op(X) = X, Xᵀ (OP_T) or Xᴴ (OP_C,
// = Xᵀ for real types), leading dimensions, strided batches (a stride may be 0), host-side alpha / beta,
// beta = 0 never reading C, and k = 0 giving C = beta·C. Every argument is validated as cuBLAS does
// (CUBLAS_STATUS_INVALID_VALUE for negative sizes or too-small leading dimensions) and, stricter, every
// matrix extent touched is checked to lie inside one device allocation, so a wrong ld / stride / row-major
// mapping in fusor fails loudly here. Work runs synchronously on the host (fp32 accumulation in k order).
#ifndef FZ_SIMT_CUBLAS_V2_H
#define FZ_SIMT_CUBLAS_V2_H
#include "cuda_runtime.h"

enum cublasStatus_t {
  CUBLAS_STATUS_SUCCESS = 0,
  CUBLAS_STATUS_NOT_INITIALIZED = 1,
  CUBLAS_STATUS_ALLOC_FAILED = 3,
  CUBLAS_STATUS_INVALID_VALUE = 7,
  CUBLAS_STATUS_ARCH_MISMATCH = 8,
  CUBLAS_STATUS_MAPPING_ERROR = 11,
  CUBLAS_STATUS_EXECUTION_FAILED = 13,
  CUBLAS_STATUS_INTERNAL_ERROR = 14,
  CUBLAS_STATUS_NOT_SUPPORTED = 15
};
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 };
enum cublasMath_t { CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2 };
enum cublasPointerMode_t { CUBLAS_POINTER_MODE_HOST = 0, CUBLAS_POINTER_MODE_DEVICE = 1 };
typedef struct cublasContext *cublasHandle_t;

cublasStatus_t cublasCreate(cublasHandle_t *handle);
cublasStatus_t cublasDestroy(cublasHandle_t handle);
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream);
cublasStatus_t cublasGetStream(cublasHandle_t handle, cudaStream_t *stream);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
cublasStatus_t cublasSetPointerMode(cublasHandle_t handle, cublasPointerMode_t mode);
const char *cublasGetStatusString(cublasStatus_t status);
// C = alpha·op(A)·op(B) + beta·C, column-major: op(A) m×k, op(B) k×n, C m×n.
cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
                           const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta, float *C,
                           int ldc);
// cublasSgemm for batch i < batchCount on A + i·strideA, B + i·strideB, C + i·strideC.
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m,
                                         int n, int k, const float *alpha, const float *A, int lda, long long strideA,
                                         const float *B, int ldb, long long strideB, const float *beta, float *C, int ldc,
                                         long long strideC, int batchCount);
#endif
