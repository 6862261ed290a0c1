// raster_mat.c — MATLAB .mat files (v5 and v7.3) through libmatio. MATLAB stores images H×W×C in
// column-major order: element (y, x, c) sits at y + H*x + H*W*c; fusor's rasters are C×H×W row-major.
// Reads one numeric variable (2-D = one band), band-by-pixel matrices with a "NAME:HxW" selector, the
// bit depth "L" as the scale; writes one variable (default "sr") plus "L".
#include "raster.h"
#include "raster_internal.h"
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_HAVE_MATIO
#define NO_MATIO(path) fz_fail(err, FZ_EUNSUP, "%s: cannot use MATLAB .mat files: built without matio (install libmatio-dev and rebuild)", path)
// Stubs without matio: FZ_EUNSUP.
int fz_mat_read(const char *path, const char *key, fz_raster *r, fz_err *err) { return NO_MATIO(path); }
int fz_mat_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err) { NO_MATIO(path); return -1; }
int fz_mat_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, const char *varname, int v73,
                 fz_err *err) { return NO_MATIO(path); }
int fz_mat_read_string(const char *path, const char *name, char *buf, size_t n, fz_err *err) { return NO_MATIO(path); }
int fz_mat_read_scalar(const char *path, const char *name, double *v, fz_err *err) { return NO_MATIO(path); }
#else
#include <matio.h>
#include <pthread.h>
#ifdef FZ_HAVE_HDF5
#include <hdf5.h>
#endif

// matio reports through one process-wide log function without a user pointer; fusor installs one (once)
// that keeps the last error of the calling thread here instead of printing it.
static pthread_once_t g_mat_once = PTHREAD_ONCE_INIT;
static _Thread_local char g_mat_msg[400];
// matio log function: keeps errors in the calling thread's buffer instead of printing them.
static void mat_log(int level, char *msg) {
  if (level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL)) snprintf(g_mat_msg, sizeof g_mat_msg, "%s", msg ? msg : "");
}
// Installs mat_log as matio's logger (once).
static void mat_log_init(void) { Mat_LogInitFunc("fusor", mat_log); }

// Silences matio's log and (for v7.3 files) HDF5's automatic error printing for one call, holding the
// HDF5 lock throughout.
typedef struct mat_quiet {
#ifdef FZ_HAVE_HDF5
  H5E_auto2_t fn;
  void *data;
#endif
  int dummy;
} mat_quiet;
// Takes the HDF5 lock, installs the logger, clears the message and mutes HDF5 error printing.
static void quiet_begin(mat_quiet *q) {
  fz_h5_lock();
  pthread_once(&g_mat_once, mat_log_init);
  g_mat_msg[0] = 0;
#ifdef FZ_HAVE_HDF5
  q->fn = NULL;
  q->data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
#endif
}
// Restores HDF5 error printing and releases the lock.
static void quiet_end(mat_quiet *q) {
#ifdef FZ_HAVE_HDF5
  H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
#endif
  fz_h5_unlock();
}
static const char *mat_msg(void) { return g_mat_msg[0] ? g_mat_msg : "matio error"; }

static const char *k_class_names[] = {"empty", "cell", "struct", "object", "char", "sparse", "double", "single", "int8",
                                      "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "function", "opaque"};
static const char *class_name(enum matio_classes c) {
  return (unsigned)c < sizeof k_class_names / sizeof k_class_names[0] ? k_class_names[c] : "unknown";
}
// 1 for the real numeric MATLAB classes (double .. uint64).
static int is_numeric(enum matio_classes c) { return c >= MAT_C_DOUBLE && c <= MAT_C_UINT64; }

// Opens path read-only; FZ_EFORMAT when it is not a .mat file.
static mat_t *mat_open(const char *path, fz_err *err) {
  if (fz_check_readable(path, err)) return NULL;
  mat_t *m = Mat_Open(path, MAT_ACC_RDONLY);
  if (!m) fz_fail(err, FZ_EFORMAT, "%s: not a MATLAB .mat file (v5, v7 or v7.3 expected): %s", path, mat_msg());
  return m;
}

// Lists variables of an open file (name, dims, class) without reading their data.
static int list_open(mat_t *m, fz_var_info *vars, int max) {
  int n = 0;
  Mat_Rewind(m);
  matvar_t *v;
  while ((v = Mat_VarReadNextInfo(m)) != NULL) {
    if (n < max) {
      fz_var_info *o = &vars[n];
      memset(o, 0, sizeof *o);
      snprintf(o->name, sizeof o->name, "%s", v->name ? v->name : "");
      o->ndim = v->rank > 8 ? 8 : v->rank;
      for (int i = 0; i < o->ndim; i++) o->dims[i] = (int64_t)v->dims[i];
      snprintf(o->type, sizeof o->type, "%s%s", v->isLogical ? "logical " : "", class_name(v->class_type));
    }
    n++;
    Mat_VarFree(v);
  }
  Mat_Rewind(m);
  return n;
}

// Lists a .mat file's variables (name, MATLAB dims, class) without reading their data.
int fz_mat_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err) {
  mat_quiet q;
  quiet_begin(&q);
  mat_t *m = mat_open(path, err);
  int n = -1;
  if (m) {
    n = list_open(m, vars, max);
    Mat_Close(m);
  }
  quiet_end(&q);
  return n;
}

// "I_MS (320x320x8 uint16), I_PAN (...)" for messages.
static const char *describe_vars(mat_t *m, char *buf, size_t n) {
  fz_var_info v[64];
  int k = list_open(m, v, 64);
  size_t o = 0;
  buf[0] = 0;
  for (int i = 0; i < k && i < 64 && o < n; i++) {
    o += (size_t)snprintf(buf + o, n - o, "%s%s (", i ? ", " : "", v[i].name);
    for (int d = 0; d < v[i].ndim && o < n; d++) o += (size_t)snprintf(buf + o, n - o, d ? "x%lld" : "%lld", (long long)v[i].dims[d]);
    if (o < n) o += (size_t)snprintf(buf + o, n - o, " %s)", v[i].type);
  }
  if (k == 0) snprintf(buf, n, "no variables");
  return buf;
}

// Value of a numeric scalar variable, or NAN when absent or not a numeric scalar.
static double read_scalar(mat_t *m, const char *name) {
  matvar_t *v = Mat_VarRead(m, name);
  double x = NAN;
  if (v && is_numeric(v->class_type) && !v->isComplex && v->data && Mat_VarGetSize(v) > 0) {
    size_t n = 1;
    for (int i = 0; i < v->rank; i++) n *= v->dims[i];
    if (n == 1) switch (v->class_type) {
        case MAT_C_DOUBLE: x = *(double *)v->data; break;
        case MAT_C_SINGLE: x = *(float *)v->data; break;
        case MAT_C_INT8: x = *(int8_t *)v->data; break;
        case MAT_C_UINT8: x = *(uint8_t *)v->data; break;
        case MAT_C_INT16: x = *(int16_t *)v->data; break;
        case MAT_C_UINT16: x = *(uint16_t *)v->data; break;
        case MAT_C_INT32: x = *(int32_t *)v->data; break;
        case MAT_C_UINT32: x = *(uint32_t *)v->data; break;
        case MAT_C_INT64: x = (double)*(int64_t *)v->data; break;
        case MAT_C_UINT64: x = (double)*(uint64_t *)v->data; break;
        default: break;
      }
  }
  if (v) Mat_VarFree(v);
  return x;
}

// Reads a char array (1-, 2- or 4-byte code units) as ASCII into buf.
int fz_mat_read_string(const char *path, const char *name, char *buf, size_t n, fz_err *err) {
  mat_quiet q;
  quiet_begin(&q);
  int rc = FZ_OK;
  matvar_t *v = NULL;
  mat_t *m = mat_open(path, err);
  if (!m) { rc = err ? (int)err->code : FZ_EFORMAT; goto done; }
  char list[700];
  if (!(v = Mat_VarRead(m, name))) {
    rc = fz_fail(err, FZ_EINVAL, "%s: no variable '%s'; the file holds %s", path, name, describe_vars(m, list, sizeof list));
    goto done;
  }
  size_t es = v->data_size, cnt = es ? v->nbytes / es : 0;
  if (v->class_type != MAT_C_CHAR || !v->data || (es != 1 && es != 2 && es != 4)) {
    rc = fz_fail(err, FZ_EINVAL, "%s: variable '%s' is a %s array; expected a char array (text)", path, name, class_name(v->class_type));
    goto done;
  }
  if (cnt >= n) { rc = fz_fail(err, FZ_EINVAL, "%s: text variable '%s' has %zu characters; buffer holds %zu", path, name, cnt, n - 1); goto done; }
  size_t k = 0;
  for (size_t i = 0; i < cnt; i++) {
    uint32_t ch = es == 1 ? ((const uint8_t *)v->data)[i] : es == 2 ? ((const uint16_t *)v->data)[i] : ((const uint32_t *)v->data)[i];
    if (ch > 0 && ch < 128) buf[k++] = (char)ch;
  }
  buf[k] = 0;
done:
  if (v) Mat_VarFree(v);
  if (m) Mat_Close(m);
  quiet_end(&q);
  return rc;
}

// Reads a numeric scalar through read_scalar, with messages for absent or non-scalar variables.
int fz_mat_read_scalar(const char *path, const char *name, double *out, fz_err *err) {
  mat_quiet q;
  quiet_begin(&q);
  int rc = FZ_OK;
  mat_t *m = mat_open(path, err);
  if (!m) rc = err ? (int)err->code : FZ_EFORMAT;
  else {
    double x = read_scalar(m, name);
    char list[700];
    if (isnan(x))
      rc = fz_fail(err, FZ_EINVAL, "%s: no real numeric scalar variable '%s'; the file holds %s", path, name, describe_vars(m, list, sizeof list));
    else *out = x;
    Mat_Close(m);
  }
  quiet_end(&q);
  return rc;
}

// Chooses the default variable: "sr" when present, else the only numeric 2-D/3-D array that is not a vector.
static int default_var(mat_t *m, const char *path, char name[64], fz_err *err) {
  fz_var_info v[256];
  int k = list_open(m, v, 256), cand = -1, ncand = 0;
  for (int i = 0; i < k && i < 256; i++) {
    if (!strcmp(v[i].name, "sr")) { snprintf(name, 64, "sr"); return FZ_OK; }
    int numeric = 0;
    for (int c = MAT_C_DOUBLE; c <= MAT_C_UINT64; c++)
      if (!strcmp(v[i].type, k_class_names[c]) || (!strncmp(v[i].type, "logical ", 8) && !strcmp(v[i].type + 8, k_class_names[c]))) numeric = 1;
    if (numeric && v[i].ndim >= 2 && v[i].ndim <= 3 && v[i].dims[0] > 1 && v[i].dims[1] > 1) { cand = i; ncand++; }
  }
  if (ncand == 1) { snprintf(name, 64, "%s", v[cand].name); return FZ_OK; }
  char list[700];
  return fz_fail(err, FZ_EINVAL, "%s: holds %s; pass a variable name (key, --key NAME) to choose the image", path,
                 describe_vars(m, list, sizeof list));
}

// Copies a column-major H×W×C array of type T into r (C×H×W row-major).
#define MAT_TO_CHW(T)                                                                    \
  do {                                                                                   \
    const T *s = (const T *)v->data;                                                     \
    for (size_t c = 0; c < C; c++)                                                       \
      for (size_t x = 0; x < W; x++)                                                     \
        for (size_t y = 0; y < H; y++) dst[(c * H + y) * W + x] = (float)s[y + H * x + H * W * c]; \
  } while (0)
// Copies a column-major B×(H·W) band-by-pixel matrix (pixel p = y + H*x) of type T into r (B×H×W).
#define MAT_CUBE_TO_CHW(T)                                                               \
  do {                                                                                   \
    const T *s = (const T *)v->data;                                                     \
    for (size_t x = 0; x < W; x++)                                                       \
      for (size_t y = 0; y < H; y++)                                                     \
        for (size_t c = 0; c < C; c++) dst[(c * H + y) * W + x] = (float)s[c + C * (y + H * x)]; \
  } while (0)

// Fills r from the numeric variable v (class already checked); cube != 0 selects the B×(H·W) layout.
static void convert_var(const matvar_t *v, int cube, size_t C, size_t H, size_t W, float *dst) {
#define CASE(K, T) case K: if (cube) MAT_CUBE_TO_CHW(T); else MAT_TO_CHW(T); break
  switch (v->class_type) {
    CASE(MAT_C_DOUBLE, double);
    CASE(MAT_C_SINGLE, float);
    CASE(MAT_C_INT8, int8_t);
    CASE(MAT_C_UINT8, uint8_t);
    CASE(MAT_C_INT16, int16_t);
    CASE(MAT_C_UINT16, uint16_t);
    CASE(MAT_C_INT32, int32_t);
    CASE(MAT_C_UINT32, uint32_t);
    CASE(MAT_C_INT64, int64_t);
    CASE(MAT_C_UINT64, uint64_t);
    default: break;
  }
#undef CASE
}

// The matio data type that holds class c in memory after Mat_VarRead.
static enum matio_types mem_type_of(enum matio_classes c) {
  static const enum matio_types t[] = {[MAT_C_DOUBLE] = MAT_T_DOUBLE, [MAT_C_SINGLE] = MAT_T_SINGLE, [MAT_C_INT8] = MAT_T_INT8,
                                       [MAT_C_UINT8] = MAT_T_UINT8,   [MAT_C_INT16] = MAT_T_INT16,   [MAT_C_UINT16] = MAT_T_UINT16,
                                       [MAT_C_INT32] = MAT_T_INT32,   [MAT_C_UINT32] = MAT_T_UINT32, [MAT_C_INT64] = MAT_T_INT64,
                                       [MAT_C_UINT64] = MAT_T_UINT64};
  return is_numeric(c) ? t[c] : MAT_T_UNKNOWN;
}

// Reads variable key (H×W or H×W×C column-major, or B×(H·W) with "NAME:HxW") as C×H×W; scale from L.
int fz_mat_read(const char *path, const char *key, fz_raster *r, fz_err *err) {
  mat_quiet q;
  quiet_begin(&q);
  int rc = FZ_OK;
  matvar_t *v = NULL;
  mat_t *m = mat_open(path, err);
  if (!m) { rc = err ? (int)err->code : FZ_EFORMAT; goto done; }
  char name[64];
  long cube_h = 0, cube_w = 0;
  if (key && *key) {
    const char *colon = strchr(key, ':');
    size_t len = colon ? (size_t)(colon - key) : strlen(key);
    if (len == 0 || len >= sizeof name) { rc = fz_fail(err, FZ_EINVAL, "%s: variable name '%s' is empty or too long", path, key); goto done; }
    memcpy(name, key, len);
    name[len] = 0;
    if (colon) {
      char *end;
      cube_h = strtol(colon + 1, &end, 10);
      if (*end != 'x' || cube_h < 1) cube_w = -1;
      else {
        cube_w = strtol(end + 1, &end, 10);
        if (*end || cube_w < 1) cube_w = -1;
      }
      if (cube_w < 1) {
        rc = fz_fail(err, FZ_EINVAL, "%s: key '%s': expected NAME:HxW (e.g. Y:100x100) to reshape a bands x pixels matrix", path, key);
        goto done;
      }
    }
  } else if ((rc = default_var(m, path, name, err))) {
    goto done;
  }
  v = Mat_VarRead(m, name);
  if (!v) {
    char list[700];
    rc = fz_fail(err, FZ_EINVAL, "%s: no variable '%s' (or it cannot be read: %s); the file holds %s", path, name,
                 g_mat_msg[0] ? g_mat_msg : "absent", describe_vars(m, list, sizeof list));
    goto done;
  }
  if (!is_numeric(v->class_type) || v->isComplex) {
    rc = fz_fail(err, FZ_EINVAL, "%s: variable '%s' is a %s%s array; expected a real numeric image array", path, name,
                 v->isComplex ? "complex " : "", class_name(v->class_type));
    goto done;
  }
  int rank = v->rank;
  while (rank > 3 && v->dims[rank - 1] == 1) rank--;  // trailing singleton dims
  if (rank < 2 || rank > 3) {
    rc = fz_fail(err, FZ_EINVAL, "%s: variable '%s' has %d dimensions; expected H x W or H x W x C", path, name, v->rank);
    goto done;
  }
  size_t d0 = v->dims[0], d1 = v->dims[1], d2 = rank == 3 ? v->dims[2] : 1, C, H, W;
  if (cube_w > 0) {
    if (rank != 2 || d1 != (size_t)cube_h * (size_t)cube_w) {
      rc = fz_fail(err, FZ_EINVAL, "%s: key '%s' needs a 2-D bands x pixels matrix with %ld x %ld = %ld columns; '%s' is %zu x %zu%s",
                   path, key, cube_h, cube_w, cube_h * cube_w, name, d0, d1, rank == 3 ? " x ..." : "");
      goto done;
    }
    C = d0; H = (size_t)cube_h; W = (size_t)cube_w;
  } else {
    H = d0; W = d1; C = d2;
  }
  char what[600];
  snprintf(what, sizeof what, "%.500s: variable '%s'", path, name);
  if ((rc = fz_raster_check_dims((int64_t)C, (int64_t)H, (int64_t)W, what, err))) goto done;
  if (!v->data || v->data_type != mem_type_of(v->class_type) || Mat_VarGetSize(v) < C * H * W) {
    rc = fz_fail(err, FZ_EFORMAT, "%s: variable '%s' (%s) has no readable data of the expected size", path, name, class_name(v->class_type));
    goto done;
  }
  if ((rc = fz_raster_alloc(r, (int)C, (int)H, (int)W, err))) goto done;
  convert_var(v, cube_w > 0, C, H, W, r->data);
  enum matio_classes cls = v->class_type;
  r->src_dtype = cls == MAT_C_UINT8 ? FZ_U8 : cls == MAT_C_UINT16 ? FZ_U16 : cls == MAT_C_DOUBLE || cls == MAT_C_SINGLE ? FZ_F32 : FZ_I32;
  double L = strcmp(name, "L") ? read_scalar(m, "L") : NAN;
  if (isfinite(L) && L >= 1 && L <= 32 && L == floor(L)) r->scale = ldexp(1.0, (int)L) - 1;
  else if (cls == MAT_C_UINT8 && !v->isLogical) r->scale = 255;
  else r->scale = 1;
done:
  if (v) Mat_VarFree(v);
  if (m) Mat_Close(m);
  quiet_end(&q);
  if (rc) fz_raster_free(r);
  return rc;
}

// Reads a 32-bit unsigned integer stored little-endian (or big-endian when swap).
static uint32_t rd32(const unsigned char *p, int swap) {
  return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

// Walks the top-level data elements of the v5 file tmp (128-byte header, then tag + data, miMATRIX padded
// to 8 bytes, miCOMPRESSED not) and fails unless they end exactly at the end of the file: a short write
// (full disk) that matio did not report leaves a truncated element.
static int mat5_check_complete(const char *tmp, const char *path, fz_err *err) {
  FILE *f = fopen(tmp, "rb");
  if (!f) return fz_fail(err, FZ_EIO, "%s: cannot reopen the written file: %s", path, strerror(errno));
  unsigned char hdr[128], tag[8];
  int ok = fread(hdr, 1, 128, f) == 128 && fseeko(f, 0, SEEK_END) == 0;
  off_t size = ok ? ftello(f) : 0, pos = 128;
  int swap = hdr[126] == 'M' && hdr[127] == 'I';
  ok = ok && ((hdr[126] == 'I' && hdr[127] == 'M') || swap);
  while (ok && pos < size) {
    if (pos + 8 > size || fseeko(f, pos, SEEK_SET) != 0 || fread(tag, 1, 8, f) != 8) { ok = 0; break; }
    uint32_t type = rd32(tag, swap), nbytes = rd32(tag + 4, swap);
    off_t next = pos + 8 + (off_t)nbytes;
    if (type == 14) next = pos + 8 + (((off_t)nbytes + 7) & ~(off_t)7);  // miMATRIX
    else if (type != 15) ok = 0;                                          // expected miCOMPRESSED
    if (next > size) ok = 0;
    pos = next;
  }
  fclose(f);
  if (!ok || pos != size)
    return fz_fail(err, FZ_EIO, "%s: the written .mat file is incomplete (%lld bytes; disk full or write error)", path, (long long)size);
  return FZ_OK;
}

// 1 when s is a valid MATLAB variable name (letter, then letters/digits/underscores, at most 63 chars).
static int valid_name(const char *s) {
  if (!s || !isalpha((unsigned char)s[0]) || strlen(s) > 63) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_') return 0;
  return 1;
}

// Transposes C×H×W into MATLAB H×W×C, converts the type and writes v5 (matio) or v7.3 (HDF5) via a temp file.
int fz_mat_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, const char *varname, int v73,
                 fz_err *err) {
  const char *name = varname && *varname ? varname : "sr";
  if (!valid_name(name))
    return fz_fail(err, FZ_EINVAL, "%s: '%s' is not a MATLAB variable name; expected a letter then letters, digits or '_' (max 63)", path, name);
  if (!r || !r->data) return fz_fail(err, FZ_EINVAL, "%s: raster to write has no data", path);
  enum matio_classes cls;
  enum matio_types typ;
  size_t es;
  switch ((int)out_dtype) {
    case FZ_U8: cls = MAT_C_UINT8; typ = MAT_T_UINT8; es = 1; break;
    case FZ_U16: cls = MAT_C_UINT16; typ = MAT_T_UINT16; es = 2; break;
    case FZ_F32: cls = MAT_C_SINGLE; typ = MAT_T_SINGLE; es = 4; break;
    case (int)FZ_RASTER_F64: cls = MAT_C_DOUBLE; typ = MAT_T_DOUBLE; es = 8; break;
    default:
      return fz_fail(err, FZ_EINVAL, "%s: cannot write %s samples to .mat; expected u8, u16, f32 or f64", path, fz_out_dtype_name(out_dtype));
  }
  size_t C = (size_t)r->c, H = (size_t)r->h, W = (size_t)r->w, n = C * H * W;
  if (!v73 && n * es > ((size_t)1 << 31) - 4096)
    return fz_fail(err, FZ_EINVAL, "%s: variable '%s' needs %zu bytes, over the 2 GB limit of .mat v5; write v7.3 instead", path, name, n * es);
  float *cm = malloc(n * sizeof(float));
  void *buf = es == 4 ? (void *)cm : malloc(n * es);
  if (!cm || !buf) {
    free(cm);
    if (buf != cm) free(buf);
    return fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zu bytes for the MATLAB layout", path, n * (4 + es));
  }
  for (size_t c = 0; c < C; c++)  // C×H×W row-major -> H×W×C column-major
    for (size_t y = 0; y < H; y++)
      for (size_t x = 0; x < W; x++) cm[y + H * x + H * W * c] = r->data[(c * H + y) * W + x];
  if (out_dtype == FZ_RASTER_F64)
    for (size_t i = 0; i < n; i++) ((double *)buf)[i] = cm[i];
  else if (es != 4)
    fz_convert_from_f32(buf, out_dtype, cm, n);
  fz_outfile out;
  int rc = fz_out_begin(&out, path, overwrite, err);
  if (rc) {
    free(cm);
    if (buf != cm) free(buf);
    return rc;
  }
  double L = r->scale > 1 ? log2(r->scale + 1) : 0;
  int add_L = strcmp(name, "L") && L >= 2 && L <= 32 && L == floor(L);
  if (v73) {
    fz_mat73_var vars[2] = {{name, out_dtype, C == 1 ? 2 : 3, {H, W, C}, buf}, {"L", FZ_RASTER_F64, 2, {1, 1, 1}, &L}};
    rc = fz_mat73_write(out.tmp, path, vars, add_L ? 2 : 1, err);
    free(cm);
    if (buf != cm) free(buf);
    if (rc) { fz_out_abort(&out); return rc; }
    return fz_out_commit(&out, err);
  }
  mat_quiet q;
  quiet_begin(&q);
  mat_t *m = Mat_CreateVer(out.tmp, NULL, MAT_FT_MAT5);
  if (!m) {
    rc = fz_fail(err, FZ_EIO, "%s: cannot create .mat v5 file: %s", path, mat_msg());
  } else {
    size_t dims[3] = {H, W, C};
    matvar_t *v = Mat_VarCreate(name, cls, typ, C == 1 ? 2 : 3, dims, buf, MAT_F_DONT_COPY_DATA);
    if (!v || Mat_VarWrite(m, v, MAT_COMPRESSION_ZLIB) != 0)
      rc = fz_fail(err, FZ_EIO, "%s: writing variable '%s' failed: %s", path, name, mat_msg());
    if (v) Mat_VarFree(v);  // MAT_F_DONT_COPY_DATA: matio does not free buf
    if (!rc && add_L) {
      size_t one[2] = {1, 1};
      double lv = L;
      matvar_t *lvar = Mat_VarCreate("L", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one, &lv, MAT_F_DONT_COPY_DATA);
      if (!lvar || Mat_VarWrite(m, lvar, MAT_COMPRESSION_NONE) != 0)
        rc = fz_fail(err, FZ_EIO, "%s: writing variable 'L' failed: %s", path, mat_msg());
      if (lvar) Mat_VarFree(lvar);
    }
    if (Mat_Close(m) != 0 && !rc) rc = fz_fail(err, FZ_EIO, "%s: closing the .mat file failed (disk full?): %s", path, mat_msg());
    if (!rc) rc = mat5_check_complete(out.tmp, path, err);  // matio does not report every short write
  }
  quiet_end(&q);
  free(cm);
  if (buf != cm) free(buf);
  if (rc) {
    fz_out_abort(&out);
    return rc;
  }
  return fz_out_commit(&out, err);
}
#endif
