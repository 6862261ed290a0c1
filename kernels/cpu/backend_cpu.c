// backend_cpu.c — the CPU backend table: host memory and the op entries of kernels/cpu/*.c.
#include "../../runtime/backend.h"
#include "cpu_ops.h"
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct { int nthreads; } cpu_ctx;

static void *cpu_alloc(const fz_backend *be, size_t nbytes, fz_err *err) {
  (void)be;
  void *p = NULL;
  size_t rounded = (nbytes + 63) & ~(size_t)63;
  if (rounded < nbytes || posix_memalign(&p, 64, rounded ? rounded : 64) != 0) {
    fz_fail(err, FZ_ENOMEM, "cpu: cannot allocate %zu bytes", nbytes);
    return NULL;
  }
  return p;
}
static void cpu_free(const fz_backend *be, void *p) { (void)be; free(p); }
static int cpu_copy(const fz_backend *be, void *dst, const void *src, size_t n, fz_err *err) {
  (void)be; (void)err;
  memcpy(dst, src, n);
  return FZ_OK;
}
static int cpu_sync(const fz_backend *be, fz_err *err) { (void)be; (void)err; return FZ_OK; }

int fz_cpu_threads(const fz_backend *be) { return ((const cpu_ctx *)be->ctx)->nthreads; }

static cpu_ctx g_cpu_ctx[65];
static fz_backend g_cpu[65];

const fz_backend *fz_backend_cpu(int nthreads) {
  if (nthreads <= 0) {
#ifdef _OPENMP
    nthreads = omp_get_num_procs();
#else
    nthreads = 1;
#endif
  }
  if (nthreads > 64) nthreads = 64;
  fz_backend *be = &g_cpu[nthreads];
  if (!be->name) {  // tables are immutable once filled; filling twice writes identical values
    g_cpu_ctx[nthreads].nthreads = nthreads;
    fz_backend t = {0};
    t.name = "cpu";
    t.ctx = &g_cpu_ctx[nthreads];
    t.alloc = cpu_alloc;
    t.free = cpu_free;
    t.upload = cpu_copy;
    t.download = cpu_copy;
    t.sync = cpu_sync;
    t.lincomb = fz_cpu_lincomb;
    t.randn = fz_cpu_randn;
    t.randn_image = fz_cpu_randn_image;
    fz_cpu_fill_nn(&t);
    fz_cpu_fill_seq(&t);
    fz_cpu_fill_fir(&t);
    *be = t;
  }
  return be;
}
