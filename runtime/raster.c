// raster.c — the raster type (alloc/free, geo copy), format dispatch by extension, the temp-file-and-
// rename output helper, and helpers other code needs (size/finite checks, rescale, tensor conversion).
#include "raster.h"
#include "raster_internal.h"
#include "backend.h"
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

// ---------------------------------------------------------------- type

// Validates a c×h×w request against the raster limits; what names the source for the message.
int fz_raster_check_dims(int64_t c, int64_t h, int64_t w, const char *what, fz_err *err) {
  if (c < 1 || h < 1 || w < 1)
    return fz_fail(err, FZ_EINVAL, "%s: size %lld bands x %lld x %lld (H x W): every dimension must be at least 1",
                   what, (long long)c, (long long)h, (long long)w);
  if (c > FZ_RASTER_MAX_BANDS || h > FZ_RASTER_MAX_SIDE || w > FZ_RASTER_MAX_SIDE ||
      (double)c * (double)h * (double)w > (double)FZ_RASTER_MAX_SAMPLES)
    return fz_fail(err, FZ_ENOMEM,
                   "%s: absurd size %lld bands x %lld x %lld (H x W); limits are %d bands, %d pixels per side and "
                   "2^34 samples",
                   what, (long long)c, (long long)h, (long long)w, FZ_RASTER_MAX_BANDS, FZ_RASTER_MAX_SIDE);
  return FZ_OK;
}

// Allocates a zeroed c×h×w raster with scale 1 and no geo metadata.
int fz_raster_alloc(fz_raster *r, int c, int h, int w, fz_err *err) {
  memset(r, 0, sizeof *r);
  int rc = fz_raster_check_dims(c, h, w, "raster", err);
  if (rc) return rc;
  size_t n = (size_t)c * (size_t)h * (size_t)w;
  r->data = calloc(n, sizeof(float));
  if (!r->data)
    return fz_fail(err, FZ_ENOMEM, "raster: cannot allocate %zu bytes for %d bands x %d x %d", n * sizeof(float), c, h, w);
  r->c = c;
  r->h = h;
  r->w = w;
  r->src_dtype = FZ_F32;
  r->scale = 1;
  return FZ_OK;
}

// Frees the geo strings and zeroes g.
void fz_geo_free(fz_geo *g) {
  if (!g) return;
  free(g->projection);
  if (g->band_desc)
    for (int i = 0; i < g->nbands_desc; i++) free(g->band_desc[i]);
  free(g->band_desc);
  memset(g, 0, sizeof *g);
}

// Frees r's data and geo metadata and zeroes r.
void fz_raster_free(fz_raster *r) {
  if (!r) return;
  free(r->data);
  fz_geo_free(&r->geo);
  memset(r, 0, sizeof *r);
}

// Deep copy of src into dst (dst's previous contents are not freed). dst may not alias src.
int fz_geo_copy(fz_geo *dst, const fz_geo *src, fz_err *err) {
  fz_geo g = *src;
  g.projection = NULL;
  g.band_desc = NULL;
  g.nbands_desc = 0;
  if (src->projection && !(g.projection = strdup(src->projection))) goto oom;
  if (src->band_desc && src->nbands_desc > 0) {
    g.band_desc = calloc((size_t)src->nbands_desc, sizeof(char *));
    if (!g.band_desc) goto oom;
    g.nbands_desc = src->nbands_desc;
    for (int i = 0; i < src->nbands_desc; i++)
      if (src->band_desc[i] && !(g.band_desc[i] = strdup(src->band_desc[i]))) goto oom;
  }
  *dst = g;
  return FZ_OK;
oom:
  fz_geo_free(&g);
  return fz_fail(err, FZ_ENOMEM, "geo metadata: out of memory copying projection/band descriptions");
}

// ---------------------------------------------------------------- paths and formats

const char *fz_path_ext(const char *path, char *buf, size_t n) {
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  buf[0] = 0;
  if (!dot || (slash && dot < slash) || n == 0) return buf;
  size_t i = 0;
  for (const char *p = dot + 1; *p && i + 1 < n; p++) buf[i++] = (char)tolower((unsigned char)*p);
  buf[i] = 0;
  return buf;
}

typedef enum { FMT_NONE, FMT_GDAL, FMT_H5, FMT_MAT, FMT_PNG, FMT_JPG } raster_fmt;
static const struct { const char *ext; raster_fmt fmt; int writable; } k_formats[] = {
    {"tif", FMT_GDAL, 1}, {"tiff", FMT_GDAL, 1}, {"gtif", FMT_GDAL, 0}, {"img", FMT_GDAL, 0}, {"jp2", FMT_GDAL, 0},
    {"vrt", FMT_GDAL, 0}, {"ntf", FMT_GDAL, 0},  {"bil", FMT_GDAL, 0},  {"bsq", FMT_GDAL, 0}, {"bip", FMT_GDAL, 0},
    {"h5", FMT_H5, 1},    {"hdf5", FMT_H5, 1},   {"mat", FMT_MAT, 1},   {"png", FMT_PNG, 1},  {"jpg", FMT_JPG, 1},
    {"jpeg", FMT_JPG, 1},
};

// Format of path by its (case-insensitive) extension; *writable says whether fusor can write it.
static raster_fmt fmt_of(const char *path, int *writable) {
  char ext[16];
  fz_path_ext(path, ext, sizeof ext);
  for (size_t i = 0; i < sizeof k_formats / sizeof k_formats[0]; i++)
    if (!strcmp(ext, k_formats[i].ext)) {
      if (writable) *writable = k_formats[i].writable;
      return k_formats[i].fmt;
    }
  return FMT_NONE;
}

// The extensions fusor reads, grouped by library, for messages.
const char *fz_raster_known_extensions(void) {
  return ".tif .tiff .gtif .img .jp2 .vrt .ntf .bil .bsq .bip (GDAL), .h5 .hdf5 (PanCollection), .mat, .png, .jpg .jpeg";
}

static const char *k_writable = ".tif .tiff .h5 .hdf5 .mat .png .jpg .jpeg";

// Human name of the format path's extension maps to, or NULL.
const char *fz_raster_format_name(const char *path) {
  switch (fmt_of(path, NULL)) {
    case FMT_GDAL: return "GeoTIFF/GDAL raster";
    case FMT_H5: return "PanCollection HDF5";
    case FMT_MAT: return "MATLAB .mat";
    case FMT_PNG: return "PNG";
    case FMT_JPG: return "JPEG";
    default: return NULL;
  }
}

// Name of an output sample type, including the float64 pseudo-dtype.
const char *fz_out_dtype_name(fz_dtype dt) { return dt == FZ_RASTER_F64 ? "f64" : fz_dtype_name(dt); }

// Opens path once to turn a missing/unreadable file or a directory into a clear errno message.
int fz_check_readable(const char *path, fz_err *err) {
  if (!path || !*path) return fz_fail(err, FZ_EINVAL, "input: empty file name");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  int rc = fstat(fd, &st);
  int e = errno;
  close(fd);
  if (rc) return fz_fail(err, FZ_EIO, "%s: cannot stat: %s", path, strerror(e));
  if (S_ISDIR(st.st_mode)) return fz_fail(err, FZ_EIO, "%s: is a directory, expected an image file", path);
  return FZ_OK;
}

// One lock for all libhdf5 / matio use (a synchronisation object, not data state).
static pthread_mutex_t g_h5_mutex = PTHREAD_MUTEX_INITIALIZER;
void fz_h5_lock(void) { pthread_mutex_lock(&g_h5_mutex); }
void fz_h5_unlock(void) { pthread_mutex_unlock(&g_h5_mutex); }

// ---------------------------------------------------------------- temp file + rename

int fz_out_begin(fz_outfile *o, const char *path, int overwrite, fz_err *err) {
  memset(o, 0, sizeof *o);
  if (!path || !*path) return fz_fail(err, FZ_EINVAL, "output: empty file name");
  if (strlen(path) >= sizeof o->path) return fz_fail(err, FZ_EINVAL, "output: file name longer than %zu bytes", sizeof o->path - 1);
  snprintf(o->path, sizeof o->path, "%s", path);
  o->overwrite = overwrite;
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return fz_fail(err, FZ_EIO, "%s: is a directory, expected an output file name", path);
    if (!overwrite) return fz_fail(err, FZ_EIO, "%s: exists; refusing to overwrite it (pass --force to replace it)", path);
  }
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path == 0 ? 1 : slash - path), path);
  else snprintf(dir, sizeof dir, ".");
  const char *base = slash ? slash + 1 : path;
  if (!*base) return fz_fail(err, FZ_EINVAL, "%s: output name ends with '/', expected a file name", path);
  if (stat(dir, &st) != 0) return fz_fail(err, FZ_EIO, "%s: cannot write: directory '%s': %s", path, dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return fz_fail(err, FZ_EIO, "%s: cannot write: '%s' is not a directory", path, dir);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t seed = ((uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)getpid() << 20) ^ (uint64_t)(uintptr_t)o;
  for (int attempt = 0; attempt < 64; attempt++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    snprintf(o->tmp, sizeof o->tmp, "%.4000s/.%.100s.fz-%08x.tmp", dir, base, (unsigned)(seed >> 32));
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      close(fd);
      return FZ_OK;
    }
    if (errno != EEXIST) {
      int e = errno;
      o->tmp[0] = 0;
      return fz_fail(err, FZ_EIO, "%s: cannot create a temporary file in '%s': %s", path, dir, strerror(e));
    }
  }
  o->tmp[0] = 0;
  return fz_fail(err, FZ_EIO, "%s: cannot create a unique temporary file in '%s'", path, dir);
}

// Removes the temporary file of a failed write.
void fz_out_abort(fz_outfile *o) {
  if (o->tmp[0]) unlink(o->tmp);
  o->tmp[0] = 0;
}

// fsyncs the temporary file and renames it onto the target (no-replace unless overwrite).
int fz_out_commit(fz_outfile *o, fz_err *err) {
  if (!o->tmp[0]) return fz_fail(err, FZ_EINTERNAL, "%s: commit without a temporary file", o->path);
  int fd = open(o->tmp, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    fz_out_abort(o);
    return fz_fail(err, FZ_EIO, "%s: cannot flush the written data to disk: %s", o->path, strerror(e));
  }
  close(fd);
  int rc;
  if (o->overwrite) rc = rename(o->tmp, o->path);
  else {
    rc = renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE);
    if (rc && (errno == EINVAL || errno == ENOSYS)) {  // file system without RENAME_NOREPLACE: link() is exclusive
      rc = link(o->tmp, o->path);
      if (rc == 0) unlink(o->tmp);
    }
  }
  if (rc) {
    int e = errno;
    fz_out_abort(o);
    if (e == EEXIST)
      return fz_fail(err, FZ_EIO, "%s: exists; refusing to overwrite it (pass --force to replace it)", o->path);
    return fz_fail(err, FZ_EIO, "%s: cannot move the finished file into place: %s", o->path, strerror(e));
  }
  o->tmp[0] = 0;
  return FZ_OK;
}

// Writes n bytes into tmp with checked write() calls (short writes, EINTR, ENOSPC/EFBIG).
int fz_write_whole_file(const char *tmp, const char *path, const void *data, size_t n, fz_err *err) {
  int fd = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot open the temporary file: %s", path, strerror(errno));
  const char *p = data;
  size_t done = 0;
  while (done < n) {
    size_t chunk = n - done > ((size_t)1 << 30) ? (size_t)1 << 30 : n - done;
    ssize_t w = write(fd, p + done, chunk);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : ENOSPC;
      close(fd);
      return fz_fail(err, FZ_EIO, "%s: write failed after %zu of %zu bytes: %s", path, done, n, strerror(e));
    }
    done += (size_t)w;
  }
  if (close(fd) != 0) return fz_fail(err, FZ_EIO, "%s: closing the written file failed: %s", path, strerror(errno));
  return FZ_OK;
}

// ---------------------------------------------------------------- dispatch

// Checks path is readable, then dispatches to the reader of its extension (r zeroed on failure).
int fz_raster_read(const char *path, const fz_raster_sel *sel, fz_raster *r, fz_err *err) {
  memset(r, 0, sizeof *r);
  int rc = fz_check_readable(path, err);
  if (rc) return rc;
  const char *key = sel && sel->key && *sel->key ? sel->key : NULL;
  int index = sel ? sel->index : 0;
  switch (fmt_of(path, NULL)) {
    case FMT_GDAL: rc = fz_gdal_read(path, r, err); break;
    case FMT_H5: rc = fz_h5_read(path, key, index, r, err); break;
    case FMT_MAT: rc = fz_mat_read(path, key, r, err); break;
    case FMT_PNG:
    case FMT_JPG: rc = fz_stb_read(path, r, err); break;
    default:
      return fz_fail(err, FZ_EINVAL, "%s: unknown image extension; expected one of %s", path, fz_raster_known_extensions());
  }
  if (rc) fz_raster_free(r);
  return rc;
}

// Checks that r is a well-formed raster before any output is created.
static int check_raster(const char *path, const fz_raster *r, fz_err *err) {
  if (!r || !r->data) return fz_fail(err, FZ_EINVAL, "%s: raster to write has no data", path);
  char what[600];
  snprintf(what, sizeof what, "%.500s: raster to write", path);
  return fz_raster_check_dims(r->c, r->h, r->w, what, err);
}

// Validates r, then dispatches to the writer of path's extension.
int fz_raster_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, const char *key, fz_err *err) {
  if (!path || !*path) return fz_fail(err, FZ_EINVAL, "output: empty file name");
  int rc = check_raster(path, r, err);
  if (rc) return rc;
  int writable = 0;
  raster_fmt f = fmt_of(path, &writable);
  if (f == FMT_NONE)
    return fz_fail(err, FZ_EINVAL, "%s: unknown image extension; can write %s", path, k_writable);
  if (!writable) return fz_fail(err, FZ_EUNSUP, "%s: this format is read-only in fusor; can write %s", path, k_writable);
  switch (f) {
    case FMT_GDAL: return fz_gdal_write(path, r, out_dtype, overwrite, err);
    case FMT_MAT: {
      if (out_dtype != FZ_U8 && out_dtype != FZ_U16 && out_dtype != FZ_F32 && out_dtype != FZ_RASTER_F64)
        return fz_fail(err, FZ_EINVAL, "%s: cannot write %s samples to .mat; expected u8, u16, f32 or f64", path,
                       fz_out_dtype_name(out_dtype));
      size_t bytes = (size_t)r->c * r->h * r->w * (out_dtype == FZ_RASTER_F64 ? 8 : fz_dtype_size(out_dtype));
      return fz_mat_write(path, r, out_dtype, overwrite, key, bytes > ((size_t)1 << 31) - 4096, err);
    }
    case FMT_H5:  // PanCollection files always store float64 DN; out_dtype does not apply
      return fz_h5_write_named(path, key && *key ? key : "sr", 1, r, overwrite, err);
    case FMT_PNG: return fz_png_write(path, r, out_dtype, overwrite, err);
    case FMT_JPG:
      if (out_dtype != FZ_U8)
        return fz_fail(err, FZ_EINVAL, "%s: JPEG holds 8-bit samples only; asked for %s (use .png or .tif)", path,
                       fz_out_dtype_name(out_dtype));
      return fz_jpg_write(path, r, 95, overwrite, err);
    default: return fz_fail(err, FZ_EINTERNAL, "%s: format dispatch", path);
  }
}

// Lists the variables of a .mat or datasets of an .h5 file.
int fz_raster_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err) {
  if (fz_check_readable(path, err)) return -1;
  raster_fmt f = fmt_of(path, NULL);
  if (f == FMT_MAT) return fz_mat_list_vars(path, vars, max, err);
  if (f == FMT_H5) return fz_h5_list_vars(path, vars, max, err);
  fz_fail(err, FZ_EINVAL, "%s: only .mat and .h5 files hold named variables", path);
  return -1;
}

// Names of a .mat file's variables (up to max), returning the total count.
int fz_mat_list(const char *path, char names[][64], int max, fz_err *err) {
  fz_var_info v[256];
  int n = fz_check_readable(path, err) ? -1 : fz_mat_list_vars(path, v, 256, err);
  if (n < 0) return -1;
  for (int i = 0; i < n && i < max && i < 256; i++) snprintf(names[i], 64, "%.63s", v[i].name);
  return n;
}

// ---------------------------------------------------------------- helpers

int fz_raster_check_same_size(const fz_raster *a, const fz_raster *b, const char *const names[2], fz_err *err) {
  const char *na = names && names[0] ? names[0] : "first image", *nb = names && names[1] ? names[1] : "second image";
  if (a->h == b->h && a->w == b->w) return FZ_OK;
  return fz_fail(err, FZ_EINVAL,
                 "size mismatch: %s is %d x %d (H x W, %d bands) but %s is %d x %d (H x W, %d bands); expected the "
                 "same height and width",
                 na, a->h, a->w, a->c, nb, b->h, b->w, b->c);
}

// Scans C×H×W samples for the first NaN/Inf and reports its band, row and column.
int fz_raster_check_finite(const fz_raster *r, const char *name, int pos[3], fz_err *err) {
  size_t hw = (size_t)r->h * r->w, n = hw * r->c;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(r->data[i])) {
      int c = (int)(i / hw), y = (int)(i % hw / r->w), x = (int)(i % r->w);
      if (pos) { pos[0] = c; pos[1] = y; pos[2] = x; }
      return fz_fail(err, FZ_EINVAL, "%s: sample at band %d, row %d, column %d is %s; expected finite values",
                     name ? name : "raster", c, y, x, isnan(r->data[i]) ? "NaN" : "infinite");
    }
  return FZ_OK;
}

// Multiplies the samples by new_scale / scale and records the new scale.
int fz_raster_rescale(fz_raster *r, double new_scale, fz_err *err) {
  if (!(new_scale > 0) || !isfinite(new_scale) || !(r->scale > 0))
    return fz_fail(err, FZ_EINVAL, "rescale: scales must be positive and finite (from %g to %g)", r->scale, new_scale);
  double k = new_scale / r->scale;
  size_t n = (size_t)r->c * r->h * r->w;
  for (size_t i = 0; i < n; i++) r->data[i] = (float)(r->data[i] * k);
  r->scale = new_scale;
  return FZ_OK;
}

// Uploads C×H×W samples (optionally / scale) into a new [1, C, H, W] f32 tensor on be.
int fz_raster_to_tensor(const fz_raster *r, const fz_backend *be, int normalise, fz_tensor *t, fz_err *err) {
  memset(t, 0, sizeof *t);
  if (!r->data) return fz_fail(err, FZ_EINVAL, "raster to tensor: raster has no data");
  if (normalise && !(r->scale > 0)) return fz_fail(err, FZ_EINVAL, "raster to tensor: scale %g must be positive", r->scale);
  int64_t shape[4] = {1, r->c, r->h, r->w};  // [1, C, H, W]
  int rc = fz_tensor_alloc(t, be, FZ_F32, 4, shape, err);
  if (rc) return rc;
  size_t n = (size_t)r->c * r->h * r->w;
  const float *src = r->data;
  float *tmp = NULL;
  if (normalise && r->scale != 1) {
    if (!(tmp = malloc(n * sizeof(float)))) {
      fz_tensor_free(t);
      return fz_fail(err, FZ_ENOMEM, "raster to tensor: cannot allocate %zu bytes", n * sizeof(float));
    }
    float inv = (float)(1.0 / r->scale);
    for (size_t i = 0; i < n; i++) tmp[i] = r->data[i] * inv;
    src = tmp;
  }
  rc = fz_tensor_upload(t, src, n * sizeof(float), err);
  free(tmp);
  if (rc) fz_tensor_free(t);
  return rc;
}

// Downloads image n of an [N, C, H, W] / [C, H, W] / [H, W] tensor into a new C×H×W raster.
int fz_raster_from_tensor(const fz_tensor *t, int n, double scale, int denormalise, fz_raster *r, fz_err *err) {
  memset(r, 0, sizeof *r);
  int64_t N = 1, C = 1, H, W;
  if (t->ndim == 4) { N = t->shape[0]; C = t->shape[1]; H = t->shape[2]; W = t->shape[3]; }
  else if (t->ndim == 3) { C = t->shape[0]; H = t->shape[1]; W = t->shape[2]; }
  else if (t->ndim == 2) { H = t->shape[0]; W = t->shape[1]; }
  else return fz_fail(err, FZ_EINVAL, "tensor to raster: %d dims, expected [N, C, H, W], [C, H, W] or [H, W]", t->ndim);
  if (t->dtype != FZ_F32 && t->dtype != FZ_F16 && t->dtype != FZ_BF16)
    return fz_fail(err, FZ_EINVAL, "tensor to raster: dtype %s, expected f32, f16 or bf16", fz_dtype_name(t->dtype));
  if (n < 0 || n >= N) return fz_fail(err, FZ_EINVAL, "tensor to raster: image %d out of range 0..%lld", n, (long long)N - 1);
  if (!(scale > 0) || !isfinite(scale)) return fz_fail(err, FZ_EINVAL, "tensor to raster: scale %g must be positive", scale);
  int rc = fz_raster_check_dims(C, H, W, "tensor to raster", err);
  if (rc) return rc;
  if ((rc = fz_raster_alloc(r, (int)C, (int)H, (int)W, err))) return rc;
  size_t cnt = (size_t)(C * H * W), es = fz_dtype_size(t->dtype), bytes = cnt * es;
  void *host = t->dtype == FZ_F32 ? (void *)r->data : malloc(bytes);
  if (!host) { fz_raster_free(r); return fz_fail(err, FZ_ENOMEM, "tensor to raster: cannot allocate %zu bytes", bytes); }
  const char *src = (const char *)t->data + (size_t)n * bytes;
  if (t->be) rc = t->be->download(t->be, host, src, bytes, err);
  else memcpy(host, src, bytes);
  if (!rc && host != r->data) fz_convert_to_f32(r->data, host, t->dtype, cnt);
  if (host != r->data) free(host);
  if (rc) { fz_raster_free(r); return rc; }
  if (denormalise)
    for (size_t i = 0; i < cnt; i++) r->data[i] = (float)(r->data[i] * scale);
  r->scale = scale;
  r->src_dtype = FZ_F32;
  return FZ_OK;
}

// ---------------------------------------------------------------- percentiles and quicklook

// Quickselect (Wirth): places the k-th smallest of a[0..n) at a[k]. a must hold no NaN.
static void select_kth(float *a, ptrdiff_t n, ptrdiff_t k) {
  ptrdiff_t lo = 0, hi = n - 1;
  while (lo < hi) {
    float pivot = a[lo + (hi - lo) / 2];
    ptrdiff_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        float t = a[i]; a[i] = a[j]; a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

// p-quantile (index round(p*(m-1))) of the m finite, non-nodata values of x[0..n) by quickselect.
float fz_percentile_f32(const float *x, size_t n, double p, int has_nodata, double nodata, fz_err *err) {
  float *a = malloc((n ? n : 1) * sizeof(float));
  if (!a) { fz_fail(err, FZ_ENOMEM, "percentile: cannot allocate %zu bytes", n * sizeof(float)); return NAN; }
  size_t m = 0;
  float nd = (float)nodata;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && !(has_nodata && x[i] == nd)) a[m++] = x[i];
  float v = NAN;
  if (m) {
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    size_t k = (size_t)floor(p * (double)(m - 1) + 0.5);
    select_kth(a, (ptrdiff_t)m, (ptrdiff_t)k);
    v = a[k];
  }
  free(a);
  return v;
}

// Stretches three bands (2%..98% -> 0..255) into an 8-bit RGB PNG at out_path.
int fz_raster_quicklook(const fz_raster *r, int r_band, int g_band, int b_band, const char *out_path, fz_err *err) {
  int bands[3] = {r_band, g_band, b_band};
  for (int i = 0; i < 3; i++)
    if (bands[i] < 0 || bands[i] >= r->c)
      return fz_fail(err, FZ_EINVAL, "quicklook %s: band %d out of range; the raster has bands 0..%d", out_path, bands[i], r->c - 1);
  fz_raster q;
  int rc = fz_raster_alloc(&q, 3, r->h, r->w, err);
  if (rc) return rc;
  size_t hw = (size_t)r->h * r->w;
  for (int i = 0; i < 3; i++) {
    const float *src = r->data + (size_t)bands[i] * hw;
    fz_err e = {0};
    float lo = fz_percentile_f32(src, hw, 0.02, r->geo.has_nodata, r->geo.nodata, &e);
    float hi = fz_percentile_f32(src, hw, 0.98, r->geo.has_nodata, r->geo.nodata, &e);
    if (e.code) { fz_raster_free(&q); if (err) *err = e; return e.code; }
    float *dst = q.data + (size_t)i * hw;
    double k = hi > lo ? 255.0 / ((double)hi - lo) : 0;
    for (size_t j = 0; j < hw; j++) {
      double v = isfinite(src[j]) && k > 0 ? (src[j] - lo) * k : 0;
      dst[j] = (float)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
  q.scale = 255;
  rc = fz_png_write(out_path, &q, FZ_U8, 1, err);
  fz_raster_free(&q);
  return rc;
}
