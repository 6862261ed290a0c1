// cmd_selftest.c — `fusor selftest --device cuda:N`: the heavy ops on the device against the CPU backend, with
// max error, GB/s and GFLOP/s per kernel (bench/selftest.h). Exit 0 when every op is within tolerance.
#include "cli.h"
#include "../bench/selftest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_selftest(int argc, char **argv) {
  const char *device = "cuda:0";
  int reps = 5;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: fusor selftest [--device cuda:N] [--reps N]\n"
             "  runs conv2d, linear, attention, selective_scan, layer_norm, act and binary on the device and on the CPU\n"
             "  backend with the same inputs; prints max error (vs tolerance), median time, GB/s and GFLOP/s per op\n");
      return 0;
    }
    if (i + 1 >= argc) { fprintf(stderr, "fusor selftest: %s needs a value (or is unknown); run 'fusor selftest --help'\n", argv[i]); return 2; }
    if (!strcmp(argv[i], "--device")) device = argv[++i];
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
    else { fprintf(stderr, "fusor selftest: unknown option %s; run 'fusor selftest --help'\n", argv[i]); return 2; }
  }
  fz_err err = {0};
  const fz_backend *be = fz_backend_get(device, 0, &err);
  if (!be) { fprintf(stderr, "fusor selftest: %s\n", err.msg); return 1; }
  if (!strcmp(device, "cpu")) { fprintf(stderr, "fusor selftest: --device cpu is the reference itself; name a cuda:N device\n"); return 2; }
  if (!strcmp(be->name, "cpu")) {  // (fz_backend_get fell back to the CPU: no usable CUDA device)
    fprintf(stderr, "fusor selftest: %s has no usable CUDA device here (see fusor devices); nothing to test\n", device);
    return 1;
  }
  if (fz_selftest_run(be, "GPU", reps, 0, stdout, &err)) { fprintf(stderr, "fusor selftest: %s\n", err.msg); return 1; }
  return 0;
}
FZ_COMMAND(selftest, "heavy ops on a GPU against the CPU: max error, GB/s, GFLOP/s", cmd_selftest)
