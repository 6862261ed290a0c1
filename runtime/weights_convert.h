// weights_convert.h — converting a .pth or .safetensors file into a fusor safetensors file with
// metadata (fusor.arch, fusor.hparams, fusor.source, fusor.version), as `fusor convert` does.
#ifndef FZ_WEIGHTS_CONVERT_H
#define FZ_WEIGHTS_CONVERT_H
#include "error.h"
#include "weights.h"

typedef struct fz_convert_opts {
  const char *arch;                 // fusor.arch to record (NULL: keep the input's, if any)
  fz_weights_keymap_fn keymap;      // renames tensors for arch (NULL: checkpoint names kept)
  int nset;                         // hyper-parameters merged into the fusor.hparams JSON object:
  const char *const *set_keys;      //   value parsed as JSON (number, bool, null, array, object)
  const char *const *set_vals;      //   or else stored as a JSON string
  int nmeta;                        // raw metadata key = value strings
  const char *const *meta_keys;
  const char *const *meta_vals;
  int overwrite;                    // replace an existing output
} fz_convert_opts;

// Builds the output metadata into w: input metadata, then raw keys, fusor.arch, merged
// fusor.hparams (keys sorted), fusor.source = "<input base name> sha256:<hex>" unless already
// present, and fusor.version. in_path is hashed for fusor.source.
int fz_convert_metadata(fz_weights *w, const char *in_path, const fz_convert_opts *o, fz_err *err);
// Loads in_path (.pth or .safetensors), applies o (metadata, key map) and writes out_path
// atomically; fills *out_w (when non-NULL) with the loaded set (caller frees), for reporting.
int fz_weights_convert(const char *in_path, const char *out_path, const fz_convert_opts *o, fz_weights *out_w, fz_err *err);
#endif
