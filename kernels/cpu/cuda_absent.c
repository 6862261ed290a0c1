// cuda_absent.c — fz_backend_cuda for builds without nvcc: a clear error instead of a device.
#include "../../runtime/backend.h"
#include "../../runtime/cuda_graph.h"
#include <stdio.h>
#ifndef FZ_HAVE_CUDA
const fz_backend *fz_backend_cuda(int device, fz_err *err) {
  fz_fail(err, FZ_EUNSUP, "cuda:%d requested, but this fusor was built without CUDA (nvcc not found at build time)", device);
  return NULL;
}

// No CUDA: no graphs (callers check fz_backend_is_cuda first; these name what is missing if they do not).
int fz_cuda_graph_begin(const fz_backend *be, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "CUDA graphs: this fusor was built without CUDA");
}
int fz_cuda_graph_end(const fz_backend *be, fz_cuda_graph **out, fz_err *err) {
  *out = NULL;
  return fz_fail(err, FZ_EUNSUP, "CUDA graphs: this fusor was built without CUDA");
}
int fz_cuda_graph_launch(const fz_backend *be, const fz_cuda_graph *g, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "CUDA graphs: this fusor was built without CUDA");
}
void fz_cuda_graph_free(fz_cuda_graph *g) {}
int fz_backend_is_cuda(const fz_backend *be) { return 0; }

// No CUDA backend, so no fast path to report.
void fz_cuda_fastpath_report(const fz_backend *be, FILE *out) {
  fprintf(out, "  fast paths: none (this fusor was built without CUDA)\n");
}
#endif
