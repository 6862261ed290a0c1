// cmd_eval.c — `fusor eval`: quality metrics of fused images, one image or whole sets, per image and
// mean ± std (sample std, N−1, as the family's batched MATLAB drivers), as a table, CSV or JSON.
//   reduced resolution: --ref GT --fused F           (SAM, ERGAS, SCC, Q2n, Q-avg, PSNR, SSIM)
//   full resolution:    --fused F --ms MS --pan PAN  (D_lambda, D_s, HQNR)
// Inputs are single images (any raster format), PanCollection HDF5 sets (N images under a key) or
// directories (images sorted by name; two directories pair by file stem).
#include "cli.h"
#include "raster.h"
#include "raster_stack.h"
#include "../bench/metrics.h"
#include "../bench/mtf.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: fusor eval --ref GT --fused F [options]                 reduced resolution (with a reference)\n"
          "       fusor eval --fused F --ms MS --pan PAN --sensor S [options]   full resolution (no reference)\n"
          "       fusor eval --fused F --ir A --vis B [options]   VIS/IR, multi-exposure, multi-focus (EN SD SF AG MI\n"
          "                  SCD VIF Qabf SSIM on grey images; --src-a / --src-b are aliases of --ir / --vis)\n"
          "  GT, F, MS, PAN, LMS: an image file (.tif .h5 .mat .png ...), a PanCollection HDF5 set (every image of\n"
          "  its key), or a directory of images (natural sort order: name_2 before name_10; two directories are\n"
          "  paired by file stem), or a comma-separated list of single-band files stacked in order (B2.TIF,B3.TIF).\n"
          "  Samples must be digital numbers (DN), as the toolbox expects (Q2n casts to uint16).\n"
          "options:\n"
          "  --ratio R          scale ratio (default 4)\n"
          "  --L BITS           radiometric resolution (default 11; 8 for GeoEye-1 sets, 10 for GF2)\n"
          "  --block S          Q2n / Q-avg / D_lambda / D_s block size (default 32)\n"
          "  --cut N            flag_cut_bounds with dim_cut N before the toolbox metrics (default off)\n"
          "  --th               th_values: clip the fused image to [0, 2^L] before the toolbox metrics\n"
          "  --range R          PSNR/SSIM data range ('const' of quality_assess.m; default 2^L - 1)\n"
          "  --fused-scale K    multiply the fused samples by K first (e.g. 2047 for outputs in [0,1])\n"
          "  --sensor NAME      MTF table for D_lambda: WV3 WV2 QB IKONOS GeoEye1 WV4 GF2 L8 L7 ... (full resolution)\n"
          "  --no-sensor-alias  keep QB and GF2 tables (default: evaluate them as IKONOS, as the family's drivers)\n"
          "  --lms LMS          upsampled MS (default: key 'lms' of an HDF5 MS set, else interp23tap(MS))\n"
          "  --index N          only image N (0-based) of an HDF5 reference set, and of the fused one when it is\n"
          "                     an HDF5 set too (e.g. a held-out crop)\n"
          "  --ref-key K --fused-key K --ms-key K --pan-key K --lms-key K   HDF5 keys (gt, sr, ms, pan, lms)\n"
          "  --hsi              hyperspectral fusion set (MHIF): PSNR (mean over bands), SAM, ERGAS, SSIM, data\n"
          "                     range 1 unless --range (analysis_ref_batched_images.m with const = 1)\n"
          "  --fsds ORDER       add HyRA's FSDS (dB): pred-gt = FSDS(pred = fused, tar = reference), the function's\n"
          "                     meaning; gt-pred = FSDS(reference, fused), the order of the authors' table script\n"
          "  --ssim-range R     image-fusion SSIM data_range (default 2: skimage < 0.21 on float images, as CDDFuse)\n"
          "  --format table|csv|json   output format (default table)\n"
          "  -o PATH [--force]  write the report to PATH (nothing is written when any image fails)\n");
}

// ---------------------------------------------------------------- image sources
enum { SRC_FILE, SRC_H5, SRC_DIR };
typedef struct {
  int kind, n, first;  // first: index of image 0 in an HDF5 set (--ref-index)
  const char *path, *key;
  char **names;  // directory entries (sorted), SRC_DIR only
} src_t;

// Natural order: digit runs compare by value, so output_mulExm_2.mat sorts before output_mulExm_10.mat.
static int by_str(const void *pa, const void *pb) {
  const char *a = *(char *const *)pa, *b = *(char *const *)pb;
  while (*a && *b) {
    if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
      while (*a == '0') a++;
      while (*b == '0') b++;
      size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
      if (la != lb) return la < lb ? -1 : 1;
      int c = strncmp(a, b, la);
      if (c) return c;
      a += la;
      b += lb;
    } else {
      if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
      a++;
      b++;
    }
  }
  return *a ? 1 : *b ? -1 : strcmp(*(char *const *)pa, *(char *const *)pb);
}
static int has_ext(const char *p, const char *e) {
  size_t n = strlen(p), m = strlen(e);
  return n > m && !strcasecmp(p + n - m, e);
}

static void src_free(src_t *s) {
  for (int i = 0; s->names && i < s->n; i++) free(s->names[i]);
  free(s->names);
  memset(s, 0, sizeof *s);
}

// Opens path as one image, an HDF5 set or a directory of images; fails on empty sets. key is the
// user's --*-key (NULL when not given): the dataset of an HDF5 set (default h5_default) or the variable
// of a single .mat file (default: the reader's choice).
static int src_open(const char *path, const char *key, const char *h5_default, const char *role, src_t *s, fz_err *err) {
  memset(s, 0, sizeof *s);
  s->path = path;
  s->key = key;
  if (!key && (has_ext(path, ".h5") || has_ext(path, ".hdf5"))) s->key = key = h5_default;
  struct stat st;
  if (fz_stack_is_list(path) && stat(path, &st) != 0) {  // B2.TIF,B3.TIF,...: one image stacked from band files
    s->kind = SRC_FILE;
    s->n = 1;
    return FZ_OK;
  }
  if (stat(path, &st) != 0) return fz_fail(err, FZ_EIO, "%s %s: %s", role, path, strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    s->kind = SRC_DIR;
    DIR *d = opendir(path);
    if (!d) return fz_fail(err, FZ_EIO, "%s %s: cannot list the directory: %s", role, path, strerror(errno));
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.' || !fz_raster_format_name(e->d_name)) continue;
      if (s->n == cap) {
        cap = cap ? 2 * cap : 64;
        char **nn = realloc(s->names, (size_t)cap * sizeof *nn);
        if (!nn) { closedir(d); src_free(s); return fz_fail(err, FZ_ENOMEM, "no memory"); }
        s->names = nn;
      }
      s->names[s->n++] = strdup(e->d_name);
    }
    closedir(d);
    if (!s->n) return fz_fail(err, FZ_EINVAL, "%s %s: no images in the directory (expected %s)", role, path, fz_raster_known_extensions());
    qsort(s->names, (size_t)s->n, sizeof *s->names, by_str);
    return FZ_OK;
  }
  if (has_ext(path, ".h5") || has_ext(path, ".hdf5")) {
    s->kind = SRC_H5;
    int rc = fz_h5_count(path, key, &s->n, err);
    if (rc) return fz_wrap(err, "%s", role);
    if (!s->n) return fz_fail(err, FZ_EINVAL, "%s %s: dataset '%s' holds no images", role, path, key);
    return FZ_OK;
  }
  s->kind = SRC_FILE;
  s->n = 1;
  return FZ_OK;
}

// A label for image i: the file name, or "set.h5[key i]".
static const char *src_label(const src_t *s, int i, char *b, size_t n) {
  const char *base = strrchr(s->path, '/');
  base = base && base[1] ? base + 1 : s->path;
  if (s->kind == SRC_DIR) snprintf(b, n, "%s", s->names[i]);
  else if (s->kind == SRC_H5) snprintf(b, n, "%s[%s %d]", base, s->key, s->first + i);
  else snprintf(b, n, "%s", base);
  return b;
}

// Reads image i of s as a C×H×W double array times scale; *c, *h, *w set.
static int src_read(const src_t *s, int i, double scale, double **out, int *c, int *h, int *w, fz_err *err) {
  char full[4096];
  const char *p = s->path;
  fz_raster_sel sel = {s->kind == SRC_DIR ? NULL : s->key, s->kind == SRC_H5 ? s->first + i : 0};
  if (s->kind == SRC_DIR) {
    snprintf(full, sizeof full, "%s/%s", s->path, s->names[i]);
    p = full;
  }
  fz_raster r = {0};
  int rc = fz_raster_read_stack(p, &sel, &r, err);
  if (rc) return rc;
  size_t n = (size_t)r.c * r.h * r.w;
  *out = malloc(n * sizeof **out);
  if (!*out) { fz_raster_free(&r); return fz_fail(err, FZ_ENOMEM, "%s: no memory", p); }
  for (size_t k = 0; k < n; k++) (*out)[k] = r.data[k] * scale;
  *c = r.c; *h = r.h; *w = r.w;
  fz_raster_free(&r);
  return FZ_OK;
}

// Index in t of the entry whose file stem equals that of name, or -1.
static int find_stem(const src_t *t, const char *name) {
  const char *dot = strrchr(name, '.');
  size_t len = dot ? (size_t)(dot - name) : strlen(name);
  for (int j = 0; j < t->n; j++) {
    const char *d2 = strrchr(t->names[j], '.');
    size_t l2 = d2 ? (size_t)(d2 - t->names[j]) : strlen(t->names[j]);
    if (l2 == len && !strncmp(t->names[j], name, len)) return j;
  }
  return -1;
}

// Pairs the images of a (reference role) and b: pair[i] = index in b for image i of a.
static int pair_sources(const src_t *a, const char *ra, const src_t *b, const char *rb, int *pair, fz_err *err) {
  if (a->kind == SRC_DIR && b->kind == SRC_DIR) {
    for (int i = 0; i < a->n; i++)
      if ((pair[i] = find_stem(b, a->names[i])) < 0)
        return fz_fail(err, FZ_EINVAL, "%s %s/%s has no image with the same name in the %s directory %s", ra, a->path,
                       a->names[i], rb, b->path);
    for (int j = 0; j < b->n; j++)
      if (find_stem(a, b->names[j]) < 0)
        return fz_fail(err, FZ_EINVAL, "%s %s/%s has no image with the same name in the %s directory %s", rb, b->path,
                       b->names[j], ra, a->path);
    return FZ_OK;
  }
  if (a->n != b->n)
    return fz_fail(err, FZ_EINVAL, "%s %s holds %d image%s but %s %s holds %d", ra, a->path, a->n, a->n == 1 ? "" : "s", rb,
                   b->path, b->n);
  for (int i = 0; i < a->n; i++) pair[i] = i;
  return FZ_OK;
}

// ---------------------------------------------------------------- report
typedef struct {
  int nm, n;
  const char *names[12];
  double *vals;    // n × nm
  char (*label)[160];
} report_t;

// Mean and sample standard deviation (N−1; 0 for one image) of metric m over the report's images.
static void mean_std(const report_t *r, int m, double *mean, double *sd) {
  double s = 0, q = 0;
  for (int i = 0; i < r->n; i++) s += r->vals[i * r->nm + m];
  *mean = s / r->n;
  for (int i = 0; i < r->n; i++) q += (r->vals[i * r->nm + m] - *mean) * (r->vals[i * r->nm + m] - *mean);
  *sd = r->n > 1 ? sqrt(q / (r->n - 1)) : 0;
}

// Prints a JSON number (null for NaN / Inf).
static void json_num(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.10g", v);
  else fprintf(f, "null");
}

// Writes a JSON string with the characters JSON requires escaped.
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static void report_print(FILE *f, const report_t *r, const char *fmt, const char *mode) {
  int lw = 5;
  for (int i = 0; i < r->n; i++) lw = (int)strlen(r->label[i]) > lw ? (int)strlen(r->label[i]) : lw;
  if (!strcmp(fmt, "json")) {
    fprintf(f, "{\"mode\":\"%s\",\"n\":%d,\"metrics\":[", mode, r->n);
    for (int m = 0; m < r->nm; m++) fprintf(f, "%s\"%s\"", m ? "," : "", r->names[m]);
    fprintf(f, "],\"images\":[");
    for (int i = 0; i < r->n; i++) {
      fprintf(f, "%s{\"image\":", i ? "," : "");
      json_str(f, r->label[i]);
      for (int m = 0; m < r->nm; m++) {
        fprintf(f, ",\"%s\":", r->names[m]);
        json_num(f, r->vals[i * r->nm + m]);
      }
      fputc('}', f);
    }
    fputc(']', f);
    for (int k = 0; k < 2; k++) {
      fprintf(f, ",\"%s\":{", k ? "std" : "mean");
      for (int m = 0; m < r->nm; m++) {
        double mean, sd;
        mean_std(r, m, &mean, &sd);
        fprintf(f, "%s\"%s\":", m ? "," : "", r->names[m]);
        json_num(f, k ? sd : mean);
      }
      fputc('}', f);
    }
    fprintf(f, "}\n");
    return;
  }
  int csv = !strcmp(fmt, "csv");
  if (csv) fprintf(f, "image");
  else fprintf(f, "%-*s", lw, "image");
  for (int m = 0; m < r->nm; m++) fprintf(f, csv ? ",%s" : "  %16s", r->names[m]);
  fputc('\n', f);
  for (int i = 0; i < r->n; i++) {
    if (csv) fprintf(f, "%s", r->label[i]);
    else fprintf(f, "%-*s", lw, r->label[i]);
    for (int m = 0; m < r->nm; m++) {
      double v = r->vals[i * r->nm + m];
      if (isnan(v)) fprintf(f, csv ? ",nan" : "  %16s", "nan");  // one spelling (printf may write -nan)
      else fprintf(f, csv ? ",%.10g" : "  %16.6f", v);
    }
    fputc('\n', f);
  }
  if (csv) {
    for (int k = 0; k < 2; k++) {
      fprintf(f, "%s", k ? "std" : "mean");
      for (int m = 0; m < r->nm; m++) {
        double mean, sd;
        mean_std(r, m, &mean, &sd);
        if (isnan(k ? sd : mean)) fprintf(f, ",nan");
        else fprintf(f, ",%.10g", k ? sd : mean);
      }
      fputc('\n', f);
    }
    return;
  }
  fprintf(f, "%-*s", lw, "mean ± std");
  for (int m = 0; m < r->nm; m++) {
    double mean, sd;
    mean_std(r, m, &mean, &sd);
    char b[64];
    if (isnan(mean)) snprintf(b, sizeof b, "nan");
    else snprintf(b, sizeof b, "%.4f±%.4f", mean, sd);
    fprintf(f, "  %16s", b);
  }
  fprintf(f, "\n(%d image%s; std is the sample standard deviation, N-1)\n", r->n, r->n == 1 ? "" : "s");
}

// Writes the report to path atomically (temporary file in the same directory, then rename).
static int report_write(const report_t *r, const char *fmt, const char *mode, const char *path, int force, fz_err *err) {
  if (!force && access(path, F_OK) == 0)
    return fz_fail(err, FZ_EINVAL, "%s: exists; pass --force to overwrite", path);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
  FILE *f = fdopen(fd, "w");
  if (!f) { close(fd); unlink(tmp); return fz_fail(err, FZ_EIO, "%s: %s", path, strerror(errno)); }
  report_print(f, r, fmt, mode);
  int bad = ferror(f);
  if (fclose(f) != 0 || bad) { unlink(tmp); return fz_fail(err, FZ_EIO, "%s: write failed", path); }
  if (rename(tmp, path) != 0) { unlink(tmp); return fz_fail(err, FZ_EIO, "%s: %s", path, strerror(errno)); }
  return FZ_OK;
}

// ---------------------------------------------------------------- evaluation
typedef struct {
  const char *ref, *fused, *ms, *pan, *lms, *sensor, *fmt, *out, *src_a, *src_b;
  const char *ref_key, *fused_key, *ms_key, *pan_key, *lms_key;
  int ratio, L, block, cut, th, no_alias, force, hsi, fsds;  // fsds: 0 off, 1 pred = fused, 2 pred = reference
  int ref_index;                                             // -1: every reference image
  double range, fscale, ssim_range;
} opts_t;

// Warns once when the fused image looks normalised to [0,1] while the reference is in DN.
static void warn_units(const double *ref, size_t nr, const double *fu, size_t nf, int *warned) {
  if (*warned) return;
  double mr = 0, mf = 0;
  for (size_t i = 0; i < nr; i++) mr = ref[i] > mr ? ref[i] : mr;
  for (size_t i = 0; i < nf; i++) mf = fu[i] > mf ? fu[i] : mf;
  if (mf <= 1.5 && mr > 10) {
    fprintf(stderr, "fusor eval: warning: the fused samples are <= %.3g while the reference reaches %.4g: the metrics "
                    "expect DN; pass --fused-scale (e.g. 2047)\n", mf, mr);
    *warned = 1;
  }
}

static int eval_rr(const opts_t *o, report_t *rep, fz_err *err) {
  src_t R, F;
  int rc = src_open(o->ref, o->ref_key, "gt", "reference", &R, err);
  if (rc) return rc;
  if (o->ref_index >= 0) {  // one image of the reference set
    if (R.kind != SRC_H5 || o->ref_index >= R.n) {
      rc = fz_fail(err, FZ_EINVAL, "--index %d: reference %s %s", o->ref_index, o->ref,
                   R.kind != SRC_H5 ? "is not an HDF5 set" : "has fewer images");
      src_free(&R);
      return rc;
    }
    R.first = o->ref_index;
    R.n = 1;
  }
  if ((rc = src_open(o->fused, o->fused_key, "sr", "fused", &F, err))) { src_free(&R); return rc; }
  if (o->ref_index >= 0 && F.kind == SRC_H5) {  // the same image of a fused HDF5 set
    if (o->ref_index >= F.n) {
      rc = fz_fail(err, FZ_EINVAL, "--index %d: fused %s holds %d images", o->ref_index, o->fused, F.n);
      src_free(&R); src_free(&F);
      return rc;
    }
    F.first = o->ref_index;
    F.n = 1;
  }
  int *pair = malloc((size_t)R.n * sizeof *pair), warned = 0;
  rep->n = R.n;
  rep->nm = o->hsi ? 4 : 7;
  const char *nm[7] = {"SAM", "ERGAS", "SCC", "Q2n", "Q_avg", "PSNR", "SSIM"}, *nh[4] = {"PSNR", "SAM", "ERGAS", "SSIM"};
  if (o->hsi) memcpy(rep->names, nh, sizeof nh);
  else memcpy(rep->names, nm, sizeof nm);
  int base = rep->nm;
  if (o->fsds) rep->names[rep->nm++] = o->fsds == 1 ? "FSDS" : "FSDS_gt_pred";
  rep->vals = malloc((size_t)R.n * 8 * sizeof *rep->vals);
  rep->label = malloc((size_t)R.n * sizeof *rep->label);
  if (!pair || !rep->vals || !rep->label) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  if (!rc) rc = pair_sources(&R, "reference", &F, "fused", pair, err);
  fz_rr_opts ro;
  fz_rr_opts_default(&ro);
  ro.ratio = o->ratio;
  ro.L = o->L;
  ro.q_block = o->block;
  ro.flag_cut_bounds = o->cut > 0;
  ro.dim_cut = o->cut > 0 ? o->cut : 21;
  ro.th_values = o->th;
  ro.data_range = o->range > 0 ? o->range : o->hsi ? 1 : ldexp(1, o->L) - 1;
  for (int i = 0; i < R.n && !rc; i++) {
    double *g = NULL, *f = NULL;
    int c1, h1, w1, c2, h2, w2;
    char lr[160], lf[160];
    src_label(&R, i, lr, sizeof lr);
    src_label(&F, pair[i], lf, sizeof lf);
    rc = src_read(&R, i, 1, &g, &c1, &h1, &w1, err);
    if (!rc) rc = src_read(&F, pair[i], o->fscale, &f, &c2, &h2, &w2, err);
    if (!rc) {
      fz_mimg G = fz_mimg_make(g, c1, h1, w1), Fi = fz_mimg_make(f, c2, h2, w2);
      fz_rr_scores s;
      fz_hsi_scores hs;
      if (o->hsi) rc = fz_metrics_hsi(&G, &Fi, ro.ratio, ro.data_range, &hs, NULL, err);
      else {
        warn_units(g, (size_t)c1 * h1 * w1, f, (size_t)c2 * h2 * w2, &warned);
        rc = fz_metrics_rr(&G, &Fi, &ro, &s, err);
      }
      if (rc) fz_wrap(err, "reference %s vs fused %s", lr, lf);
      else if (o->hsi) {
        double v[4] = {hs.psnr, hs.sam, hs.ergas, hs.ssim};
        memcpy(rep->vals + i * rep->nm, v, sizeof v);
      } else {
        double v[7] = {s.sam, s.ergas, s.scc, s.q2n, s.q_avg, s.psnr, s.ssim};
        memcpy(rep->vals + i * rep->nm, v, sizeof v);
      }
      if (!rc && o->fsds) {  // pred = fused, tar = reference (the definition) or the authors' table order
        rc = o->fsds == 1 ? fz_metric_fsds(&Fi, &G, rep->vals + i * rep->nm + base, err)
                          : fz_metric_fsds(&G, &Fi, rep->vals + i * rep->nm + base, err);
        if (rc) fz_wrap(err, "FSDS of reference %s vs fused %s", lr, lf);
      }
      if (!rc) snprintf(rep->label[i], sizeof rep->label[i], "%s", lf);
    }
    free(g);
    free(f);
  }
  free(pair);
  src_free(&R);
  src_free(&F);
  return rc;
}

static int eval_fr(const opts_t *o, report_t *rep, fz_err *err) {
  const char *sensor = o->no_alias ? fz_sensor_canonical(o->sensor) : fz_sensor_fr_alias(o->sensor);
  if (!sensor) sensor = o->sensor;
  if (o->ratio < 2 || (o->ratio & (o->ratio - 1)))
    return fz_fail(err, FZ_EINVAL, "--ratio %d: full-resolution metrics need a power of 2 (interp23tap)", o->ratio);
  src_t F, M, P, LM;
  memset(&LM, 0, sizeof LM);
  int rc = src_open(o->fused, o->fused_key, "sr", "fused", &F, err);
  if (rc) return rc;
  const char *pan = o->pan ? o->pan : o->ms, *lms = o->lms;
  int ms_h5 = has_ext(o->ms, ".h5") || has_ext(o->ms, ".hdf5");
  if (!o->pan && !ms_h5) { src_free(&F); return fz_fail(err, FZ_EINVAL, "full resolution needs --pan (or an HDF5 --ms set with a 'pan' key)"); }
  if (!lms && ms_h5) {  // the set's own upsampled MS, when it has one
    int n = 0;
    fz_err e2 = {0};
    if (fz_h5_count(o->ms, o->lms_key ? o->lms_key : "lms", &n, &e2) == 0 && n > 0) lms = o->ms;
  }
  if ((rc = src_open(o->ms, o->ms_key, "ms", "MS", &M, err))) { src_free(&F); return rc; }
  if ((rc = src_open(pan, o->pan_key, "pan", "PAN", &P, err))) { src_free(&F); src_free(&M); return rc; }
  if (lms && (rc = src_open(lms, o->lms_key, "lms", "LMS", &LM, err))) { src_free(&F); src_free(&M); src_free(&P); return rc; }
  int *pm = malloc((size_t)F.n * sizeof *pm), *pp = malloc((size_t)F.n * sizeof *pp), *pl = malloc((size_t)F.n * sizeof *pl);
  rep->n = F.n;
  rep->nm = 3;
  const char *nm[3] = {"D_lambda", "D_s", "HQNR"};
  memcpy(rep->names, nm, sizeof nm);
  rep->vals = malloc((size_t)F.n * 3 * sizeof *rep->vals);
  rep->label = malloc((size_t)F.n * sizeof *rep->label);
  if (!pm || !pp || !pl || !rep->vals || !rep->label) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  if (!rc) rc = pair_sources(&F, "fused", &M, "MS", pm, err);
  if (!rc) rc = pair_sources(&F, "fused", &P, "PAN", pp, err);
  if (!rc && lms) rc = pair_sources(&F, "fused", &LM, "LMS", pl, err);
  int warned = 0;
  for (int i = 0; i < F.n && !rc; i++) {
    double *f = NULL, *m = NULL, *p = NULL, *l = NULL;
    int fc, fh, fw, mc, mh, mw, pc, ph, pw, lc, lh, lw;
    char lf[160], lm[160];
    src_label(&F, i, lf, sizeof lf);
    src_label(&M, pm[i], lm, sizeof lm);
    rc = src_read(&F, i, o->fscale, &f, &fc, &fh, &fw, err);
    if (!rc) rc = src_read(&M, pm[i], 1, &m, &mc, &mh, &mw, err);
    if (!rc) rc = src_read(&P, pp[i], 1, &p, &pc, &ph, &pw, err);
    if (!rc && (mc != fc))
      rc = fz_fail(err, FZ_EINVAL, "MS %s has %d bands but fused %s has %d", lm, mc, lf, fc);
    if (!rc && ((long long)mh * o->ratio != fh || (long long)mw * o->ratio != fw))
      rc = fz_fail(err, FZ_EINVAL, "MS %s is %dx%d and fused %s is %dx%d: not the ratio %d (expected MS %dx%d)", lm, mh, mw, lf,
                   fh, fw, o->ratio, fh / o->ratio, fw / o->ratio);
    if (!rc && pc != 1) rc = fz_fail(err, FZ_EINVAL, "PAN of %s has %d bands, expected 1", lf, pc);
    if (!rc) {
      fz_mimg Mi = fz_mimg_make(m, mc, mh, mw);
      rc = fz_mimg_check(&Mi, "MS", err);
    }
    if (!rc && lms) {
      rc = src_read(&LM, pl[i], 1, &l, &lc, &lh, &lw, err);
      if (!rc && (lc != fc || lh != fh || lw != fw))
        rc = fz_fail(err, FZ_EINVAL, "LMS of %s is %dx%dx%d, expected the fused size %dx%dx%d", lf, lc, lh, lw, fc, fh, fw);
    } else if (!rc) {
      l = malloc((size_t)fc * fh * fw * sizeof *l);
      if (!l) rc = fz_fail(err, FZ_ENOMEM, "no memory");
      for (int b = 0; b < mc && !rc; b++)
        rc = fz_interp23tap_f64(m + (size_t)b * mh * mw, mh, mw, o->ratio, l + (size_t)b * fh * fw, err);
    }
    if (!rc) {
      warn_units(m, (size_t)mc * mh * mw, f, (size_t)fc * fh * fw, &warned);
      fz_mimg Fi = fz_mimg_make(f, fc, fh, fw), Mi = fz_mimg_make(m, mc, mh, mw), Li = fz_mimg_make(l, fc, fh, fw),
              Pi = fz_mimg_make(p, 1, ph, pw);
      fz_fr_scores s;
      rc = fz_metrics_fr(&Fi, &Mi, &Li, &Pi, sensor, o->ratio, o->block, &s, err);
      if (rc) fz_wrap(err, "fused %s", lf);
      else {
        rep->vals[i * 3] = s.d_lambda;
        rep->vals[i * 3 + 1] = s.d_s;
        rep->vals[i * 3 + 2] = s.hqnr;
        snprintf(rep->label[i], sizeof rep->label[i], "%s", lf);
      }
    }
    free(f); free(m); free(p); free(l);
  }
  free(pm); free(pp); free(pl);
  src_free(&F); src_free(&M); src_free(&P); src_free(&LM);
  return rc;
}

// Reads image i of s as one grey plane (fz_ivf_grey: RGB → cv2 BGR2GRAY, rounded); *h, *w set.
static int read_grey(const src_t *s, int i, double scale, double **g, int *h, int *w, fz_err *err) {
  double *p = NULL;
  int c, rc = src_read(s, i, scale, &p, &c, h, w, err);
  if (rc) return rc;
  *g = malloc((size_t)*h * *w * sizeof **g);
  fz_mimg m = fz_mimg_make(p, c, *h, *w);
  rc = *g ? fz_ivf_grey(&m, *g, err) : fz_fail(err, FZ_ENOMEM, "no memory");
  free(p);
  if (rc) { free(*g); *g = NULL; }
  return rc;
}

static int eval_ivf(const opts_t *o, report_t *rep, fz_err *err) {
  src_t F, A, B;
  int rc = src_open(o->fused, o->fused_key, "sr", "fused", &F, err);
  if (rc) return rc;
  if ((rc = src_open(o->src_a, NULL, "a", "source A", &A, err))) { src_free(&F); return rc; }
  if ((rc = src_open(o->src_b, NULL, "b", "source B", &B, err))) { src_free(&F); src_free(&A); return rc; }
  int *pa = malloc((size_t)F.n * sizeof *pa), *pb = malloc((size_t)F.n * sizeof *pb);
  rep->n = F.n;
  rep->nm = 9;
  const char *nm[9] = {"EN", "SD", "SF", "AG", "MI", "SCD", "VIF", "Qabf", "SSIM"};
  memcpy(rep->names, nm, sizeof nm);
  rep->vals = malloc((size_t)F.n * 9 * sizeof *rep->vals);
  rep->label = malloc((size_t)F.n * sizeof *rep->label);
  if (!pa || !pb || !rep->vals || !rep->label) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  if (!rc) rc = pair_sources(&F, "fused", &A, "source A", pa, err);
  if (!rc) rc = pair_sources(&F, "fused", &B, "source B", pb, err);
  fz_ivf_opts io;
  fz_ivf_opts_default(&io);
  if (o->ssim_range > 0) io.ssim_range = o->ssim_range;
  for (int i = 0; i < F.n && !rc; i++) {
    double *f = NULL, *a = NULL, *b = NULL;
    int fh, fw, ah, aw, bh, bw;
    char lf[160];
    src_label(&F, i, lf, sizeof lf);
    rc = read_grey(&F, i, o->fscale, &f, &fh, &fw, err);
    if (!rc) rc = read_grey(&A, pa[i], 1, &a, &ah, &aw, err);
    if (!rc) rc = read_grey(&B, pb[i], 1, &b, &bh, &bw, err);
    if (!rc) {
      fz_mimg Fi = fz_mimg_make(f, 1, fh, fw), Ai = fz_mimg_make(a, 1, ah, aw), Bi = fz_mimg_make(b, 1, bh, bw);
      fz_ivf_scores s;
      rc = fz_metrics_ivf(&Fi, &Ai, &Bi, &io, &s, err);
      if (rc) fz_wrap(err, "fused %s", lf);
      else {
        double v[9] = {s.en, s.sd, s.sf, s.ag, s.mi, s.scd, s.vif, s.qabf, s.ssim};
        memcpy(rep->vals + i * 9, v, sizeof v);
        snprintf(rep->label[i], sizeof rep->label[i], "%s", lf);
      }
    }
    free(f); free(a); free(b);
  }
  free(pa); free(pb);
  src_free(&F); src_free(&A); src_free(&B);
  return rc;
}

// Parses an integer option in [lo, hi]; -1 on error (message printed).
static int opt_int(const char *name, const char *s, int lo, int hi, int *v) {
  char *end;
  long x = strtol(s, &end, 10);
  if (!*s || *end || x < lo || x > hi) {
    fprintf(stderr, "fusor eval: %s '%s', expected an integer in %d..%d\n", name, s, lo, hi);
    return -1;
  }
  *v = (int)x;
  return 0;
}
static int opt_num(const char *name, const char *s, double *v) {
  char *end;
  double x = strtod(s, &end);
  if (!*s || *end || !(x > 0) || !isfinite(x)) {
    fprintf(stderr, "fusor eval: %s '%s', expected a positive number\n", name, s);
    return -1;
  }
  *v = x;
  return 0;
}

static int cmd_eval(int argc, char **argv) {
  opts_t o = {0};
  o.ratio = 4; o.L = 11; o.block = 32; o.fscale = 1; o.fmt = "table"; o.ref_index = -1;
  
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "--th")) { o.th = 1; continue; }
    else if (!strcmp(a, "--force")) { o.force = 1; continue; }
    else if (!strcmp(a, "--no-sensor-alias")) { o.no_alias = 1; continue; }
    else if (!strcmp(a, "--hsi")) { o.hsi = 1; continue; }
    else if (!v) { fprintf(stderr, "fusor eval: unknown option or missing value: '%s'\n", a); return 2; }
    else if (!strcmp(a, "--ref")) o.ref = v;
    else if (!strcmp(a, "--fused")) o.fused = v;
    else if (!strcmp(a, "--ms")) o.ms = v;
    else if (!strcmp(a, "--pan")) o.pan = v;
    else if (!strcmp(a, "--lms")) o.lms = v;
    else if (!strcmp(a, "--sensor")) o.sensor = v;
    else if (!strcmp(a, "--ir") || !strcmp(a, "--src-a")) o.src_a = v;
    else if (!strcmp(a, "--vis") || !strcmp(a, "--src-b")) o.src_b = v;
    else if (!strcmp(a, "--ssim-range")) bad = opt_num(a, v, &o.ssim_range);
    else if (!strcmp(a, "--fsds")) {
      o.fsds = !strcmp(v, "pred-gt") ? 1 : !strcmp(v, "gt-pred") ? 2 : 0;
      if (!o.fsds) { fprintf(stderr, "fusor eval: --fsds '%s', expected pred-gt or gt-pred\n", v); return 2; }
    }
    else if (!strcmp(a, "--format")) o.fmt = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.out = v;
    else if (!strcmp(a, "--ref-key")) o.ref_key = v;
    else if (!strcmp(a, "--fused-key")) o.fused_key = v;
    else if (!strcmp(a, "--ms-key")) o.ms_key = v;
    else if (!strcmp(a, "--pan-key")) o.pan_key = v;
    else if (!strcmp(a, "--lms-key")) o.lms_key = v;
    else if (!strcmp(a, "--ratio")) bad = opt_int(a, v, 1, 64, &o.ratio);
    else if (!strcmp(a, "--L")) bad = opt_int(a, v, 1, 32, &o.L);
    else if (!strcmp(a, "--block")) bad = opt_int(a, v, 2, 4096, &o.block);
    else if (!strcmp(a, "--cut")) bad = opt_int(a, v, 1, 1 << 20, &o.cut);
    else if (!strcmp(a, "--index")) bad = opt_int(a, v, 0, 1 << 24, &o.ref_index);
    else if (!strcmp(a, "--range")) bad = opt_num(a, v, &o.range);
    else if (!strcmp(a, "--fused-scale")) bad = opt_num(a, v, &o.fscale);
    else { fprintf(stderr, "fusor eval: unknown option '%s'\n", a); return 2; }
    if (bad) return 2;
    i++;
  }
  if (strcmp(o.fmt, "table") && strcmp(o.fmt, "csv") && strcmp(o.fmt, "json")) {
    fprintf(stderr, "fusor eval: --format '%s', expected table, csv or json\n", o.fmt);
    return 2;
  }
  int fr = o.ms != NULL, ivf = o.src_a || o.src_b;
  if (ivf && (!o.src_a || !o.src_b || !o.fused || o.ref || o.ms)) {
    fprintf(stderr, "fusor eval: image fusion metrics need --fused with both sources (--ir/--src-a and --vis/--src-b)\n");
    return 2;
  }
  if (!ivf && (!o.fused || (fr && o.ref) || (!fr && !o.ref))) {
    fprintf(stderr, "fusor eval: give --fused with either --ref (reduced resolution) or --ms/--pan (full resolution)\n");
    usage(stderr);
    return 2;
  }
  if (fr && !o.sensor) {
    fprintf(stderr, "fusor eval: full resolution needs --sensor (the MTF table of D_lambda): WV3, WV2, QB, IKONOS, GeoEye1, ...\n");
    return 2;
  }
  report_t rep = {0};
  fz_err err = {0};
  int rc = ivf ? eval_ivf(&o, &rep, &err) : fr ? eval_fr(&o, &rep, &err) : eval_rr(&o, &rep, &err);
  const char *mode = ivf ? "image_fusion" : fr ? "full_resolution" : o.hsi ? "hyperspectral" : "reduced_resolution";
  if (!rc) {
    if (o.out) rc = report_write(&rep, o.fmt, mode, o.out, o.force, &err);
    else report_print(stdout, &rep, o.fmt, mode);
  }
  free(rep.vals);
  free(rep.label);
  return rc ? fz_cli_fail(&err) : 0;
}
FZ_COMMAND(eval, "quality metrics (SAM, ERGAS, SCC, Q2n, Q-avg, PSNR, SSIM; D_lambda, D_s, HQNR) of fused images or sets",
           cmd_eval)
