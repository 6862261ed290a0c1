// test_arena_backend.c — the forward arena (runtime/arena_backend.h) on the CPU backend with synthetic
// allocation sequences. Oracles: a counting base backend (how many allocations really reach it), and data
// integrity — every live buffer holds its own byte pattern, re-checked after every event, so two buffers
// that the plan wrongly overlaps are caught by content, not by the planner's own bookkeeping.
#include "test.h"
#include "fusor.h"
#include "arena_backend.h"
#include <stdlib.h>
#include <string.h>

static int64_t g_base_allocs;
static fz_backend g_counting;
// Counts the allocations that reach the CPU backend.
static void *counting_alloc(const fz_backend *be, size_t n, fz_err *err) {
  g_base_allocs++;
  return fz_backend_cpu(1)->alloc(fz_backend_cpu(1), n, err);
}

typedef struct { void *p; size_t n; unsigned char tag; } buf;

// One synthetic forward: seq random events from seed (sizes from `sizes`), every buffer freed but `escape`.
// Returns 0 when every live buffer kept its pattern; the escaping buffer is returned in *esc.
static int run_forward(fz_arena_backend *ab, unsigned seed, int nev, size_t size_mul, buf *esc, fz_err *err) {
  const fz_backend *be = fz_arena_backend_table(ab);
  buf live[64];
  int nlive = 0, bad = 0;
  unsigned char tag = 1;
  srand(seed);
  if (fz_arena_backend_begin(ab, err)) return -1;
  for (int k = 0; k < nev && !bad; k++) {
    if (nlive < 64 && (nlive == 0 || rand() % 3)) {
      size_t n = (size_t)(1 + rand() % 3000) * size_mul;
      void *p = be->alloc(be, n, err);
      if (!p) return -1;
      memset(p, tag, n);
      live[nlive++] = (buf){p, n, tag++};
    } else {
      int i = rand() % nlive;
      be->free(be, live[i].p);
      live[i] = live[--nlive];
    }
    for (int i = 0; i < nlive; i++)
      for (size_t j = 0; j < live[i].n; j++)
        if (((unsigned char *)live[i].p)[j] != live[i].tag) bad = 1;
  }
  for (int i = 1; i < nlive; i++) be->free(be, live[i].p);  // live[0] (if any) escapes the forward
  *esc = nlive ? live[0] : (buf){0};
  if (fz_arena_backend_end(ab, err)) return -1;
  return bad;
}

TEST(arena_backend_record_plan_replay) {
  fz_err err = {0};
  g_counting = *fz_backend_cpu(1);
  g_counting.alloc = counting_alloc;
  fz_arena_backend *ab = NULL;
  CHECK_OK(fz_arena_backend_create(&g_counting, &ab, &err), &err);
  const fz_backend *be = fz_arena_backend_table(ab);
  CHECK(fz_arena_backend_of(be) == ab && fz_arena_backend_of(fz_backend_cpu(1)) == NULL && be->conv2d == fz_backend_cpu(1)->conv2d);
  buf esc[4];
  // 1: recording pass — every allocation reaches the base backend, then one more for the arena.
  g_base_allocs = 0;
  CHECKF(run_forward(ab, 11, 300, 1, &esc[0], &err) == 0, "recording pass corrupted a buffer (%s)", err.msg);
  fz_arena_stats s = fz_arena_backend_stats(ab);
  CHECKF(s.plans == 1 && s.recorded_allocs >= 100 && g_base_allocs == s.recorded_allocs + 1,
         "plans %lld, recorded %lld, base allocations %lld", (long long)s.plans, (long long)s.recorded_allocs, (long long)g_base_allocs);
  CHECKF(s.peak_live_bytes <= s.arena_bytes && s.arena_bytes < s.recorded_bytes, "peak %zu, arena %zu, sum %zu", s.peak_live_bytes,
         s.arena_bytes, s.recorded_bytes);
  // 2: the same sequence replays: only the escaping buffer is a real allocation, data stays intact.
  g_base_allocs = 0;
  CHECKF(run_forward(ab, 11, 300, 1, &esc[1], &err) == 0, "replay corrupted a buffer: the plan overlaps live buffers");
  s = fz_arena_backend_stats(ab);
  CHECKF(g_base_allocs == (esc[1].p ? 1 : 0) && s.plans == 1 && s.last_arena_allocs == s.recorded_allocs - (esc[1].p ? 1 : 0),
         "replay: %lld base allocations, %lld from the arena", (long long)g_base_allocs, (long long)s.last_arena_allocs);
  // 3: a different sequence (another input size) diverges at once: per-call allocations, then a new plan.
  g_base_allocs = 0;
  CHECKF(run_forward(ab, 11, 300, 2, &esc[2], &err) == 0, "diverged forward corrupted a buffer");
  s = fz_arena_backend_stats(ab);
  CHECKF(s.plans == 2 && s.last_base_allocs == s.recorded_allocs, "diverged: plans %lld, base allocations %lld of %lld",
         (long long)s.plans, (long long)s.last_base_allocs, (long long)s.recorded_allocs);
  g_base_allocs = 0;
  CHECKF(run_forward(ab, 11, 300, 2, &esc[3], &err) == 0, "replay of the new plan corrupted a buffer");
  CHECKF(g_base_allocs == (esc[3].p ? 1 : 0), "second plan replay: %lld base allocations", (long long)g_base_allocs);
  for (int i = 0; i < 4; i++) be->free(be, esc[i].p);  // escaped buffers are ordinary base allocations
  fz_arena_backend_free(ab);
  // The CLI helper wraps CUDA tables only.
  CHECK(fz_backend_forward_arena(fz_backend_cpu(1), &err) == fz_backend_cpu(1));
}
