// simt_graph.h — CUDA Graph stream capture for the SIMT emulation: between cudaStreamBeginCapture and
// cudaStreamEndCapture, kernel launches, cudaMemcpyAsync / cudaMemcpy2DAsync / cudaMemsetAsync and cuBLAS
// GEMMs issued to the capturing stream are recorded (parameters copied, as CUDA copies them into the graph's
// kernel nodes) instead of run; cudaGraphLaunch replays the recorded nodes in capture order. Synchronising a
// capturing stream fails with cudaErrorStreamCaptureUnsupported and invalidates the capture (as on a GPU),
// so cudaStreamEndCapture then reports cudaErrorStreamCaptureInvalidated.
#ifndef FZ_SIMT_GRAPH_H
#define FZ_SIMT_GRAPH_H
#include <cstdint>
#include <functional>
#include "simt_api.h"

enum cudaStreamCaptureMode { cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1, cudaStreamCaptureModeRelaxed = 2 };
enum cudaStreamCaptureStatus { cudaStreamCaptureStatusNone = 0, cudaStreamCaptureStatusActive = 1, cudaStreamCaptureStatusInvalidated = 2 };
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);

namespace fz_simt {
// 1 when stream s is capturing (a cheap check on every launch / async copy).
bool capturing(cudaStream_t s);
// Appends node fn (what: its name for messages) to s's capture; returns cudaSuccess.
cudaError_t capture_node(cudaStream_t s, std::function<cudaError_t()> fn, const char *what);
// Marks s's capture invalid (why: the detail) and returns cudaErrorStreamCaptureUnsupported.
cudaError_t capture_invalidate(cudaStream_t s, const char *why);
// Nodes recorded by all captures so far / replayed by all graph launches so far (tests).
uint64_t graph_nodes_captured();
uint64_t graph_nodes_replayed();
}  // namespace fz_simt
#endif
