// fuzz_pth.c — libFuzzer target for the .pth reader. Inputs starting with "PK" go through the whole
// zip + unpickler path (pth_parse_mem); anything else is fed to the restricted unpickler directly
// (pth_from_pickle) with a fake storage provider, so mutations reach the pickle machine without
// first having to repair zip CRCs.
#include "pth.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Fake storages: zero-filled, at most 1 MiB each (bounds the fuzzer's memory).
static int fake_storage(void *ctx, fz_weights *w, const char *key, size_t nbytes, const uint8_t **data, fz_err *err) {
  if (nbytes > (1u << 20)) return fz_fail(err, FZ_EFORMAT, "fake storage '%s' of %zu bytes is over 1 MiB", key, nbytes);
  uint8_t *b = calloc(1, nbytes ? nbytes : 1);
  if (!b) return fz_fail(err, FZ_ENOMEM, "out of memory");
  if (fz_weights_own(w, b, err)) return err->code;
  *data = b;
  return FZ_OK;
}

// Fuzzer entry point: data[0..size) is a candidate .pth zip or a raw data.pkl.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_weights w;
  fz_err err = {0};
  int rc = size >= 2 && data[0] == 'P' && data[1] == 'K' ? pth_parse_mem(data, size, "fuzz.pth", &w, &err)
                                                         : pth_from_pickle(data, size, "fuzz.pkl", fake_storage, NULL, &w, &err);
  if (rc) {
    if (!err.msg[0] || w.count) abort();  // a failure must explain itself and leave nothing
    return 0;
  }
  uint64_t sum = 0;
  for (int i = 0; i < w.count; i++) {
    const fz_wtensor *t = &w.tensors[i];
    for (size_t k = 0; k < t->nbytes; k++) sum += t->data[k];  // touch every byte (ASan checks bounds)
    if (!t->name[0]) abort();
  }
  if (fz_weights_first_duplicate(&w) >= 0) abort();
  fz_weights_free(&w);
  return (int)(sum & 0);
}
