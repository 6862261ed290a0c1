// fuzz_safetensors.c — libFuzzer target: st_parse on arbitrary bytes must fail cleanly or yield a
// set whose every tensor lies inside the buffer; the writer must re-emit what was parsed.
#include "safetensors.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Fuzzer entry point: data[0..size) is a candidate safetensors image.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_weights w;
  fz_err err = {0};
  if (st_parse(data, size, "fuzz.safetensors", &w, &err)) {
    if (!err.msg[0] || w.count) abort();  // a failure must explain itself and leave nothing
    return 0;
  }
  uint64_t sum = 0;
  for (int i = 0; i < w.count; i++) {
    const fz_wtensor *t = &w.tensors[i];
    if (t->nbytes && (t->data < data || t->data + t->nbytes > data + size)) abort();
    for (size_t k = 0; k < t->nbytes; k++) sum += t->data[k];  // touch every byte (ASan checks bounds)
    if (t->numel) (void)fz_wtensor_get_f64(t, t->numel - 1);
  }
  st_writer wr;
  st_writer_init(&wr);
  char *hdr = NULL;
  size_t hl = 0;
  if (!st_writer_add_weights(&wr, &w, &err) && !st_writer_header(&wr, &hdr, &hl, &err)) {
    // the header we write for a valid set must itself parse with the same tensors
    size_t n = 8 + hl;
    for (int i = 0; i < w.count; i++) n += w.tensors[i].nbytes;
    uint8_t *img = calloc(1, n);
    if (img) {
      for (int k = 0; k < 8; k++) img[k] = (uint8_t)((uint64_t)hl >> (8 * k));
      memcpy(img + 8, hdr, hl);
      fz_weights r;
      if (st_parse(img, n, "rewritten", &r, &err) || r.count != w.count) abort();
      fz_weights_free(&r);
      free(img);
    }
  }
  free(hdr);
  st_writer_free(&wr);
  fz_weights_free(&w);
  return (int)(sum & 0);
}
