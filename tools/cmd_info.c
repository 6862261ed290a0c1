// cmd_info.c — `fusor info FILE [--key NAME] [--index N] [--json]`: a raster's size, bands, stored dtype,
// scale, value range, georeferencing, nodata and band descriptions; for .mat/.h5 also the variables.
#include "cli.h"
#include "raster.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Prints s as a JSON string literal (quotes, backslashes and control characters escaped).
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch == '\n') fputs("\\n", f);
    else if (ch == '\t') fputs("\\t", f);
    else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

// Prints a double as JSON (null for non-finite values).
static void json_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fputs("null", f);
}

// Smallest and largest finite samples of r (NAN when none).
static void value_range(const fz_raster *r, double *lo, double *hi) {
  size_t n = (size_t)r->c * r->h * r->w;
  *lo = NAN;
  *hi = NAN;
  for (size_t i = 0; i < n; i++) {
    double v = r->data[i];
    if (!isfinite(v)) continue;
    if (!(v >= *lo)) *lo = v;
    if (!(v <= *hi)) *hi = v;
  }
}

// Prints the variable listing of a .mat/.h5 file as aligned text.
static void print_vars_text(const fz_var_info *v, int n) {
  printf("variables:    %d\n", n);
  for (int i = 0; i < n; i++) {
    char dims[128] = "";
    size_t o = 0;
    for (int d = 0; d < v[i].ndim && o < sizeof dims; d++)
      o += (size_t)snprintf(dims + o, sizeof dims - o, d ? "x%lld" : "%lld", (long long)v[i].dims[d]);
    printf("  %-16s %-20s %s\n", v[i].name, v[i].ndim ? dims : "-", v[i].type);
  }
}

// Prints size, dtype, scale, range, geotransform, CRS, nodata and band descriptions as text.
static void print_raster_text(const fz_raster *r) {
  double lo, hi;
  value_range(r, &lo, &hi);
  printf("size:         %d x %d (H x W), %d band%s\n", r->h, r->w, r->c, r->c == 1 ? "" : "s");
  printf("dtype:        %s (as stored; read as f32)\n", fz_dtype_name(r->src_dtype));
  printf("scale:        %g (divide by this for [0,1] data)\n", r->scale);
  printf("range:        %g .. %g\n", lo, hi);
  if (r->geo.has_transform) {
    const double *t = r->geo.transform;
    printf("geotransform: origin (%.10g, %.10g), pixel (%.10g, %.10g), rotation (%.10g, %.10g)\n", t[0], t[3], t[1], t[5], t[2], t[4]);
  } else {
    printf("geotransform: none\n");
  }
  char crs[512];
  printf("crs:          %s\n", fz_geo_crs_name(&r->geo, crs, sizeof crs));
  if (r->geo.has_nodata) printf("nodata:       %.17g\n", r->geo.nodata);
  else printf("nodata:       none\n");
  for (int i = 0; r->geo.band_desc && i < r->geo.nbands_desc; i++)
    if (r->geo.band_desc[i]) printf("band %-8d %s\n", i + 1, r->geo.band_desc[i]);
}

// Prints the same as print_raster_text as a JSON "raster" member.
static void print_raster_json(const fz_raster *r) {
  double lo, hi;
  value_range(r, &lo, &hi);
  char crs[512];
  printf("\"raster\":{\"bands\":%d,\"height\":%d,\"width\":%d,\"dtype\":\"%s\",\"scale\":", r->c, r->h, r->w, fz_dtype_name(r->src_dtype));
  json_num(stdout, r->scale);
  printf(",\"min\":");
  json_num(stdout, lo);
  printf(",\"max\":");
  json_num(stdout, hi);
  printf(",\"geotransform\":");
  if (r->geo.has_transform) {
    printf("[");
    for (int i = 0; i < 6; i++) { if (i) printf(","); json_num(stdout, r->geo.transform[i]); }
    printf("]");
  } else {
    printf("null");
  }
  printf(",\"projection\":");
  if (r->geo.projection) json_str(stdout, r->geo.projection);
  else printf("null");
  printf(",\"crs\":");
  json_str(stdout, fz_geo_crs_name(&r->geo, crs, sizeof crs));
  printf(",\"nodata\":");
  if (r->geo.has_nodata) json_num(stdout, r->geo.nodata);
  else printf("null");
  printf(",\"band_descriptions\":");
  if (r->geo.band_desc) {
    printf("[");
    for (int i = 0; i < r->geo.nbands_desc; i++) {
      if (i) printf(",");
      if (r->geo.band_desc[i]) json_str(stdout, r->geo.band_desc[i]);
      else printf("null");
    }
    printf("]");
  } else {
    printf("null");
  }
  printf("}");
}

// Prints the usage text to f and returns code.
static int usage(FILE *f, int code) {
  fprintf(f, "usage: fusor info FILE [--key NAME] [--index N] [--json]\n"
             "  Prints a raster's size, bands, stored dtype, scale, value range, georeferencing, nodata and band\n"
             "  descriptions. For .mat and .h5 files it lists the variables / datasets; --key picks the image\n"
             "  (.mat variable, e.g. I_MS, or NAME:HxW to reshape a bands x pixels matrix; .h5 dataset gt/ms/lms/pan)\n"
             "  and --index the image along N of an .h5 dataset (default 0).\n"
             "  Formats: %s\n", fz_raster_known_extensions());
  return code;
}

// Entry point of `fusor info`: parses options, lists variables, reads and describes the raster.
static int cmd_info(int argc, char **argv) {
  const char *path = NULL, *key = NULL;
  int json = 0, index = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(stdout, 0);
    else if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--key") && i + 1 < argc) key = argv[++i];
    else if (!strcmp(argv[i], "--index") && i + 1 < argc) {
      char *end;
      long v = strtol(argv[++i], &end, 10);
      if (*end || v < 0 || v > 0x7fffffff) { fprintf(stderr, "fusor info: --index expects a non-negative integer, got '%s'\n", argv[i]); return 2; }
      index = (int)v;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "fusor info: unknown option '%s'\n", argv[i]);
      return usage(stderr, 2);
    } else if (!path) path = argv[i];
    else { fprintf(stderr, "fusor info: more than one file given ('%s', '%s')\n", path, argv[i]); return 2; }
  }
  if (!path) return usage(stderr, 2);
  fz_err err = {0};
  const char *fmt = fz_raster_format_name(path);
  if (!fmt) {
    fz_fail(&err, FZ_EINVAL, "%s: unknown image extension; expected one of %s", path, fz_raster_known_extensions());
    return fz_cli_fail(&err);
  }
  // variables of .mat / .h5 files
  enum { MAXV = 256 };
  fz_var_info *vars = NULL;
  int nv = -1;
  int multi = strstr(fmt, "HDF5") || strstr(fmt, ".mat");
  if (multi) {
    vars = calloc(MAXV, sizeof *vars);
    if (!vars) { fz_fail(&err, FZ_ENOMEM, "out of memory"); return fz_cli_fail(&err); }
    nv = fz_raster_list_vars(path, vars, MAXV, &err);
    if (nv < 0) { free(vars); return fz_cli_fail(&err); }
    if (nv > MAXV) nv = MAXV;
  }
  fz_raster r;
  fz_raster_sel sel = {key, index};
  int rc = fz_raster_read(path, &sel, &r, &err);
  // a multi-variable file without --key may have no default image: then only the listing is shown
  int have_raster = rc == 0;
  if (rc && !(multi && !key && rc == FZ_EINVAL)) { free(vars); return fz_cli_fail(&err); }
  if (json) {
    printf("{\"file\":");
    json_str(stdout, path);
    printf(",\"format\":");
    json_str(stdout, fmt);
    if (multi) {
      printf(",\"variables\":[");
      for (int i = 0; i < nv; i++) {
        printf("%s{\"name\":", i ? "," : "");
        json_str(stdout, vars[i].name);
        printf(",\"dims\":[");
        for (int d = 0; d < vars[i].ndim; d++) printf("%s%lld", d ? "," : "", (long long)vars[i].dims[d]);
        printf("],\"type\":");
        json_str(stdout, vars[i].type);
        printf("}");
      }
      printf("]");
    }
    if (have_raster) { printf(","); print_raster_json(&r); }
    printf("}\n");
  } else {
    printf("file:         %s\nformat:       %s\n", path, fmt);
    if (key) printf("key:          %s\n", key);
    if (key && strstr(fmt, "HDF5")) printf("index:        %d\n", index);
    if (have_raster) print_raster_text(&r);
    else printf("image:        none chosen (%s)\n", err.msg);
    if (multi) print_vars_text(vars, nv);
  }
  if (have_raster) fz_raster_free(&r);
  free(vars);
  return 0;
}
FZ_COMMAND(info, "show a raster's size, bands, dtype, scale, georeferencing and (.mat/.h5) variables", cmd_info)
