// simt_graph.cpp — stream capture and graph replay for the SIMT emulation (see simt_graph.h).
#include "simt_graph.h"
#include "simt_internal.h"
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct fz_graph_node {
  std::function<cudaError_t()> fn;
  std::string what;
};
struct CUgraph_st {
  std::vector<fz_graph_node> nodes;
};
struct CUgraphExec_st {
  std::vector<fz_graph_node> nodes;
};

namespace {
struct capture_state {
  std::unique_ptr<CUgraph_st> g;
  bool invalid = false;
  std::string why;
};
std::mutex g_mu;
std::map<cudaStream_t, capture_state> g_caps;  // streams being captured
std::atomic<int> g_ncaps{0};
std::atomic<uint64_t> g_captured{0}, g_replayed{0};
}  // namespace

namespace fz_simt {
bool capturing(cudaStream_t s) {
  if (g_ncaps.load() == 0) return false;
  std::lock_guard<std::mutex> lk(g_mu);
  return g_caps.count(s) != 0;
}
cudaError_t capture_node(cudaStream_t s, std::function<cudaError_t()> fn, const char *what) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_caps.find(s);
  if (it == g_caps.end()) return api_record(cudaErrorInvalidValue, false, "%s: stream %p is not capturing", what, (void *)s);
  it->second.g->nodes.push_back(fz_graph_node{std::move(fn), what});
  g_captured.fetch_add(1);
  return cudaSuccess;
}
cudaError_t capture_invalidate(cudaStream_t s, const char *why) {
  {
    std::lock_guard<std::mutex> lk(g_mu);
    auto it = g_caps.find(s);
    if (it != g_caps.end() && !it->second.invalid) {
      it->second.invalid = true;
      it->second.why = why;
    }
  }
  return api_record(cudaErrorStreamCaptureUnsupported, false, "%s: not permitted while stream %p is capturing (the capture is "
                    "invalidated)", why, (void *)s);
}
uint64_t graph_nodes_captured() { return g_captured.load(); }
uint64_t graph_nodes_replayed() { return g_replayed.load(); }
}  // namespace fz_simt

using fz_simt::api_record;

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
  if (!fz_simt::api_stream_ok(s) || s == 0 || s == cudaStreamLegacy || s == cudaStreamPerThread)
    return api_record(cudaErrorInvalidValue, false, "cudaStreamBeginCapture: %p is not a created stream (the default stream "
                      "cannot be captured)", (void *)s);
  if ((unsigned)mode > 2u) return api_record(cudaErrorInvalidValue, false, "cudaStreamBeginCapture: mode %d", (int)mode);
  std::lock_guard<std::mutex> lk(g_mu);
  if (g_caps.count(s)) return api_record(cudaErrorInvalidValue, false, "cudaStreamBeginCapture: stream %p is already capturing", (void *)s);
  g_caps[s].g.reset(new CUgraph_st);
  g_ncaps.fetch_add(1);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph) {
  if (!graph) return api_record(cudaErrorInvalidValue, false, "cudaStreamEndCapture: NULL graph");
  capture_state st;
  {
    std::lock_guard<std::mutex> lk(g_mu);
    auto it = g_caps.find(s);
    if (it == g_caps.end()) return api_record(cudaErrorInvalidValue, false, "cudaStreamEndCapture: stream %p is not capturing", (void *)s);
    st = std::move(it->second);
    g_caps.erase(it);
    g_ncaps.fetch_sub(1);
  }
  *graph = nullptr;
  if (st.invalid)
    return api_record(cudaErrorStreamCaptureInvalidated, false, "cudaStreamEndCapture: the capture was invalidated by %s", st.why.c_str());
  *graph = st.g.release();
  return cudaSuccess;
}
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status) {
  if (!status) return api_record(cudaErrorInvalidValue, false, "cudaStreamIsCapturing: NULL status");
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_caps.find(s);
  *status = it == g_caps.end() ? cudaStreamCaptureStatusNone : it->second.invalid ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long) {
  if (!exec || !graph) return api_record(cudaErrorInvalidValue, false, "cudaGraphInstantiate: NULL argument");
  *exec = new CUgraphExec_st{graph->nodes};
  return cudaSuccess;
}
// Replays the nodes in capture order on the calling thread (synchronous, as every emulated stream op).
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (!exec) return api_record(cudaErrorInvalidValue, false, "cudaGraphLaunch: NULL graph");
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaGraphLaunch: stream %p is not live", (void *)s);
  if (fz_simt::capturing(s)) return fz_simt::capture_node(s, [exec, s]() { return cudaGraphLaunch(exec, s); }, "cudaGraphLaunch");
  for (size_t i = 0; i < exec->nodes.size(); i++) {
    cudaError_t e = exec->nodes[i].fn();
    g_replayed.fetch_add(1);
    if (e != cudaSuccess) {
      const char *m = fz_simt::last_message();
      std::string detail = m ? m : "";
      return api_record(e, false, "cudaGraphLaunch: node %zu (%s) failed: %s", i, exec->nodes[i].what.c_str(), detail.c_str());
    }
  }
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}
