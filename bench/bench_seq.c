// bench_seq.c — speed of the seq op family on the CPU backend at the seed models' shapes, with the machine's
// ceilings measured in the same run: OpenBLAS SGEMM (GFLOP/s) and a STREAM-style triad (GB/s), each at the
// thread count of the row and interleaved with the op's own runs. Prints one table; docs/PERFORMANCE_SEQ.md
// records its output.
// Usage: bench_seq [reps]   (default 5; every figure is the best of reps timed runs after one warm-up)
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

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int g_reps = 5;

// Exits with the error message (a benchmark program, not the library).
static void die(const fz_err *err, const char *what) {
  fprintf(stderr, "bench_seq: %s: %s\n", what, err->msg);
  exit(1);
}

// A backend tensor of shape with uniform values in [lo, hi).
static void rand_tensor(const fz_backend *be, fz_tensor *t, int nd, const int64_t *shape, uint64_t stream, float lo, float hi) {
  fz_err err = {0};
  if (fz_tensor_alloc(t, be, FZ_F32, nd, shape, &err)) die(&err, "alloc");
  float *p = t->data;
  int64_t n = fz_tensor_numel(t);
  fz_philox_fill_uniform(p, (uint64_t)n, 1234, stream, 0);
  for (int64_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * p[i];
}
static void empty_tensor(const fz_backend *be, fz_tensor *t, fz_dtype dt, int nd, const int64_t *shape) {
  fz_err err = {0};
  if (fz_tensor_alloc(t, be, dt, nd, shape, &err)) die(&err, "alloc");
  memset(t->data, 0, fz_tensor_nbytes(t));
}

// ---- ceilings ------------------------------------------------------------------------------------
// The machine is shared, so each row measures its own ceiling interleaved with the op (one ceiling run, one
// op run, repeated; best of each): a ratio then compares rates taken under the same load.
static float *g_ga, *g_gb, *g_gc;  // SGEMM operands, 1024×1024
static float *g_ta, *g_tb, *g_tc;  // triad arrays, 16 Mi floats each (3 × 64 MiB: out of cache)
#define GEMM_N 1024
#define TRIAD_N ((int64_t)1 << 24)

static void ceilings_alloc(void) {
  g_ga = malloc(sizeof(float) * GEMM_N * GEMM_N); g_gb = malloc(sizeof(float) * GEMM_N * GEMM_N);
  g_gc = malloc(sizeof(float) * GEMM_N * GEMM_N);
  g_ta = malloc(sizeof(float) * TRIAD_N); g_tb = malloc(sizeof(float) * TRIAD_N); g_tc = malloc(sizeof(float) * TRIAD_N);
  if (!g_ga || !g_gb || !g_gc || !g_ta || !g_tb || !g_tc) { fprintf(stderr, "bench_seq: no memory\n"); exit(1); }
  fz_philox_fill_uniform(g_ga, (uint64_t)GEMM_N * GEMM_N, 1, 0, 0);
  fz_philox_fill_uniform(g_gb, (uint64_t)GEMM_N * GEMM_N, 1, 1, 0);
  for (int64_t i = 0; i < TRIAD_N; i++) { g_ta[i] = 0; g_tb[i] = (float)(i & 7); g_tc[i] = 1.0f; }
}

// One OpenBLAS SGEMM 1024³ with nt threads: GFLOP/s (0 when built without OpenBLAS).
static double sgemm_once(int nt) {
#ifdef FZ_HAVE_OPENBLAS
  openblas_set_num_threads(nt);
  double t = now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GEMM_N, GEMM_N, GEMM_N, 1, g_ga, GEMM_N, g_gb, GEMM_N, 0,
              g_gc, GEMM_N);
  t = now() - t;
  return 2.0 * GEMM_N * GEMM_N * (double)GEMM_N / t / 1e9;
#else
  (void)nt;
  return 0;
#endif
}

// One triad pass a = b + s·c with nt threads: GB/s counting the 3 streams (STREAM's convention).
static double triad_once(int nt) {
  double t = now();
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t i = 0; i < TRIAD_N; i++) g_ta[i] = g_tb[i] + 0.5f * g_tc[i];
  t = now() - t;
  return 3.0 * 4.0 * (double)TRIAD_N / t / 1e9;
}

// ---- the table -----------------------------------------------------------------------------------
typedef int (*op_fn)(const fz_backend *be, void *ctx, fz_err *err);

// Best time in ms of fn over g_reps runs after one warm-up; *ceil gets the best ceiling rate measured
// between those runs (SGEMM GFLOP/s when flop_bound, else triad GB/s), with the same thread count.
static double time_op(int nt, op_fn fn, void *ctx, int flop_bound, double *ceil) {
  const fz_backend *be = fz_backend_cpu(nt);
  fz_err err = {0};
  if (fn(be, ctx, &err)) die(&err, "op");
  double best = 1e30, c = 0;
  for (int r = 0; r < g_reps; r++) {
    double cr = flop_bound ? sgemm_once(nt) : triad_once(nt);
    if (cr > c) c = cr;
    double t = now();
    if (fn(be, ctx, &err)) die(&err, "op");
    t = now() - t;
    if (t < best) best = t;
  }
  if (ceil) *ceil = c;
  return best * 1e3;
}

// Prints one table row: for 1 and 2 threads the time, the rate, the ceiling measured alongside and the
// fraction; then the 2-thread speedup. work = FLOPs (flop_bound: ceiling SGEMM) or bytes moved (ceiling triad).
static void row(const char *op, const char *shape, op_fn fn, void *ctx, double work, int flop_bound) {
  double ms[3] = {0}, ceil[3] = {0};
  for (int nt = 1; nt <= 2; nt++) ms[nt] = time_op(nt, fn, ctx, flop_bound, &ceil[nt]);
  printf("| %s | %s |", op, shape);
  for (int nt = 1; nt <= 2; nt++) {
    double rate = work / (ms[nt] * 1e-3) / 1e9;
    printf(" %.2f | %.1f | %.1f | %.0f%% |", ms[nt], rate, ceil[nt], ceil[nt] > 0 ? 100 * rate / ceil[nt] : 0);
  }
  printf(" %.2f× |\n", ms[1] / ms[2]);
  fflush(stdout);
}

// ---- ops -----------------------------------------------------------------------------------------
typedef struct { fz_tensor q, k, v, o; fz_attn_params p; } attn_ctx;
static int run_attn(const fz_backend *be, void *c, fz_err *err) {
  attn_ctx *a = c;
  return fz_op_attention(be, &a->o, &a->q, &a->k, &a->v, NULL, &a->p, err);
}

typedef struct { fz_tensor u, dt, A, B, C, D, z, bias, out; fz_scan_inputs in; } scan_ctx;
static int run_scan(const fz_backend *be, void *c, fz_err *err) {
  scan_ctx *s = c;
  return fz_op_selective_scan(be, &s->out, NULL, &s->in, err);
}

typedef struct { fz_tensor x, o; fz_interp_mode mode; } interp_ctx;
static int run_interp(const fz_backend *be, void *c, fz_err *err) {
  interp_ctx *s = c;
  return fz_op_interpolate(be, &s->o, &s->x, s->mode, 0, 0, 0, err);
}

typedef struct { fz_tensor x, o; int kind; } fft_ctx;
static int run_fft(const fz_backend *be, void *c, fz_err *err) {
  fft_ctx *s = c;
  if (s->kind == 0) return fz_op_fft2(be, &s->o, &s->x, 0, err);
  if (s->kind == 1) return fz_op_rfft2(be, &s->o, &s->x, err);
  return fz_op_fft2(be, &s->o, &s->x, 1, err);
}

typedef struct { fz_tensor x, c, a; fz_kmeans_params p; int iters; } km_ctx;
static int run_assign(const fz_backend *be, void *c, fz_err *err) {
  km_ctx *s = c;
  return fz_op_kmeans_assign(be, &s->a, &s->x, &s->c, NULL, err);
}
static int run_kmeans(const fz_backend *be, void *c, fz_err *err) {
  km_ctx *s = c;
  return fz_op_kmeans(be, &s->c, &s->a, &s->x, &s->p, &s->iters, err);
}

typedef struct { fz_tensor x, o; } move_ctx;
static int run_cross(const fz_backend *be, void *c, fz_err *err) {
  move_ctx *s = c;
  return fz_op_cross_scan(be, &s->o, &s->x, 0, err);
}

int main(int argc, char **argv) {
  if (argc > 1) g_reps = atoi(argv[1]) > 0 ? atoi(argv[1]) : 5;
  const fz_backend *host = fz_backend_cpu(1);
  ceilings_alloc();
  printf("rates: GFLOP/s against OpenBLAS SGEMM 1024³ (compute rows) or GB/s against a triad over 3×64 MiB (memory\n"
         "rows), the ceiling measured between the op's own runs with the same thread count; best of %d runs\n\n", g_reps);
  printf("| op | shape | 1T ms | 1T rate | 1T ceiling | 1T of ceiling | 2T ms | 2T rate | 2T ceiling | 2T of ceiling | 2T speedup |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|---|\n");

  {  // attention: 4096 tokens (a 64×64 tile), 4 heads × 64 dims; FLOPs 4·B·H·N²·d
    attn_ctx a = {.p = {.layout = FZ_ATTN_BHND}};
    const int64_t s[4] = {1, 4, 4096, 64};
    rand_tensor(host, &a.q, 4, s, 0, -1, 1); rand_tensor(host, &a.k, 4, s, 1, -1, 1);
    rand_tensor(host, &a.v, 4, s, 2, -1, 1); empty_tensor(host, &a.o, FZ_F32, 4, s);
    row("attention (flash)", "B1 H4 N4096 d64", run_attn, &a, 4.0 * 4 * 4096.0 * 4096 * 64, 1);
    const int64_t s2[4] = {1, 2, 4096, 16};  // SSDiff level 0: dim 32 = 2 heads × 16
    attn_ctx b = {.p = {.layout = FZ_ATTN_BHND, .scale = 0.25f}};
    rand_tensor(host, &b.q, 4, s2, 0, -1, 1); rand_tensor(host, &b.k, 4, s2, 1, -1, 1);
    rand_tensor(host, &b.v, 4, s2, 2, -1, 1); empty_tensor(host, &b.o, FZ_F32, 4, s2);
    row("attention (SSDiff)", "B1 H2 N4096 d16", run_attn, &b, 4.0 * 2 * 4096.0 * 4096 * 16, 1);
    fz_tensor_free(&a.q); fz_tensor_free(&a.k); fz_tensor_free(&a.v); fz_tensor_free(&a.o);
    fz_tensor_free(&b.q); fz_tensor_free(&b.k); fz_tensor_free(&b.v); fz_tensor_free(&b.o);
  }
  {  // selective scan over a 256×256 grid: L = 65536; bytes = u, Δ, z, y (B·D·L each) + B, C (B·N·L each)
    const int64_t Ds[3] = {32, 64, 128}, Ns[3] = {16, 16, 8}, L = 65536;
    for (int i = 0; i < 3; i++) {
      scan_ctx s;
      memset(&s, 0, sizeof s);
      const int64_t D = Ds[i], N = Ns[i];
      rand_tensor(host, &s.u, 3, (int64_t[]){1, D, L}, 0, -1, 1);
      rand_tensor(host, &s.dt, 3, (int64_t[]){1, D, L}, 1, -3, 1);
      rand_tensor(host, &s.A, 2, (int64_t[]){D, N}, 2, -2, -0.1f);
      rand_tensor(host, &s.B, 3, (int64_t[]){1, N, L}, 3, -1, 1);
      rand_tensor(host, &s.C, 3, (int64_t[]){1, N, L}, 4, -1, 1);
      rand_tensor(host, &s.D, 1, (int64_t[]){D}, 5, -1, 1);
      rand_tensor(host, &s.z, 3, (int64_t[]){1, D, L}, 6, -1, 1);
      rand_tensor(host, &s.bias, 1, (int64_t[]){D}, 7, -1, 1);
      empty_tensor(host, &s.out, FZ_F32, 3, (int64_t[]){1, D, L});
      s.in = (fz_scan_inputs){.u = &s.u, .delta = &s.dt, .A = &s.A, .Bm = &s.B, .Cm = &s.C, .Dskip = &s.D, .z = &s.z,
                              .delta_bias = &s.bias, .delta_softplus = 1};
      char shape[64];
      snprintf(shape, sizeof shape, "B1 D%lld L65536 N%lld +z,D,sp", (long long)D, (long long)N);
      row("selective scan", shape, run_scan, &s, 4.0 * (4 * D * L + 2 * N * L), 0);
      fz_tensor *ts[9] = {&s.u, &s.dt, &s.A, &s.B, &s.C, &s.D, &s.z, &s.bias, &s.out};
      for (int j = 0; j < 9; j++) fz_tensor_free(ts[j]);
    }
  }
  {  // resampling ×4: the seed shape 8×64×64 (LMS-like, fits in cache) and 16×256×256 -> 1024² (67 MB out, out of cache)
    const int64_t C[2] = {8, 16}, S[2] = {64, 256};
    for (int m = 1; m <= 2; m++)
      for (int i = 0; i < 2; i++) {
        interp_ctx s = {.mode = (fz_interp_mode)m};
        rand_tensor(host, &s.x, 4, (int64_t[]){1, C[i], S[i], S[i]}, 0, 0, 1);
        empty_tensor(host, &s.o, FZ_F32, 4, (int64_t[]){1, C[i], 4 * S[i], 4 * S[i]});
        char shape[64];
        snprintf(shape, sizeof shape, "%lld×%lld×%lld -> ×4", (long long)C[i], (long long)S[i], (long long)S[i]);
        row(m == 1 ? "bilinear ×4" : "bicubic ×4", shape, run_interp, &s, 4.0 * C[i] * S[i] * S[i] * 17, 0);
        fz_tensor_free(&s.x); fz_tensor_free(&s.o);
      }
  }
  {  // FFT: 64 planes of 256×256; nominal FLOPs 5·n·log2(n) per complex transform of n points (×1/2 for rfft2)
    const double n = 256.0 * 256, fl = 64 * 5 * n * 16;
    fft_ctx a;
    rand_tensor(host, &a.x, 5, (int64_t[]){1, 64, 256, 256, 2}, 0, -1, 1);
    empty_tensor(host, &a.o, FZ_F32, 5, (int64_t[]){1, 64, 256, 256, 2});
    a.kind = 0;
    row("fft2 (complex)", "64×256×256", run_fft, &a, fl, 1);
    a.kind = 2;
    row("ifft2 (complex)", "64×256×256", run_fft, &a, fl, 1);
    fz_tensor_free(&a.x); fz_tensor_free(&a.o);
    fft_ctx r = {.kind = 1};
    rand_tensor(host, &r.x, 4, (int64_t[]){1, 64, 256, 256}, 0, -1, 1);
    empty_tensor(host, &r.o, FZ_F32, 5, (int64_t[]){1, 64, 256, 129, 2});
    row("rfft2", "64×256×256", run_fft, &r, fl / 2, 1);
    fz_tensor_free(&r.x); fz_tensor_free(&r.o);
  }
  {  // k-means, CANConv rb1: N = 65536 samples of 32 dims, K = 32; assign FLOPs 3·N·K·D
    km_ctx s = {.p = {.seed = 42, .tol = 0.01, .max_iter = 300}};
    rand_tensor(host, &s.x, 2, (int64_t[]){65536, 32}, 0, 0, 1);
    rand_tensor(host, &s.c, 2, (int64_t[]){32, 32}, 1, 0, 1);
    empty_tensor(host, &s.a, FZ_I32, 1, (int64_t[]){65536});
    row("kmeans assign step", "N65536 D32 K32", run_assign, &s, 3.0 * 65536 * 32 * 32, 1);
    double ms1 = time_op(1, run_kmeans, &s, 1, NULL), ms2 = time_op(2, run_kmeans, &s, 1, NULL);
    printf("| kmeans (++ init + Lloyd, tol 0.01) | N65536 D32 K32, %d iterations | %.2f | | | | %.2f | | | | %.2f× |\n",
           s.iters, ms1, ms2, ms1 / ms2);
    fz_tensor_free(&s.x); fz_tensor_free(&s.c); fz_tensor_free(&s.a);
  }
  {  // cross-scan of a 64×256×256 feature map (pure data movement: 4 writes per read)
    move_ctx s;
    rand_tensor(host, &s.x, 4, (int64_t[]){1, 64, 256, 256}, 0, -1, 1);
    empty_tensor(host, &s.o, FZ_F32, 4, (int64_t[]){1, 4, 64, 65536});
    row("cross-scan", "64×256×256 -> 4 seqs", run_cross, &s, 4.0 * 5 * 64 * 65536, 0);
    fz_tensor_free(&s.x); fz_tensor_free(&s.o);
  }
  return 0;
}
