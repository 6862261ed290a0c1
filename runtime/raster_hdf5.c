// raster_hdf5.c — PanCollection HDF5 files: datasets gt/ms/lms/pan, each N×C×H×W float64 DN (float32
// and integer datasets are accepted on read). Reads one image, counts images, lists datasets, and writes
// a whole file (built in memory, then written with checked writes). HDF5's automatic error printing is
// switched off around each call; messages go to fz_err.
#include "raster.h"
#include "raster_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_HAVE_HDF5
#define NO_HDF5(path) fz_fail(err, FZ_EUNSUP, "%s: cannot use HDF5 files: built without HDF5 (install libhdf5-dev and rebuild)", path)
// Stubs without HDF5: FZ_EUNSUP.
int fz_h5_read(const char *path, const char *key, int index, fz_raster *r, fz_err *err) { return NO_HDF5(path); }
int fz_h5_count(const char *path, const char *key, int *n, fz_err *err) { *n = 0; return NO_HDF5(path); }
int fz_h5_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err) { NO_HDF5(path); return -1; }
int fz_h5_write_pancollection(const char *path, int n, const fz_raster *gt, const fz_raster *ms, const fz_raster *lms,
                              const fz_raster *pan, int overwrite, fz_err *err) { return NO_HDF5(path); }
int fz_h5_write_named(const char *path, const char *key, int n, const fz_raster *imgs, int overwrite, fz_err *err) { return NO_HDF5(path); }
int64_t fz_h5_mem_create(unsigned userblock, const char *path, fz_err *err) { NO_HDF5(path); return -1; }
int fz_h5_mem_save(int64_t f, const char *tmp, const char *path, const void *head, size_t head_len, fz_err *err) {
  return NO_HDF5(path);
}
#else
#include <hdf5.h>

#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t fz_h5l_info;
#define FZ_H5_ITERATE H5Literate2
#define FZ_H5_IS_HDF5(p) H5Fis_accessible(p, H5P_DEFAULT)
#else
typedef H5L_info_t fz_h5l_info;
#define FZ_H5_ITERATE H5Literate
#define FZ_H5_IS_HDF5(p) H5Fis_hdf5(p)
#endif

// Saved HDF5 automatic-error settings, restored at the end of each fusor call. Begin/end also hold the
// HDF5 lock (Debian's serial libhdf5 is not thread-safe).
typedef struct h5_quiet {
  H5E_auto2_t fn;
  void *data;
} h5_quiet;

// Takes the HDF5 lock and switches HDF5's automatic error printing off (saving the old handler).
static void h5_quiet_begin(h5_quiet *q) {
  fz_h5_lock();
  q->fn = NULL;
  q->data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
// Restores HDF5's error printing and releases the lock.
static void h5_quiet_end(h5_quiet *q) {
  H5Eset_auto2(H5E_DEFAULT, q->fn, q->data);
  fz_h5_unlock();
}

// Error-stack walker: keeps the innermost (first) description.
static herr_t h5_walk(unsigned n, const H5E_error2_t *e, void *data) {
  char *buf = data;
  if (n == 0 && e->desc) snprintf(buf, 256, "%s", e->desc);
  return 0;
}
// The most specific message on HDF5's current error stack, or "HDF5 error".
static const char *h5_msg(char buf[256]) {
  buf[0] = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, h5_walk, buf);
  if (!buf[0]) snprintf(buf, 256, "HDF5 error");
  return buf;
}

// Opens path read-only; FZ_EFORMAT when it is not an HDF5 file.
static hid_t h5_open(const char *path, fz_err *err) {
  if (fz_check_readable(path, err)) return -1;
  if (FZ_H5_IS_HDF5(path) <= 0) {
    fz_fail(err, FZ_EFORMAT, "%s: not an HDF5 file (expected a PanCollection .h5 with datasets gt/ms/lms/pan)", path);
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    char b[256];
    fz_fail(err, FZ_EFORMAT, "%s: cannot open HDF5 file: %s", path, h5_msg(b));
  }
  return f;
}

typedef struct list_ctx {
  hid_t file;
  fz_var_info *vars;
  int max, n;
} list_ctx;

// H5Literate callback: records one root-level link (dataset shape and type when it is a dataset).
static herr_t list_cb(hid_t g, const char *name, const fz_h5l_info *info, void *data) {
  list_ctx *c = data;
  if (c->n < c->max) {
    fz_var_info *v = &c->vars[c->n];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    snprintf(v->type, sizeof v->type, "group");
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (o >= 0 && H5Iget_type(o) == H5I_DATASET) {
      hid_t s = H5Dget_space(o), t = H5Dget_type(o);
      hsize_t dims[8];
      int nd = H5Sget_simple_extent_ndims(s);
      if (nd > 0 && nd <= 8) {
        H5Sget_simple_extent_dims(s, dims, NULL);
        v->ndim = nd;
        for (int i = 0; i < nd; i++) v->dims[i] = (int64_t)dims[i];
      }
      H5T_class_t cls = H5Tget_class(t);
      size_t sz = H5Tget_size(t);
      if (cls == H5T_FLOAT && sz == 8) snprintf(v->type, sizeof v->type, "double");
      else if (cls == H5T_FLOAT && sz == 4) snprintf(v->type, sizeof v->type, "single");
      else if (cls == H5T_FLOAT) snprintf(v->type, sizeof v->type, "float%zu", sz * 8);
      else if (cls == H5T_INTEGER)
        snprintf(v->type, sizeof v->type, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", sz * 8);
      else snprintf(v->type, sizeof v->type, "other");
      H5Tclose(t);
      H5Sclose(s);
    } else if (o >= 0 && H5Iget_type(o) != H5I_GROUP) {
      snprintf(v->type, sizeof v->type, "other");
    }
    if (o >= 0) H5Oclose(o);
  }
  c->n++;
  return 0;
}

// Lists root-level datasets of an open file.
static int list_open(hid_t f, fz_var_info *vars, int max) {
  list_ctx c = {f, vars, max, 0};
  FZ_H5_ITERATE(f, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &c);
  return c.n;
}

// "gt, lms, ms, pan" — the root names of an open file, for messages.
static const char *names_of(hid_t f, char *buf, size_t n) {
  fz_var_info v[32];
  int k = list_open(f, v, 32);
  size_t o = 0;
  buf[0] = 0;
  for (int i = 0; i < k && i < 32 && o < n; i++) o += (size_t)snprintf(buf + o, n - o, i ? ", %s" : "%s", v[i].name);
  if (k == 0) snprintf(buf, n, "none");
  return buf;
}

// Lists the root datasets (name, dims, type) of an .h5 file.
int fz_h5_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err) {
  h5_quiet q;
  h5_quiet_begin(&q);
  hid_t f = h5_open(path, err);
  int n = -1;
  if (f >= 0) {
    n = list_open(f, vars, max);
    H5Fclose(f);
  }
  h5_quiet_end(&q);
  return n;
}

// Opens dataset key of f (the only dataset when key is NULL; its name goes to used) and checks it is a
// 4-D N×C×H×W numeric dataset; fills dims.
static hid_t open_dataset(hid_t f, const char *path, const char *key, char used[64], hsize_t dims[4], fz_err *err) {
  char names[512];
  if (!key || !*key) {
    fz_var_info v[2];
    int k = list_open(f, v, 2);
    if (k != 1) {
      fz_fail(err, FZ_EINVAL, "%s: holds datasets %s; pass a key (gt, ms, lms or pan) to choose one", path, names_of(f, names, sizeof names));
      return -1;
    }
    snprintf(used, 64, "%s", v[0].name);
  } else {
    snprintf(used, 64, "%.63s", key);
  }
  key = used;
  if (strchr(key, '/') || H5Lexists(f, key, H5P_DEFAULT) <= 0) {
    fz_fail(err, FZ_EINVAL, "%s: no dataset '%s'; the file holds %s", path, key, names_of(f, names, sizeof names));
    return -1;
  }
  hid_t d = H5Dopen2(f, key, H5P_DEFAULT);
  if (d < 0) {
    char b[256];
    fz_fail(err, FZ_EFORMAT, "%s: '%s' is not a readable dataset: %s", path, key, h5_msg(b));
    return -1;
  }
  hid_t s = H5Dget_space(d), t = H5Dget_type(d);
  int nd = H5Sget_simple_extent_ndims(s);
  H5T_class_t cls = H5Tget_class(t);
  hsize_t all[16];
  if (nd > 0 && nd <= 16) H5Sget_simple_extent_dims(s, all, NULL);
  H5Tclose(t);
  H5Sclose(s);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    fz_fail(err, FZ_EFORMAT, "%s: dataset '%s' is not numeric; expected float64 N x C x H x W", path, key);
    H5Dclose(d);
    return -1;
  }
  if (nd != 4) {
    char sh[128] = "";
    size_t o = 0;
    for (int i = 0; i < nd && i < 16 && o < sizeof sh; i++)
      o += (size_t)snprintf(sh + o, sizeof sh - o, i ? " x %llu" : "%llu", (unsigned long long)all[i]);
    fz_fail(err, FZ_EFORMAT, "%s: dataset '%s' has rank %d (%s); expected rank 4 (N x C x H x W)", path, key, nd, sh);
    H5Dclose(d);
    return -1;
  }
  memcpy(dims, all, 4 * sizeof(hsize_t));
  return d;
}

// Reads image index of N×C×H×W dataset key as a C×H×W f32 raster (hyperslab, HDF5 converts).
int fz_h5_read(const char *path, const char *key, int index, fz_raster *r, fz_err *err) {
  h5_quiet q;
  h5_quiet_begin(&q);
  int rc = FZ_OK;
  hid_t f = h5_open(path, err), d = -1, fs = -1, ms = -1;
  if (f < 0) { rc = err ? (int)err->code : FZ_EFORMAT; goto done; }
  hsize_t dims[4];
  char used[64];
  if ((d = open_dataset(f, path, key, used, dims, err)) < 0) { rc = err ? (int)err->code : FZ_EINVAL; goto done; }
  key = used;
  if (index < 0 || (hsize_t)index >= dims[0]) {
    rc = fz_fail(err, FZ_EINVAL, "%s: image index %d out of range; dataset '%s' holds %llu images (0..%lld)", path, index, key,
                 (unsigned long long)dims[0], (long long)dims[0] - 1);
    goto done;
  }
  char what[600];
  snprintf(what, sizeof what, "%.500s: dataset '%.40s'", path, key);
  if ((rc = fz_raster_check_dims((int64_t)dims[1], (int64_t)dims[2], (int64_t)dims[3], what, err))) goto done;
  if ((rc = fz_raster_alloc(r, (int)dims[1], (int)dims[2], (int)dims[3], err))) goto done;
  hsize_t start[4] = {(hsize_t)index, 0, 0, 0}, count[4] = {1, dims[1], dims[2], dims[3]};
  fs = H5Dget_space(d);
  ms = H5Screate_simple(4, count, NULL);
  if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, r->data) < 0) {
    char b[256];
    rc = fz_fail(err, FZ_EFORMAT, "%s: reading image %d of dataset '%s' failed: %s", path, index, key, h5_msg(b));
    goto done;
  }
  r->src_dtype = FZ_F32;
  r->scale = 1;  // PanCollection stores DN without the sensor's bit depth: callers set 2047 / 1023
done:
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  h5_quiet_end(&q);
  if (rc) fz_raster_free(r);
  return rc;
}

// N of the N×C×H×W dataset key.
int fz_h5_count(const char *path, const char *key, int *n, fz_err *err) {
  *n = 0;
  h5_quiet q;
  h5_quiet_begin(&q);
  int rc = FZ_OK;
  hid_t f = h5_open(path, err), d = -1;
  hsize_t dims[4];
  char used[64];
  if (f < 0) rc = err ? (int)err->code : FZ_EFORMAT;
  else if ((d = open_dataset(f, path, key, used, dims, err)) < 0) rc = err ? (int)err->code : FZ_EINVAL;
  else if (dims[0] > 0x7fffffff) rc = fz_fail(err, FZ_EFORMAT, "%s: dataset '%s' claims %llu images", path, used, (unsigned long long)dims[0]);
  else *n = (int)dims[0];
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  h5_quiet_end(&q);
  return rc;
}

// Writes n images (same C, H, W) as the float64 dataset key of f.
static int write_key(hid_t f, const char *path, const char *key, int n, const fz_raster *imgs, fz_err *err) {
  for (int i = 0; i < n; i++) {
    if (!imgs[i].data) return fz_fail(err, FZ_EINVAL, "%s: '%s' image %d has no data", path, key, i);
    if (imgs[i].c != imgs[0].c || imgs[i].h != imgs[0].h || imgs[i].w != imgs[0].w)
      return fz_fail(err, FZ_EINVAL,
                     "%s: '%s' image %d is %d x %d x %d (C x H x W) but image 0 is %d x %d x %d; all images under one "
                     "key must share C, H, W",
                     path, key, i, imgs[i].c, imgs[i].h, imgs[i].w, imgs[0].c, imgs[0].h, imgs[0].w);
  }
  char what[600];
  snprintf(what, sizeof what, "%.500s: '%.40s' images", path, key);
  int rc = fz_raster_check_dims(imgs[0].c, imgs[0].h, imgs[0].w, what, err);
  if (rc) return rc;
  hsize_t dims[4] = {(hsize_t)n, (hsize_t)imgs[0].c, (hsize_t)imgs[0].h, (hsize_t)imgs[0].w};
  hsize_t count[4] = {1, dims[1], dims[2], dims[3]};
  hid_t fs = H5Screate_simple(4, dims, NULL), ms = H5Screate_simple(4, count, NULL);
  hid_t d = H5Dcreate2(f, key, H5T_IEEE_F64LE, fs, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  char b[256];
  if (d < 0) rc = fz_fail(err, FZ_EIO, "%s: cannot create dataset '%s': %s", path, key, h5_msg(b));
  for (int i = 0; !rc && i < n; i++) {
    hsize_t start[4] = {(hsize_t)i, 0, 0, 0};
    if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, imgs[i].data) < 0)
      rc = fz_fail(err, FZ_EIO, "%s: writing image %d of '%s' failed: %s", path, i, key, h5_msg(b));
  }
  if (d >= 0 && H5Dclose(d) < 0 && !rc) rc = fz_fail(err, FZ_EIO, "%s: closing dataset '%s' failed: %s", path, key, h5_msg(b));
  H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

// Creates an HDF5 file held in memory (core driver, no backing store) with an optional userblock.
int64_t fz_h5_mem_create(unsigned userblock, const char *path, fz_err *err) {
  char b[256];
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE), f = -1;
  if (fapl >= 0 && fcpl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 24, 0) >= 0 &&
      (!userblock || H5Pset_userblock(fcpl, userblock) >= 0))
    f = H5Fcreate("fusor-output-in-memory", H5F_ACC_TRUNC, fcpl, fapl);
  if (f < 0) fz_fail(err, FZ_EIO, "%s: cannot create an in-memory HDF5 file: %s", path, h5_msg(b));
  if (fapl >= 0) H5Pclose(fapl);
  if (fcpl >= 0) H5Pclose(fcpl);
  return f;
}

// Copies the in-memory file image (after head) into tmp with checked writes; closes f.
int fz_h5_mem_save(int64_t f, const char *tmp, const char *path, const void *head, size_t head_len, fz_err *err) {
  char b[256];
  int rc = FZ_OK;
  unsigned char *img = NULL;
  ssize_t n = -1;
  if (!head) head_len = 0;
  if (H5Fflush(f, H5F_SCOPE_LOCAL) < 0 || (n = H5Fget_file_image(f, NULL, 0)) <= 0)
    rc = fz_fail(err, FZ_EIO, "%s: finishing the HDF5 image failed: %s", path, h5_msg(b));
  else if (!(img = malloc(head_len + (size_t)n)))
    rc = fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zd bytes for the HDF5 image", path, n);
  else if (H5Fget_file_image(f, img + head_len, (size_t)n) != n)
    rc = fz_fail(err, FZ_EIO, "%s: copying the HDF5 image failed: %s", path, h5_msg(b));
  H5Fclose(f);  // in memory: cannot fail on a disk error
  if (!rc && head_len) memcpy(img, head, head_len);  // the image starts at the superblock, after the userblock
  if (!rc) rc = fz_write_whole_file(tmp, path, img, head_len + (size_t)n, err);
  free(img);
  return rc;
}

// Writes the non-NULL arrays arrs[k] (n images each) as datasets keys[k] of a new file at path.
static int write_file(const char *path, int n, const char *const *keys, const fz_raster *const *arrs, int nkeys, int overwrite,
                      fz_err *err) {
  fz_outfile out;
  int rc = fz_out_begin(&out, path, overwrite, err);
  if (rc) return rc;
  h5_quiet q;
  h5_quiet_begin(&q);
  hid_t f = fz_h5_mem_create(0, path, err);
  if (f < 0) rc = err ? (int)err->code : FZ_EIO;
  for (int k = 0; k < nkeys && !rc; k++)
    if (arrs[k]) rc = write_key(f, path, keys[k], n, arrs[k], err);
  if (f >= 0) {
    if (!rc) rc = fz_h5_mem_save(f, out.tmp, path, NULL, 0, err);
    else H5Fclose(f);
  }
  h5_quiet_end(&q);
  if (rc) {
    fz_out_abort(&out);
    return rc;
  }
  return fz_out_commit(&out, err);
}

// Writes the given gt/ms/lms/pan arrays (n images each) as float64 N×C×H×W datasets.
int fz_h5_write_pancollection(const char *path, int n, const fz_raster *gt, const fz_raster *ms, const fz_raster *lms,
                              const fz_raster *pan, int overwrite, fz_err *err) {
  if (n < 1) return fz_fail(err, FZ_EINVAL, "%s: %d images per key; expected at least 1", path ? path : "(null)", n);
  if (!gt && !ms && !lms && !pan) return fz_fail(err, FZ_EINVAL, "%s: no key (gt, ms, lms, pan) given to write", path);
  const char *const keys[4] = {"gt", "ms", "lms", "pan"};
  const fz_raster *const arrs[4] = {gt, ms, lms, pan};
  return write_file(path, n, keys, arrs, 4, overwrite, err);
}

// Writes n images as one float64 N×C×H×W dataset of any name.
int fz_h5_write_named(const char *path, const char *key, int n, const fz_raster *imgs, int overwrite, fz_err *err) {
  if (n < 1) return fz_fail(err, FZ_EINVAL, "%s: %d images; expected at least 1", path ? path : "(null)", n);
  if (!key || !*key || strchr(key, '/') || strlen(key) > 63)
    return fz_fail(err, FZ_EINVAL, "%s: HDF5 dataset name '%s' must be 1..63 characters without '/'", path, key ? key : "");
  const char *const keys[1] = {key};
  const fz_raster *const arrs[1] = {imgs};
  return write_file(path, n, keys, arrs, 1, overwrite, err);
}
#endif
