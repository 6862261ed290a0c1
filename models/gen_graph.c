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
  fz_tensor_free(&gg->t);
}

// dst = src (same numel) on the model's backend: 1·src, exact.
static int copy_into(fz_pan_model *m, fz_tensor *dst, const fz_tensor *src, fz_err *err) {
  const float one = 1.0f;
  const fz_tensor *xs[1] = {src};
  return fz_op_lincomb(m->be, dst, 1, &one, xs, err);
}

// Captures fn over the fixed buffers (allocated like x_t and out); on failure graphs are turned off for the run.
static int capture(fz_gen_graph *gg, fz_gen_net_fn fn, void *ctx, const fz_tensor *x_t, const fz_tensor *out, fz_err *err) {
  // (gg->t already holds this call's times)
  const fz_backend *be = gg->m->be;
  if (fz_tensor_alloc(&gg->x, be, FZ_F32, x_t->ndim, x_t->shape, err) || fz_tensor_alloc(&gg->out, be, FZ_F32, out->ndim, out->shape, err))
    return err->code;
  if (copy_into(gg->m, &gg->x, x_t, err) || fz_cuda_graph_begin(be, err)) return err->code;
  fz_err e2 = {0};
  int rc = fn(ctx, &gg->x, &gg->t, &gg->out, &e2);
  int rc2 = fz_cuda_graph_end(be, &gg->g, rc ? &(fz_err){0} : &e2);
  if (rc || rc2 || !gg->g) {  // something in the call cannot be captured: run every call directly
    fz_log(FZ_LOG_INFO, "%s: sampler steps run without CUDA graphs (%s)", gg->m->display, e2.msg[0] ? e2.msg : "capture failed");
    fz_cuda_graph_free(gg->g);
    gg->g = NULL;
    gg->enabled = 0;
  }
  return FZ_OK;
}

int fz_gen_graph_call(fz_gen_graph *gg, fz_gen_net_fn fn, void *ctx, const fz_tensor *x_t, const float *t, fz_tensor *out,
                      fz_err *err) {
  if (!x_t || x_t->ndim < 1 || !t) return fz_fail(err, FZ_EINVAL, "%s: a network call needs x_t and its times", gg->m->display);
  const int64_t n = x_t->shape[0];
  if (!gg->t.data || gg->t.shape[0] != n) {  // the times go to the device first (an upload from pageable memory)
    fz_tensor_free(&gg->t);
    if (gg->g) return fz_fail(err, FZ_EINTERNAL, "%s: a sampling run changed its batch between network calls", gg->m->display);
    if (fz_tensor_alloc(&gg->t, gg->m->be, FZ_F32, 1, &n, err)) return err->code;
  }
  if (fz_tensor_upload(&gg->t, t, (size_t)n * sizeof *t, err)) return err->code;
  if (!gg->enabled || gg->calls++ == 0) return fn(ctx, x_t, &gg->t, out, err);  // off, or the warm-up call
  if (!gg->g) {
    if (capture(gg, fn, ctx, x_t, out, err)) return err->code;
    if (!gg->g) return fn(ctx, x_t, &gg->t, out, err);
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
