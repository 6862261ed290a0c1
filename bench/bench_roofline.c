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
// usage: bench_roofline [--size N] [--models a,b] [--threads T]   (from the repository root; docs/CUDA.md)
#include "fusor.h"
#include "count_backend.h"
#include "../models/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

// One forward of the model at path on the counting backend; prints its table. Returns 0 or an fz_code.
static int run_model(const char *arch, const char *path, int64_t size, int threads, fz_err *err) {
  static fz_count_backend cb;
  fz_count_backend_init(&cb, fz_backend_cpu(threads));
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
  if (!(rc = pattern(be, I->bands, size / I->ratio, size / I->ratio, &ms, err)) && !(rc = pattern(be, I->bands, size, size, &lms, err)) &&
      !(rc = pattern(be, 1, size, size, &pan, err)) && !(rc = fz_tensor_alloc(&out, be, FZ_F32, 4, osh, err))) {
    fz_count_backend_reset(&cb);
    fz_pan_inputs in = {&ms, &lms, &pan};
    rc = fz_model_forward(m, &in, &out, err);
  }
  if (!rc) {
    printf("\n%s (%s, %d bands, %lldx%lld, %lld parameters)\n", arch, path, I->bands, (long long)size, (long long)size,
           (long long)I->params);
    printf("  %-20s %7s %12s %12s %8s %12s %12s\n", "kernel", "calls", "MB moved", "GFLOP", "FLOP/B", "H100 fp32 us", "H100 bf16 us");
    double tb = 0, tf = 0, t32 = 0, t16 = 0;
    int64_t tc = 0;
    for (int i = 0; i < cb.nrows; i++) {
      const fz_count_row *r = &cb.rows[i];
      double a = r->t_fp32, b = r->t_bf16;
      printf("  %-20s %7lld %12.2f %12.3f %8.2f %12.1f %12.1f\n", r->op, (long long)r->calls, r->bytes / 1e6, r->flops / 1e9,
             r->bytes > 0 ? r->flops / r->bytes : 0.0, a * 1e6, b * 1e6);
      tb += r->bytes; tf += r->flops; t32 += a; t16 += b; tc += r->calls;
    }
    printf("  %-20s %7lld %12.2f %12.3f %8.2f %12.1f %12.1f\n", "total", (long long)tc, tb / 1e6, tf / 1e9, tb > 0 ? tf / tb : 0.0,
           t32 * 1e6, t16 * 1e6);
  }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  fz_model_free(m);
  return rc;
}

int main(int argc, char **argv) {
  int64_t size = 256;
  int threads = 0;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--models") && i + 1 < argc) only = argv[++i];
    else {
      fprintf(stderr, "usage: bench_roofline [--size N] [--models a,b] [--threads T]\n");
      return 2;
    }
  }
  if (size < 16 || size % 16) { fprintf(stderr, "bench_roofline: --size %lld must be a positive multiple of 16\n", (long long)size); return 2; }
  const char *root = getenv("FUSOR_SHARED");
  if (!root) root = "../shared";
  printf("roofline targets, H100 SXM: %.2f TB/s, %.0f TFLOP/s fp32, %.0f TFLOP/s dense bf16 (bf16 halves the bytes); "
         "bytes and FLOPs counted from the executed op calls (bench/count_backend.h)\n", H100_BW / 1e12, H100_FP32 / 1e12, H100_BF16 / 1e12);
  int failed = 0;
  for (size_t k = 0; k < sizeof k_models / sizeof k_models[0]; k++) {
    if (only && !strstr(only, k_models[k].arch)) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", k_models[k].shared ? root : "", k_models[k].shared ? "/" : "", k_models[k].file);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("\n%s: skipped (%s absent)\n", k_models[k].arch, path); continue; }
    fclose(f);
    fz_err err = {0};
    if (run_model(k_models[k].arch, path, size, threads, &err)) {
      fprintf(stderr, "bench_roofline: %s: %s\n", k_models[k].arch, err.msg);
      failed = 1;
    }
    fflush(stdout);
  }
  return failed;
}
