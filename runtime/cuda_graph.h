// cuda_graph.h — CUDA Graph capture of the work issued on a CUDA backend (kernels/cuda/graph.cu), as C functions;
// builds without CUDA have stubs that return FZ_EUNSUP (kernels/cpu/cuda_absent.c). docs/CUDA.md, "CUDA Graphs".
#ifndef FZ_CUDA_GRAPH_H
#define FZ_CUDA_GRAPH_H
#include "backend.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef struct fz_cuda_graph fz_cuda_graph;
// Starts capturing be's stream: the ops issued until fz_cuda_graph_end are recorded, not run.
int fz_cuda_graph_begin(const fz_backend *be, fz_err *err);
// Ends the capture and instantiates it into *out (NULL on failure: the capture is dropped).
int fz_cuda_graph_end(const fz_backend *be, fz_cuda_graph **out, fz_err *err);
// Replays g on be's stream as one launch.
int fz_cuda_graph_launch(const fz_backend *be, const fz_cuda_graph *g, fz_err *err);
void fz_cuda_graph_free(fz_cuda_graph *g);
// 1 when be is a CUDA backend table (cuda:N, cuda:N/bf16, ...), whose work graphs can capture.
int fz_backend_is_cuda(const fz_backend *be);
#ifdef __cplusplus
}
#endif
#endif
