// cuda_precision_absent.c — fz_backend_cuda_precision for builds without nvcc: a clear error.
#include "../../runtime/precision.h"
#ifndef FZ_HAVE_CUDA
const fz_backend *fz_backend_cuda_precision(int device, fz_dtype dtype, fz_err *err) {
  fz_fail(err, FZ_EUNSUP, "cuda:%d with %s storage requested, but this fusor was built without CUDA", device, fz_dtype_name(dtype));
  return NULL;
}
#endif
