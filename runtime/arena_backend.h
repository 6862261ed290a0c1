// arena_backend.h — a backend table whose memory during a model forward comes from one planned allocation.
// fz_arena_backend wraps any backend (CUDA above all: one cudaMalloc instead of one per intermediate
// tensor): it has the base table's ops and ctx, and only alloc / free differ.
//   outside a forward (weights, inputs, outputs): alloc / free pass through to the base backend;
//   the first forward (fz_arena_backend_begin .. _end) passes through too and records every alloc / free
//     in order; _end plans the buffers that were freed inside the forward with the lifetime planner of
//     runtime/arena.c and makes the one allocation (buffers still live at _end escape: they stay per-call);
//   later forwards replay: the k-th allocation gets its planned offset, frees are no-ops. The first event
//     that differs from the recording (another size, another free order: a new input size) ends the replay
//     for the rest of that forward (per-call allocations again), and _end re-plans from that forward.
// fz_model_forward brackets every forward when the model's backend is an arena backend.
#ifndef FZ_ARENA_BACKEND_H
#define FZ_ARENA_BACKEND_H
#include <stdint.h>
#include "backend.h"

typedef struct fz_arena_backend fz_arena_backend;

typedef struct fz_arena_stats {
  int64_t forwards;          // forwards bracketed so far
  int64_t plans;             // times the arena was (re-)planned
  int64_t recorded_allocs;   // allocations of the last recorded (not replayed) forward
  size_t recorded_bytes;     // their sum (what per-tensor allocation asks for)
  size_t peak_live_bytes;    // most bytes live at once in the recorded forward (lower bound of any plan)
  size_t planned_bytes;      // sum of the buffers the plan holds (those freed inside the forward)
  size_t planned_peak_bytes; // most of them live at once: arena_bytes lies in [planned_peak, planned_bytes]
  size_t arena_bytes;        // the planned allocation
  int64_t last_base_allocs;  // base-backend allocations during the last forward (0 when it replayed fully)
  int64_t last_arena_allocs; // allocations served from the arena during the last forward
} fz_arena_stats;

// Wraps base; *out owns nothing of base. Free with fz_arena_backend_free after every tensor on it is freed.
int fz_arena_backend_create(const fz_backend *base, fz_arena_backend **out, fz_err *err);
// The table to load models and allocate tensors on (its ops are base's).
const fz_backend *fz_arena_backend_table(fz_arena_backend *ab);
// The arena backend whose table is be, or NULL when be is not one.
fz_arena_backend *fz_arena_backend_of(const fz_backend *be);
// Starts / ends one forward (see above). _end plans after a recording pass.
int fz_arena_backend_begin(fz_arena_backend *ab, fz_err *err);
int fz_arena_backend_end(fz_arena_backend *ab, fz_err *err);
// Counters (see fz_arena_stats).
fz_arena_stats fz_arena_backend_stats(const fz_arena_backend *ab);
// Releases the arena and the wrapper.
void fz_arena_backend_free(fz_arena_backend *ab);
// The forward-arena table of a CUDA backend (one per base table for the process); other backends are
// returned unchanged. NULL with err when the wrapper cannot be made.
const fz_backend *fz_backend_forward_arena(const fz_backend *be, fz_err *err);
#endif
