// pth.h — PyTorch checkpoint (.pth/.pt, torch.save zip format) reader, in C, executing nothing.
// The zip (libzip) holds <folder>/data.pkl (a pickle read by the restricted unpickler, unpickle.h)
// and one entry <folder>/data/<key> per storage (raw little-endian elements). Tensors become
// fz_weights entries with their dtype kept; views are gathered into contiguous data and several
// names may share one storage (aliasing). Nested dicts are flattened (rule in docs/WEIGHTS.md).
#ifndef FZ_PTH_H
#define FZ_PTH_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "weights.h"

#define PTH_MAX_NEST 16  // deepest dict nesting flattened into tensor names

// Parses a checkpoint image of len bytes at buf (display names it in messages). On success w owns
// copies of all tensor data (buf may be released). On failure w is left empty.
int pth_parse_mem(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err);
// Reads the checkpoint file at path (mapped, parsed, unmapped).
int pth_open(const char *path, fz_weights *w, fz_err *err);

// Supplies the bytes of storage key: exactly nbytes bytes that live as long as w (give buffers to
// w with fz_weights_own). Fails with a message naming the storage when missing or the wrong size.
typedef int (*pth_storage_fn)(void *ctx, fz_weights *w, const char *key, size_t nbytes, const uint8_t **data, fz_err *err);
// Unpickles pkl (display names it) and fills w with the state_dict tensors it describes, fetching
// storages through fn (each key once). Used by pth_parse_mem, the tests and the fuzz target.
int pth_from_pickle(const void *pkl, size_t len, const char *display, pth_storage_fn fn, void *fn_ctx, fz_weights *w,
                    fz_err *err);

#endif
