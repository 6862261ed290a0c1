// simt_launch.h — kernel launches for the SIMT emulation. `FZ_LAUNCH(kernel, grid, block, smem, stream)(args...)`
// (kernels/cuda/fz_cuda.h) is `kernel<<<grid, block, smem, stream>>>(args...)` under nvcc and, here, a
// launcher that converts the arguments to the kernel's parameter types (as CUDA copies them), checks that
// pointer arguments point into device or pinned memory, and hands a type-erased body to the scheduler,
// which runs it once per CUDA thread, each thread on its own fiber with its own copy of the parameters.
#ifndef FZ_SIMT_LAUNCH_H
#define FZ_SIMT_LAUNCH_H
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include "simt_api.h"
#include "simt_graph.h"
#include <memory>
#include "simt_types.h"

namespace fz_simt {
// One launch as issued: kernel name (for messages), geometry, dynamic shared bytes, stream, function.
struct launch_cfg {
  const char *name;
  dim3 grid, block;
  size_t smem;
  cudaStream_t stream;
  const void *func;
};
// Runs body(ctx) once per thread of every block (simt_sched.cpp). arg_error non-NULL: the launch fails
// with cudaErrorIllegalAddress and that message without running. Returns the launch's error (also
// recorded for cudaGetLastError).
cudaError_t launch(const launch_cfg &cfg, void (*body)(void *), void *ctx, const char *arg_error);
// 1 when p is NULL or points into device memory or registered / pinned host memory.
bool pointer_ok_for_kernel(const void *p);

// 0 when every pointer-typed element of t is acceptable for a kernel, else its 1-based position.
template <class Tuple, std::size_t... I> inline int first_bad_pointer(const Tuple &t, std::index_sequence<I...>) {
  int bad = 0;
  auto check = [&bad](int pos, const auto &v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_pointer_v<V>)
      if (!bad && !pointer_ok_for_kernel(reinterpret_cast<const void *>(v))) bad = pos;
  };
  (check((int)I + 1, std::get<I>(t)), ...);
  return bad;
}

template <class Body> void invoke_body(void *ctx) { (*static_cast<Body *>(ctx))(); }

// The object FZ_LAUNCH(...) evaluates to; calling it launches the kernel. operator() takes the kernel's own
// parameter types, so arguments convert exactly as in a call (NULL to a pointer, double to float, ...).
template <class... P> struct launcher {
  void (*k)(P...);
  launch_cfg cfg;
  void operator()(P... a) const {
    std::tuple<std::decay_t<P>...> params{a...};
    int bad = first_bad_pointer(params, std::index_sequence_for<P...>{});
    char msg[160];
    if (bad) snprintf_arg(msg, sizeof msg, bad);
    auto fn = k;
    if (!bad && capturing(cfg.stream)) {  // stream capture (simt_graph.h): record a node owning a copy of the parameters
      auto saved = std::make_shared<decltype(params)>(params);
      const launch_cfg c = cfg;
      capture_node(cfg.stream, [saved, fn, c]() {
        auto body = [saved, fn]() { std::apply(fn, *saved); };
        return launch(c, &invoke_body<decltype(body)>, &body, nullptr);
      }, cfg.name);
      return;
    }
    if (!bad && deferring(cfg.stream)) {  // stream modes 1 / 2 (simt_api.h): queued, parameters copied
      auto saved = std::make_shared<decltype(params)>(params);
      const launch_cfg c = cfg;
      queue_op(cfg.stream, [saved, fn, c]() {
        auto body = [saved, fn]() { std::apply(fn, *saved); };
        return launch(c, &invoke_body<decltype(body)>, &body, nullptr);
      }, cfg.name);
      return;
    }
    if (!cfg.stream || cfg.stream == cudaStreamLegacy) drain_blocking_streams();  // legacy default stream
    auto body = [&params, fn]() { std::apply(fn, params); };  // parameters are copied per thread
    launch(cfg, &invoke_body<decltype(body)>, &body, bad ? msg : nullptr);
  }
  // Formats the bad-argument message (kept out of line of the template's hot path).
  void snprintf_arg(char *msg, size_t n, int pos) const;
};
void format_bad_arg(char *msg, size_t n, const char *kernel, int pos);
template <class... P> void launcher<P...>::snprintf_arg(char *msg, size_t n, int pos) const { format_bad_arg(msg, n, cfg.name, pos); }

template <class... P>
inline launcher<P...> make_launcher(void (*k)(P...), const char *name, dim3 grid, dim3 block, size_t smem, cudaStream_t s) {
  return launcher<P...>{k, launch_cfg{name, grid, block, smem, s, reinterpret_cast<const void *>(k)}};
}
// The per-block dynamic shared memory of the running block (FZ_DYNAMIC_SHARED).
void *dynamic_shared();
}  // namespace fz_simt
#endif
