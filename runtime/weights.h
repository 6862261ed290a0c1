// weights.h — a named tensor set as read from a weights file (safetensors or PyTorch .pth).
// Tensors keep their file dtype (the safetensors dtype set) and up to 8 dims; their data points into
// a file mapping or into buffers the set owns. String metadata (key -> value) travels with the set.
// Readers (safetensors.c, pth.c) fill an fz_weights; `fusor inspect/convert` and the models read it.
#ifndef FZ_WEIGHTS_H
#define FZ_WEIGHTS_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tensor.h"

// File dtypes: every safetensors dtype fusor accepts (names as in the safetensors header).
typedef enum {
  FZ_W_F64 = 0, FZ_W_F32, FZ_W_F16, FZ_W_BF16, FZ_W_I64, FZ_W_I32, FZ_W_I16, FZ_W_I8,
  FZ_W_U8, FZ_W_U16, FZ_W_U32, FZ_W_U64, FZ_W_BOOL, FZ_W_F8_E4M3, FZ_W_F8_E5M2, FZ_W_DTYPE_COUNT
} fz_wdtype;

#define FZ_W_MAX_DIMS 8

// One named tensor of a weights file. data may be unaligned (read it with memcpy or
// fz_wtensor_get_f64); it is NULL only when nbytes == 0.
typedef struct fz_wtensor {
  char *name;
  fz_wdtype dtype;
  int ndim;
  int64_t shape[FZ_W_MAX_DIMS];
  int64_t numel;
  const uint8_t *data;
  size_t nbytes;  // numel * fz_wdtype_size(dtype)
} fz_wtensor;

typedef struct fz_wmeta { char *key, *value; } fz_wmeta;

// A named tensor set plus string metadata. Tensor order is the file's order.
typedef struct fz_weights {
  fz_wtensor *tensors;
  int count, cap;
  fz_wmeta *meta;
  int nmeta, meta_cap;
  void **owned;          // malloc'd buffers released by fz_weights_free
  int nowned, owned_cap;
  void *map;             // a file mapping released by fz_weights_free (munmap)
  size_t map_len;
  const char *format;    // "safetensors" or "pth" (static string), NULL for a set built in memory
} fz_weights;

// Bytes per element of dt (0 when unknown).
size_t fz_wdtype_size(fz_wdtype dt);
// safetensors name of dt ("F32", "BF16", ...).
const char *fz_wdtype_name(fz_wdtype dt);
// Parses a safetensors dtype name; -1 when unknown.
int fz_wdtype_parse(const char *s);
// The fusor tensor dtype that dt maps to directly (F32 F16 BF16 U8 U16 I32), or -1.
int fz_wdtype_to_fz(fz_wdtype dt);

// An empty set.
void fz_weights_init(fz_weights *w);
// Releases names, metadata, owned buffers and the mapping; leaves an empty set.
void fz_weights_free(fz_weights *w);
// Appends tensor (name, dt, shape[0..ndim)) whose nbytes bytes at data are borrowed (they must live
// as long as w: point into w's mapping or a buffer given to fz_weights_own). Checks ndim <= 8,
// non-negative dims, numel <= 2^40 and nbytes == numel * dtype size. Does not check name uniqueness.
int fz_weights_add(fz_weights *w, const char *name, fz_wdtype dt, int ndim, const int64_t *shape,
                   const void *data, size_t nbytes, fz_err *err);
// Hands a malloc'd buffer to w (freed with w; freed at once when this fails).
int fz_weights_own(fz_weights *w, void *buf, fz_err *err);
// The tensor called name, or NULL (linear search).
const fz_wtensor *fz_weights_find(const fz_weights *w, const char *name);
// The metadata value for key, or NULL.
const char *fz_weights_meta_get(const fz_weights *w, const char *key);
// Sets (adds or replaces) metadata key = value (both copied).
int fz_weights_meta_set(fz_weights *w, const char *key, const char *value, fz_err *err);
// Appends metadata key = value without looking for an existing key (the caller guarantees
// uniqueness, e.g. after sorting): O(1), for readers of large headers.
int fz_weights_meta_append(fz_weights *w, const char *key, const char *value, fz_err *err);
// Sum of numel over all tensors (aliased tensors count once per name).
int64_t fz_weights_param_count(const fz_weights *w);
// Index of the first duplicated tensor name (sorting; O(n log n)), or -1 when all names differ.
int fz_weights_first_duplicate(const fz_weights *w);

// Element i of t as a double (any file dtype; unaligned-safe).
double fz_wtensor_get_f64(const fz_wtensor *t, int64_t i);
// Writes "[3, 8]" into buf.
const char *fz_wshape_str(int ndim, const int64_t *shape, char *buf, size_t n);
// Copies src into dst (n bytes incl. NUL) replacing control bytes with '?': safe to print.
const char *fz_printable(const char *src, char *dst, size_t n);

// Loads any weights file by content: a zip ("PK\3\4": PyTorch .pth) or a legacy torch pickle
// goes to pth_open, anything else to st_open. Messages name the file by path.
int fz_weights_load(const char *path, fz_weights *w, fz_err *err);

#define FZ_WLOAD_F64_TO_F32 1  // flag: convert an F64 tensor to f32 instead of refusing it
// Copies t into a new fz_tensor on backend be (NULL = host malloc). F32/F16/BF16/U8/U16/I32 map
// directly; F64 converts to f32 when flags has FZ_WLOAD_F64_TO_F32; other dtypes and > 5 dims fail.
int fz_wtensor_to_tensor(const fz_wtensor *t, const struct fz_backend *be, int flags, fz_tensor *out,
                         fz_err *err);

// A key-mapping hook: renames w's tensors from official checkpoint names to fusor's names.
typedef int (*fz_weights_keymap_fn)(fz_weights *w, fz_err *err);

#endif
