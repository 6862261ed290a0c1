// arena.h — planned memory for intermediates: requests with lifetimes are packed into one
// backend allocation once per (model, input size), then reused for every sampler step and tile.
#ifndef FZ_ARENA_H
#define FZ_ARENA_H
#include <stddef.h>
#include "backend.h"

typedef struct {
  size_t size, offset;
  int first, last;  // inclusive step range in which the buffer is live
} fz_arena_req;

typedef struct fz_arena {
  const fz_backend *be;
  fz_arena_req *reqs;
  int nreq, cap;
  size_t total;     // planned bytes (valid after fz_arena_plan)
  char *base;       // one backend allocation
  int planned;
} fz_arena;

// Starts an empty plan on backend be.
void fz_arena_init(fz_arena *a, const fz_backend *be);
// Registers a buffer of size bytes live from step first to step last; returns its id (>= 0) or -1 + err.
int fz_arena_request(fz_arena *a, size_t size, int first, int last, fz_err *err);
// Assigns offsets (greedy by size, first fit among buffers whose lifetimes overlap; 64-byte aligned)
// and makes the one allocation. No further requests are accepted.
int fz_arena_plan(fz_arena *a, fz_err *err);
// Pointer of buffer id (after planning).
void *fz_arena_ptr(const fz_arena *a, int id);
// Makes t a view of buffer id with the given dtype and shape (checks it fits).
int fz_arena_tensor(const fz_arena *a, int id, fz_tensor *t, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err);
// Frees the allocation and the plan.
void fz_arena_free(fz_arena *a);
#endif
