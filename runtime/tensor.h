// tensor.h — dtypes and the n-d tensor (contiguous, row-major, up to 5 dims) owned by one backend.
#ifndef FZ_TENSOR_H
#define FZ_TENSOR_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"

typedef enum { FZ_F32 = 0, FZ_F16, FZ_BF16, FZ_U8, FZ_U16, FZ_I32, FZ_DTYPE_COUNT } fz_dtype;

#define FZ_MAX_DIMS 5
// Largest element count fusor accepts for one tensor (2^40): guards absurd shapes in files.
#define FZ_MAX_NUMEL (INT64_C(1) << 40)

struct fz_backend;

// A contiguous tensor. shape[0] is the slowest dim (NCHW for images, [B,N,C] for tokens).
typedef struct fz_tensor {
  fz_dtype dtype;
  int ndim;
  int64_t shape[FZ_MAX_DIMS];
  void *data;                     // backend memory (host pointer for the CPU backend)
  const struct fz_backend *be;    // owner; NULL means plain host memory not owned by a backend
  int owns;                       // 1 when fz_tensor_free must release data
} fz_tensor;

// Bytes per element of dtype.
size_t fz_dtype_size(fz_dtype dt);
// Name "f32", "f16", "bf16", "u8", "u16", "i32".
const char *fz_dtype_name(fz_dtype dt);
// Parses a dtype name; returns -1 when unknown.
int fz_dtype_parse(const char *s);

// Product of shape[0..ndim); -1 when a dim is negative or the product exceeds FZ_MAX_NUMEL.
int64_t fz_shape_numel(int ndim, const int64_t *shape);
static inline int64_t fz_tensor_numel(const fz_tensor *t) { return fz_shape_numel(t->ndim, t->shape); }
static inline size_t fz_tensor_nbytes(const fz_tensor *t) {
  return (size_t)fz_tensor_numel(t) * fz_dtype_size(t->dtype);
}
// Fills a tensor header (no allocation) for ndim dims given in shape; checks dims and numel.
int fz_tensor_init(fz_tensor *t, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err);
// Allocates t's data on backend be (NULL = host malloc); t->owns = 1. Data is uninitialised.
int fz_tensor_alloc(fz_tensor *t, const struct fz_backend *be, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err);
// Releases owned data and zeroes the header.
void fz_tensor_free(fz_tensor *t);
// 1 when a and b have equal ndim and shape.
int fz_tensor_same_shape(const fz_tensor *a, const fz_tensor *b);
// Writes "[2, 3, 4]" into buf.
const char *fz_shape_str(int ndim, const int64_t *shape, char *buf, size_t n);

// IEEE half / bfloat16 conversions with round-to-nearest-even (bit-exact with CUDA's __float2half_rn).
uint16_t fz_f32_to_f16(float f);
float fz_f16_to_f32(uint16_t h);
uint16_t fz_f32_to_bf16(float f);
float fz_bf16_to_f32(uint16_t b);
// Converts n host elements from src (dtype sdt) to f32 dst.
void fz_convert_to_f32(float *dst, const void *src, fz_dtype sdt, size_t n);
// Converts n f32 host elements to dst of dtype ddt (rounding to nearest, saturating for ints).
void fz_convert_from_f32(void *dst, fz_dtype ddt, const float *src, size_t n);

#endif
