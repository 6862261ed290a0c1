// simt_sched.cpp — the execution model of the SIMT emulation: a launch's blocks are shared out to host
// worker threads (the caller plus a pool); a worker runs one block at a time with one fiber per CUDA
// thread and a scheduler loop that picks the next runnable fiber. Threads switch only at barriers, warp
// collectives and yield points (atomics, fences, FZ_SIMT_YIELD), so anything racing between those points
// is exposed by changing the order: with a non-zero schedule seed the block order, the next fiber at each
// switch and preemption at yield points are random (reproducible per seed). Errors a GPU would hang or
// misbehave on — barrier divergence (threads exited while others wait), deadlock, warp masks naming
// exited / absent / disagreeing lanes, shuffles reading lanes outside the mask — abort the block and fail
// the launch with a message naming the kernel, block and thread.
#include "simt_internal.h"
#include "simt_device.h"
#include "simt_launch.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#ifdef FZ_SIMT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace fz_simt {
__thread thread_ctx *tl_thread = nullptr;

namespace {
enum fstate : uint8_t { F_READY, F_RUNNING, F_BAR, F_WARP, F_DONE };
constexpr int MAX_THREADS = 1024, MAX_REC = 16;

struct worker;
// One CUDA thread: its saved context, stack and built-in variables.
struct fiber {
  fiber_ctx ctx;
  void *stack = nullptr;
  thread_ctx tc;
  fstate st = F_DONE;
  bool dirty = false;   // abandoned mid-kernel: its stack's ASan shadow must be cleared before reuse
  void *fake = nullptr; // ASan fake stack of this fiber
  worker *w = nullptr;
};
// One in-flight warp collective: the lanes that arrived, their operands, and who has read the result.
struct warp_rec {
  unsigned mask, arrived, read;
  int op, width;
  bool used;
  uint64_t val[32];
  int arg[32];
};
struct warp_state {
  unsigned exists, exited;
  warp_rec rec[MAX_REC];
};
// A launch as the workers see it.
struct job {
  launch_cfg cfg;
  void (*body)(void *);
  void *ctx;
  uint64_t nblocks, id, seed, perm_a, perm_b;
  unsigned preempt;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex msg_mu;
  char msg[768];
};
// The per-host-thread block runner: fibers, their stacks, the scheduler's own context and block state.
struct worker {
  fiber_ctx sched;
  void *sched_fake = nullptr;
  const void *sched_bottom = nullptr;
  size_t sched_size = 0;
  size_t stack_bytes = 0;
  fiber fibers[MAX_THREADS];
  warp_state warps[MAX_THREADS / 32];
  int ring[MAX_THREADS];
  int head = 0, count = 0;
  block_info bi;
  std::vector<unsigned char> dyn;
  uint64_t rng = 0;
  int nthreads = 0, live = 0, exited = 0, bar_arrived = 0;
  unsigned bar_gen = 0;
  int bar_cnt[2] = {0, 0};
  bool failed = false, random = false;
  unsigned preempt = 0;
  char msg[640];
  job *cur = nullptr;
  ~worker() {
    for (auto &f : fibers) stack_free(f.stack, stack_bytes);
  }
};

thread_local std::unique_ptr<worker> tl_worker;
std::atomic<uint64_t> g_launches{0};

uint64_t splitmix(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

const char *op_name(int op) {
  static const char *names[WOP_COUNT] = {"__syncwarp", "__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
                                         "__shfl_xor_sync", "__ballot_sync", "__any_sync", "__all_sync",
                                         "__match_any_sync", "__match_all_sync", "__reduce_add_sync",
                                         "__reduce_min_sync", "__reduce_max_sync", "__reduce_min_sync",
                                         "__reduce_max_sync", "__reduce_and_sync", "__reduce_or_sync",
                                         "__reduce_xor_sync"};
  return op >= 0 && op < WOP_COUNT ? names[op] : "?";
}

// ---- switching ---------------------------------------------------------------------------------------
void ring_push(worker &w, int i) { w.ring[(w.head + w.count++) % MAX_THREADS] = i; }

// Takes the next fiber to run: the oldest (in-order schedule) or a random one (race-exposing schedule).
int ring_pick(worker &w) {
  int k = 0;
  if (w.random && w.count > 1) k = (int)(splitmix(w.rng) % (uint64_t)w.count);
  int a = w.head % MAX_THREADS, b = (w.head + k) % MAX_THREADS, i = w.ring[b];
  w.ring[b] = w.ring[a];
  w.head = (w.head + 1) % MAX_THREADS;
  w.count--;
  return i;
}

// Scheduler -> fiber f; returns when f yields, blocks, exits or fails.
void run_fiber(worker &w, fiber &f) {
  f.st = F_RUNNING;
  tl_thread = &f.tc;
#ifdef FZ_SIMT_ASAN
  __sanitizer_start_switch_fiber(&w.sched_fake, f.stack, w.stack_bytes);
#endif
  fiber_switch(&w.sched, &f.ctx);
#ifdef FZ_SIMT_ASAN
  __sanitizer_finish_switch_fiber(w.sched_fake, nullptr, nullptr);
#endif
  tl_thread = nullptr;
}

// Fiber f -> scheduler; exiting fibers never come back. The caller has set f.st.
void to_scheduler(fiber &f, bool exiting) {
  worker &w = *f.w;
#ifdef FZ_SIMT_ASAN
  __sanitizer_start_switch_fiber(exiting ? nullptr : &f.fake, w.sched_bottom, w.sched_size);
#else
  (void)exiting;
#endif
  fiber_switch(&f.ctx, &w.sched);
#ifdef FZ_SIMT_ASAN
  __sanitizer_finish_switch_fiber(f.fake, &w.sched_bottom, &w.sched_size);
#endif
}

fiber &self() {
  if (!tl_thread) {
    fprintf(stderr, "fz_simt: a device function (barrier, warp op, shared memory) was called outside a kernel\n");
    abort();
  }
  return *static_cast<fiber *>(tl_thread->fiber);
}

// Aborts the running block: records the message (prefixed with kernel, block and thread) and leaves the
// fiber for good.
[[noreturn]] void vfail(fiber &f, const char *fmt, va_list ap) {
  worker &w = *f.w;
  if (!w.failed) {
    int o = snprintf(w.msg, sizeof w.msg, "kernel %s, block (%u,%u,%u), thread (%u,%u,%u): ", w.cur->cfg.name,
                     w.bi.idx.x, w.bi.idx.y, w.bi.idx.z, f.tc.idx.x, f.tc.idx.y, f.tc.idx.z);
    if (o > 0 && (size_t)o < sizeof w.msg) vsnprintf(w.msg + o, sizeof w.msg - (size_t)o, fmt, ap);
    w.failed = true;
  }
  f.st = F_DONE;
  f.dirty = true;
  to_scheduler(f, false);
  abort();  // never resumed
}
[[noreturn]] void failf(fiber &f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void failf(fiber &f, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(f, fmt, ap);
}

// Wakes the fibers blocked at the barrier (in thread order) after the last arrival.
void release_barrier(worker &w) {
  w.bar_arrived = 0;
  w.bar_gen++;
  w.bar_cnt[w.bar_gen & 1] = 0;
  for (int i = 0; i < w.nthreads; i++)
    if (w.fibers[i].st == F_BAR) {
      w.fibers[i].st = F_READY;
      ring_push(w, i);
    }
}

// Lets the race-exposing scheduler switch away from the running fiber with probability 1/preempt.
void maybe_preempt(fiber &f) {
  worker &w = *f.w;
  if (!w.random || !w.preempt || splitmix(w.rng) % w.preempt) return;
  f.st = F_READY;
  ring_push(w, (int)f.tc.linear);
  to_scheduler(f, false);
}

// Ends fiber f after the kernel body returned: barrier and warp bookkeeping, then back for good.
void thread_exit(fiber &f) {
  worker &w = *f.w;
  w.live--;
  w.exited++;
  warp_state &ws = w.warps[f.tc.warp];
  unsigned bit = 1u << f.tc.lane;
  ws.exited |= bit;
  for (auto &r : ws.rec)
    if (r.used && r.arrived != r.mask && (r.mask & bit) && !(r.arrived & bit))
      failf(f, "thread exited while lanes 0x%08x of its warp wait for it in %s with mask 0x%08x (every lane of the "
               "mask must reach the same warp operation)", r.arrived, op_name(r.op), r.mask);
  if (w.bar_arrived > 0 && w.bar_arrived + w.exited == w.nthreads)
    failf(f, "barrier divergence: %d of %d threads exited while %d wait at __syncthreads (every thread of a block must "
             "reach each barrier; an early return before a barrier is a bug on a GPU too)",
          w.exited, w.nthreads, w.bar_arrived);
  f.st = F_DONE;
  to_scheduler(f, true);
  abort();
}

void fiber_main(void *arg) {
  fiber &f = *static_cast<fiber *>(arg);
  worker &w = *f.w;
#ifdef FZ_SIMT_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &w.sched_bottom, &w.sched_size);
#endif
  w.cur->body(w.cur->ctx);
  thread_exit(f);
}

// Describes who waits where when no thread can run.
void deadlock(worker &w) {
  int bar = 0, warp = 0, first_warp = -1;
  for (int i = 0; i < w.nthreads; i++) {
    if (w.fibers[i].st == F_BAR) bar++;
    if (w.fibers[i].st == F_WARP) { warp++; if (first_warp < 0) first_warp = i; }
  }
  int o = snprintf(w.msg, sizeof w.msg, "kernel %s, block (%u,%u,%u): deadlock: %d threads wait at __syncthreads, %d in warp "
                   "operations, %d exited", w.cur->cfg.name, w.bi.idx.x, w.bi.idx.y, w.bi.idx.z, bar, warp, w.exited);
  if (first_warp >= 0 && o > 0 && (size_t)o < sizeof w.msg) {  // the warp operations open in that warp
    const fiber &f = w.fibers[first_warp];
    const warp_state &ws = w.warps[f.tc.warp];
    int shown = 0;
    for (const auto &r : ws.rec)
      if (r.used && r.arrived != r.mask && shown < 3 && o > 0 && (size_t)o < sizeof w.msg) {
        o += snprintf(w.msg + o, sizeof w.msg - (size_t)o, "%s lanes 0x%08x of warp %u wait in %s with mask 0x%08x",
                      shown ? ";" : " (", r.arrived, f.tc.warp, op_name(r.op), r.mask);
        shown++;
      }
    if (shown && o > 0 && (size_t)o < sizeof w.msg) snprintf(w.msg + o, sizeof w.msg - (size_t)o, ")");
  }
  w.failed = true;
}

void ensure_stacks(worker &w, int n) {
  for (int i = 0; i < n; i++) {
    fiber &f = w.fibers[i];
    if (!f.stack) {
      f.stack = stack_alloc(w.stack_bytes);
      if (!f.stack) {
        fprintf(stderr, "fz_simt: cannot map a %zu-byte fiber stack\n", w.stack_bytes);
        abort();
      }
    }
#ifdef FZ_SIMT_ASAN
    if (f.dirty) ASAN_UNPOISON_MEMORY_REGION(f.stack, w.stack_bytes);
#endif
    f.dirty = false;
  }
}

// Runs block number blin of job j to completion (or failure) on worker w.
void run_block(worker &w, job &j, uint64_t blin) {
  const dim3 g = j.cfg.grid, b = j.cfg.block;
  w.cur = &j;
  w.bi.idx = uint3{(unsigned)(blin % g.x), (unsigned)((blin / g.x) % g.y), (unsigned)(blin / ((uint64_t)g.x * g.y))};
  w.bi.dim = b;
  w.bi.grid = g;
  if (j.cfg.smem) {
    if (w.dyn.size() < j.cfg.smem + 256) w.dyn.resize(j.cfg.smem + 256);
    unsigned char *p = (unsigned char *)(((uintptr_t)w.dyn.data() + 255) & ~(uintptr_t)255);
    memset(p, 0xff, j.cfg.smem);  // uninitialised shared memory reads as NaN / -1
    w.bi.dyn_smem = p;
  } else {
    w.bi.dyn_smem = nullptr;
  }
  w.bi.dyn_bytes = j.cfg.smem;
  int n = (int)(b.x * b.y * b.z);
  w.nthreads = w.live = n;
  w.exited = w.bar_arrived = 0;
  w.bar_gen = 0;
  w.bar_cnt[0] = w.bar_cnt[1] = 0;
  w.failed = false;
  w.random = j.seed != 0;
  w.preempt = j.preempt;
  uint64_t s = j.seed ^ (j.id * 0xD1B54A32D192ED03ull) ^ (blin * 0x9E3779B97F4A7C15ull);
  w.rng = splitmix(s);
  for (int k = 0; k < (n + 31) / 32; k++) {
    warp_state &ws = w.warps[k];
    int lanes = n - 32 * k < 32 ? n - 32 * k : 32;
    ws.exists = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
    ws.exited = 0;
    for (auto &r : ws.rec) r.used = false;
  }
  ensure_stacks(w, n);
  w.head = w.count = 0;
  for (int i = 0; i < n; i++) {
    fiber &f = w.fibers[i];
    f.w = &w;
    f.tc.idx = uint3{(unsigned)i % b.x, ((unsigned)i / b.x) % b.y, (unsigned)i / (b.x * b.y)};
    f.tc.linear = (unsigned)i;
    f.tc.lane = (unsigned)i & 31u;
    f.tc.warp = (unsigned)i >> 5;
    f.tc.blk = &w.bi;
    f.tc.fiber = &f;
    f.fake = nullptr;
    f.st = F_READY;
    fiber_init(&f.ctx, f.stack, w.stack_bytes, fiber_main, &f);
    ring_push(w, i);
  }
  while (!w.failed && !j.failed.load(std::memory_order_relaxed)) {
    if (w.count == 0) {
      if (w.live > 0) deadlock(w);
      break;
    }
    fiber &f = w.fibers[ring_pick(w)];
    run_fiber(w, f);
  }
  if (w.failed) {
    for (int i = 0; i < n; i++)
      if (w.fibers[i].st != F_DONE) w.fibers[i].dirty = true;  // abandoned mid-kernel
    std::lock_guard<std::mutex> lk(j.msg_mu);
    if (!j.failed.load()) {
      snprintf(j.msg, sizeof j.msg, "%s", w.msg);
      j.failed.store(true);
    }
  }
  w.cur = nullptr;
}

worker &my_worker() {
  if (!tl_worker) {
    tl_worker.reset(new worker());
    tl_worker->stack_bytes = cfg_stack_bytes();
  }
  return *tl_worker;
}

// Takes blocks of j until none are left or the launch failed.
void run_blocks(job &j) {
  worker &w = my_worker();
  for (;;) {
    uint64_t i = j.next.fetch_add(1);
    if (i >= j.nblocks || j.failed.load(std::memory_order_relaxed)) break;
    uint64_t blin = j.seed ? (uint64_t)(((unsigned __int128)j.perm_a * i + j.perm_b) % j.nblocks) : i;
    run_block(w, j, blin);
  }
}

// Helper threads that run blocks beside the launching thread; joined at exit.
struct pool {
  std::mutex mu;
  std::condition_variable cv_go, cv_done;
  std::vector<std::thread> threads;
  job *cur = nullptr;
  uint64_t gen = 0;
  int busy = 0;
  bool stop = false;
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      job *j;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_go.wait(lk, [&] { return stop || gen != seen; });
        if (stop) return;
        seen = gen;
        j = cur;
      }
      run_blocks(*j);
      std::lock_guard<std::mutex> lk(mu);
      if (--busy == 0) cv_done.notify_all();
    }
  }
  void resize(int n) {
    if ((int)threads.size() == n) return;
    shutdown();
    stop = false;
    for (int i = 0; i < n; i++) threads.emplace_back([this] { loop(); });
  }
  void shutdown() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv_go.notify_all();
    for (auto &t : threads) t.join();
    threads.clear();
  }
  // Runs j on the helpers and the calling thread; returns when every block is done.
  void run(job &j) {
    {
      std::lock_guard<std::mutex> lk(mu);
      cur = &j;
      busy = (int)threads.size();
      gen++;
    }
    cv_go.notify_all();
    run_blocks(j);
    std::unique_lock<std::mutex> lk(mu);
    cv_done.wait(lk, [&] { return busy == 0; });
    cur = nullptr;
  }
  ~pool() { shutdown(); }
};

std::mutex g_launch_mu;  // one kernel runs at a time, as on one in-order stream
pool &the_pool() {
  static pool p;
  return p;
}

uint64_t gcd64(uint64_t a, uint64_t b) {
  while (b) { uint64_t t = a % b; a = b; b = t; }
  return a;
}
}  // namespace

// ---- the device-side API of simt_device.h ------------------------------------------------------------------
int block_barrier(int kind, int pred) {
  fiber &f = self();
  worker &w = *f.w;
  unsigned g = w.bar_gen;
  w.bar_cnt[g & 1] += pred != 0;
  w.bar_arrived++;
  if (w.bar_arrived + w.exited == w.nthreads) {
    if (w.exited)
      failf(f, "barrier divergence: %d of %d threads exited and can never reach this __syncthreads (every thread of a "
               "block must reach each barrier; an early return before a barrier is a bug on a GPU too)",
            w.exited, w.nthreads);
    release_barrier(w);
    maybe_preempt(f);
  } else {
    f.st = F_BAR;
    to_scheduler(f, false);
  }
  int c = w.bar_cnt[g & 1];
  switch (kind) {
    case 1: return c;
    case 2: return c == w.nthreads;
    case 3: return c > 0;
    default: return 0;
  }
}

uint64_t warp_collective(int op, unsigned mask, uint64_t value, int arg, int width, int *pred_out) {
  fiber &f = self();
  worker &w = *f.w;
  warp_state &ws = w.warps[f.tc.warp];
  unsigned lane = f.tc.lane, bit = 1u << lane;
  const char *name = op_name(op);
  if (!(mask & bit)) failf(f, "%s with mask 0x%08x that omits the calling lane %u", name, mask, lane);
  if (mask & ~ws.exists)
    failf(f, "%s with mask 0x%08x names lanes 0x%08x beyond the block's last thread (warp %u has lanes 0x%08x)", name, mask,
          mask & ~ws.exists, f.tc.warp, ws.exists);
  if (mask & ws.exited)
    failf(f, "%s with mask 0x%08x waits for lanes 0x%08x that have exited", name, mask, mask & ws.exited);
  if (op >= WOP_SHFL_IDX && op <= WOP_SHFL_XOR && (width < 1 || width > 32 || (width & (width - 1))))
    failf(f, "%s with width %d: the width must be a power of 2 in [1, 32]", name, width);
  // Join the open operation of the same kind, width and mask that this lane has not reached yet (lanes
  // of a warp may have several operations with different masks in flight, as with independent thread
  // scheduling); lanes that can never meet are reported by the deadlock check.
  warp_rec *rec = nullptr;
  for (auto &r : ws.rec)
    if (r.used && r.arrived != r.mask && r.mask == mask && r.op == op && r.width == width && !(r.arrived & bit)) {
      rec = &r;
      break;
    }
  if (!rec) {
    for (auto &r : ws.rec)
      if (!r.used) { rec = &r; break; }
    if (!rec) failf(f, "more than %d warp operations in flight in one warp", MAX_REC);
    rec->used = true;
    rec->mask = mask;
    rec->arrived = rec->read = 0;
    rec->op = op;
    rec->width = width;
  }
  rec->val[lane] = value;
  rec->arg[lane] = arg;
  rec->arrived |= bit;
  if (rec->arrived == mask) {
    for (unsigned l = 0; l < 32; l++)
      if ((mask >> l) & 1u && l != lane) {
        fiber &o = w.fibers[f.tc.warp * 32 + l];
        o.st = F_READY;
        ring_push(w, (int)o.tc.linear);
      }
    maybe_preempt(f);
  } else {
    f.st = F_WARP;
    to_scheduler(f, false);
  }
  // Every lane of the mask has deposited its operand: compute this lane's result (PTX shfl.sync / vote).
  uint64_t res = 0;
  int seg = lane & ~(unsigned)(width - 1), seg_end = seg + width - 1;
  long j = lane;
  bool shfl = true;
  switch (op) {
    case WOP_SHFL_IDX: j = seg | (rec->arg[lane] & (width - 1)); break;
    case WOP_SHFL_UP: j = (long)lane - (long)(unsigned)rec->arg[lane]; if (j < seg) j = lane; break;
    case WOP_SHFL_DOWN: j = (long)lane + (long)(unsigned)rec->arg[lane]; if (j > seg_end) j = lane; break;
    case WOP_SHFL_XOR: j = (long)(lane ^ (unsigned)rec->arg[lane]); if (j > seg_end) j = lane; break;
    default: shfl = false; break;
  }
  if (shfl) {
    if (!((mask >> j) & 1u)) failf(f, "%s reads lane %ld, which is not in the mask 0x%08x (undefined on a GPU)", name, j, mask);
    res = rec->val[j];
  } else {
    unsigned ballot = 0, eq = 0;
    uint32_t acc_u = op == WOP_REDUCE_AND ? 0xffffffffu : (op == WOP_REDUCE_MIN_U ? 0xffffffffu : 0);
    int32_t acc_s = op == WOP_REDUCE_MIN_S ? INT32_MAX : INT32_MIN;
    for (unsigned l = 0; l < 32; l++) {
      if (!((mask >> l) & 1u)) continue;
      uint64_t v = rec->val[l];
      uint32_t u = (uint32_t)v;
      if (v) ballot |= 1u << l;
      if (v == rec->val[lane]) eq |= 1u << l;
      switch (op) {
        case WOP_REDUCE_ADD: acc_u += u; break;
        case WOP_REDUCE_MIN_U: acc_u = u < acc_u ? u : acc_u; break;
        case WOP_REDUCE_MAX_U: acc_u = u > acc_u ? u : acc_u; break;
        case WOP_REDUCE_MIN_S: acc_s = (int32_t)u < acc_s ? (int32_t)u : acc_s; break;
        case WOP_REDUCE_MAX_S: acc_s = (int32_t)u > acc_s ? (int32_t)u : acc_s; break;
        case WOP_REDUCE_AND: acc_u &= u; break;
        case WOP_REDUCE_OR: acc_u |= u; break;
        case WOP_REDUCE_XOR: acc_u ^= u; break;
        default: break;
      }
    }
    switch (op) {
      case WOP_BALLOT: res = ballot; break;
      case WOP_ANY: res = ballot != 0; break;
      case WOP_ALL: res = ballot == mask; break;
      case WOP_MATCH_ANY: res = eq; break;
      case WOP_MATCH_ALL: res = eq == mask ? mask : 0; if (pred_out) *pred_out = eq == mask; break;
      case WOP_REDUCE_MIN_S: case WOP_REDUCE_MAX_S: res = (uint32_t)acc_s; break;
      case WOP_SYNC: res = 0; break;
      default: res = acc_u; break;
    }
  }
  rec->read |= bit;
  if (rec->read == mask) rec->used = false;
  return res;
}

void yield_point() {
  if (tl_thread) maybe_preempt(self());
}

void kernel_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (!tl_thread) {
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    abort();
  }
  vfail(self(), fmt, ap);
}

unsigned active_mask() {
  fiber &f = self();
  const warp_state &ws = f.w->warps[f.tc.warp];
  return ws.exists & ~ws.exited;
}

long long clock_ns() {
  return (long long)std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void *dynamic_shared() {
  fiber &f = self();
  if (!f.w->bi.dyn_smem) failf(f, "dynamic shared memory used, but the launch asked for 0 bytes");
  return f.w->bi.dyn_smem;
}

void format_bad_arg(char *msg, size_t n, const char *kernel, int pos) {
  snprintf(msg, n, "kernel %s: argument %d is a pointer to neither device nor pinned host memory (a GPU would fault "
           "with an illegal address)", kernel, pos);
}

uint64_t launch_count() { return g_launches.load(); }

// ---- launches -----------------------------------------------------------------------------------------------
cudaError_t launch(const launch_cfg &cfg, void (*body)(void *), void *ctx, const char *arg_error) {
  if (tl_thread) return api_record(cudaErrorNotSupported, false, "kernel %s launched from device code: dynamic parallelism is not emulated", cfg.name);
  cudaError_t st = api_sticky();
  if (st != cudaSuccess) return api_record(st, true, "kernel %s not launched: an earlier kernel failed (sticky error)", cfg.name);
  const dim3 g = cfg.grid, b = cfg.block;
  uint64_t threads = (uint64_t)b.x * b.y * b.z;
  // (CUDA 13 on an H100 reports every launch-shape error as cudaErrorInvalidValue: tests/cuda/test_simt_block.cu)
  if (!b.x || !b.y || !b.z || b.x > 1024 || b.y > 1024 || b.z > 64 || threads > 1024)
    return api_record(cudaErrorInvalidValue, false, "kernel %s: block (%u,%u,%u) is not a valid block shape (at most "
                      "1024 threads, x,y <= 1024, z <= 64)", cfg.name, b.x, b.y, b.z);
  if (!g.x || !g.y || !g.z || g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    return api_record(cudaErrorInvalidValue, false, "kernel %s: grid (%u,%u,%u) is out of range (x in [1, 2^31-1], "
                      "y, z in [1, 65535])", cfg.name, g.x, g.y, g.z);
  size_t lim = api_max_dyn_smem(cfg.func);
  if (cfg.smem > lim)
    return api_record(cudaErrorInvalidValue, false, "kernel %s: %zu bytes of dynamic shared memory requested, %zu allowed (raise "
                      "it with cudaFuncSetAttribute(cudaFuncAttributeMaxDynamicSharedMemorySize), at most %zu)",
                      cfg.name, cfg.smem, lim, api_smem_optin());
  if (!api_stream_ok(cfg.stream))
    return api_record(cudaErrorInvalidResourceHandle, false, "kernel %s: stream %p is not a live stream", cfg.name, (void *)cfg.stream);
  if (arg_error) return api_record(cudaErrorIllegalAddress, true, "%s", arg_error);
  std::lock_guard<std::mutex> lk(g_launch_mu);
  job j;
  j.cfg = cfg;
  j.body = body;
  j.ctx = ctx;
  j.nblocks = (uint64_t)g.x * g.y * g.z;
  g_launches.fetch_add(1);
  j.id = cfg_next_schedule_launch();
  j.seed = cfg_seed();
  j.preempt = cfg_preempt();
  j.msg[0] = 0;
  if (j.seed) {  // block order: i -> (a·i + b) mod nblocks with gcd(a, nblocks) = 1, a bijection
    uint64_t s = j.seed ^ (j.id * 0xA24BAED4963EE407ull);
    j.perm_b = splitmix(s) % j.nblocks;
    j.perm_a = splitmix(s) % j.nblocks;
    if (j.nblocks > 1) {
      if (j.perm_a == 0) j.perm_a = 1;
      while (gcd64(j.perm_a, j.nblocks) != 1) j.perm_a = (j.perm_a + 1) % j.nblocks ? (j.perm_a + 1) % j.nblocks : 1;
    } else {
      j.perm_a = 1;
    }
  }
  int nw = cfg_workers();
  if ((uint64_t)nw > j.nblocks) nw = (int)j.nblocks;
  if (nw <= 1) {
    run_blocks(j);
  } else {
    pool &p = the_pool();
    p.resize(cfg_workers() - 1);
    p.run(j);
  }
  if (j.failed.load()) return api_record(cudaErrorLaunchFailure, true, "%s", j.msg);
  return cudaSuccess;
}
}  // namespace fz_simt
