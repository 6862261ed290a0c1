// gen_graph.c — a sampling run's network calls as CUDA Graph launches (gen_graph.h).
#include "gen_graph.h"
#include "model_internal.h"
#include "../runtime/log.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t g_launches;

uint64_t fz_gen_graph_launches(void) { return atomic_load(&g_launches); }

void fz_gen_graph_init(fz_gen_graph *gg, fz_pan_model *m) {
  memset(gg, 0, sizeof *gg);
  gg->m = m;
  const char *env = getenv("FZ_CUDA_GRAPHS");
  gg->enabled = fz_backend_is_cuda(m->be) && !(env && !strcmp(env, "0"));
}

void fz_gen_graph_free(fz_gen_graph *gg) {
  fz_cuda_graph_free(gg->g);
  gg->g = NULL;
  fz_tensor_free(&gg->x);
  fz_tensor_free(&gg->out);
}

// dst = src (same numel) on the model's backend: 1·src, exact.
static int copy_into(fz_pan_model *m, fz_tensor *dst, const fz_tensor *src, fz_err *err) {
  const float one = 1.0f;
  const fz_tensor *xs[1] = {src};
  return fz_op_lincomb(m->be, dst, 1, &one, xs, err);
}

// Captures fn over the fixed buffers (allocated like x_t and out); on failure graphs are turned off for the run.
static int capture(fz_gen_graph *gg, fz_gen_net_fn fn, void *ctx, const fz_tensor *x_t, const fz_tensor *out, fz_err *err) {
  const fz_backend *be = gg->m->be;
  if (fz_tensor_alloc(&gg->x, be, FZ_F32, x_t->ndim, x_t->shape, err) || fz_tensor_alloc(&gg->out, be, FZ_F32, out->ndim, out->shape, err))
    return err->code;
  if (copy_into(gg->m, &gg->x, x_t, err) || fz_cuda_graph_begin(be, err)) return err->code;
  fz_err e2 = {0};
  int rc = fn(ctx, &gg->x, &gg->out, &e2);
  int rc2 = fz_cuda_graph_end(be, &gg->g, rc ? &(fz_err){0} : &e2);
  if (rc || rc2 || !gg->g) {  // something in the call cannot be captured: run every call directly
    fz_log(FZ_LOG_INFO, "%s: sampler steps run without CUDA graphs (%s)", gg->m->display, e2.msg[0] ? e2.msg : "capture failed");
    fz_cuda_graph_free(gg->g);
    gg->g = NULL;
    gg->enabled = 0;
  }
  return FZ_OK;
}

int fz_gen_graph_call(fz_gen_graph *gg, fz_gen_net_fn fn, void *ctx, const fz_tensor *x_t, fz_tensor *out, fz_err *err) {
  if (!gg->enabled || gg->calls++ == 0) return fn(ctx, x_t, out, err);  // off, or the warm-up call
  if (!gg->g) {
    if (capture(gg, fn, ctx, x_t, out, err)) return err->code;
    if (!gg->g) return fn(ctx, x_t, out, err);
  } else if (!fz_tensor_same_shape(&gg->x, x_t) || !fz_tensor_same_shape(&gg->out, out)) {
    return fz_fail(err, FZ_EINTERNAL, "%s: a sampling run changed its tile shape between network calls", gg->m->display);
  } else if (copy_into(gg->m, &gg->x, x_t, err)) {
    return err->code;
  }
  if (fz_cuda_graph_launch(gg->m->be, gg->g, err)) return err->code;
  atomic_fetch_add(&g_launches, 1);
  gg->launches++;
  return copy_into(gg->m, out, &gg->out, err);
}

float *fz_gen_host_floats(const fz_pan_model *m, size_t n, fz_err *err) {
  const fz_backend *be = m->be;
  float *p = be->host_alloc && be->host_free ? be->host_alloc(be, (n ? n : 1) * sizeof *p, err) : malloc((n ? n : 1) * sizeof *p);
  if (!p && !(be->host_alloc && be->host_free)) fz_fail(err, FZ_ENOMEM, "out of memory");
  return p;
}

void fz_gen_host_free(const fz_pan_model *m, float *p) {
  const fz_backend *be = m->be;
  if (!p) return;
  if (be->host_alloc && be->host_free) be->host_free(be, p);
  else free(p);
}
