// cuda_absent.c — fz_backend_cuda for builds without nvcc: a clear error instead of a device.
#include "../../runtime/backend.h"
#include <stdio.h>
#ifndef FZ_HAVE_CUDA
const fz_backend *fz_backend_cuda(int device, fz_err *err) {
  fz_fail(err, FZ_EUNSUP, "cuda:%d requested, but this fusor was built without CUDA (nvcc not found at build time)", device);
  return NULL;
}

// No CUDA backend, so no fast path to report.
void fz_cuda_fastpath_report(const fz_backend *be, FILE *out) {
  fprintf(out, "  fast paths: none (this fusor was built without CUDA)\n");
}
#endif
