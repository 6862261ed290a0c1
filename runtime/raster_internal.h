// raster_internal.h — shared between runtime/raster*.c only: the temp-file-and-rename output helper,
// input checks and the per-format entry points that fz_raster_read / fz_raster_write dispatch to.
#ifndef FZ_RASTER_INTERNAL_H
#define FZ_RASTER_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "raster.h"

// An output in progress: data go to tmp (same directory as path) and are renamed to path on commit.
typedef struct fz_outfile {
  char path[4096];
  char tmp[4200];
  int overwrite;
} fz_outfile;

// Checks overwrite rules and creates an empty temporary file beside path (mode 0666 & ~umask).
int fz_out_begin(fz_outfile *o, const char *path, int overwrite, fz_err *err);
// Flushes the temporary file to disk and renames it onto path (refusing to replace an existing file
// unless overwrite was set). On failure the temporary file is removed.
int fz_out_commit(fz_outfile *o, fz_err *err);
// Removes the temporary file (after a failed write). Safe to call twice.
void fz_out_abort(fz_outfile *o);

// Replaces the contents of the temporary file tmp with n bytes (checked writes, fsync'd by fz_out_commit);
// FZ_EIO naming path (the final name) on any failure, e.g. a full disk.
int fz_write_whole_file(const char *tmp, const char *path, const void *data, size_t n, fz_err *err);

// Fails with the errno text unless path is an existing, readable regular file.
int fz_check_readable(const char *path, fz_err *err);
// Fails (FZ_ENOMEM "absurd size") unless 1 <= c <= FZ_RASTER_MAX_BANDS, 1 <= h, w <= FZ_RASTER_MAX_SIDE and
// c*h*w <= FZ_RASTER_MAX_SAMPLES. what names the file/field for the message.
int fz_raster_check_dims(int64_t c, int64_t h, int64_t w, const char *what, fz_err *err);
// Lower-cased extension of path without the dot ("tif"), "" when none; written into buf.
const char *fz_path_ext(const char *path, char *buf, size_t n);
// Name of an output dtype for messages ("u8", "u16", "f32", "f64").
const char *fz_out_dtype_name(fz_dtype dt);

// Per-format readers (r is zeroed by the caller) and writers (checked raster, path not yet touched).
int fz_gdal_read(const char *path, fz_raster *r, fz_err *err);
int fz_gdal_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err);
int fz_h5_read(const char *path, const char *key, int index, fz_raster *r, fz_err *err);
int fz_h5_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err);
int fz_mat_read(const char *path, const char *key, fz_raster *r, fz_err *err);
int fz_mat_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err);
// Writes n images (same C, H, W) as one float64 N×C×H×W dataset named key (any name) of a new .h5 file.
int fz_h5_write_named(const char *path, const char *key, int n, const fz_raster *imgs, int overwrite, fz_err *err);
// Serialises every libhdf5 / matio call (the serial libhdf5 is not thread-safe; matio v7.3 uses it too).
void fz_h5_lock(void);
void fz_h5_unlock(void);

// An HDF5 file built in memory (core driver, no backing store): nothing reaches the disk until
// fz_h5_mem_save, so a disk error can never leave HDF5 with a half-closed file. Returns the hid_t or -1.
// userblock reserves that many bytes at the start (512 for MATLAB v7.3). Caller silences HDF5 errors.
int64_t fz_h5_mem_create(unsigned userblock, const char *path, fz_err *err);
// Flushes and closes the in-memory file f and writes into tmp the head_len bytes of head (the userblock,
// when head != NULL; its size must equal the userblock given to fz_h5_mem_create) followed by the HDF5
// image (which starts at the superblock). Always closes f.
int fz_h5_mem_save(int64_t f, const char *tmp, const char *path, const void *head, size_t head_len, fz_err *err);
// One variable of a MATLAB v7.3 file: data in MATLAB column-major order, dims in MATLAB order (H, W, C).
typedef struct fz_mat73_var {
  const char *name;
  fz_dtype type;         // FZ_U8, FZ_U16, FZ_F32 or FZ_RASTER_F64
  int rank;              // 2 or 3
  size_t dims[3];
  const void *data;
} fz_mat73_var;
// Writes n variables as a MATLAB v7.3 file (HDF5 with the 512-byte MATLAB userblock) into tmp.
int fz_mat73_write(const char *tmp, const char *path, const fz_mat73_var *vars, int n, fz_err *err);

// Encodes planes (c×h×w u8, c = 1 or 3) as a JPEG of the given quality into tmp with GDAL's JPEG driver
// (libjpeg: true greyscale, no undefined behaviour); FZ_EUNSUP when built without GDAL.
int fz_gdal_jpeg_encode(const char *tmp, const char *path, const uint8_t *planes, int c, int h, int w, int quality, fz_err *err);

int fz_stb_read(const char *path, fz_raster *r, fz_err *err);
int fz_png_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err);
int fz_jpg_write(const char *path, const fz_raster *r, int quality, int overwrite, fz_err *err);
#endif
