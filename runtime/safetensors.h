// safetensors.h — reading (mmap, fully validated) and writing (atomic) safetensors files.
// Format: u64 little-endian header length N, N bytes of JSON header (padded with spaces), then the
// data region. The header maps tensor names to {"dtype","shape","data_offsets"} and may hold a
// "__metadata__" object of string -> string. docs/WEIGHTS.md lists every validation rule.
#ifndef FZ_SAFETENSORS_H
#define FZ_SAFETENSORS_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "weights.h"

#define ST_MAX_HEADER (100u * 1000u * 1000u)  // largest header accepted (100 MB)

// Parses and validates a safetensors image of len bytes at buf; display names it in messages.
// On success w holds every tensor (data pointing INTO buf, which must outlive w) and the metadata,
// in header order. On failure w is left empty.
int st_parse(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err);
// Maps the file at path read-only and parses it (w owns the mapping; st_close releases it).
int st_open(const char *path, fz_weights *w, fz_err *err);
static inline void st_close(fz_weights *w) { fz_weights_free(w); }
static inline int st_count(const fz_weights *w) { return w->count; }
// The i-th tensor (0 <= i < st_count) in header order: name, dtype, ndim, shape, data, nbytes.
static inline const fz_wtensor *st_tensor_info(const fz_weights *w, int i) {
  return i >= 0 && i < w->count ? &w->tensors[i] : NULL;
}
static inline const fz_wtensor *st_find(const fz_weights *w, const char *name) { return fz_weights_find(w, name); }
static inline const char *st_metadata_get(const fz_weights *w, const char *key) { return fz_weights_meta_get(w, key); }
// Loads tensor name into a new fz_tensor on be (NULL = host); flags as fz_wtensor_to_tensor.
int st_load_tensor(const fz_weights *w, const char *name, const struct fz_backend *be, int flags, fz_tensor *out,
                   fz_err *err);

// ---- writer
typedef struct st_wentry {
  char *name;
  fz_wdtype dtype;
  int ndim;
  int64_t shape[FZ_W_MAX_DIMS];
  const void *data;  // borrowed until st_writer_write returns
  size_t nbytes;
} st_wentry;

typedef struct st_writer {
  st_wentry *e;
  int n, cap;
  fz_wmeta *meta;
  int nmeta, meta_cap;
} st_writer;

void st_writer_init(st_writer *wr);
void st_writer_free(st_writer *wr);
// Adds a tensor (bytes borrowed; nbytes must equal numel * dtype size; ndim <= 8).
int st_writer_add(st_writer *wr, const char *name, fz_wdtype dt, int ndim, const int64_t *shape, const void *data,
                  size_t nbytes, fz_err *err);
// Sets metadata key = value (replacing an earlier value of key).
int st_writer_meta(st_writer *wr, const char *key, const char *value, fz_err *err);
// Adds every tensor and metadata entry of w (bytes borrowed from w).
int st_writer_add_weights(st_writer *wr, const fz_weights *w, fz_err *err);
// Builds the header: malloc'd JSON padded with spaces to a multiple of 8 bytes, its length in *len.
// Tensors are laid out by descending element size (stable), so every tensor is aligned to its
// element size; metadata keys are sorted. Deterministic: same entries give the same bytes.
int st_writer_header(const st_writer *wr, char **header, size_t *len, fz_err *err);
// Writes the whole file to fd (length, header, data) and reports any short or failed write
// (e.g. ENOSPC); display names the destination in messages.
int st_writer_write_fd(const st_writer *wr, int fd, const char *display, fz_err *err);
#define ST_OVERWRITE 1  // flag for st_writer_write: replace an existing output
// Writes path atomically: a temp file in the same directory, fsync, rename. Refuses an existing
// path unless flags has ST_OVERWRITE. On any error the temp file is removed and no output is left.
// An existing non-regular path (a device such as /dev/full, a FIFO) is written in place with ST_OVERWRITE.
int st_writer_write(const st_writer *wr, const char *path, int flags, fz_err *err);

#endif
