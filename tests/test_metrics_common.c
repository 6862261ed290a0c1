// test_metrics_common.c — helpers of the metric / simulation tests (see test_metrics_common.h).
#include "test_metrics_common.h"
#include "raster.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double *fzt_synth(int h, int w, int c, double seed) {
  double *p = malloc((size_t)c * h * w * sizeof *p);
  if (!p) return NULL;
  for (int b = 0; b < c; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        p[((size_t)b * h + y) * w + x] = round(800 + 300 * sin(0.37 * x + 0.61 * b + seed) * cos(0.23 * y - 0.4 * b) + 25 * b);
  return p;
}

double *fzt_perturb(const double *img, int h, int w, int c) {
  double *p = malloc((size_t)c * h * w * sizeof *p);
  if (!p) return NULL;
  for (int b = 0; b < c; b++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        size_t i = ((size_t)b * h + y) * w + x;
        p[i] = img[i] + 40 * sin(0.5 * x + 0.3 * y + b) + 0.3;
      }
  return p;
}

// Opens tests/data/metrics/<name>, trying the path relative to the working directory, then to this file.
static FILE *open_data(const char *name, char *path, size_t n) {
  snprintf(path, n, "tests/data/metrics/%s", name);
  FILE *f = fopen(path, "r");
  if (f) return f;
  const char *here = __FILE__, *slash = strrchr(here, '/');
  if (slash) {
    snprintf(path, n, "%.*s/data/metrics/%s", (int)(slash - here), here, name);
    f = fopen(path, "r");
  }
  return f;
}

int fzt_ref_load(const char *name, fzt_ref *r, fz_err *err) {
  memset(r, 0, sizeof *r);
  char path[1024], line[256];
  FILE *f = open_data(name, path, sizeof path);
  if (!f) return fz_fail(err, FZ_EIO, "%s: cannot open the reference table (run from the repository root)", path);
  int cap = 0;
  while (fgets(line, sizeof line, f)) {
    char *comma = strrchr(line, ',');  // keys may contain commas; the value never does
    if (!comma || !strncmp(line, "key,", 4)) continue;
    *comma = 0;
    if (r->n == cap) {
      cap = cap ? cap * 2 : 256;
      void *k = realloc(r->key, (size_t)cap * sizeof *r->key), *v = realloc(r->val, (size_t)cap * sizeof *r->val);
      if (k) r->key = k;
      if (v) r->val = v;
      if (!k || !v) { fclose(f); fzt_ref_free(r); return fz_fail(err, FZ_ENOMEM, "%s: no memory", path); }
    }
    snprintf(r->key[r->n], sizeof r->key[0], "%.95s", line);
    r->val[r->n++] = strtod(comma + 1, NULL);
  }
  fclose(f);
  if (!r->n) return fz_fail(err, FZ_EFORMAT, "%s: no key,value lines", path);
  return FZ_OK;
}

void fzt_ref_free(fzt_ref *r) {
  free(r->key);
  free(r->val);
  memset(r, 0, sizeof *r);
}

double fzt_ref_get(const fzt_ref *r, const char *key) {
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->key[i], key)) return r->val[i];
  return NAN;
}

int fzt_close(double a, double b, double rtol, double atol) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return fabs(a - b) <= rtol * fabs(b) + atol;
}

// Reads one variable of a .mat file as a raster and copies it into a new double array.
static int read_var(const char *path, const char *var, fz_raster *r, double **out, fz_err *err) {
  fz_raster_sel sel = {var, 0};
  int rc = fz_raster_read(path, &sel, r, err);
  if (rc) return rc;
  size_t n = (size_t)r->c * r->h * r->w;
  *out = malloc(n * sizeof **out);
  if (!*out) { fz_raster_free(r); return fz_fail(err, FZ_ENOMEM, "no memory"); }
  for (size_t i = 0; i < n; i++) (*out)[i] = r->data[i];
  return FZ_OK;
}

int fzt_scene_load(const char *path, const char *msvar, fzt_scene *s, fz_err *err) {
  memset(s, 0, sizeof *s);
  fz_raster a = {0}, b = {0};
  int rc = read_var(path, msvar, &a, &s->ms, err);
  if (rc) return rc;
  rc = read_var(path, "I_PAN", &b, &s->pan, err);
  if (rc) { free(s->ms); s->ms = NULL; fz_raster_free(&a); return rc; }
  s->c = a.c; s->h = a.h; s->w = a.w; s->H = b.h; s->W = b.w;
  fz_raster_free(&a);
  fz_raster_free(&b);
  return FZ_OK;
}

void fzt_scene_free(fzt_scene *s) {
  free(s->ms);
  free(s->pan);
  memset(s, 0, sizeof *s);
}
