// arena.c — lifetime-aware offset planning (interval packing) into one allocation.
#include "arena.h"
#include <stdlib.h>
#include <string.h>

void fz_arena_init(fz_arena *a, const fz_backend *be) {
  memset(a, 0, sizeof *a);
  a->be = be;
}

int fz_arena_request(fz_arena *a, size_t size, int first, int last, fz_err *err) {
  if (a->planned) { fz_fail(err, FZ_EINTERNAL, "arena: request after planning"); return -1; }
  if (first > last) { fz_fail(err, FZ_EINVAL, "arena: lifetime [%d,%d] is empty", first, last); return -1; }
  if (size > ((size_t)1 << 46)) { fz_fail(err, FZ_ENOMEM, "arena: request of %zu bytes is absurd", size); return -1; }
  if (a->nreq == a->cap) {
    int cap = a->cap ? a->cap * 2 : 16;
    fz_arena_req *r = realloc(a->reqs, (size_t)cap * sizeof *r);
    if (!r) { fz_fail(err, FZ_ENOMEM, "arena: out of memory for the plan"); return -1; }
    a->reqs = r;
    a->cap = cap;
  }
  fz_arena_req *r = &a->reqs[a->nreq];
  r->size = (size + 63) & ~(size_t)63;
  r->offset = 0;
  r->first = first;
  r->last = last;
  return a->nreq++;
}

static const fz_arena *g_sort_arena;  // only used during qsort inside fz_arena_plan
static int by_size_desc(const void *x, const void *y) {
  const fz_arena_req *r = g_sort_arena->reqs;
  size_t a = r[*(const int *)x].size, b = r[*(const int *)y].size;
  return a < b ? 1 : a > b ? -1 : *(const int *)x - *(const int *)y;
}

int fz_arena_plan(fz_arena *a, fz_err *err) {
  int n = a->nreq;
  int *order = malloc((size_t)(n ? n : 1) * sizeof *order);
  int *placed = malloc((size_t)(n ? n : 1) * sizeof *placed);
  if (!order || !placed) { free(order); free(placed); return fz_fail(err, FZ_ENOMEM, "arena: out of memory while planning"); }
  for (int i = 0; i < n; i++) order[i] = i;
  g_sort_arena = a;
  qsort(order, (size_t)n, sizeof *order, by_size_desc);
  size_t total = 0;
  int nplaced = 0;
  for (int k = 0; k < n; k++) {
    fz_arena_req *r = &a->reqs[order[k]];
    size_t off = 0;
    // Move past every placed buffer that overlaps in time and in [off, off+size) until none does.
    for (int changed = 1; changed;) {
      changed = 0;
      for (int j = 0; j < nplaced; j++) {
        const fz_arena_req *q = &a->reqs[placed[j]];
        int live = !(q->last < r->first || r->last < q->first);
        if (live && off < q->offset + q->size && q->offset < off + r->size) {
          off = q->offset + q->size;
          changed = 1;
        }
      }
    }
    r->offset = off;
    placed[nplaced++] = order[k];
    if (off + r->size > total) total = off + r->size;
  }
  free(order);
  free(placed);
  a->total = total;
  a->base = a->be->alloc(a->be, total ? total : 64, err);
  if (!a->base) return err ? (int)err->code : FZ_ENOMEM;
  a->planned = 1;
  return FZ_OK;
}

void *fz_arena_ptr(const fz_arena *a, int id) {
  return (a->planned && id >= 0 && id < a->nreq) ? a->base + a->reqs[id].offset : NULL;
}

int fz_arena_tensor(const fz_arena *a, int id, fz_tensor *t, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err) {
  if (!a->planned || id < 0 || id >= a->nreq) return fz_fail(err, FZ_EINTERNAL, "arena: buffer %d does not exist", id);
  int rc = fz_tensor_init(t, dt, ndim, shape, err);
  if (rc) return rc;
  if (fz_tensor_nbytes(t) > a->reqs[id].size)
    return fz_fail(err, FZ_EINTERNAL, "arena: buffer %d holds %zu bytes, tensor needs %zu", id, a->reqs[id].size, fz_tensor_nbytes(t));
  t->data = a->base + a->reqs[id].offset;
  t->be = a->be;
  t->owns = 0;
  return FZ_OK;
}

void fz_arena_free(fz_arena *a) {
  if (a->base) a->be->free(a->be, a->base);
  free(a->reqs);
  memset(a, 0, sizeof *a);
}
