// gen_graph.h — a sampling run's network calls as CUDA Graph launches: on a CUDA backend the first call of a run
// runs directly (sizing the model's pools, plans, masks and caches), the second is captured into a graph over fixed
// input / output buffers, and every later call is a copy in, one graph launch and a copy out. The model's
// host-side time inputs must be in page-locked memory (fz_gen_host_floats), which the graph's copy node reads at
// each launch. Elsewhere (CPU, FZ_CUDA_GRAPHS=0, or a capture that fails) every call runs directly.
#ifndef FZ_GEN_GRAPH_H
#define FZ_GEN_GRAPH_H
#include "model.h"
#include "../runtime/cuda_graph.h"

// The device part of one network call: out = net(x_t, t_dev), t_dev the times, f32 [N] on the device.
typedef int (*fz_gen_net_fn)(void *ctx, const fz_tensor *x_t, const fz_tensor *t_dev, fz_tensor *out, fz_err *err);

typedef struct fz_gen_graph {
  fz_pan_model *m;
  int enabled;          // 1: graphs are used on this run
  int calls;            // network calls made so far
  fz_cuda_graph *g;     // the captured call (from the second call on)
  fz_tensor x, out;     // the fixed buffers it reads / writes
  fz_tensor t;          // the times of the call, f32 [N] on the device
  uint64_t launches;    // graph launches made
} fz_gen_graph;

// Starts a run's graph state for model m (enabled when m's backend is CUDA and FZ_CUDA_GRAPHS is not 0).
void fz_gen_graph_init(fz_gen_graph *gg, fz_pan_model *m);
// out = fn(ctx, x_t, times) with times = t[0..N) (host, N = x_t's batch): directly, or through the run's graph (see
// the file comment). x_t and out keep their shapes over a run. 0 or an fz_code with err.
int fz_gen_graph_call(fz_gen_graph *gg, fz_gen_net_fn fn, void *ctx, const fz_tensor *x_t, const float *t, fz_tensor *out,
                      fz_err *err);
// Frees the graph and its buffers.
void fz_gen_graph_free(fz_gen_graph *gg);
// Graph launches made by every run so far (tests).
uint64_t fz_gen_graph_launches(void);
#endif
