// cmd_simulate.c — `fusor simulate`: Wald's-protocol reduced-resolution test sets (PanCollection HDF5
// with gt / ms / lms / pan, N×C×H×W float64 DN) from a full-resolution MS + PAN scene (.mat, or --ms/--pan image files).
#include "cli.h"
#include "raster.h"
#include "raster_stack.h"
#include "../bench/mtf.h"
#include "../bench/wald.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_MATIO
#include <matio.h>
#endif

static void usage(FILE *f) {
  fprintf(f,
          "usage: fusor simulate SCENE.mat -o OUT.h5 [options]\n"
          "       fusor simulate --ms MS --pan PAN --sensor S -o OUT.h5 [options]   (separate image files)\n"
          "  Wald's protocol as the DLPan-Toolbox (resize_images.m, interp23tap.m): the MS becomes gt; ms is the MS\n"
          "  filtered with the sensor's MTF (41-tap Kaiser-windowed Gaussian) and decimated by the ratio; pan is the\n"
          "  PAN shrunk by imresize (bicubic, antialiased); lms = interp23tap(ms). Crops are cut from the degraded\n"
          "  scene, row-major from the top-left, without overlap.\n"
          "options:\n"
          "  -o, --output PATH   output PanCollection HDF5 file (refuses to overwrite without --force)\n"
          "  --sensor NAME       WV3, WV2, QB, IKONOS, GeoEye1, WV4, GF2, L8, L7 ... (default: the file's 'sensor' variable)\n"
          "  --ratio R           scale ratio, a power of 2 (default 4; 2 for Landsat)\n"
          "  --ms MS, --pan PAN  full-resolution MS and PAN as image files (GeoTIFF ...) instead of SCENE.mat; MS may be\n"
          "                      a comma-separated list of single-band files (B2.TIF,B3.TIF,B4.TIF,B5.TIF)\n"
          "  --trim              drop the last MS rows / columns that do not fill a whole ratio x ratio block (and the\n"
          "                      PAN beyond ratio x the trimmed MS): e.g. a 41x41 Landsat crop becomes 40x40\n"
          "  --crop SIZE         crop side in reduced-resolution PAN pixels, a multiple of the ratio (default 128,\n"
          "                      or the largest that fits a smaller scene)\n"
          "  --count N           number of crops (default 0 = every non-overlapping crop that fits)\n"
          "  --ms-var NAME       MS variable (default I_MS, else I_MS_LR)\n"
          "  --pan-var NAME      PAN variable (default I_PAN)\n"
          "  --force             overwrite OUT.h5\n");
}

// Reads the char variable name of a .mat file into buf; 0 when found, 1 when absent or not a string.
static int read_mat_string(const char *path, const char *name, char *buf, size_t n) {
#ifdef FZ_HAVE_MATIO
  int rc = 1;
  mat_t *m = Mat_Open(path, MAT_ACC_RDONLY);
  if (!m) return 1;
  matvar_t *v = Mat_VarRead(m, name);
  if (v && v->class_type == MAT_C_CHAR && v->data && v->nbytes > 0 && v->nbytes < n &&
      (v->data_type == MAT_T_UTF8 || v->data_type == MAT_T_UINT8 || v->data_type == MAT_T_INT8)) {
    memcpy(buf, v->data, v->nbytes);
    buf[v->nbytes] = 0;
    rc = 0;
  } else if (v && v->class_type == MAT_C_CHAR && v->data && v->data_size == 2 && v->nbytes / 2 < n) {
    const unsigned short *s = v->data;  // UTF-16 code units: keep the ASCII ones
    size_t k = 0;
    for (size_t i = 0; i < v->nbytes / 2; i++)
      if (s[i] < 128) buf[k++] = (char)s[i];
    buf[k] = 0;
    rc = 0;
  }
  if (v) Mat_VarFree(v);
  Mat_Close(m);
  return rc;
#else
  (void)path; (void)name; (void)buf; (void)n;
  return 1;
#endif
}

// Reads variable var of path (or a comma-separated band list) into a new double array (C×H×W); fills c, h, w.
static int read_var(const char *path, const char *var, double **out, int *c, int *h, int *w, fz_err *err) {
  fz_raster r = {0};
  fz_raster_sel sel = {var, 0};
  int rc = fz_raster_read_stack(path, &sel, &r, err);
  if (rc) return rc;
  size_t n = (size_t)r.c * r.h * r.w;
  *out = malloc(n * sizeof **out);
  if (!*out) { fz_raster_free(&r); return fz_fail(err, FZ_ENOMEM, "%s: no memory for '%s'", path, var); }
  for (size_t i = 0; i < n; i++) (*out)[i] = r.data[i];
  *c = r.c; *h = r.h; *w = r.w;
  fz_raster_free(&r);
  return FZ_OK;
}

// 1 when the .mat file path has a variable called name.
static int has_var(const char *path, const char *name) {
  fz_var_info v[64];
  fz_err e = {0};
  int n = fz_raster_list_vars(path, v, 64, &e);
  for (int i = 0; i < n && i < 64; i++)
    if (!strcmp(v[i].name, name)) return 1;
  return 0;
}

// Parses a positive integer option value; returns -1 when malformed.
static int parse_int(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  return (*s && !*end && v >= 0 && v <= 1 << 24) ? (int)v : -1;
}

// Keeps the top-left nh×nw window of the c×h×w array a (in place).
static void trim(double *a, int c, int h, int w, int nh, int nw) {
  (void)h;
  for (int b = 0; b < c; b++)
    for (int y = 0; y < nh; y++) memmove(a + ((size_t)b * nh + y) * nw, a + ((size_t)b * h + y) * w, (size_t)nw * sizeof *a);
}

static int cmd_simulate(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *sensor = NULL, *msvar = NULL, *panvar = "I_PAN", *msfile = NULL, *panfile = NULL;
  int ratio = 4, crop = -1, count = 0, force = 0, do_trim = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int has = i + 1 < argc;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has) out = argv[++i];
    else if (!strcmp(a, "--sensor") && has) sensor = argv[++i];
    else if (!strcmp(a, "--ms-var") && has) msvar = argv[++i];
    else if (!strcmp(a, "--pan-var") && has) panvar = argv[++i];
    else if (!strcmp(a, "--force")) force = 1;
    else if (!strcmp(a, "--trim")) do_trim = 1;
    else if (!strcmp(a, "--ms") && has) msfile = argv[++i];
    else if (!strcmp(a, "--pan") && has) panfile = argv[++i];
    else if ((!strcmp(a, "--ratio") || !strcmp(a, "--crop") || !strcmp(a, "--count")) && has) {
      int v = parse_int(argv[++i]);
      if (v < 0) { fprintf(stderr, "fusor simulate: %s '%s' is not a non-negative integer\n", a, argv[i]); return 2; }
      if (!strcmp(a, "--ratio")) ratio = v;
      else if (!strcmp(a, "--crop")) crop = v;
      else count = v;
    } else if (a[0] == '-') { fprintf(stderr, "fusor simulate: unknown option '%s' (or missing value)\n", a); usage(stderr); return 2; }
    else if (!in) in = a;
    else { fprintf(stderr, "fusor simulate: more than one input scene ('%s', '%s')\n", in, a); return 2; }
  }
  if ((msfile || panfile) && (in || !msfile || !panfile)) {
    fprintf(stderr, "fusor simulate: give either SCENE.mat or both --ms MS and --pan PAN\n");
    return 2;
  }
  if (msfile && !sensor) { fprintf(stderr, "fusor simulate: --ms/--pan inputs need --sensor (e.g. L8)\n"); return 2; }
  if ((!in && !msfile) || !out) { usage(stderr); return 2; }
  fz_err err = {0};
  if (msfile) in = msfile;
  if (!msvar) msvar = msfile || has_var(in, "I_MS") || !has_var(in, "I_MS_LR") ? "I_MS" : "I_MS_LR";
  char sbuf[64];
  if (!sensor) {
    if (read_mat_string(in, "sensor", sbuf, sizeof sbuf)) {
      fz_fail(&err, FZ_EINVAL, "%s: no 'sensor' variable in the file; pass --sensor (WV3, WV2, QB, IKONOS, GeoEye1, ...)", in);
      return fz_cli_fail(&err);
    }
    sensor = sbuf;
  }
  if (!fz_sensor_canonical(sensor))
    fprintf(stderr, "fusor simulate: warning: sensor '%s' has no MTF table; using the toolbox default gain 0.3 for every band\n", sensor);
  double *ms = NULL, *pan = NULL;
  int c, h, w, pc, H, W;
  int rc = read_var(in, msfile ? NULL : msvar, &ms, &c, &h, &w, &err);
  if (!rc) rc = read_var(panfile ? panfile : in, panfile ? NULL : panvar, &pan, &pc, &H, &W, &err);
  if (!rc && pc != 1)
    rc = fz_fail(&err, FZ_EINVAL, "%s: '%s' has %d bands, expected a 1-band PAN", panfile ? panfile : in, panfile ? "PAN" : panvar, pc);
  if (!rc && do_trim && ratio >= 1) {  // keep whole ratio x ratio blocks of MS, and the PAN over them
    int nh = h / ratio * ratio, nw = w / ratio * ratio;
    if (nh < 1 || nw < 1 || (long long)H < (long long)nh * ratio || (long long)W < (long long)nw * ratio)
      rc = fz_fail(&err, FZ_EINVAL, "--trim: MS %dx%d and PAN %dx%d leave no whole %dx%d block (PAN must cover ratio x MS)", h, w,
                   H, W, ratio, ratio);
    else {
      trim(ms, c, h, w, nh, nw);
      trim(pan, 1, H, W, nh * ratio, nw * ratio);
      h = nh; w = nw; H = nh * ratio; W = nw * ratio;
    }
  }
  fz_wald_scene sc = {0};
  if (!rc) rc = fz_wald_degrade(ms, c, h, w, pan, H, W, sensor, ratio, &sc, &err);
  if (rc && !strstr(err.msg, in)) fz_wrap(&err, "%s", in);
  free(ms);
  free(pan);
  if (rc) return fz_cli_fail(&err);
  if (crop < 0) {  // default 128, or the largest multiple of the ratio that fits a smaller scene
    int side = h < w ? h : w;
    crop = side >= 128 ? 128 : (side / ratio) * ratio;
  }
  enum { MAXN = 65536 };
  int *ys = malloc(MAXN * sizeof *ys), *xs = malloc(MAXN * sizeof *xs), n = 0;
  if (!ys || !xs) rc = fz_fail(&err, FZ_ENOMEM, "no memory");
  if (!rc) rc = fz_wald_crops(h, w, crop, ratio, count, ys, xs, MAXN, &n, &err);
  fz_raster *rs = rc ? NULL : calloc((size_t)4 * n, sizeof *rs);
  if (!rc && !rs) rc = fz_fail(&err, FZ_ENOMEM, "no memory");
  int lc = crop / ratio;
  double *buf = rc ? NULL : malloc(((size_t)c * crop * crop * 2 + (size_t)c * lc * lc + (size_t)crop * crop) * sizeof *buf);
  if (!rc && !buf) rc = fz_fail(&err, FZ_ENOMEM, "no memory");
  for (int i = 0; i < n && !rc; i++) {
    double *g = buf, *l = g + (size_t)c * crop * crop, *m = l + (size_t)c * crop * crop, *p = m + (size_t)c * lc * lc;
    fz_wald_crop(&sc, ys[i], xs[i], crop, g, m, l, p);
    fz_raster *gt = &rs[i], *msr = &rs[n + i], *lms = &rs[2 * n + i], *pr = &rs[3 * n + i];
    rc = fz_raster_alloc(gt, c, crop, crop, &err);
    if (!rc) rc = fz_raster_alloc(msr, c, lc, lc, &err);
    if (!rc) rc = fz_raster_alloc(lms, c, crop, crop, &err);
    if (!rc) rc = fz_raster_alloc(pr, 1, crop, crop, &err);
    for (size_t k = 0; !rc && k < (size_t)c * crop * crop; k++) {
      gt->data[k] = (float)g[k];
      lms->data[k] = (float)l[k];
    }
    for (size_t k = 0; !rc && k < (size_t)c * lc * lc; k++) msr->data[k] = (float)m[k];
    for (size_t k = 0; !rc && k < (size_t)crop * crop; k++) pr->data[k] = (float)p[k];
  }
  if (!rc) rc = fz_h5_write_pancollection(out, n, rs, rs + n, rs + 2 * n, rs + 3 * n, force, &err);
  for (int i = 0; rs && i < 4 * n; i++) fz_raster_free(&rs[i]);
  free(rs);
  free(buf);
  free(ys);
  free(xs);
  fz_wald_scene_free(&sc);
  if (rc) return fz_cli_fail(&err);
  char src[600];  // a band list is named by its first file and the count
  const char *first = in;  // the first file's base name: after the last '/' before the first ','
  int nlist = 1;
  for (const char *q = in; *q; q++) nlist += *q == ',';
  for (const char *q = in; *q && *q != ','; q++)
    if (*q == '/') first = q + 1;
  if (nlist > 1) snprintf(src, sizeof src, "%.*s + %d more band files", (int)strcspn(first, ","), first, nlist - 1);
  else snprintf(src, sizeof src, "%s", in);
  printf("%s: %d image%s from %s (sensor %s, ratio %d, Wald's protocol): gt %dx%dx%dx%d, ms %dx%dx%dx%d, lms %dx%dx%dx%d, "
         "pan %dx1x%dx%d (float64 DN)\n",
         out, n, n == 1 ? "" : "s", src, sensor, ratio, n, c, crop, crop, n, c, lc, lc, n, c, crop, crop, n, crop, crop);
  return 0;
}
FZ_COMMAND(simulate, "Wald's-protocol reduced-resolution test sets (gt/ms/lms/pan HDF5) from full-resolution scenes",
           cmd_simulate)
