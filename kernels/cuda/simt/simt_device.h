// simt_device.h — the device side of the SIMT emulation: CUDA's function qualifiers, the built-in
// variables threadIdx / blockIdx / blockDim / gridDim, block barriers, warp shuffles / votes / reductions,
// fences and atomics, as seen by a kernel running as one fiber per CUDA thread (simt_sched.cpp).
//
// Shared memory: `__shared__` expands to `thread_local`. A block's fibers all run on one host thread and
// each host worker thread runs one block at a time, so a block-scope `__shared__ float t[..]` (static
// storage, one copy per host thread) is exactly one copy per running block, shared by its threads.
// Dynamic shared memory is FZ_DYNAMIC_SHARED(T, name) (kernels/cuda/fz_cuda.h), which is
// `extern __shared__` under nvcc and this worker's per-block buffer here.
#ifndef FZ_SIMT_DEVICE_H
#define FZ_SIMT_DEVICE_H
#include <cstdint>
#include <cstring>
#include "simt_types.h"

#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __forceinline__ inline __attribute__((always_inline))
// __noinline__ is not defined: libstdc++ uses __attribute__((__noinline__)); kernels use __attribute__((noinline)).
#define __shared__ thread_local
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
// __restrict__ is a g++ keyword already.

static constexpr int warpSize = 32;

namespace fz_simt {
// Geometry of the block a fiber belongs to (owned by the worker running the block).
struct block_info {
  uint3 idx;          // blockIdx
  dim3 dim;           // blockDim
  dim3 grid;          // gridDim
  void *dyn_smem;     // dynamic shared memory of this block (NULL when the launch asked for none)
  size_t dyn_bytes;
};
// Per-CUDA-thread state; tl_thread points at the running fiber's copy (NULL outside kernels).
struct thread_ctx {
  uint3 idx;                  // threadIdx
  unsigned linear, lane, warp;
  const block_info *blk;
  void *fiber;                // the scheduler's fiber record
};
extern __thread thread_ctx *tl_thread;

// Warp collective kinds (warp_collective's op).
enum {
  WOP_SYNC = 0, WOP_SHFL_IDX, WOP_SHFL_UP, WOP_SHFL_DOWN, WOP_SHFL_XOR, WOP_BALLOT, WOP_ANY, WOP_ALL,
  WOP_MATCH_ANY, WOP_MATCH_ALL, WOP_REDUCE_ADD, WOP_REDUCE_MIN_U, WOP_REDUCE_MAX_U, WOP_REDUCE_MIN_S,
  WOP_REDUCE_MAX_S, WOP_REDUCE_AND, WOP_REDUCE_OR, WOP_REDUCE_XOR, WOP_COUNT
};

// Block barrier: kind 0 __syncthreads, 1 _count, 2 _and, 3 _or; returns the count / and / or of pred.
int block_barrier(int kind, int pred);
// Warp collective op over the lanes of mask; value is this lane's operand (bit pattern, <= 8 bytes),
// arg the source lane / delta / lane mask, width the shuffle segment. Returns the result bits.
// *pred_out (match_all) receives 1 when all values matched.
uint64_t warp_collective(int op, unsigned mask, uint64_t value, int arg, int width, int *pred_out);
// A point where the race-exposing scheduler may switch to another thread (atomics, fences, FZ_SIMT_YIELD).
void yield_point();
// Aborts the running block with an error message (the launch fails with cudaErrorLaunchFailure).
[[noreturn]] void kernel_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// Lanes of the calling thread's warp that have not exited.
unsigned active_mask();
// Cycle-like counter for clock64(): a monotonic nanosecond clock.
long long clock_ns();

// Bit pattern of v (T of at most 8 bytes) widened to 64 bits, and back.
template <class T> inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8, "warp shuffles move at most 8 bytes");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}
template <class T> inline T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}
}  // namespace fz_simt

#define threadIdx (::fz_simt::tl_thread->idx)
#define blockIdx (::fz_simt::tl_thread->blk->idx)
#define blockDim (::fz_simt::tl_thread->blk->dim)
#define gridDim (::fz_simt::tl_thread->blk->grid)

// Marks a point where the emulation's scheduler may switch threads (a no-op under nvcc, see fz_cuda.h).
#define FZ_SIMT_YIELD() ::fz_simt::yield_point()

// ---- barriers and fences --------------------------------------------------------------------------
static inline void __syncthreads() { fz_simt::block_barrier(0, 1); }
static inline int __syncthreads_count(int p) { return fz_simt::block_barrier(1, p); }
static inline int __syncthreads_and(int p) { return fz_simt::block_barrier(2, p); }
static inline int __syncthreads_or(int p) { return fz_simt::block_barrier(3, p); }
static inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); fz_simt::yield_point(); }
static inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); fz_simt::yield_point(); }
static inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); fz_simt::yield_point(); }
static inline void __nanosleep(unsigned) { fz_simt::yield_point(); }
static inline long long clock64() { return fz_simt::clock_ns(); }
[[noreturn]] static inline void __trap() { fz_simt::kernel_fail("__trap() called"); }

// ---- warp-level primitives (CUDA programming guide, "Warp Shuffle Functions" / "Warp Vote Functions") ---
static inline void __syncwarp(unsigned mask = 0xffffffffu) { fz_simt::warp_collective(fz_simt::WOP_SYNC, mask, 0, 0, 32, nullptr); }
static inline unsigned __activemask() { return fz_simt::active_mask(); }
template <class T> static inline T __shfl_sync(unsigned mask, T v, int src, int width = warpSize) {
  return fz_simt::from_bits<T>(fz_simt::warp_collective(fz_simt::WOP_SHFL_IDX, mask, fz_simt::to_bits(v), src, width, nullptr));
}
template <class T> static inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  return fz_simt::from_bits<T>(fz_simt::warp_collective(fz_simt::WOP_SHFL_UP, mask, fz_simt::to_bits(v), (int)delta, width, nullptr));
}
template <class T> static inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  return fz_simt::from_bits<T>(fz_simt::warp_collective(fz_simt::WOP_SHFL_DOWN, mask, fz_simt::to_bits(v), (int)delta, width, nullptr));
}
template <class T> static inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
  return fz_simt::from_bits<T>(fz_simt::warp_collective(fz_simt::WOP_SHFL_XOR, mask, fz_simt::to_bits(v), lane_mask, width, nullptr));
}
static inline unsigned __ballot_sync(unsigned mask, int pred) {
  return (unsigned)fz_simt::warp_collective(fz_simt::WOP_BALLOT, mask, pred != 0, 0, 32, nullptr);
}
static inline int __any_sync(unsigned mask, int pred) { return (int)fz_simt::warp_collective(fz_simt::WOP_ANY, mask, pred != 0, 0, 32, nullptr); }
static inline int __all_sync(unsigned mask, int pred) { return (int)fz_simt::warp_collective(fz_simt::WOP_ALL, mask, pred != 0, 0, 32, nullptr); }
template <class T> static inline unsigned __match_any_sync(unsigned mask, T v) {
  return (unsigned)fz_simt::warp_collective(fz_simt::WOP_MATCH_ANY, mask, fz_simt::to_bits(v), (int)sizeof(T), 32, nullptr);
}
template <class T> static inline unsigned __match_all_sync(unsigned mask, T v, int *pred) {
  return (unsigned)fz_simt::warp_collective(fz_simt::WOP_MATCH_ALL, mask, fz_simt::to_bits(v), (int)sizeof(T), 32, pred);
}
static inline unsigned __reduce_add_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_ADD, mask, v, 0, 32, nullptr); }
static inline int __reduce_add_sync(unsigned mask, int v) { return (int)fz_simt::warp_collective(fz_simt::WOP_REDUCE_ADD, mask, (unsigned)v, 0, 32, nullptr); }
static inline unsigned __reduce_min_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_MIN_U, mask, v, 0, 32, nullptr); }
static inline unsigned __reduce_max_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_MAX_U, mask, v, 0, 32, nullptr); }
static inline int __reduce_min_sync(unsigned mask, int v) { return (int)fz_simt::warp_collective(fz_simt::WOP_REDUCE_MIN_S, mask, (unsigned)v, 0, 32, nullptr); }
static inline int __reduce_max_sync(unsigned mask, int v) { return (int)fz_simt::warp_collective(fz_simt::WOP_REDUCE_MAX_S, mask, (unsigned)v, 0, 32, nullptr); }
static inline unsigned __reduce_and_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_AND, mask, v, 0, 32, nullptr); }
static inline unsigned __reduce_or_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_OR, mask, v, 0, 32, nullptr); }
static inline unsigned __reduce_xor_sync(unsigned mask, unsigned v) { return (unsigned)fz_simt::warp_collective(fz_simt::WOP_REDUCE_XOR, mask, v, 0, 32, nullptr); }

// ---- atomics: real host atomics (blocks of one launch run on several host threads), then a yield point
// so the race-exposing scheduler interleaves threads around them. Floating-point adds are CAS loops.
namespace fz_simt {
template <class T> inline T atomic_rmw_int(T *a, T v, int op) {
  T r;
  switch (op) {
    case 0: r = __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); break;
    case 1: r = __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST); break;
    case 2: r = __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST); break;
    case 3: r = __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST); break;
    case 4: r = __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST); break;
    default: r = __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST); break;
  }
  yield_point();
  return r;
}
// Applies f(old) with a compare-and-swap loop on the bit pattern U of *a (T and U of one size).
template <class T, class U, class F> inline T atomic_cas_loop(T *a, F f) {
  static_assert(sizeof(T) == sizeof(U), "atomic width");
  U *p = reinterpret_cast<U *>(a);
  U old = __atomic_load_n(p, __ATOMIC_SEQ_CST), nw;
  T o;
  do {
    std::memcpy(&o, &old, sizeof o);
    T n = f(o);
    std::memcpy(&nw, &n, sizeof nw);
  } while (!__atomic_compare_exchange_n(p, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  yield_point();
  return o;
}
}  // namespace fz_simt

#define FZ_SIMT_ATOMIC_INT(T)                                                                            \
  static inline T atomicAdd(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 0); }                      \
  static inline T atomicSub(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 1); }                      \
  static inline T atomicExch(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 2); }                     \
  static inline T atomicAnd(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 3); }                      \
  static inline T atomicOr(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 4); }                       \
  static inline T atomicXor(T *a, T v) { return fz_simt::atomic_rmw_int(a, v, 5); }                      \
  static inline T atomicMin(T *a, T v) { return fz_simt::atomic_cas_loop<T, T>(a, [v](T o) { return v < o ? v : o; }); } \
  static inline T atomicMax(T *a, T v) { return fz_simt::atomic_cas_loop<T, T>(a, [v](T o) { return v > o ? v : o; }); } \
  static inline T atomicCAS(T *a, T cmp, T v) {                                                          \
    T exp = cmp;                                                                                         \
    __atomic_compare_exchange_n(a, &exp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                  \
    fz_simt::yield_point();                                                                              \
    return exp;                                                                                          \
  }
FZ_SIMT_ATOMIC_INT(int)
FZ_SIMT_ATOMIC_INT(unsigned int)
FZ_SIMT_ATOMIC_INT(unsigned long long)
FZ_SIMT_ATOMIC_INT(long long)
#undef FZ_SIMT_ATOMIC_INT
static inline unsigned short atomicCAS(unsigned short *a, unsigned short cmp, unsigned short v) {
  unsigned short exp = cmp;
  __atomic_compare_exchange_n(a, &exp, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  fz_simt::yield_point();
  return exp;
}
// atomicInc: ((old >= val) ? 0 : old + 1); atomicDec: ((old == 0 || old > val) ? val : old - 1).
static inline unsigned atomicInc(unsigned *a, unsigned val) {
  return fz_simt::atomic_cas_loop<unsigned, unsigned>(a, [val](unsigned o) { return o >= val ? 0u : o + 1; });
}
static inline unsigned atomicDec(unsigned *a, unsigned val) {
  return fz_simt::atomic_cas_loop<unsigned, unsigned>(a, [val](unsigned o) { return (o == 0 || o > val) ? val : o - 1; });
}
static inline float atomicAdd(float *a, float v) { return fz_simt::atomic_cas_loop<float, uint32_t>(a, [v](float o) { return o + v; }); }
static inline double atomicAdd(double *a, double v) { return fz_simt::atomic_cas_loop<double, uint64_t>(a, [v](double o) { return o + v; }); }
static inline float atomicExch(float *a, float v) { return fz_simt::atomic_cas_loop<float, uint32_t>(a, [v](float) { return v; }); }
// Scoped variants behave as the device-wide ones here.
#define atomicAdd_block atomicAdd
#define atomicAdd_system atomicAdd
#define atomicMax_block atomicMax
#define atomicMin_block atomicMin
#define atomicCAS_block atomicCAS

// Read-only data cache load: a plain load here.
template <class T> static inline T __ldg(const T *p) { return *p; }
#endif
