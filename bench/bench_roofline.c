// bench_roofline.c — roofline targets on an H100 for every kernel of the seed models at 256×256 WorldView-3
// shapes (8 bands, PAN 256×256, MS 64×64), from the op calls a real forward executes.
// Each model runs one forward on the CPU backend wrapped in the op-counting backend (bench/count_backend.h),
// which records, per backend entry, the calls, the bytes of every tensor argument and the FLOPs of the shapes
// actually executed. Expected H100 time per kernel = max(bytes / 3.35 TB/s, FLOPs / peak) with peak 60 TFLOP/s
// for fp32 and 990 TFLOP/s dense bf16 (bf16 also halves the bytes); a model's target is the sum over its calls
// of the per-call bounds (kernels run one after another; launch gaps not included). Nothing here is a measured GPU time.
// Models: FusionNet, PanNet, DRPNN, CANNet, FusionMamba (official checkpoints in ../shared/weights) and SSDiff
// (tests/golden/ssdiff_random.safetensors: random weights of the real architecture; one network call = one
// forward of its denoiser is what a sampler step costs; the whole default 10-step DDIM run is reported).
// With --device cuda:N (the nvcc build, build/cuda/bench_roofline) each kernel is also timed on the device (synced
// before and after every call) and set against its roofline, and the whole forward is timed without syncs.
// usage: bench_roofline [--size N] [--models a,b] [--threads T] [--device cpu|cuda:N] [--reps R] [--precision P]
#include "fusor.h"
#include "count_backend.h"
#include "precision.h"
#include "../models/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H100_BW 3.35e12
#define H100_FP32 60e12
#define H100_BF16 990e12

static const struct { const char *arch, *file; int shared; } k_models[] = {
    {"fusionnet", "weights/dlpan_wv3/fusionnet.pth", 1}, {"pannet", "weights/dlpan_wv3/pannet.pth", 1},
    {"drpnn", "weights/dlpan_wv3/drpnn.pth", 1},         {"cannet", "weights/cannet_wv3.pth", 1},
    {"fusionmamba", "weights/fusionmamba_wv3.pth", 1},   {"ssdiff", "tests/golden/ssdiff_random.safetensors", 0},
};

// A backend tensor [1, C, H, W] of a smooth pattern in [0, 1] (the counts do not depend on the values).
static int pattern(const fz_backend *be, int C, int64_t H, int64_t W, fz_tensor *t, fz_err *err) {
  int64_t sh[4] = {1, C, H, W}, n = (int64_t)C * H * W;
  float *h = malloc((size_t)n * sizeof *h);
  if (!h) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) h[i] = (float)(0.5 + 0.3 * sin(0.013 * (double)i));
  int rc = fz_tensor_alloc(t, be, FZ_F32, 4, sh, err);
  if (!rc) rc = fz_tensor_upload(t, h, (size_t)n * sizeof *h, err);
  free(h);
  return rc;
}

// Monotonic seconds.
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// One forward of the model at path on the counting backend over base; prints its table. With measure (a device
// backend): a warm-up forward, one forward with every op timed (synced before and after: the per-kernel
// columns), then `reps` forwards timed whole (no per-op syncs: the model's latency, median). Returns 0 or an fz_code.
static int run_model(const char *arch, const char *path, int64_t size, const fz_backend *base, int measure, int reps, fz_err *err) {
  static fz_count_backend cb;
  fz_count_backend_init(&cb, base);
  cb.bw = H100_BW;
  cb.peak_fp32 = H100_FP32;
  cb.peak_bf16 = H100_BF16;
  const fz_backend *be = &cb.tab;
  fz_pan_model *m = NULL;
  int rc = fz_model_load(path, NULL, be, &m, err);
  if (rc) return rc;
  const fz_model_info *I = fz_model_get_info(m);
  fz_tensor ms = {0}, lms = {0}, pan = {0}, out = {0};
  int64_t osh[4] = {1, I->bands, size, size};
  double whole[64];
  int nwhole = 0;
  if (reps > 64) reps = 64;
  if (!(rc = pattern(be, I->bands, size / I->ratio, size / I->ratio, &ms, err)) && !(rc = pattern(be, I->bands, size, size, &lms, err)) &&
      !(rc = pattern(be, 1, size, size, &pan, err)) && !(rc = fz_tensor_alloc(&out, be, FZ_F32, 4, osh, err))) {
    fz_pan_inputs in = {&ms, &lms, &pan};
    if (measure) rc = fz_model_forward(m, &in, &out, err);  // warm-up: handles, plans, scratch, caches
    if (!rc && measure) {
      for (int r = 0; r < reps && !rc; r++) {
        double t0 = now_s();
        rc = fz_model_forward(m, &in, &out, err);
        if (!rc && base->sync) rc = base->sync(base, err);
        whole[nwhole++] = now_s() - t0;
      }
    }
    fz_count_backend_reset(&cb);
    cb.measure = measure;
    if (!rc) rc = fz_model_forward(m, &in, &out, err);
    cb.measure = 0;
  }
  if (!rc) {
    printf("\n%s (%s, %d bands, %lldx%lld, %lld parameters)%s\n", arch, path, I->bands, (long long)size, (long long)size,
           (long long)I->params, measure ? "" : "  [counts only: pass --device cuda:N for measured times]");
    printf("  %-20s %7s %10s %10s %7s %11s %11s", "kernel", "calls", "MB moved", "GFLOP", "FLOP/B", "H100fp32 us", "H100bf16 us");
    if (measure) printf(" %11s %9s %9s %7s", "measured us", "GB/s", "GFLOP/s", "roof%");
    printf("\n");
    double tb = 0, tf = 0, t32 = 0, t16 = 0, tm = 0;
    int64_t tc = 0;
    for (int i = 0; i < cb.nrows; i++) {
      const fz_count_row *r = &cb.rows[i];
      printf("  %-20s %7lld %10.2f %10.3f %7.2f %11.1f %11.1f", r->op, (long long)r->calls, r->bytes / 1e6, r->flops / 1e9,
             r->bytes > 0 ? r->flops / r->bytes : 0.0, r->t_fp32 * 1e6, r->t_bf16 * 1e6);
      if (measure)
        printf(" %11.1f %9.1f %9.1f %6.1f%%", r->t_meas * 1e6, r->t_meas > 0 ? r->bytes / r->t_meas / 1e9 : 0.0,
               r->t_meas > 0 ? r->flops / r->t_meas / 1e9 : 0.0, r->t_meas > 0 ? 100.0 * r->t_fp32 / r->t_meas : 0.0);
      printf("\n");
      tb += r->bytes; tf += r->flops; t32 += r->t_fp32; t16 += r->t_bf16; tm += r->t_meas; tc += r->calls;
    }
    printf("  %-20s %7lld %10.2f %10.3f %7.2f %11.1f %11.1f", "total", (long long)tc, tb / 1e6, tf / 1e9, tb > 0 ? tf / tb : 0.0,
           t32 * 1e6, t16 * 1e6);
    if (measure) printf(" %11.1f %9.1f %9.1f %6.1f%%", tm * 1e6, tm > 0 ? tb / tm / 1e9 : 0.0, tm > 0 ? tf / tm / 1e9 : 0.0, tm > 0 ? 100.0 * t32 / tm : 0.0);
    printf("\n");
    if (measure && nwhole) {
      for (int i = 1; i < nwhole; i++)  // insertion sort for the median
        for (int j = i; j > 0 && whole[j] < whole[j - 1]; j--) { double t = whole[j]; whole[j] = whole[j - 1]; whole[j - 1] = t; }
      printf("  whole forward on %s (no per-op syncs): median %.1f us of %d, min %.1f us; H100 fp32 roofline %.1f us (%.1f%%)\n",
             base->name, whole[nwhole / 2] * 1e6, nwhole, whole[0] * 1e6, t32 * 1e6, 100.0 * t32 / whole[nwhole / 2]);
    }
  }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  fz_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  int64_t size = 256;
  int threads = 0, reps = 5;
  const char *only = NULL, *device = "cpu", *precision = "fp32";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--models") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
    else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--precision") && i + 1 < argc) precision = argv[++i];
    else {
      fprintf(stderr, "usage: bench_roofline [--size N] [--models a,b] [--threads T] [--device cpu|cuda:N] [--reps R] "
                      "[--precision fp32|bf16|fp16]\n");
      return 2;
    }
  }
  if (size < 16 || size % 16) { fprintf(stderr, "bench_roofline: --size %lld must be a positive multiple of 16\n", (long long)size); return 2; }
  if (reps < 1) { fprintf(stderr, "bench_roofline: --reps %d must be at least 1\n", reps); return 2; }
  fz_err err0 = {0};
  const fz_backend *base = fz_backend_get(device, threads, &err0);
  if (base) base = fz_backend_with_precision(base, precision, &err0);
  if (!base) { fprintf(stderr, "bench_roofline: %s\n", err0.msg); return 2; }
  int measure = strcmp(base->name, "cpu") != 0;
  if (!measure && strcmp(device, "cpu")) { fprintf(stderr, "bench_roofline: %s is not available here (fell back to the CPU)\n", device); return 2; }
  const char *root = getenv("FUSOR_SHARED");
  if (!root) root = "../shared";
  printf("roofline targets, H100 SXM: %.2f TB/s, %.0f TFLOP/s fp32, %.0f TFLOP/s dense bf16 (bf16 halves the bytes); "
         "bytes and FLOPs counted from the executed op calls (bench/count_backend.h)%s%s\n", H100_BW / 1e12, H100_FP32 / 1e12,
         H100_BF16 / 1e12, measure ? "; measured on " : "", measure ? base->name : "");
  int failed = 0;
  for (size_t k = 0; k < sizeof k_models / sizeof k_models[0]; k++) {
    if (only && !strstr(only, k_models[k].arch)) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", k_models[k].shared ? root : "", k_models[k].shared ? "/" : "", k_models[k].file);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("\n%s: skipped (%s absent)\n", k_models[k].arch, path); continue; }
    fclose(f);
    fz_err err = {0};
    if (run_model(k_models[k].arch, path, size, base, measure, reps, &err)) {
      fprintf(stderr, "bench_roofline: %s: %s\n", k_models[k].arch, err.msg);
      failed = 1;
    }
    fflush(stdout);
  }
  return failed;
}
