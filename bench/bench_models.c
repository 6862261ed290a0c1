// bench_models.c — seconds per 256x256 scene of every pretrained pansharpening model, fusor vs PyTorch side by side.
// For each model: load ../shared/weights/<file> (the official .pth, read directly), take the real 256x256 WorldView-2
// crop of the parity goldens (case wv2_256, rebuilt from ../shared/data/pansharpening by tests/golden_inputs.h), run
// one warm-up forward and then --runs timed forwards on the CPU backend with --threads threads, and print the median.
// With --torch CMD the same is asked of PyTorch in the same run, model by model: `CMD ARCH RUNS THREADS` must print a
// line "median SECONDS" (the command is the user's: fusor ships no script that runs the official code; docs/MODELS.md
// gives the one used for the published table).
// usage: bench_models [--runs N] [--threads T] [--models a,b] [--torch CMD] [--torch-runs N]   (from the repository root)
#include "fusor.h"
#include "safetensors.h"
#include "../models/model.h"
#include "../tests/golden_inputs.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *arch, *file; } k_models[] = {
    {"pnn", "weights/dlpan_wv3/pnn.pth"},        {"pannet", "weights/dlpan_wv3/pannet.pth"},
    {"dicnn", "weights/dlpan_wv3/dicnn1.pth"},   {"msdcnn", "weights/dlpan_wv3/msdcnn.pth"},
    {"fusionnet", "weights/dlpan_wv3/fusionnet.pth"}, {"drpnn", "weights/dlpan_wv3/drpnn.pth"},
    {"cannet", "weights/cannet_wv3.pth"},        {"fusionmamba", "weights/fusionmamba_wv3.pth"},
};

// qsort order of doubles.
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// Golden input `name` ("ms", "lms" or "pan" of g, DN) as an f32 [1, C, H, W] tensor divided by 2047 on be.
static int input(const fz_backend *be, const golden_inputs *g, const char *name, fz_tensor *t, fz_err *err) {
  int pan = !strcmp(name, "pan"), low = !strcmp(name, "ms");
  int64_t shape[4] = {1, pan ? 1 : g->c, low ? g->h / GI_RATIO : g->h, low ? g->w / GI_RATIO : g->w};
  const float *x = pan ? g->pan : low ? g->ms : g->lms;
  int64_t n = fz_shape_numel(4, shape);
  float *f = malloc((size_t)n * sizeof *f);
  int rc = f ? FZ_OK : fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t i = 0; !rc && i < n; i++) f[i] = x[i] / 2047.0f;
  if (!rc) rc = fz_tensor_alloc(t, be, FZ_F32, 4, shape, err);
  if (!rc) rc = fz_tensor_upload(t, f, (size_t)n * sizeof *f, err);
  free(f);
  return rc;
}

// Median seconds of `runs` forwards of model file `path` on the golden inputs; -1 on error (printed).
static double time_fusor(const char *path, const golden_inputs *g, int runs, int threads) {
  const fz_backend *be = fz_backend_cpu(threads);
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_tensor ms = {0}, lms = {0}, pan = {0}, out = {0};
  double *t = calloc((size_t)runs, sizeof *t), med = -1;
  int rc = !t || fz_model_load(path, NULL, be, &m, &err) || input(be, g, "ms", &ms, &err) || input(be, g, "lms", &lms, &err) ||
           input(be, g, "pan", &pan, &err) || fz_tensor_alloc(&out, be, FZ_F32, 4, lms.shape, &err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  for (int r = -1; !rc && r < runs; r++) {  // r = -1: warm-up (scratch allocation, page faults)
    double t0 = fz_now();
    rc = fz_model_forward(m, &in, &out, &err);
    if (r >= 0) t[r] = fz_now() - t0;
  }
  if (rc) fprintf(stderr, "bench_models: %s: %s\n", path, err.msg);
  else {
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
  }
  fz_model_free(m);
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  free(t);
  return med;
}

// Runs `cmd arch runs threads` and returns the number after "median" in its output; -1 when absent.
static double time_torch(const char *cmd, const char *arch, int runs, int threads) {
  char line[4096], full[2048];
  snprintf(full, sizeof full, "%s %s %d %d", cmd, arch, runs, threads);
  FILE *p = popen(full, "r");
  if (!p) return -1;
  double med = -1;
  while (fgets(line, sizeof line, p))
    if (!strncmp(line, "median ", 7)) med = atof(line + 7);
  pclose(p);
  return med;
}

int main(int argc, char **argv) {
  int runs = 5, threads = 2, truns = 0;
  const char *torch = NULL, *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--torch") && i + 1 < argc) torch = argv[++i];
    else if (!strcmp(argv[i], "--models") && i + 1 < argc) only = argv[++i];
    else if (!strcmp(argv[i], "--torch-runs") && i + 1 < argc) truns = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_models [--runs N] [--threads T] [--models a,b] [--torch CMD] [--torch-runs N]\n");
      return 2;
    }
  }
  if (truns <= 0) truns = runs;
  if (runs < 1 || threads < 1) { fprintf(stderr, "bench_models: --runs and --threads must be >= 1\n"); return 2; }
  const char *root = getenv("FUSOR_SHARED");
  if (!root) root = "../shared";
  fz_err err = {0};
  const golden_inputs *g = golden_inputs_get("wv2_256", &err);  // reads $FUSOR_SHARED or ../shared as above
  if (!g) {
    fprintf(stderr, "bench_models: %s (run from the repository root)\n", err.msg);
    return 1;
  }
  printf("seconds per 256x256 WorldView-2 scene (1 x 8 x 256 x 256), median of %d runs (%d for PyTorch), %d CPU threads\n",
         runs, torch ? truns : 0, threads);
  printf("%-12s %12s %12s %8s\n", "model", "fusor", torch ? "pytorch" : "", torch ? "ratio" : "");
  int fails = 0;
  for (size_t i = 0; i < sizeof k_models / sizeof k_models[0]; i++) {
    if (only && !strstr(only, k_models[i].arch)) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, k_models[i].file);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("%-12s skipped: %s is absent\n", k_models[i].arch, path); continue; }
    fclose(f);
    double a = time_fusor(path, g, runs, threads);
    double b = torch ? time_torch(torch, k_models[i].arch, truns, threads) : -1;
    if (a < 0) fails++;
    if (torch && b > 0) printf("%-12s %12.4f %12.4f %7.1fx\n", k_models[i].arch, a, b, b / a);
    else if (torch) printf("%-12s %12.4f %12s\n", k_models[i].arch, a, "n/a");
    else printf("%-12s %12.4f\n", k_models[i].arch, a);
    fflush(stdout);
  }
  return fails ? 1 : 0;
}
