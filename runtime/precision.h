// precision.h — `--precision fp32|bf16|fp16`: the compute precision of a backend's heavy ops.
// bf16 / fp16 store operands and results of linear, conv2d, attention and selective scan in 16 bits with
// fp32 accumulation (kernels/cuda/precision.cu); only CUDA backends offer them (docs/CUDA.md, "Precision").
#ifndef FZ_PRECISION_H
#define FZ_PRECISION_H
#include "backend.h"

// Parses "fp32" / "f32", "bf16", "fp16" / "f16" into FZ_F32 / FZ_BF16 / FZ_F16; FZ_EINVAL naming the option.
int fz_precision_parse(const char *s, fz_dtype *dt, fz_err *err);
// The backend for be's device in precision `precision` (NULL or "fp32": be itself). On the CPU backend a
// 16-bit precision is an error ("bf16 needs --device cuda:N"), never a silent fp32 run.
const fz_backend *fz_backend_with_precision(const fz_backend *be, const char *precision, fz_err *err);
// The CUDA table of device with dtype storage (kernels/cuda/precision.cu; a stub without CUDA).
const fz_backend *fz_backend_cuda_precision(int device, fz_dtype dtype, fz_err *err);
#endif
