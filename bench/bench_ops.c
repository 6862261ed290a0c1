// bench_ops.c — speed of the CPU nn kernels at the shapes the seed models use, as fractions of this
// machine's ceilings measured in the same run: OpenBLAS SGEMM at 1024³ for compute-bound ops, a
// STREAM-style triad (a = b + s·c, 12 bytes per element) for bandwidth-bound ops; 1 and 2 threads.
// Usage: bench_ops [--quick] [--filter SUBSTRING] [--reps N] [--rounds R] [--cpu]
// --rounds R repeats every measurement (ceilings included) R times, spread over the run, and keeps the
// best median: on a machine shared with other jobs, the least disturbed of R medians of N runs.
// --cpu times with process CPU time instead of wall time: on a shared machine this leaves out the time
// spent waiting for a core, but it adds up the threads, so only its 1-thread columns mean anything.
// Rates: GFLOP/s counts 2 flops per multiply-add of the definition (no im2col or padding work);
// GB/s counts the bytes an ideal kernel must move (each input read once, each output written once).
// Timings on shared machines are noisy: read the ratios, which are measured side by side.
#include "fusor.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef FZ_HAVE_OPENBLAS
#include <cblas.h>
#endif

// Monotonic clock in seconds.
static int g_cpu_clock = 0;
static double now(void) {
  struct timespec t;
  clock_gettime(g_cpu_clock ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// qsort comparator for doubles.
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct bench bench;
typedef int (*run_fn)(bench *b, const fz_backend *be, fz_err *err);

// One benchmark: tensors prepared once, then run() timed; flops or bytes per run give the rate.
struct bench {
  const char *name, *shape;
  double flops, bytes;  // exactly one is non-zero: compute-bound (flops) or bandwidth-bound (bytes)
  run_fn run;
  fz_tensor t[8];
  int nt;
  fz_conv2d_params cp;
  fz_conv1d_params c1;
  int act, iarg, live;
};

static int g_reps = 7, g_quick = 0, g_rounds = 1;
static int g_alloc = -1;  // index of the benchmark whose tensors make_benches allocates (the others are specs only)

// Median seconds of run() over reps (after one warm-up run), spending at most ~1.5 s.
static double time_median(bench *b, const fz_backend *be, fz_err *err) {
  if (b->run(b, be, err)) return -1;
  double t[64];
  int n = 0;
  double start = now();
  while (n < g_reps && n < 64) {
    double t0 = now();
    if (b->run(b, be, err)) return -1;
    t[n++] = now() - t0;
    if (now() - start > 1.5 && n >= 3) break;
  }
  qsort(t, (size_t)n, sizeof t[0], cmp_d);
  return t[n / 2];
}

// ---- ceilings ------------------------------------------------------------------------------------

// OpenBLAS SGEMM 1024³ GFLOP/s with nt threads (OpenBLAS's own threading; reset to 1 afterwards,
// as the nn kernels expect single-threaded BLAS calls inside their OpenMP threads).
static double sgemm_ceiling(int nt) {
  const int n = 1024;
  float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4), *c = malloc((size_t)n * n * 4);
  for (int i = 0; i < n * n; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; }
  double best = 1e30, ts[16];
  int reps = g_quick ? 3 : 7;
#ifdef FZ_HAVE_OPENBLAS
  openblas_set_num_threads(nt);
  for (int r = 0; r <= reps; r++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    if (r) ts[r - 1] = now() - t0;
  }
  openblas_set_num_threads(1);
  qsort(ts, (size_t)reps, sizeof ts[0], cmp_d);
  best = ts[reps / 2];
#else
  (void)nt; (void)ts;
#endif
  free(a); free(b); free(c);
  return 2.0 * n * n * n / best / 1e9;
}

// Triad a[i] = b[i] + s·c[i] on 3 × 16M floats with nt OpenMP threads; GB/s at 12 bytes per element.
static double triad_ceiling(int nt) {
  const int64_t n = 16 << 20;
  float *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *c = malloc((size_t)n * 4);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
  double ts[16];
  int reps = g_quick ? 3 : 7;
  for (int r = 0; r <= reps; r++) {
    double t0 = now();
#pragma omp parallel for simd num_threads(nt) schedule(static)
    for (int64_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
    if (r) ts[r - 1] = now() - t0;
  }
  qsort(ts, (size_t)reps, sizeof ts[0], cmp_d);
  double gbs = 12.0 * (double)n / ts[reps / 2] / 1e9;
  if (a[n / 2] != 7.0f) gbs = -1;  // keeps the loop from being optimised away
  free(a); free(b); free(c);
  return gbs;
}

// ---- op runners ----------------------------------------------------------------------------------

// Op runners: each calls one fz_op_* on the benchmark's prepared tensors.
static int r_conv(bench *b, const fz_backend *be, fz_err *err) { return fz_op_conv2d(be, &b->t[2], &b->t[0], &b->t[1], &b->t[3], &b->cp, err); }
static int r_convt(bench *b, const fz_backend *be, fz_err *err) { return fz_op_conv_transpose2d(be, &b->t[2], &b->t[0], &b->t[1], &b->t[3], &b->cp, err); }
static int r_conv1d(bench *b, const fz_backend *be, fz_err *err) { return fz_op_conv1d(be, &b->t[2], &b->t[0], &b->t[1], &b->t[3], &b->c1, err); }
static int r_linear(bench *b, const fz_backend *be, fz_err *err) { return fz_op_linear(be, &b->t[2], &b->t[0], &b->t[1], &b->t[3], b->act, 0.01f, 0, err); }
static int r_bgemm(bench *b, const fz_backend *be, fz_err *err) { return fz_op_gemm_batched(be, &b->t[2], &b->t[0], &b->t[1], 0, 1, 1.0f, 0.0f, err); }
static int r_seg(bench *b, const fz_backend *be, fz_err *err) { return fz_op_gemm_segmented(be, &b->t[2], &b->t[0], &b->t[1], &b->t[3], &b->t[4], err); }
static int r_ln(bench *b, const fz_backend *be, fz_err *err) { return fz_op_layer_norm(be, &b->t[1], &b->t[0], &b->t[2], &b->t[3], 1e-5f, err); }
static int r_lnc(bench *b, const fz_backend *be, fz_err *err) { return fz_op_layer_norm_channels(be, &b->t[1], &b->t[0], &b->t[2], &b->t[3], 1e-6f, err); }
static int r_gn(bench *b, const fz_backend *be, fz_err *err) { return fz_op_group_norm(be, &b->t[1], &b->t[0], b->iarg, &b->t[2], &b->t[3], 1e-5f, b->act, 0, err); }
static int r_bn(bench *b, const fz_backend *be, fz_err *err) { return fz_op_batch_norm(be, &b->t[1], &b->t[0], &b->t[2], &b->t[3], &b->t[2], &b->t[3], 1e-5f, b->act, 0, err); }
static int r_rms(bench *b, const fz_backend *be, fz_err *err) { return fz_op_rms_norm(be, &b->t[1], &b->t[0], &b->t[2], 1e-6f, err); }
static int r_act(bench *b, const fz_backend *be, fz_err *err) { return fz_op_act(be, &b->t[1], &b->t[0], b->act, b->act == FZ_ACT_SOFTPLUS ? 1.0f : 0.01f, 20.0f, err); }
static int r_glu(bench *b, const fz_backend *be, fz_err *err) { return fz_op_glu(be, &b->t[1], &b->t[0], b->iarg, b->act, 0, err); }
static int r_softmax(bench *b, const fz_backend *be, fz_err *err) { return fz_op_softmax(be, &b->t[1], &b->t[0], -1, err); }
static int r_add_full(bench *b, const fz_backend *be, fz_err *err) { return fz_op_binary(be, &b->t[2], &b->t[0], &b->t[1], FZ_BIN_ADD, err); }
static int r_mod(bench *b, const fz_backend *be, fz_err *err) { return fz_op_modulate(be, &b->t[1], &b->t[0], &b->t[2], &b->t[3], FZ_LAYOUT_NLC, err); }
static int r_gate(bench *b, const fz_backend *be, fz_err *err) { return fz_op_gate_residual(be, &b->t[1], &b->t[0], &b->t[2], &b->t[3], FZ_LAYOUT_NCHW, err); }
static int r_pool(bench *b, const fz_backend *be, fz_err *err) { return fz_op_global_pool(be, &b->t[1], &b->t[0], FZ_POOL_AVG, err); }
static int r_clamp(bench *b, const fz_backend *be, fz_err *err) { return fz_op_clamp(be, &b->t[1], &b->t[0], 0.0f, 1.0f, err); }

// Allocates tensor slot i of b with shape and fills it with a deterministic pattern in [-1, 1)
// (only for the benchmark being run, so at most one benchmark's tensors exist at a time).
static void mk(bench *b, int i, int ndim, const int64_t *shape) {
  if (!b->live) return;
  fz_err err = {0};
  if (fz_tensor_alloc(&b->t[i], fz_backend_cpu(1), FZ_F32, ndim, shape, &err)) { fprintf(stderr, "bench: %s\n", err.msg); exit(1); }
  int64_t n = fz_tensor_numel(&b->t[i]);
  float *d = b->t[i].data;
  for (int64_t j = 0; j < n; j++) d[j] = (float)((j * 2654435761u) % 2000) * 0.001f - 1.0f;
  if (i + 1 > b->nt) b->nt = i + 1;
}
#define MK(b, i, ...) mk(b, i, (int)(sizeof((int64_t[]){__VA_ARGS__}) / 8), (int64_t[]){__VA_ARGS__})

// Builds the list of benchmarks; returns their count.
static int make_benches(bench *L) {
  int n = 0;
  int hw = g_quick ? 128 : 256;  // image side (256² = the seed models' reduced-resolution tile)
  int64_t P = (int64_t)hw * hw;
  // Bandwidth-bound ops run on the full-resolution tile (512²): 64 channels = 64 MB per tensor, out of the
  // 32 MB L3 of the reference machine, as the targets ask ("out-of-cache sizes").
  int hb = g_quick ? 256 : 512;
  int64_t PB = (int64_t)hb * hb;
  char *s;
#define NEWB(nm, fn) (L[n] = (bench){.name = nm, .run = fn, .live = n == g_alloc}, s = malloc(96), L[n].shape = s, &L[n++])
  static const int convc[3] = {32, 64, 128};
  for (int i = 0; i < 3; i++) {  // conv 3×3 'same', bias
    int c = convc[i];
    bench *b = NEWB("conv2d 3x3", r_conv);
    snprintf(s, 96, "[1,%d,%d,%d] -> %d", c, hw, hw, c);
    MK(b, 0, 1, c, hw, hw); MK(b, 1, c, c, 3, 3); MK(b, 2, 1, c, hw, hw); MK(b, 3, c);
    b->cp = (fz_conv2d_params){.pad_h = 1, .pad_w = 1};
    b->flops = 2.0 * c * c * 9 * P;
  }
  {
    bench *b = NEWB("conv2d 3x3 lrelu", r_conv);
    snprintf(s, 96, "[1,8,%d,%d] -> 32 (stem)", hw, hw);
    MK(b, 0, 1, 8, hw, hw); MK(b, 1, 32, 8, 3, 3); MK(b, 2, 1, 32, hw, hw); MK(b, 3, 32);
    b->cp = (fz_conv2d_params){.pad_h = 1, .pad_w = 1, .act = FZ_ACT_LEAKY_RELU, .act_p0 = 0.01f};
    b->flops = 2.0 * 32 * 8 * 9 * P;
  }
  {
    bench *b = NEWB("conv2d 1x1", r_conv);
    snprintf(s, 96, "[1,64,%d,%d] -> 128", hw, hw);
    MK(b, 0, 1, 64, hw, hw); MK(b, 1, 128, 64, 1, 1); MK(b, 2, 1, 128, hw, hw); MK(b, 3, 128);
    b->flops = 2.0 * 64 * 128 * P;
  }
  {
    bench *b = NEWB("conv2d 2x2 s2", r_conv);
    snprintf(s, 96, "[1,64,%d,%d] -> 64 (Down)", hw, hw);
    MK(b, 0, 1, 64, hw, hw); MK(b, 1, 64, 64, 2, 2); MK(b, 2, 1, 64, hw / 2, hw / 2); MK(b, 3, 64);
    b->cp = (fz_conv2d_params){.stride_h = 2, .stride_w = 2};
    b->flops = 2.0 * 64 * 64 * 4 * P / 4;
  }
  {
    bench *b = NEWB("convT 2x2 s2", r_convt);
    snprintf(s, 96, "[1,128,%d,%d] -> 64 (Up)", hw / 2, hw / 2);
    MK(b, 0, 1, 128, hw / 2, hw / 2); MK(b, 1, 128, 64, 2, 2); MK(b, 2, 1, 64, hw, hw); MK(b, 3, 64);
    b->cp = (fz_conv2d_params){.stride_h = 2, .stride_w = 2};
    b->flops = 2.0 * 128 * 64 * 4 * P / 4;
  }
  {
    bench *b = NEWB("dwconv 3x3", r_conv);  // bandwidth-bound: 9 MACs per 8 bytes
    snprintf(s, 96, "[1,128,%d,%d] groups 128", hb, hb);
    MK(b, 0, 1, 128, hb, hb); MK(b, 1, 128, 1, 3, 3); MK(b, 2, 1, 128, hb, hb); MK(b, 3, 128);
    b->cp = (fz_conv2d_params){.pad_h = 1, .pad_w = 1, .groups = 128};
    b->bytes = 8.0 * 128 * PB;
  }
  {
    bench *b = NEWB("dwconv 7x7", r_conv);
    snprintf(s, 96, "[1,64,%d,%d] groups 64 (LE-Mamba)", hw, hw);
    MK(b, 0, 1, 64, hw, hw); MK(b, 1, 64, 1, 7, 7); MK(b, 2, 1, 64, hw, hw); MK(b, 3, 64);
    b->cp = (fz_conv2d_params){.pad_h = 3, .pad_w = 3, .groups = 64};
    b->flops = 2.0 * 49 * 64 * P;
  }
  {
    bench *b = NEWB("conv1d causal k4", r_conv1d);
    snprintf(s, 96, "[1,128,%lld] depthwise (Mamba)", (long long)PB);
    MK(b, 0, 1, 128, PB); MK(b, 1, 128, 1, 4); MK(b, 2, 1, 128, PB); MK(b, 3, 128);
    b->c1 = (fz_conv1d_params){.pad_left = 3, .groups = 128, .act = FZ_ACT_SILU};
    b->bytes = 8.0 * 128 * PB;
  }
  {
    bench *b = NEWB("linear", r_linear);
    snprintf(s, 96, "[4096,64] x [64,64]");
    MK(b, 0, 4096, 64); MK(b, 1, 64, 64); MK(b, 2, 4096, 64); MK(b, 3, 64);
    b->flops = 2.0 * 4096 * 64 * 64;
  }
  {
    bench *b = NEWB("linear", r_linear);
    snprintf(s, 96, "[%lld,32] x [32,32]", (long long)P);
    MK(b, 0, P, 32); MK(b, 1, 32, 32); MK(b, 2, P, 32); MK(b, 3, 32);
    b->flops = 2.0 * P * 32 * 32;
  }
  {
    bench *b = NEWB("linear gelu", r_linear);
    snprintf(s, 96, "[%lld,64] x [256,64] (MLP)", (long long)(P / 4));
    MK(b, 0, P / 4, 64); MK(b, 1, 256, 64); MK(b, 2, P / 4, 256); MK(b, 3, 256);
    b->act = FZ_ACT_GELU;
    b->flops = 2.0 * (P / 4) * 64 * 256;
  }
  {
    bench *b = NEWB("gemm batched", r_bgemm);
    snprintf(s, 96, "8 x [1024,64] x [1024,64]^T");
    MK(b, 0, 8, 1024, 64); MK(b, 1, 8, 1024, 64); MK(b, 2, 8, 1024, 1024);
    b->flops = 2.0 * 8 * 1024 * 1024 * 64;
  }
  {
    bench *b = NEWB("gemm segmented", r_seg);
    snprintf(s, 96, "R=%lld K=288 N=32 G=33 (CANConv)", (long long)P);
    MK(b, 0, P, 288); MK(b, 1, 33, 288, 32); MK(b, 2, P, 32); MK(b, 3, 33, 32);
    fz_err err = {0};
    int64_t rs[1] = {P};
    if (b->live) {  // cluster of each row: a hash, i.e. rows of one cluster scattered over the image (worst case)
      if (fz_tensor_alloc(&b->t[4], fz_backend_cpu(1), FZ_I32, 1, rs, &err)) exit(1);
      int32_t *id = b->t[4].data;
      for (int64_t i = 0; i < P; i++) id[i] = (int32_t)((i * 2654435761u >> 7) % 33);
      b->nt = 5;
    }
    b->flops = 2.0 * P * 288 * 32;
  }
  {
    bench *b = NEWB("layer_norm", r_ln);
    snprintf(s, 96, "[%lld,64] last dim", (long long)PB);
    MK(b, 0, PB, 64); MK(b, 1, PB, 64); MK(b, 2, 64); MK(b, 3, 64);
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("layer_norm_channels", r_lnc);
    snprintf(s, 96, "[1,64,%d,%d]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 64); MK(b, 3, 64);
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("group_norm silu", r_gn);
    snprintf(s, 96, "[1,64,%d,%d] 32 groups", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 64); MK(b, 3, 64);
    b->iarg = 32;
    b->act = FZ_ACT_SILU;
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("group_norm", r_gn);
    snprintf(s, 96, "[1,64,%d,%d] 1 group", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 64); MK(b, 3, 64);
    b->iarg = 1;
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("batch_norm silu", r_bn);
    snprintf(s, 96, "[1,64,%d,%d]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 64); MK(b, 3, 64);
    float *v = b->live ? b->t[2].data : NULL;
    for (int i = 0; v && i < 64; i++) v[i] = 1.0f + 0.01f * (float)i;  // var (also used as gamma) > 0
    b->act = FZ_ACT_SILU;
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("rms_norm", r_rms);
    snprintf(s, 96, "[%lld,64]", (long long)PB);
    MK(b, 0, PB, 64); MK(b, 1, PB, 64); MK(b, 2, 64);
    b->bytes = 8.0 * PB * 64;
  }
  static const struct { const char *nm; int act; } acts[] = {{"relu", FZ_ACT_RELU}, {"leaky_relu", FZ_ACT_LEAKY_RELU},
                                                            {"gelu (erf)", FZ_ACT_GELU}, {"gelu_tanh", FZ_ACT_GELU_TANH},
                                                            {"silu", FZ_ACT_SILU}, {"sigmoid", FZ_ACT_SIGMOID},
                                                            {"softplus", FZ_ACT_SOFTPLUS}, {"sin", FZ_ACT_SIN}};
  for (int i = 0; i < 8; i++) {
    bench *b = NEWB(acts[i].nm, r_act);
    snprintf(s, 96, "[1,64,%d,%d]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb);
    b->act = acts[i].act;
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("simple_gate", r_glu);
    snprintf(s, 96, "[1,128,%d,%d] -> 64", hb, hb);
    MK(b, 0, 1, 128, hb, hb); MK(b, 1, 1, 64, hb, hb);
    b->iarg = 1;
    b->bytes = 12.0 * PB * 64;
  }
  {
    bench *b = NEWB("softmax", r_softmax);
    int r = g_quick ? 1024 : 4096;
    snprintf(s, 96, "[%d,4096] rows", r);
    MK(b, 0, r, 4096); MK(b, 1, r, 4096);
    b->bytes = 8.0 * r * 4096;
  }
  {
    bench *b = NEWB("add same-shape", r_add_full);
    snprintf(s, 96, "[1,64,%d,%d] + same", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 1, 64, hb, hb);
    b->bytes = 12.0 * PB * 64;
  }
  {
    bench *b = NEWB("add per-channel", r_add_full);
    snprintf(s, 96, "[1,64,%d,%d] + [64,1,1]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 64, 1, 1); MK(b, 2, 1, 64, hb, hb);
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("modulate (adaLN)", r_mod);
    snprintf(s, 96, "[1,%lld,64] tokens", (long long)PB);
    MK(b, 0, 1, PB, 64); MK(b, 1, 1, PB, 64); MK(b, 2, 1, 64); MK(b, 3, 1, 64);
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("gate_residual", r_gate);
    snprintf(s, 96, "[1,64,%d,%d] NCHW", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb); MK(b, 2, 1, 64); MK(b, 3, 1, 64, hb, hb);
    b->bytes = 12.0 * PB * 64;
  }
  {
    bench *b = NEWB("clamp", r_clamp);
    snprintf(s, 96, "[1,64,%d,%d]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, hb, hb);
    b->bytes = 8.0 * PB * 64;
  }
  {
    bench *b = NEWB("global avg pool", r_pool);
    snprintf(s, 96, "[1,64,%d,%d]", hb, hb);
    MK(b, 0, 1, 64, hb, hb); MK(b, 1, 1, 64, 1, 1);
    b->bytes = 4.0 * PB * 64;
  }
  return n;
}

int main(int argc, char **argv) {
  const char *filter = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick")) g_quick = 1;
    else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) g_reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--cpu")) g_cpu_clock = 1;
    else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) g_rounds = atoi(argv[++i]);
    else { fprintf(stderr, "usage: bench_ops [--quick] [--filter SUBSTRING] [--reps N] [--rounds R] [--cpu]\n"); return 2; }
  }
  if (g_reps < 1) g_reps = 1;
  if (g_rounds < 1) g_rounds = 1;
  const fz_backend *be1 = fz_backend_cpu(1), *be2 = fz_backend_cpu(2);
  double sg1 = 0, sg2 = 0, tr1 = 0, tr2 = 0;
  for (int r = 0; r < g_rounds; r++) {  // best of the rounds (the least disturbed by other jobs)
    double a = sgemm_ceiling(1), b = sgemm_ceiling(2), c = triad_ceiling(1), d = triad_ceiling(2);
    sg1 = a > sg1 ? a : sg1; sg2 = b > sg2 ? b : sg2; tr1 = c > tr1 ? c : tr1; tr2 = d > tr2 ? d : tr2;
  }
  double load[3] = {0, 0, 0};
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf) { if (fscanf(lf, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1; fclose(lf); }
  printf("fusor bench_ops%s%s, %d round(s) of median-of-%d — load average at start %.2f (%d cores); ceilings measured in this run:\n",
         g_quick ? " --quick" : "", g_cpu_clock ? " --cpu (process CPU time)" : "", g_rounds, g_reps, load[0],
#ifdef _OPENMP
         omp_get_num_procs()
#else
         1
#endif
  );
  printf("  OpenBLAS SGEMM 1024^3: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n", sg1, sg2);
  printf("  triad a=b+s*c 3x64MB:  %.1f GB/s (1 thread), %.1f GB/s (2 threads)\n\n", tr1, tr2);
  printf("%-20s %-32s %9s %9s %6s %9s %9s %6s %7s\n", "op", "shape", "t1 ms", "rate1", "%ceil", "t2 ms", "rate2", "%ceil", "2t/1t");
  static bench L[64];
  int n = make_benches(L);
  for (int i = 0; i < n; i++) free((void *)L[i].shape);
  int fails = 0;
  for (int i = 0; i < n; i++) {
    g_alloc = i;  // rebuild the list with benchmark i's tensors allocated
    make_benches(L);
    bench *b = &L[i];
    if (!filter || strstr(b->name, filter)) {
      fz_err err = {0};
      double t1 = 1e30, t2 = 1e30;
      for (int r = 0; r < g_rounds && t1 > 0 && t2 > 0; r++) {
        double a = time_median(b, be1, &err), c = a > 0 ? time_median(b, be2, &err) : -1;
        t1 = a < 0 ? -1 : (a < t1 ? a : t1);
        t2 = c < 0 ? -1 : (c < t2 ? c : t2);
      }
      if (t1 < 0 || t2 < 0) {
        printf("%-20s %-32s error: %s\n", b->name, b->shape, err.msg);
        fails++;
      } else {
        double amt = b->flops ? b->flops / 1e9 : b->bytes / 1e9, r1 = amt / t1, r2 = amt / t2;
        double c1 = b->flops ? sg1 : tr1, c2 = b->flops ? sg2 : tr2;
        printf("%-20s %-32s %9.3f %6.1f %-2s %5.0f%% %9.3f %6.1f %-2s %5.0f%% %6.2fx\n", b->name, b->shape, t1 * 1e3, r1,
               b->flops ? "GF" : "GB", 100 * r1 / c1, t2 * 1e3, r2, b->flops ? "GF" : "GB", 100 * r2 / c2, t1 / t2);
        fflush(stdout);
      }
    }
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < L[j].nt; k++) fz_tensor_free(&L[j].t[k]);
      free((void *)L[j].shape);
    }
  }
  // The ceilings again at the end (best of both): a machine shared with other jobs may have been busier at
  // the start; the larger ceiling makes every fraction above conservative.
  double e1 = 0, e2 = 0, f1 = 0, f2 = 0;
  for (int r = 0; r < g_rounds; r++) {
    double a = sgemm_ceiling(1), b = sgemm_ceiling(2), c = triad_ceiling(1), d = triad_ceiling(2);
    e1 = a > e1 ? a : e1; e2 = b > e2 ? b : e2; f1 = c > f1 ? c : f1; f2 = d > f2 ? d : f2;
  }
  printf("\nceilings re-measured at the end: SGEMM %.1f / %.1f GFLOP/s, triad %.1f / %.1f GB/s (1 / 2 threads)\n", e1, e2, f1, f2);
  if (e1 > 1.1 * sg1 || e2 > 1.1 * sg2 || f1 > 1.1 * tr1 || f2 > 1.1 * tr2)
    printf("warning: a ceiling rose by more than 10%% during the run (other jobs): the %%ceil columns above are optimistic\n");
  lf = fopen("/proc/loadavg", "r");
  if (lf) { if (fscanf(lf, "%lf", &load[0]) != 1) load[0] = -1; fclose(lf); }
  printf("rate: GF = GFLOP/s (vs SGEMM), GB = GB/s (vs triad); %%ceil at the same thread count; 2t/1t = speedup.\n");
  printf("load average at the end: %.2f\n", load[0]);
  return fails ? 1 : 0;
}
