// graph.cu — CUDA Graph capture of work issued on a CUDA backend (one model forward, one sampler network
// call): fz_cuda_graph_begin starts capturing the backend's stream, every op issued until fz_cuda_graph_end
// is recorded instead of run, and fz_cuda_graph_launch replays the whole sequence as one graph launch.
// The captured work must not allocate, free or synchronise: run the forward once first (models size their
// scratch pools on the first forward; the forward arena, runtime/arena_backend.h, replays without allocating)
// and keep the inputs and outputs in the same device buffers between launches (the graph holds pointers;
// refill the inputs in place). Under the emulation, kernels/cuda/simt/simt_graph.h implements capture.
#include "cuda_ops.h"
#include "cuda_graph.h"
#include <string.h>
#include <stdlib.h>

struct fz_cuda_graph {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
};

extern "C" int fz_cuda_graph_begin(const fz_backend *be, fz_err *err) {
  cudaError_t e = cudaStreamBeginCapture(fz_cuda_stream(be), cudaStreamCaptureModeThreadLocal);
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "cudaStreamBeginCapture", err);
}

// Ends the capture begun on be and instantiates it into *out (NULL on failure: the capture is dropped).
extern "C" int fz_cuda_graph_end(const fz_backend *be, fz_cuda_graph **out, fz_err *err) {
  *out = NULL;
  cudaGraph_t g = NULL;
  cudaError_t e = cudaStreamEndCapture(fz_cuda_stream(be), &g);
  if (e != cudaSuccess) {
    int rc = fz_cuda_fail(be, e, "cudaStreamEndCapture (an op synchronised or failed while capturing)", err);
    cudaGetLastError();
    return rc;
  }
  fz_cuda_graph *r = (fz_cuda_graph *)calloc(1, sizeof *r);
  if (!r) {
    cudaGraphDestroy(g);
    return fz_fail(err, FZ_ENOMEM, "%s: out of memory for a CUDA graph", be->name);
  }
  r->graph = g;
  if ((e = cudaGraphInstantiate(&r->exec, g, 0)) != cudaSuccess) {
    cudaGraphDestroy(g);
    free(r);
    return fz_cuda_fail(be, e, "cudaGraphInstantiate", err);
  }
  *out = r;
  return FZ_OK;
}

// Launches the instantiated graph on be's stream (in stream order with the backend's other ops).
extern "C" int fz_cuda_graph_launch(const fz_backend *be, const fz_cuda_graph *g, fz_err *err) {
  cudaError_t e = cudaGraphLaunch(g->exec, fz_cuda_stream(be));
  return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "cudaGraphLaunch", err);
}

extern "C" void fz_cuda_graph_free(fz_cuda_graph *g) {
  if (!g) return;
  cudaGraphExecDestroy(g->exec);
  cudaGraphDestroy(g->graph);
  free(g);
}

extern "C" int fz_backend_is_cuda(const fz_backend *be) { return be && be->name && !strncmp(be->name, "cuda:", 5); }
