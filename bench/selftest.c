// selftest.c — `fusor selftest` (see selftest.h). Oracle: the CPU backend (itself checked against double loops by
// the op-case table and against the official PyTorch models); the tolerances are those of the op-case table for fp32.
#include "selftest.h"
#include "count_backend.h"
#include "progress.h"
#include "rng.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Runs the gates of the CUDA backend's fast paths on dev's device and prints each verdict (kernels/cuda/precision.cu;
// kernels/cpu/cuda_absent.c in builds without CUDA).
void fz_cuda_fastpath_report(const fz_backend *dev, FILE *out);

#define ST_MAXT 10
typedef struct {
  const fz_backend *be;
  fz_tensor t[ST_MAXT];
  int nt;
} st_set;

// A tensor of uniform values in [-1, 1) from (stream) on s->be (same values on every backend); NULL on failure.
static fz_tensor *st_rand(st_set *s, int ndim, const int64_t *shape, uint64_t stream, int fill, fz_err *err) {
  fz_tensor *t = &s->t[s->nt];
  if (fz_tensor_alloc(t, s->be, FZ_F32, ndim, shape, err)) return NULL;
  s->nt++;
  if (!fill) return t;
  int64_t n = fz_tensor_numel(t);
  float *h = malloc((size_t)n * sizeof *h);
  if (!h) { fz_fail(err, FZ_ENOMEM, "selftest: out of memory"); return NULL; }
  fz_philox_fill_uniform(h, (uint64_t)n, 77, stream, 0);
  for (int64_t i = 0; i < n; i++) h[i] = 2 * h[i] - 1;
  int rc = fz_tensor_upload(t, h, (size_t)n * sizeof *h, err);
  free(h);
  return rc ? NULL : t;
}

static void st_free(st_set *s) {
  for (int i = 0; i < s->nt; i++) fz_tensor_free(&s->t[i]);
  s->nt = 0;
}

// Issues op k on s's tensors (made by st_make); 0 or an fz_code.
static int st_issue(int k, const fz_backend *be, st_set *s, fz_err *err) {
  fz_tensor *t = s->t;
  switch (k) {
    case 0: {
      fz_conv2d_params p = {.pad_h = 1, .pad_w = 1, .act = FZ_ACT_RELU};
      return fz_op_conv2d(be, &t[3], &t[0], &t[1], &t[2], &p, err);
    }
    case 1: return fz_op_linear(be, &t[3], &t[0], &t[1], &t[2], FZ_ACT_GELU, 0, 0, err);
    case 2: {
      fz_attn_params p = {.heads = 4, .layout = FZ_ATTN_BHND};
      return fz_op_attention(be, &t[3], &t[0], &t[1], &t[2], NULL, &p, err);
    }
    case 3: {
      fz_scan_inputs in = {.u = &t[0], .delta = &t[1], .A = &t[2], .Bm = &t[3], .Cm = &t[4], .Dskip = &t[5], .delta_softplus = 1};
      return fz_op_selective_scan(be, &t[6], NULL, &in, err);
    }
    case 4: return fz_op_layer_norm(be, &t[3], &t[0], &t[1], &t[2], 1e-5f, err);
    case 5: return fz_op_act(be, &t[1], &t[0], FZ_ACT_SILU, 0, 0, err);
    default: return fz_op_binary(be, &t[2], &t[0], &t[1], FZ_BIN_ADD, err);
  }
}
static const char *const k_names[] = {"conv2d 3x3 64ch 128x128", "linear 4096x512x512 gelu", "attention 4h 1024tok d32",
                                      "selective_scan D64 L2048 N16", "layer_norm 4096x512", "act silu 4M", "binary add 1M"};
static const char *const k_small[] = {"conv2d 3x3 12ch 16x16", "linear 512x64x64 gelu", "attention 4h 128tok d32",
                                      "selective_scan D8 L256 N16", "layer_norm 512x64", "act silu 64k", "binary add 16k"};
#define ST_NOPS 7

// Makes op k's tensors on s->be (inputs filled, outputs last) at full size or, small, at sizes the CPU emulation
// runs in seconds; 0 or an fz_code. Returns the output index in *o.
static int st_make(int k, int small, st_set *s, int *o, fz_err *err) {
  int ok = 1;
  const int64_t q = small ? 8 : 1;  // divisor of the large dims
#define R(nd, st, fill, ...) do { int64_t sh_[] = {__VA_ARGS__}; ok = ok && st_rand(s, nd, sh_, st, fill, err); } while (0)
  switch (k) {
    case 0: R(4, 1, 1, 1, 64 / (q / 2 + 1), 128 / q, 128 / q); R(4, 2, 1, 64 / (q / 2 + 1), 64 / (q / 2 + 1), 3, 3);
            R(1, 3, 1, 64 / (q / 2 + 1)); R(4, 0, 0, 1, 64 / (q / 2 + 1), 128 / q, 128 / q); *o = 3; break;
    case 1: R(2, 1, 1, 4096 / q, 512 / q); R(2, 2, 1, 512 / q, 512 / q); R(1, 3, 1, 512 / q); R(2, 0, 0, 4096 / q, 512 / q); *o = 3; break;
    case 2: R(4, 1, 1, 1, 4, 1024 / q, 32); R(4, 2, 1, 1, 4, 1024 / q, 32); R(4, 3, 1, 1, 4, 1024 / q, 32); R(4, 0, 0, 1, 4, 1024 / q, 32);
            *o = 3; break;
    case 3: R(3, 1, 1, 1, 64 / q, 2048 / q); R(3, 2, 1, 1, 64 / q, 2048 / q); R(2, 3, 1, 64 / q, 16); R(3, 4, 1, 1, 16, 2048 / q);
            R(3, 5, 1, 1, 16, 2048 / q); R(1, 6, 1, 64 / q); R(3, 0, 0, 1, 64 / q, 2048 / q); *o = 6;
            if (ok && fz_op_affine(s->be, &s->t[2], &s->t[2], 0.5f, -1.0f, err)) ok = 0;  // A in [-1.5, -0.5): a stable scan
            break;
    case 4: R(2, 1, 1, 4096 / q, 512 / q); R(1, 2, 1, 512 / q); R(1, 3, 1, 512 / q); R(2, 0, 0, 4096 / q, 512 / q); *o = 3; break;
    case 5: R(1, 1, 1, 4194304 / (q * q)); R(1, 0, 0, 4194304 / (q * q)); *o = 1; break;
    default: R(2, 1, 1, 256 / q, 4096 / q); R(2, 2, 1, 256 / q, 4096 / q); R(2, 0, 0, 256 / q, 4096 / q); *o = 2; break;
  }
#undef R
  return ok ? FZ_OK : (err->code ? (int)err->code : FZ_EINTERNAL);
}

// Downloads t into a new host array.
static float *st_get(const fz_tensor *t, fz_err *err) {
  float *h = malloc(fz_tensor_nbytes(t));
  if (h && fz_tensor_download(t, h, fz_tensor_nbytes(t), err)) { free(h); h = NULL; }
  return h;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int fz_selftest_run(const fz_backend *dev, const char *label, int reps, int small, FILE *out, fz_err *err) {
  static fz_count_backend cb;
  fz_count_backend_init(&cb, dev);
  const fz_backend *cpu = fz_backend_cpu(0);
  if (reps < 1) reps = 1;
  if (reps > 64) reps = 64;
  fprintf(out, "selftest of %s against cpu (%s; rates are %s)\n", dev->name, label,
          strstr(label, "emulated") ? "of the CPU emulation, not of a GPU" : "measured on this device");
  fprintf(out, "  %-30s %10s %8s %6s %10s %9s %9s\n", "op", "max err", "tol", "ok", "median ms", "GB/s", "GFLOP/s");
  int bad = -1;
  char why[256] = "";
  for (int k = 0; k < ST_NOPS; k++) {
    st_set sd = {&cb.tab, {{0}}, 0}, sc = {cpu, {{0}}, 0};
    int o = 0, rc = st_make(k, small, &sd, &o, err);
    if (!rc) rc = st_make(k, small, &sc, &o, err);
    if (!rc) rc = st_issue(k, cpu, &sc, err);
    fz_count_backend_reset(&cb);
    if (!rc) rc = st_issue(k, &cb.tab, &sd, err);  // (counted once)
    double bytes = cb.nrows ? cb.rows[0].bytes : 0, flops = cb.nrows ? cb.rows[0].flops : 0;
    double ms[64];
    for (int r = 0; !rc && r < reps; r++) {
      double t0 = fz_now();
      rc = st_issue(k, dev, &sd, err);
      if (!rc && dev->sync) rc = dev->sync(dev, err);
      ms[r] = (fz_now() - t0) * 1e3;
    }
    double e = 0, tol = k == 2 || k == 3 ? 1e-4 : 2e-5;
    if (!rc) {
      float *a = st_get(&sd.t[o], err), *b = a ? st_get(&sc.t[o], err) : NULL;
      if (!a || !b) rc = err->code ? (int)err->code : FZ_ENOMEM;
      for (int64_t i = 0; !rc && i < fz_tensor_numel(&sd.t[o]); i++) {
        double d = fabs((double)a[i] - b[i]) / (1 + fabs((double)b[i]));
        e = d <= e ? e : (isnan(d) ? INFINITY : d);
      }
      free(a);
      free(b);
    }
    st_free(&sd);
    st_free(&sc);
    if (rc) return rc;
    qsort(ms, (size_t)reps, sizeof ms[0], cmp_d);
    double med = ms[reps / 2];
    int ok = e <= tol;
    fprintf(out, "  %-30s %10.2e %8.0e %6s %10.3f %9.2f %9.2f\n", small ? k_small[k] : k_names[k], e, tol, ok ? "ok" : "FAIL", med,
            bytes / (med * 1e-3) / 1e9, flops / (med * 1e-3) / 1e9);
    if (!ok && bad < 0) {
      bad = k;
      snprintf(why, sizeof why, "%s: error %.3g > tolerance %.0e against the cpu backend", k_names[k], e, tol);
    }
  }
  fz_cuda_fastpath_report(dev, out);  // the gated tensor-core paths: checked on this device now, enabled or not
  if (bad >= 0) return fz_fail(err, FZ_EINTERNAL, "selftest on %s: %s", dev->name, why);
  return FZ_OK;
}
