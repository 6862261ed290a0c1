// arena_backend.c — per-forward memory from one planned allocation (see arena_backend.h).
#include "arena_backend.h"
#include "arena.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int is_free;  // 0 alloc, 1 free
  int id;       // allocation index within the forward
  size_t size;
} ab_event;

typedef struct {
  void *p;
  int id, in_arena;
  size_t size;
} ab_live;

struct fz_arena_backend {
  fz_backend tab;  // first member: the table handed out is the wrapper itself
  const fz_backend *base;
  int in_fwd, replaying, nalloc;  // nalloc: allocations so far in this forward
  ab_event *ev;                   // this forward's events
  int nev, evcap;
  ab_live *live;                  // allocations of this forward still live
  int nlive, livecap;
  size_t cur_live, peak_live, sum_bytes;
  // the plan: events of the planned forward, offset of each allocation (or SIZE_MAX: not in the arena)
  ab_event *pev;
  int npev, pos;
  size_t *poff;
  int pnalloc;
  fz_arena arena;
  int have_arena;
  int64_t arena_live;  // arena buffers handed out and not yet freed (the arena is never re-planned under them)
  fz_arena_stats st;
  int64_t base_allocs, arena_allocs;
};

// Grows *p (element size es) to hold n + 1 elements; 0 or -1 on no memory.
static int grow(void **p, int *cap, int n, size_t es) {
  if (n < *cap) return 0;
  int c = *cap ? *cap * 2 : 64;
  void *q = realloc(*p, (size_t)c * es);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

static int in_arena_range(const fz_arena_backend *ab, const void *p) {
  return ab->have_arena && (const char *)p >= ab->arena.base && (const char *)p < ab->arena.base + (ab->arena.total ? ab->arena.total : 64);
}

// alloc entry: pass-through outside a forward; inside, recorded and served from the plan when replaying.
static void *ab_alloc(const fz_backend *be, size_t n, fz_err *err) {
  fz_arena_backend *ab = (fz_arena_backend *)be;
  if (!ab->in_fwd) return ab->base->alloc(ab->base, n, err);
  if (grow((void **)&ab->ev, &ab->evcap, ab->nev, sizeof *ab->ev) || grow((void **)&ab->live, &ab->livecap, ab->nlive, sizeof *ab->live)) {
    fz_fail(err, FZ_ENOMEM, "%s: out of host memory for the arena recording", be->name);
    return NULL;
  }
  const int id = ab->nalloc++;
  if (n == 0) n = 1;
  ab->ev[ab->nev++] = (ab_event){0, id, n};
  void *p = NULL;
  int in_arena = 0;
  if (ab->replaying) {
    const ab_event *e = ab->pos < ab->npev ? &ab->pev[ab->pos] : NULL;
    if (e && !e->is_free && e->id == id && e->size == n) {
      ab->pos++;
      if (ab->poff[id] != SIZE_MAX) {
        p = ab->arena.base + ab->poff[id];
        in_arena = 1;
      }
    } else {
      ab->replaying = 0;  // diverged: per-call allocations for the rest of this forward
    }
  }
  if (!p) {
    p = ab->base->alloc(ab->base, n, err);
    if (!p) return NULL;
    ab->base_allocs++;
  } else {
    ab->arena_allocs++;
    ab->arena_live++;
  }
  ab->live[ab->nlive++] = (ab_live){p, id, in_arena, n};
  ab->cur_live += n;
  ab->sum_bytes += n;
  if (ab->cur_live > ab->peak_live) ab->peak_live = ab->cur_live;
  return p;
}

// free entry: arena buffers are no-ops; inside a forward the free is recorded and checked against the plan.
static void ab_free(const fz_backend *be, void *p) {
  fz_arena_backend *ab = (fz_arena_backend *)be;
  if (!p) return;
  for (int i = ab->in_fwd ? ab->nlive - 1 : -1; i >= 0; i--) {
    if (ab->live[i].p != p) continue;
    ab_live L = ab->live[i];
    ab->live[i] = ab->live[--ab->nlive];
    ab->cur_live -= L.size;
    if (!grow((void **)&ab->ev, &ab->evcap, ab->nev, sizeof *ab->ev)) ab->ev[ab->nev++] = (ab_event){1, L.id, L.size};
    else ab->replaying = 0;  // (no memory to record: this forward will not be planned)
    if (ab->replaying) {
      const ab_event *e = ab->pos < ab->npev ? &ab->pev[ab->pos] : NULL;
      if (e && e->is_free && e->id == L.id) ab->pos++;
      else ab->replaying = 0;
    }
    if (L.in_arena) ab->arena_live--;
    else ab->base->free(ab->base, p);
    return;
  }
  if (in_arena_range(ab, p)) { ab->arena_live--; return; }  // an arena buffer freed after its forward
  ab->base->free(ab->base, p);
}

int fz_arena_backend_create(const fz_backend *base, fz_arena_backend **out, fz_err *err) {
  fz_arena_backend *ab = calloc(1, sizeof *ab);
  if (!ab) return fz_fail(err, FZ_ENOMEM, "arena backend: out of memory");
  ab->tab = *base;
  ab->tab.alloc = ab_alloc;
  ab->tab.free = ab_free;
  ab->base = base;
  *out = ab;
  return FZ_OK;
}

const fz_backend *fz_arena_backend_table(fz_arena_backend *ab) { return &ab->tab; }

fz_arena_backend *fz_arena_backend_of(const fz_backend *be) {
  return be && be->alloc == ab_alloc ? (fz_arena_backend *)be : NULL;
}

int fz_arena_backend_begin(fz_arena_backend *ab, fz_err *err) {
  if (ab->in_fwd) return fz_fail(err, FZ_EINTERNAL, "%s: arena forward begun twice", ab->tab.name);
  ab->in_fwd = 1;
  ab->nalloc = ab->nev = ab->nlive = 0;
  ab->cur_live = ab->peak_live = ab->sum_bytes = 0;
  ab->base_allocs = ab->arena_allocs = 0;
  ab->pos = 0;
  ab->replaying = ab->have_arena;
  return FZ_OK;
}

// Plans the arena from this forward's events (only called when no arena buffer is live). A forward whose
// buffers all escape (models that keep their own scratch pool) leaves no plan and no allocation.
static int plan(fz_arena_backend *ab, fz_err *err) {
  int planable = 0;
  for (int k = 0; k < ab->nev; k++) planable += ab->ev[k].is_free;
  if (!planable && !ab->have_arena && !ab->npev) return FZ_OK;
  if (ab->have_arena) {
    if (ab->base->sync) ab->base->sync(ab->base, NULL);  // (kernels of the last forward may still read it)
    fz_arena_free(&ab->arena);
    ab->have_arena = 0;
  }
  free(ab->pev);
  free(ab->poff);
  ab->pev = malloc(sizeof *ab->pev * (size_t)(ab->nev ? ab->nev : 1));
  ab->poff = malloc(sizeof *ab->poff * (size_t)(ab->nalloc ? ab->nalloc : 1));
  int *first = malloc(sizeof(int) * (size_t)(ab->nalloc ? ab->nalloc : 1) * 2), *req = NULL;
  if (!ab->pev || !ab->poff || !first) { free(first); ab->npev = 0; return fz_fail(err, FZ_ENOMEM, "arena backend: out of memory"); }
  int *last = first + (ab->nalloc ? ab->nalloc : 1);
  memcpy(ab->pev, ab->ev, sizeof *ab->pev * (size_t)ab->nev);
  ab->npev = ab->nev;
  ab->pnalloc = ab->nalloc;
  for (int i = 0; i < ab->nalloc; i++) last[i] = -1;
  for (int k = 0; k < ab->nev; k++) (ab->ev[k].is_free ? last : first)[ab->ev[k].id] = k;
  fz_arena_init(&ab->arena, ab->base);
  req = malloc(sizeof(int) * (size_t)(ab->nalloc ? ab->nalloc : 1));
  int rc = req ? FZ_OK : fz_fail(err, FZ_ENOMEM, "arena backend: out of memory");
  for (int i = 0; !rc && i < ab->nalloc; i++) {
    req[i] = -1;
    if (last[i] < 0) continue;  // escapes the forward: stays a per-call allocation
    const ab_event *e = &ab->ev[first[i]];
    req[i] = fz_arena_request(&ab->arena, e->size, first[i], last[i], err);
    if (req[i] < 0) rc = err ? (int)err->code : FZ_ENOMEM;
  }
  if (!rc && !planable) {  // nothing to plan: no arena until a forward frees what it allocates
    fz_arena_free(&ab->arena);
    ab->npev = 0;
    ab->st.arena_bytes = ab->st.planned_bytes = ab->st.planned_peak_bytes = 0;
    free(first);
    free(req);
    return FZ_OK;
  }
  if (!rc) rc = fz_arena_plan(&ab->arena, err);
  if (!rc) {
    ab->have_arena = 1;
    for (int i = 0; i < ab->nalloc; i++) ab->poff[i] = req[i] < 0 ? SIZE_MAX : ab->arena.reqs[req[i]].offset;
    ab->st.plans++;
    ab->st.arena_bytes = ab->arena.total;
    ab->st.planned_bytes = ab->st.planned_peak_bytes = 0;
    size_t cur = 0;  // peak of the planned buffers alone: no plan can be smaller
    for (int k = 0; k < ab->nev; k++) {
      const ab_event *e = &ab->ev[k];
      if (req[e->id] < 0) continue;
      if (e->is_free) cur -= e->size;
      else {
        cur += e->size;
        ab->st.planned_bytes += e->size;
        if (cur > ab->st.planned_peak_bytes) ab->st.planned_peak_bytes = cur;
      }
    }
  } else {
    fz_arena_free(&ab->arena);
    ab->npev = 0;
  }
  free(first);
  free(req);
  return rc;
}

int fz_arena_backend_end(fz_arena_backend *ab, fz_err *err) {
  if (!ab->in_fwd) return fz_fail(err, FZ_EINTERNAL, "%s: arena forward ended without a begin", ab->tab.name);
  ab->in_fwd = 0;
  const int replayed = ab->replaying && ab->pos == ab->npev;
  ab->replaying = 0;
  ab->nlive = 0;  // what escaped is freed through the base backend later (ab_free outside a forward)
  ab->st.forwards++;
  ab->st.last_base_allocs = ab->base_allocs;
  ab->st.last_arena_allocs = ab->arena_allocs;
  if (!replayed) {
    ab->st.recorded_allocs = ab->nalloc;
    ab->st.recorded_bytes = ab->sum_bytes;
    ab->st.peak_live_bytes = ab->peak_live;
  }
  if (replayed || ab->arena_live > 0) return FZ_OK;  // (never re-plan under a live arena buffer)
  return plan(ab, err);
}

fz_arena_stats fz_arena_backend_stats(const fz_arena_backend *ab) { return ab->st; }

void fz_arena_backend_free(fz_arena_backend *ab) {
  if (!ab) return;
  if (ab->have_arena) fz_arena_free(&ab->arena);
  free(ab->ev);
  free(ab->live);
  free(ab->pev);
  free(ab->poff);
  free(ab);
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { const fz_backend *base; fz_arena_backend *ab; } g_wrapped[32];

const fz_backend *fz_backend_forward_arena(const fz_backend *be, fz_err *err) {
  if (!be || strncmp(be->name, "cuda", 4) != 0 || fz_arena_backend_of(be)) return be;
  const fz_backend *r = NULL;
  pthread_mutex_lock(&g_mu);
  for (int i = 0; i < 32 && !r; i++) {
    if (g_wrapped[i].base == be) r = &g_wrapped[i].ab->tab;
    else if (!g_wrapped[i].base) {
      fz_arena_backend *ab = NULL;
      if (fz_arena_backend_create(be, &ab, err) == FZ_OK) {
        g_wrapped[i].base = be;
        g_wrapped[i].ab = ab;
        r = &ab->tab;
      }
      break;
    }
  }
  pthread_mutex_unlock(&g_mu);
  if (!r && err && !err->code) fz_fail(err, FZ_ENOMEM, "%s: too many forward-arena tables", be->name);
  return r;
}
