// simt_api.cpp — the CUDA runtime API of the SIMT emulation (see simt_api.h): an allocation table for
// device and pinned memory that every copy, memset, free and kernel pointer argument is checked against,
// streams and events as validated handles (work runs synchronously, in issue order), per-thread last error
// and a sticky device error, function attributes, emulated device properties and the configuration read
// from the environment (FZ_SIMT_SEED, FZ_SIMT_PREEMPT, FZ_SIMT_WORKERS, FZ_SIMT_DEVICES, FZ_SIMT_STACK_KB).
#include "simt_internal.h"
#include "simt_graph.h"
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

// A stream: flags, and (stream modes 1 / 2) its queue of issued, not yet run operations; issued / done
// count operations so an event can name a position in the queue.
struct CUstream_st {
  unsigned flags;
  std::deque<std::pair<std::function<cudaError_t()>, const char *>> q;
  uint64_t issued = 0, done = 0;
  bool running = false;  // an operation of this stream is running (a wait cycle would re-enter)
};
// An event: flags, timestamp, and the stream position of its last record (src NULL: nothing pending).
struct CUevent_st {
  unsigned flags;
  bool recorded;
  double t_ms;
  CUstream_st *src = nullptr;
  uint64_t seq = 0;
};

namespace fz_simt {
namespace {
enum alloc_kind { A_DEVICE, A_PINNED, A_REGISTERED };
struct alloc_info { size_t size; alloc_kind kind; };

// The emulated device(s): one table for all, since every "device" is the host's memory.
struct device_state {
  std::mutex mu;      // allocations, streams, events, attributes
  std::mutex msg_mu;  // the last message (api_record may run while mu is held)
  std::map<uintptr_t, alloc_info> allocs;
  size_t live_bytes = 0, live_count = 0;
  std::set<const void *> streams, events;
  std::map<const void *, size_t> dyn_smem;
  std::atomic<int> sticky{cudaSuccess};
  char msg[1024] = "";
  std::atomic<uint64_t> seed{1};
  std::atomic<uint64_t> sched_launch{0};  // launches since the seed was set: part of each schedule's seed
  std::atomic<unsigned> preempt{2};
  std::atomic<int> workers{1}, ndev{1};
  size_t stack_bytes = 64 * 1024;
  device_state() {
    const char *e;
    if ((e = getenv("FZ_SIMT_SEED"))) seed = strtoull(e, nullptr, 10);
    if ((e = getenv("FZ_SIMT_PREEMPT"))) preempt = (unsigned)strtoul(e, nullptr, 10);
    unsigned hw = std::thread::hardware_concurrency();
    workers = (int)std::min(hw ? hw : 1u, 8u);
    if ((e = getenv("FZ_SIMT_WORKERS"))) workers = std::max(1, std::min(64, atoi(e)));
    if ((e = getenv("FZ_SIMT_DEVICES"))) ndev = std::max(0, std::min(16, atoi(e)));
#ifdef FZ_SIMT_ASAN
    stack_bytes = 256 * 1024;  // instrumented frames are larger
#endif
    if ((e = getenv("FZ_SIMT_STACK_KB"))) stack_bytes = (size_t)std::max(16, std::min(65536, atoi(e))) * 1024;
  }
};
device_state &dev() {
  static device_state d;
  return d;
}
thread_local cudaError_t tl_last = cudaSuccess;
thread_local int tl_device = 0;

constexpr size_t SMEM_DEFAULT = 48 * 1024, SMEM_OPTIN = 99 * 1024;  // sm_86 / sm_89: the tightest targets

// The allocation containing [p, p + n) (n = 0: containing p), or NULL. Caller holds dev().mu.
const std::pair<const uintptr_t, alloc_info> *find_alloc(const void *p, size_t n) {
  auto &m = dev().allocs;
  uintptr_t a = (uintptr_t)p;
  auto it = m.upper_bound(a);
  if (it == m.begin()) return nullptr;
  --it;
  if (a < it->first || a - it->first > it->second.size) return nullptr;
  if (n && (a - it->first >= it->second.size || it->second.size - (a - it->first) < n)) return nullptr;
  return &*it;
}

// 1: [p, p+n) lies in device memory; 0: p is not device memory at all; -1: partly / out of bounds.
int device_range(const void *p, size_t n) {
  const auto *a = find_alloc(p, 0);
  if (!a || a->second.kind != A_DEVICE) return 0;
  return find_alloc(p, n) ? 1 : -1;
}

// Host monotonic clock in milliseconds (event timestamps).
double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Checks the direction and bounds of a copy of n bytes; returns cudaSuccess or records the error.
cudaError_t check_copy(void *dst, const void *src, size_t n, cudaMemcpyKind kind, const char *fn) {
  if (n == 0) return cudaSuccess;
  if (!dst || !src) return api_record(cudaErrorInvalidValue, false, "%s: NULL pointer (dst %p, src %p)", fn, dst, src);
  std::lock_guard<std::mutex> lk(dev().mu);
  int d = device_range(dst, n), s = device_range(src, n);
  if (d < 0) return api_record(cudaErrorInvalidValue, false, "%s: destination %p + %zu bytes runs past its device allocation", fn, dst, n);
  if (s < 0) return api_record(cudaErrorInvalidValue, false, "%s: source %p + %zu bytes runs past its device allocation", fn, src, n);
  bool want_d, want_s;
  switch (kind) {
    case cudaMemcpyHostToHost: want_d = false; want_s = false; break;
    case cudaMemcpyHostToDevice: want_d = true; want_s = false; break;
    case cudaMemcpyDeviceToHost: want_d = false; want_s = true; break;
    case cudaMemcpyDeviceToDevice: want_d = true; want_s = true; break;
    case cudaMemcpyDefault: return cudaSuccess;  // inferred from the pointers (unified addressing)
    default: return api_record(cudaErrorInvalidMemcpyDirection, false, "%s: copy kind %d is not a cudaMemcpyKind", fn, (int)kind);
  }
  if ((d == 1) != want_d)
    return api_record(cudaErrorInvalidValue, false, "%s: destination %p is %s memory but the copy kind says %s", fn, dst,
                      d ? "device" : "host", want_d ? "device" : "host");
  if ((s == 1) != want_s)
    return api_record(cudaErrorInvalidValue, false, "%s: source %p is %s memory but the copy kind says %s", fn, src,
                      s ? "device" : "host", want_s ? "device" : "host");
  return cudaSuccess;
}

// A checked, synchronous copy (sticky errors first).
cudaError_t do_copy(void *dst, const void *src, size_t n, cudaMemcpyKind kind, const char *fn) {
  cudaError_t st = api_sticky();
  if (st) return api_record(st, true, "%s: the device has a sticky error from an earlier kernel", fn);
  cudaError_t e = check_copy(dst, src, n, kind, fn);
  if (e) return e;
  if (n) memmove(dst, src, n);
  return cudaSuccess;
}

// Pinned (page-locked) host memory: ordinary memory registered as pinned.
cudaError_t host_alloc(void **p, size_t n, const char *fn) {
  if (!p) return api_record(cudaErrorInvalidValue, false, "%s: NULL result pointer", fn);
  *p = nullptr;
  if (n == 0) return cudaSuccess;
  void *m = aligned_alloc(256, (n + 255) & ~(size_t)255);
  if (!m) return api_record(cudaErrorMemoryAllocation, false, "%s: cannot allocate %zu bytes", fn, n);
  std::lock_guard<std::mutex> lk(dev().mu);
  dev().allocs[(uintptr_t)m] = alloc_info{n, A_PINNED};
  *p = m;
  return cudaSuccess;
}
}  // namespace

// ---- stream queues (stream modes 1 / 2, see simt_api.h) --------------------------------------------------------
// The checked pitched copy / memset without the legacy default-stream drain (what a queued operation runs).
cudaError_t copy2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height, cudaMemcpyKind kind);
cudaError_t memset_now(void *p, int v, size_t n);
namespace {
std::recursive_mutex g_qmu;  // every stream queue; held while queued operations run (waits nest)
std::atomic<int> g_mode{-1};
std::atomic<uint64_t> g_pageable{0};
uint64_t g_race_rng = 0x9e3779b97f4a7c15ull;

// 1 for a stream made by cudaStreamCreate* (not the legacy / per-thread default stream).
bool is_created(cudaStream_t s) { return s && s != cudaStreamLegacy && s != cudaStreamPerThread; }

// Next value of the race-mode generator (xorshift64*).
uint64_t race_next() {
  g_race_rng ^= g_race_rng >> 12;
  g_race_rng ^= g_race_rng << 25;
  g_race_rng ^= g_race_rng >> 27;
  return g_race_rng * 0x2545f4914f6cdd1dull;
}

// Runs operations of s until seq of them have run (or its queue is empty); returns the first error.
cudaError_t flush_to(CUstream_st *s, uint64_t seq) {
  std::lock_guard<std::recursive_mutex> lk(g_qmu);
  if (s->done < seq && s->running)
    return api_record(cudaErrorUnknown, false, "stream %p: cudaStreamWaitEvent cycle (the stream waits on its own later work)", (void *)s);
  cudaError_t first = cudaSuccess;
  while (s->done < seq && !s->q.empty()) {
    auto op = std::move(s->q.front());
    s->q.pop_front();
    s->running = true;
    cudaError_t e = op.first();
    s->running = false;
    s->done++;
    if (e && !first) first = e;
  }
  return first;
}

// The live created streams (a snapshot).
std::vector<CUstream_st *> live_streams() {
  std::lock_guard<std::mutex> lk(dev().mu);
  std::vector<CUstream_st *> v;
  for (auto *p : dev().streams) v.push_back((CUstream_st *)p);
  return v;
}

// Runs all queued work of every stream (blocking_only: of streams without cudaStreamNonBlocking).
cudaError_t drain(bool blocking_only) {
  if (stream_mode() == 0) return cudaSuccess;
  std::lock_guard<std::recursive_mutex> lk(g_qmu);
  cudaError_t first = cudaSuccess;
  for (auto *s : live_streams())
    if (!blocking_only || !(s->flags & cudaStreamNonBlocking)) {
      cudaError_t e = flush_to(s, s->issued);
      if (e && !first) first = e;
    }
  return first;
}

// Race mode: advances the queue heads of randomly chosen streams, a random number of steps.
void race_progress() {
  for (;;) {
    uint64_t r = race_next();
    if (r & 1) return;  // stop with probability 1/2 at each step
    std::vector<CUstream_st *> ready;
    for (auto *s : live_streams())
      if (!s->q.empty() && !s->running) ready.push_back(s);
    if (ready.empty()) return;
    CUstream_st *s = ready[(r >> 8) % ready.size()];
    flush_to(s, s->done + 1);
  }
}

// Legacy default stream work (s NULL or cudaStreamLegacy) waits for the blocking streams first.
void before_default_stream_work(cudaStream_t s) {
  if (!is_created(s) && s != cudaStreamPerThread) drain(true);
}

// 1 when host pointer p is pageable (not pinned / registered and not device memory).
bool pageable(const void *p) {
  std::lock_guard<std::mutex> lk(dev().mu);
  return find_alloc(p, 0) == nullptr;
}
// 1 when the host side of an async copy of this kind is pageable memory.
bool async_host_pageable(const void *dst, const void *src, cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToDevice: return pageable(src);
    case cudaMemcpyDeviceToHost: return pageable(dst);
    case cudaMemcpyDefault: return pageable(src) || pageable(dst);
    default: return false;
  }
}
}  // namespace

int stream_mode() {
  int m = g_mode.load();
  if (m < 0) {
    const char *e = getenv("FZ_SIMT_STREAMS");
    m = e ? std::max(0, std::min(2, atoi(e))) : 0;
    g_mode = m;
  }
  return m;
}
void set_stream_mode(int mode) {
  drain(false);  // work queued under the old mode runs first
  std::lock_guard<std::recursive_mutex> lk(g_qmu);
  g_mode = std::max(0, std::min(2, mode));
  g_race_rng = (cfg_seed() + 1) * 0x9e3779b97f4a7c15ull | 1;
}
uint64_t pageable_async_copies() { return g_pageable.load(); }
size_t pending_stream_ops() {
  std::lock_guard<std::recursive_mutex> lk(g_qmu);
  size_t n = 0;
  for (auto *s : live_streams()) n += s->q.size();
  return n;
}
bool deferring(cudaStream_t s) { return is_created(s) && stream_mode() > 0; }
cudaError_t queue_op(cudaStream_t s, std::function<cudaError_t()> fn, const char *what) {
  std::lock_guard<std::recursive_mutex> lk(g_qmu);
  s->q.emplace_back(std::move(fn), what);
  s->issued++;
  if (stream_mode() == 2) race_progress();
  return cudaSuccess;
}
void drain_blocking_streams() { before_default_stream_work(nullptr); }

// ---- internal API -----------------------------------------------------------------------------------------
cudaError_t api_record(cudaError_t e, bool sticky, const char *fmt, ...) {
  device_state &d = dev();
  {
    std::lock_guard<std::mutex> lk(d.msg_mu);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.msg, sizeof d.msg, fmt, ap);
    va_end(ap);
  }
  if (sticky) {
    int none = cudaSuccess;
    d.sticky.compare_exchange_strong(none, (int)e);
  }
  tl_last = e;
  return e;
}
void api_note(const char *fmt, ...) {
  device_state &d = dev();
  std::lock_guard<std::mutex> lk(d.msg_mu);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d.msg, sizeof d.msg, fmt, ap);
  va_end(ap);
}
cudaError_t api_sticky() { return (cudaError_t)dev().sticky.load(); }
bool api_stream_ok(cudaStream_t s) {
  if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return true;
  std::lock_guard<std::mutex> lk(dev().mu);
  return dev().streams.count(s) != 0;
}
size_t api_max_dyn_smem(const void *func) {
  std::lock_guard<std::mutex> lk(dev().mu);
  auto it = dev().dyn_smem.find(func);
  return it == dev().dyn_smem.end() ? SMEM_DEFAULT : it->second;
}
size_t api_smem_optin() { return SMEM_OPTIN; }
bool api_device_extent_ok(const void *p, size_t bytes) {
  std::lock_guard<std::mutex> lk(dev().mu);
  return device_range(p, bytes) == 1;
}
uint64_t cfg_seed() { return dev().seed.load(); }
uint64_t cfg_next_schedule_launch() { return dev().sched_launch.fetch_add(1); }
unsigned cfg_preempt() { return dev().preempt.load(); }
int cfg_workers() { return dev().workers.load(); }
size_t cfg_stack_bytes() { return dev().stack_bytes; }

bool pointer_ok_for_kernel(const void *p) {
  if (!p) return true;
  std::lock_guard<std::mutex> lk(dev().mu);
  return find_alloc(p, 0) != nullptr;
}

void set_schedule_seed(uint64_t seed) {
  dev().seed = seed;
  dev().sched_launch = 0;  // so that a seed reproduces the same schedules from here on
}
uint64_t schedule_seed() { return dev().seed.load(); }
void set_preempt(unsigned n) { dev().preempt = n; }
void set_workers(int n) { dev().workers = std::max(1, std::min(64, n)); }
int workers() { return dev().workers.load(); }
void set_device_count(int n) { dev().ndev = std::max(0, std::min(16, n)); }
const char *last_message() { return dev().msg; }
size_t live_allocations(size_t *bytes) {
  std::lock_guard<std::mutex> lk(dev().mu);
  if (bytes) *bytes = dev().live_bytes;
  return dev().live_count;
}
void clear_sticky_error() {
  dev().sticky = cudaSuccess;
  tl_last = cudaSuccess;
}
}  // namespace fz_simt

using fz_simt::api_record;
using fz_simt::dev;

// ---- devices ------------------------------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int *count) {
  if (!count) return api_record(cudaErrorInvalidValue, false, "cudaGetDeviceCount: NULL count");
  *count = dev().ndev.load();
  if (*count == 0) return api_record(cudaErrorNoDevice, false, "no emulated CUDA device (FZ_SIMT_DEVICES=0)");
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) {
  if (d < 0 || d >= dev().ndev.load())
    return api_record(cudaErrorInvalidDevice, false, "cudaSetDevice(%d): %d emulated device(s)", d, dev().ndev.load());
  fz_simt::tl_device = d;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int *d) {
  if (!d) return api_record(cudaErrorInvalidValue, false, "cudaGetDevice: NULL");
  *d = fz_simt::tl_device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int d) {
  if (!p) return api_record(cudaErrorInvalidValue, false, "cudaGetDeviceProperties: NULL");
  if (d < 0 || d >= dev().ndev.load())
    return api_record(cudaErrorInvalidDevice, false, "cudaGetDeviceProperties(%d): %d emulated device(s)", d, dev().ndev.load());
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "fusor SIMT emulator (CPU, %d host workers)", fz_simt::workers());
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  p->totalGlobalMem = pages > 0 && psz > 0 ? (size_t)pages * (size_t)psz : (size_t)1 << 32;
  p->sharedMemPerBlock = fz_simt::SMEM_DEFAULT;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = 1024; p->maxThreadsDim[1] = 1024; p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647; p->maxGridSize[1] = 65535; p->maxGridSize[2] = 65535;
  p->totalConstMem = 65536;
  p->major = 8;
  p->minor = 6;
  p->multiProcessorCount = fz_simt::workers();
  p->maxThreadsPerMultiProcessor = 1536;
  p->sharedMemPerMultiprocessor = 100 * 1024;
  p->sharedMemPerBlockOptin = fz_simt::SMEM_OPTIN;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int d) {
  cudaDeviceProp p;
  cudaError_t e = cudaGetDeviceProperties(&p, d);
  if (e) return e;
  if (!v) return api_record(cudaErrorInvalidValue, false, "cudaDeviceGetAttribute: NULL");
  switch (a) {
    case cudaDevAttrMaxThreadsPerBlock: *v = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *v = (int)p.sharedMemPerBlock; break;
    case cudaDevAttrWarpSize: *v = 32; break;
    case cudaDevAttrMultiProcessorCount: *v = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *v = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *v = p.minor; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = (int)p.sharedMemPerBlockOptin; break;
    default: return api_record(cudaErrorInvalidValue, false, "cudaDeviceGetAttribute: attribute %d is not emulated", (int)a);
  }
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int *v) { if (v) *v = 0; return cudaSuccess; }  // 0: no driver (emulation)
cudaError_t cudaRuntimeGetVersion(int *v) { if (v) *v = 0; return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() {
  cudaError_t e = fz_simt::drain(false);
  return e ? e : fz_simt::api_sticky();
}
cudaError_t cudaDeviceReset() {
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  for (auto &a : d.allocs)
    if (a.second.kind != fz_simt::A_REGISTERED) free((void *)a.first);
  d.allocs.clear();
  d.live_bytes = d.live_count = 0;
  for (auto *s : d.streams) delete (CUstream_st *)s;
  for (auto *e : d.events) delete (CUevent_st *)e;
  d.streams.clear();
  d.events.clear();
  d.dyn_smem.clear();
  d.sticky = cudaSuccess;
  fz_simt::tl_last = cudaSuccess;
  return cudaSuccess;
}

// ---- memory -------------------------------------------------------------------------------------------------
cudaError_t cudaMalloc(void **p, size_t n) {
  if (!p) return api_record(cudaErrorInvalidValue, false, "cudaMalloc: NULL result pointer");
  *p = nullptr;
  cudaError_t st = fz_simt::api_sticky();
  if (st) return api_record(st, true, "cudaMalloc: the device has a sticky error from an earlier kernel");
  if (n == 0) return cudaSuccess;
  size_t rounded = (n + 255) & ~(size_t)255, free_b = 0;
  if (rounded < n) return api_record(cudaErrorMemoryAllocation, false, "cudaMalloc: %zu bytes", n);
  cudaMemGetInfo(&free_b, nullptr);  // the emulated device has the host's physical memory
  if (n > free_b) return api_record(cudaErrorMemoryAllocation, false, "cudaMalloc: %zu bytes requested, %zu free", n, free_b);
  void *m = aligned_alloc(256, rounded);
  if (!m) return api_record(cudaErrorMemoryAllocation, false, "cudaMalloc: cannot allocate %zu bytes", n);
  memset(m, 0xff, rounded);  // uninitialised device memory reads as NaN
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  d.allocs[(uintptr_t)m] = fz_simt::alloc_info{n, fz_simt::A_DEVICE};
  d.live_bytes += n;
  d.live_count++;
  *p = m;
  return cudaSuccess;
}
cudaError_t cudaFree(void *p) {
  if (!p) return cudaSuccess;
  fz_simt::drain(false);  // cudaFree synchronises the device
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  auto it = d.allocs.find((uintptr_t)p);
  if (it == d.allocs.end() || it->second.kind != fz_simt::A_DEVICE)
    return api_record(cudaErrorInvalidValue, false, "cudaFree(%p): not the start of a live device allocation (double free, "
                      "an offset pointer or host memory)", p);
  d.live_bytes -= it->second.size;
  d.live_count--;
  d.allocs.erase(it);
  free(p);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void **p, size_t n) { return fz_simt::host_alloc(p, n, "cudaMallocHost"); }
cudaError_t cudaHostAlloc(void **p, size_t n, unsigned) { return fz_simt::host_alloc(p, n, "cudaHostAlloc"); }
cudaError_t cudaFreeHost(void *p) {
  if (!p) return cudaSuccess;
  fz_simt::drain(false);
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  auto it = d.allocs.find((uintptr_t)p);
  if (it == d.allocs.end() || it->second.kind != fz_simt::A_PINNED)
    return api_record(cudaErrorInvalidValue, false, "cudaFreeHost(%p): not a live pinned allocation", p);
  d.allocs.erase(it);
  free(p);
  return cudaSuccess;
}
cudaError_t cudaHostRegister(void *p, size_t n, unsigned) {
  if (!p || !n) return api_record(cudaErrorInvalidValue, false, "cudaHostRegister: NULL pointer or 0 bytes");
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  if (fz_simt::find_alloc(p, 0)) return api_record(cudaErrorInvalidValue, false, "cudaHostRegister(%p): already registered or device memory", p);
  d.allocs[(uintptr_t)p] = fz_simt::alloc_info{n, fz_simt::A_REGISTERED};
  return cudaSuccess;
}
cudaError_t cudaHostUnregister(void *p) {
  auto &d = dev();
  std::lock_guard<std::mutex> lk(d.mu);
  auto it = d.allocs.find((uintptr_t)p);
  if (it == d.allocs.end() || it->second.kind != fz_simt::A_REGISTERED)
    return api_record(cudaErrorInvalidValue, false, "cudaHostUnregister(%p): not registered", p);
  d.allocs.erase(it);
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b) {
  cudaDeviceProp p;
  cudaError_t e = cudaGetDeviceProperties(&p, fz_simt::tl_device);
  if (e) return e;
  size_t used;
  fz_simt::live_allocations(&used);
  if (total_b) *total_b = p.totalGlobalMem;
  if (free_b) *free_b = p.totalGlobalMem > used ? p.totalGlobalMem - used : 0;
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind) {
  fz_simt::before_default_stream_work(nullptr);
  return fz_simt::do_copy(dst, src, n, kind, "cudaMemcpy");
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind kind, cudaStream_t s) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaMemcpyAsync: stream %p is not live", (void *)s);
  bool host_pageable = n && dst && src && fz_simt::async_host_pageable(dst, src, kind);
  if (fz_simt::capturing(s)) {  // (simt_graph.h) a graph's copy node reads / writes its host side at each launch
    if (host_pageable)          // so the host side must be page-locked; a pageable copy cannot be captured
      return fz_simt::capture_invalidate(s, "cudaMemcpyAsync with pageable host memory");
    return fz_simt::capture_node(s, [=]() { return fz_simt::do_copy(dst, src, n, kind, "cudaMemcpyAsync"); }, "cudaMemcpyAsync");
  }
  if (host_pageable) fz_simt::g_pageable++;
  if (fz_simt::deferring(s)) {
    if (host_pageable) {  // as on a GPU: synchronous with respect to the host, after the stream's earlier work
      cudaError_t e = fz_simt::flush_to(s, s->issued);
      return e ? e : fz_simt::do_copy(dst, src, n, kind, "cudaMemcpyAsync");
    }
    cudaError_t e = fz_simt::check_copy(dst, src, n, kind, "cudaMemcpyAsync");  // bad arguments fail at issue
    if (e) return e;
    return fz_simt::queue_op(s, [=]() { return fz_simt::do_copy(dst, src, n, kind, "cudaMemcpyAsync"); }, "cudaMemcpyAsync");
  }
  fz_simt::before_default_stream_work(s);
  return fz_simt::do_copy(dst, src, n, kind, "cudaMemcpyAsync");
}
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height, cudaMemcpyKind kind) {
  fz_simt::before_default_stream_work(nullptr);
  return fz_simt::copy2d(dst, dpitch, src, spitch, width, height, kind);
}
// The checked pitched copy itself (cudaMemcpy2D without the default-stream drain).
cudaError_t fz_simt::copy2d(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height, cudaMemcpyKind kind) {
  if (width > dpitch || width > spitch)
    return api_record(cudaErrorInvalidValue, false, "cudaMemcpy2D: width %zu exceeds a pitch (%zu, %zu)", width, dpitch, spitch);
  if (!height || !width) return cudaSuccess;
  // Check the whole extents once, then copy row by row.
  cudaError_t e = fz_simt::check_copy(dst, src, 1, kind, "cudaMemcpy2D");
  size_t dlast = dpitch * (height - 1) + width, slast = spitch * (height - 1) + width;
  {
    std::lock_guard<std::mutex> lk(dev().mu);
    if (!e && fz_simt::device_range(dst, 1) && fz_simt::device_range(dst, dlast) < 0)
      e = api_record(cudaErrorInvalidValue, false, "cudaMemcpy2D: destination rows run past the allocation");
    if (!e && fz_simt::device_range(src, 1) && fz_simt::device_range(src, slast) < 0)
      e = api_record(cudaErrorInvalidValue, false, "cudaMemcpy2D: source rows run past the allocation");
  }
  if (e) return e;
  for (size_t r = 0; r < height; r++) memmove((char *)dst + r * dpitch, (const char *)src + r * spitch, width);
  return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t s) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaMemcpy2DAsync: stream %p is not live", (void *)s);
  if (fz_simt::capturing(s))  // (simt_graph.h)
    return fz_simt::capture_node(s, [=]() { return cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind); }, "cudaMemcpy2DAsync");
  bool host_pageable = width && height && dst && src && fz_simt::async_host_pageable(dst, src, kind);
  if (host_pageable) fz_simt::g_pageable++;
  if (fz_simt::deferring(s) && !host_pageable)
    return fz_simt::queue_op(s, [=]() { return fz_simt::copy2d(dst, dpitch, src, spitch, width, height, kind); }, "cudaMemcpy2DAsync");
  if (fz_simt::deferring(s)) {
    cudaError_t e = fz_simt::flush_to(s, s->issued);
    if (e) return e;
  }
  return cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind);
}
cudaError_t cudaMemset(void *p, int v, size_t n) {
  fz_simt::before_default_stream_work(nullptr);
  return fz_simt::memset_now(p, v, n);
}
// The checked memset itself (cudaMemset without the default-stream drain).
cudaError_t fz_simt::memset_now(void *p, int v, size_t n) {
  if (n == 0) return cudaSuccess;
  cudaError_t st = fz_simt::api_sticky();
  if (st) return api_record(st, true, "cudaMemset: the device has a sticky error from an earlier kernel");
  {
    std::lock_guard<std::mutex> lk(dev().mu);
    if (fz_simt::device_range(p, n) != 1)
      return api_record(cudaErrorInvalidValue, false, "cudaMemset(%p, %zu bytes): not within one device allocation", p, n);
  }
  memset(p, v, n);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t s) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaMemsetAsync: stream %p is not live", (void *)s);
  if (fz_simt::capturing(s)) return fz_simt::capture_node(s, [=]() { return cudaMemset(p, v, n); }, "cudaMemsetAsync");  // (simt_graph.h)
  if (fz_simt::deferring(s)) return fz_simt::queue_op(s, [=]() { return fz_simt::memset_now(p, v, n); }, "cudaMemsetAsync");
  return cudaMemset(p, v, n);
}
cudaError_t fz_simt_symbol_copy(void *dst, const void *src, size_t n, size_t sym_bytes, size_t offset, int to_symbol) {
  if (offset > sym_bytes || n > sym_bytes - offset)
    return api_record(cudaErrorInvalidValue, false, "cudaMemcpy%sSymbol: %zu bytes at offset %zu exceed the %zu-byte symbol",
                      to_symbol ? "To" : "From", n, offset, sym_bytes);
  if (n) memmove(dst, src, n);
  return cudaSuccess;
}

// ---- streams and events ---------------------------------------------------------------------------------------
cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags) {
  if (!s) return api_record(cudaErrorInvalidValue, false, "cudaStreamCreate: NULL");
  auto *st = new CUstream_st();
  st->flags = flags;
  std::lock_guard<std::mutex> lk(dev().mu);
  dev().streams.insert(st);
  *s = st;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  std::lock_guard<std::recursive_mutex> qk(fz_simt::g_qmu);
  if (fz_simt::api_stream_ok(s) && fz_simt::is_created(s)) fz_simt::flush_to(s, s->issued);  // pending work completes
  std::lock_guard<std::mutex> lk(dev().mu);
  for (auto *e : dev().events)
    if (((CUevent_st *)e)->src == s) ((CUevent_st *)e)->src = nullptr;
  if (!dev().streams.erase(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaStreamDestroy(%p): not a live stream", (void *)s);
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaStreamSynchronize(%p): not a live stream", (void *)s);
  if (fz_simt::capturing(s)) return fz_simt::capture_invalidate(s, "cudaStreamSynchronize");  // (simt_graph.h)
  cudaError_t e = cudaSuccess;
  if (fz_simt::deferring(s)) e = fz_simt::flush_to(s, s->issued);
  else fz_simt::before_default_stream_work(s);
  return e ? e : fz_simt::api_sticky();
}
cudaError_t cudaStreamQuery(cudaStream_t s) { return cudaStreamSynchronize(s); }
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaStreamWaitEvent: stream %p is not live", (void *)s);
  CUstream_st *src;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lk(dev().mu);
    if (!dev().events.count(e)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaStreamWaitEvent: event %p is not live", (void *)e);
    src = e->src;
    seq = e->seq;
  }
  if (!src || src == s) return cudaSuccess;  // nothing pending, or the stream's own earlier work
  if (fz_simt::deferring(s))  // the dependency resolves when s reaches this point of its queue
    return fz_simt::queue_op(s, [src, seq]() {
      return fz_simt::api_stream_ok(src) ? fz_simt::flush_to(src, seq) : cudaSuccess;  // (destroyed: it was drained)
    }, "cudaStreamWaitEvent");
  return fz_simt::flush_to(src, seq);
}
cudaError_t cudaEventCreate(cudaEvent_t *e) { return cudaEventCreateWithFlags(e, cudaEventDefault); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags) {
  if (!e) return api_record(cudaErrorInvalidValue, false, "cudaEventCreate: NULL");
  auto *ev = new CUevent_st();
  ev->flags = flags;
  ev->recorded = false;
  ev->t_ms = 0.0;
  std::lock_guard<std::mutex> lk(dev().mu);
  dev().events.insert(ev);
  *e = ev;
  return cudaSuccess;
}
// Looks up a live event (NULL and a recorded error otherwise).
static CUevent_st *live_event(cudaEvent_t e, const char *fn) {
  std::lock_guard<std::mutex> lk(dev().mu);
  if (!dev().events.count(e)) {
    api_record(cudaErrorInvalidResourceHandle, false, "%s: event %p is not live", fn, (void *)e);
    return nullptr;
  }
  return e;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  if (!fz_simt::api_stream_ok(s)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaEventRecord: stream %p is not live", (void *)s);
  CUevent_st *ev = live_event(e, "cudaEventRecord");
  if (!ev) return cudaErrorInvalidResourceHandle;
  if (fz_simt::deferring(s)) {  // recorded when the stream reaches it
    std::lock_guard<std::recursive_mutex> qk(fz_simt::g_qmu);
    ev->src = s;
    ev->seq = s->issued + 1;
    return fz_simt::queue_op(s, [ev]() {
      ev->recorded = true;
      ev->t_ms = fz_simt::now_ms();
      return cudaSuccess;
    }, "cudaEventRecord");
  }
  fz_simt::before_default_stream_work(s);
  ev->src = nullptr;
  ev->recorded = true;
  ev->t_ms = fz_simt::now_ms();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  CUevent_st *ev = live_event(e, "cudaEventSynchronize");
  if (!ev) return cudaErrorInvalidResourceHandle;
  cudaError_t r = ev->src ? fz_simt::flush_to(ev->src, ev->seq) : cudaSuccess;
  return r ? r : fz_simt::api_sticky();
}
cudaError_t cudaEventQuery(cudaEvent_t e) { return cudaEventSynchronize(e); }
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
  CUevent_st *x = live_event(a, "cudaEventElapsedTime"), *y = x ? live_event(b, "cudaEventElapsedTime") : nullptr;
  if (!x || !y) return cudaErrorInvalidResourceHandle;
  if (!ms) return api_record(cudaErrorInvalidValue, false, "cudaEventElapsedTime: NULL result");
  if ((x->flags | y->flags) & cudaEventDisableTiming)
    return api_record(cudaErrorInvalidResourceHandle, false, "cudaEventElapsedTime: an event was created with cudaEventDisableTiming");
  if (!x->recorded || !y->recorded) return api_record(cudaErrorInvalidResourceHandle, false, "cudaEventElapsedTime: an event was never recorded");
  *ms = (float)(y->t_ms - x->t_ms);
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  if (CUevent_st *ev = live_event(e, "cudaEventDestroy")) {
    if (ev->src) fz_simt::flush_to(ev->src, ev->seq);  // its pending record must not outlive it
  } else {
    return cudaErrorInvalidResourceHandle;
  }
  std::lock_guard<std::mutex> lk(dev().mu);
  if (!dev().events.erase(e)) return api_record(cudaErrorInvalidResourceHandle, false, "cudaEventDestroy(%p): not a live event", (void *)e);
  delete e;
  return cudaSuccess;
}

// ---- errors and attributes -------------------------------------------------------------------------------------
cudaError_t cudaGetLastError() {
  cudaError_t e = fz_simt::tl_last, st = fz_simt::api_sticky();
  fz_simt::tl_last = st;  // a sticky error keeps being reported
  return e != cudaSuccess ? e : st;
}
cudaError_t cudaPeekAtLastError() {
  cudaError_t e = fz_simt::tl_last;
  return e != cudaSuccess ? e : fz_simt::api_sticky();
}
const char *cudaGetErrorName(cudaError_t e) {
  switch (e) {
#define N(x) case x: return #x;
    N(cudaSuccess) N(cudaErrorInvalidValue) N(cudaErrorMemoryAllocation) N(cudaErrorInitializationError)
    N(cudaErrorInvalidConfiguration) N(cudaErrorInvalidSymbol) N(cudaErrorInvalidDevicePointer)
    N(cudaErrorInvalidMemcpyDirection) N(cudaErrorInsufficientDriver) N(cudaErrorNoDevice) N(cudaErrorInvalidDevice)
    N(cudaErrorInvalidResourceHandle) N(cudaErrorNotReady) N(cudaErrorIllegalAddress) N(cudaErrorLaunchOutOfResources)
    N(cudaErrorAssert) N(cudaErrorLaunchFailure) N(cudaErrorNotSupported) N(cudaErrorUnknown)
#undef N
    default: return "cudaErrorUnknown";
  }
}
const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorNotSupported: return "operation not supported";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    default: return "unknown error";
  }
}
cudaError_t cudaFuncSetAttribute(const void *func, cudaFuncAttribute attr, int value) {
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize)
    return api_record(cudaErrorInvalidValue, false, "cudaFuncSetAttribute: attribute %d is not emulated", (int)attr);
  if (value < 0 || (size_t)value > fz_simt::SMEM_OPTIN)
    return api_record(cudaErrorInvalidValue, false, "cudaFuncSetAttribute: %d bytes of dynamic shared memory exceed the opt-in "
                      "limit %zu", value, fz_simt::SMEM_OPTIN);
  std::lock_guard<std::mutex> lk(dev().mu);
  dev().dyn_smem[func] = (size_t)value;
  return cudaSuccess;
}
