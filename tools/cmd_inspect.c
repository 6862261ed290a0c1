// cmd_inspect.c — `fusor inspect FILE`: metadata and per-tensor dtype/shape/min/max/mean of a
// safetensors or PyTorch .pth file, as text or JSON.
#include "cli.h"
#include "weights.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_CJSON
#include <cJSON.h>
#endif

typedef struct { double min, max, mean; int64_t nans; } tstats;

// min/max over non-NaN elements and the mean (f64 accumulation) of t; NaN when it has no elements.
static tstats stats_of(const fz_wtensor *t) {
  tstats s = {NAN, NAN, NAN, 0};
  double sum = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < t->numel; i++) {
    double v = fz_wtensor_get_f64(t, i);
    if (v != v) { s.nans++; continue; }
    if (!n || v < s.min) s.min = v;
    if (!n || v > s.max) s.max = v;
    sum += v;
    n++;
  }
  if (t->numel) s.mean = s.nans ? NAN : sum / (double)n;
  return s;
}

// Prints the help text.
static void usage(FILE *f) {
  fprintf(f, "usage: fusor inspect FILE [--json] [--no-stats]\n"
             "  Prints the metadata of a weights file (.safetensors or PyTorch .pth/.pt zip), then per tensor its\n"
             "  name, dtype, shape, min, max and mean (f64 accumulation), and the total parameter count.\n"
             "  --json      one JSON object: {file, format, metadata, tensors: [{name, dtype, shape, min, max, mean}], count, parameters, bytes}\n"
             "  --no-stats  skip min/max/mean (faster on large files)\n");
}

// Prints the text report.
static void print_text(const char *path, const fz_weights *w, int stats) {
  printf("file: %s\nformat: %s\n", path, w->format && !strcmp(w->format, "pth") ? "pytorch zip (.pth)" : "safetensors");
  printf("metadata:%s\n", w->nmeta ? "" : " (none)");
  char a[512], b[512];
  for (int i = 0; i < w->nmeta; i++)
    printf("  %s = %s\n", fz_printable(w->meta[i].key, a, sizeof a), fz_printable(w->meta[i].value, b, sizeof b));
  int wn = 4;
  for (int i = 0; i < w->count; i++) {
    int l = (int)strlen(w->tensors[i].name);
    if (l > wn) wn = l < 80 ? l : 80;
  }
  printf("%-*s  %-7s %-18s%s\n", wn, "name", "dtype", "shape", stats ? "  min            max            mean" : "");
  size_t bytes = 0;
  for (int i = 0; i < w->count; i++) {
    const fz_wtensor *t = &w->tensors[i];
    char sh[256];
    printf("%-*s  %-7s %-18s", wn, fz_printable(t->name, a, sizeof a), fz_wdtype_name(t->dtype), fz_wshape_str(t->ndim, t->shape, sh, sizeof sh));
    if (stats) {
      tstats s = stats_of(t);
      printf("  %-14.7g %-14.7g %.7g", s.min, s.max, s.mean);
      if (s.nans) printf(" (%lld NaN)", (long long)s.nans);
    }
    printf("\n");
    bytes += t->nbytes;
  }
  printf("total: %d tensors, %lld parameters, %zu bytes\n", w->count, (long long)fz_weights_param_count(w), bytes);
}

#ifdef FZ_HAVE_CJSON
// Prints the JSON report (one object).
static int print_json(const char *path, const fz_weights *w, int stats) {
  cJSON *o = cJSON_CreateObject(), *m = cJSON_CreateObject(), *ts = cJSON_CreateArray();
  cJSON_AddStringToObject(o, "file", path);
  cJSON_AddStringToObject(o, "format", w->format ? w->format : "?");
  for (int i = 0; i < w->nmeta; i++) cJSON_AddStringToObject(m, w->meta[i].key, w->meta[i].value);
  cJSON_AddItemToObject(o, "metadata", m);
  size_t bytes = 0;
  for (int i = 0; i < w->count; i++) {
    const fz_wtensor *t = &w->tensors[i];
    cJSON *j = cJSON_CreateObject(), *sh = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "name", t->name);
    cJSON_AddStringToObject(j, "dtype", fz_wdtype_name(t->dtype));
    for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
    cJSON_AddItemToObject(j, "shape", sh);
    if (stats) {
      tstats s = stats_of(t);  // NaN prints as null
      cJSON_AddNumberToObject(j, "min", s.min);
      cJSON_AddNumberToObject(j, "max", s.max);
      cJSON_AddNumberToObject(j, "mean", s.mean);
      if (s.nans) cJSON_AddNumberToObject(j, "nans", (double)s.nans);
    }
    cJSON_AddItemToArray(ts, j);
    bytes += t->nbytes;
  }
  cJSON_AddItemToObject(o, "tensors", ts);
  cJSON_AddNumberToObject(o, "count", w->count);
  cJSON_AddNumberToObject(o, "parameters", (double)fz_weights_param_count(w));
  cJSON_AddNumberToObject(o, "bytes", (double)bytes);
  char *txt = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  if (!txt) { fprintf(stderr, "fusor inspect: out of memory printing JSON\n"); return 1; }
  printf("%s\n", txt);
  free(txt);
  return 0;
}
#else
static int print_json(const char *path, const fz_weights *w, int stats) {
  fprintf(stderr, "fusor inspect: --json needs cJSON (libcjson-dev), absent from this build\n");
  return 1;
}
#endif

// `fusor inspect` entry point: argv[0] = "inspect"; returns the exit code.
static int cmd_inspect(int argc, char **argv) {
  const char *path = NULL;
  int json = 0, stats = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { usage(stdout); return 0; }
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--no-stats")) stats = 0;
    else if (argv[i][0] == '-' && argv[i][1]) { fprintf(stderr, "fusor inspect: unknown option '%s'\n", argv[i]); usage(stderr); return 2; }
    else if (path) { fprintf(stderr, "fusor inspect: one FILE expected, got '%s' and '%s'\n", path, argv[i]); return 2; }
    else path = argv[i];
  }
  if (!path) { usage(stderr); return 2; }
  fz_weights w;
  fz_err err = {0};
  if (fz_weights_load(path, &w, &err)) return fz_cli_fail(&err);
  int rc = 0;
  if (json) rc = print_json(path, &w, stats);
  else print_text(path, &w, stats);
  fz_weights_free(&w);
  return rc;
}
FZ_COMMAND(inspect, "show the metadata, tensors and statistics of a .safetensors or .pth file", cmd_inspect)
