// cmd_devices.c — `fusor devices`: lists the CPU and any CUDA devices.
#include "cli.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int fz_cuda_list_devices(FILE *out, int json);  // kernels/cuda; the fallback below when built without CUDA

#ifndef FZ_HAVE_CUDA
int fz_cuda_list_devices(FILE *out, int json) {
  if (json) fprintf(out, "{\"device\":\"cuda\",\"available\":false,\"reason\":\"built without CUDA\"}\n");
  else fprintf(out, "cuda    not available: this fusor was built without CUDA (no nvcc at build time); the CPU backend runs\n");
  return 0;
}
#endif

static int cmd_devices(int argc, char **argv) {
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("usage: fusor devices [--json]\n  Lists the CPU backend and every CUDA device (memory, compute capability).\n");
      return 0;
    } else { fprintf(stderr, "fusor devices: unknown option '%s'\n", argv[i]); return 2; }
  }
  int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
  char model[256] = "unknown CPU";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "model name", 10)) {
        char *c = strchr(line, ':');
        if (c) { snprintf(model, sizeof model, "%s", c + 2); model[strcspn(model, "\n")] = 0; }
        break;
      }
    fclose(f);
  }
  if (json) printf("{\"device\":\"cpu\",\"available\":true,\"cores\":%d,\"model\":\"%s\"}\n", ncpu, model);
  else printf("cpu     %d cores, %s\n", ncpu, model);
  return fz_cuda_list_devices(stdout, json);
}
FZ_COMMAND(devices, "list the CPU and CUDA devices fusor can run on", cmd_devices)
