// pth_builder.c — pickle and .pth zip construction for the weights tests (see pth_builder.h).
#include "pth_builder.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_ZIP
#include <zip.h>
#endif

void pb_free(pkb *p) { free(p->b); memset(p, 0, sizeof *p); }

void pb_raw(pkb *p, const void *d, size_t n) {
  if (p->n + n > p->cap) {
    size_t nc = p->cap ? p->cap : 1024;
    while (nc < p->n + n) nc *= 2;
    uint8_t *q = realloc(p->b, nc);
    if (!q) abort();  // test helper: out of memory is fatal
    p->b = q;
    p->cap = nc;
  }
  memcpy(p->b + p->n, d, n);
  p->n += n;
}

void pb_op(pkb *p, uint8_t c) { pb_raw(p, &c, 1); }

// Appends v as n little-endian bytes.
static void le(pkb *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) pb_op(p, (uint8_t)(v >> (8 * i)));
}

void pb_str(pkb *p, const char *s) {
  pb_op(p, 'X');
  le(p, strlen(s), 4);
  pb_raw(p, s, strlen(s));
}

void pb_int(pkb *p, int64_t v) {
  if (v >= 0 && v < 256) { pb_op(p, 'K'); le(p, (uint64_t)v, 1); }
  else if (v >= 0 && v < 65536) { pb_op(p, 'M'); le(p, (uint64_t)v, 2); }
  else if (v >= INT32_MIN && v <= INT32_MAX) { pb_op(p, 'J'); le(p, (uint64_t)v, 4); }
  else { pb_op(p, 0x8a); pb_op(p, 8); le(p, (uint64_t)v, 8); }
}

void pb_global(pkb *p, const char *mod, const char *name) {
  pb_op(p, 'c');
  pb_raw(p, mod, strlen(mod));
  pb_op(p, '\n');
  pb_raw(p, name, strlen(name));
  pb_op(p, '\n');
}

void pb_dict_begin(pkb *p) {
  pb_op(p, 0x80); pb_op(p, 2);
  pb_global(p, "collections", "OrderedDict");
  pb_op(p, ')'); pb_op(p, 'R');
  pb_op(p, '(');
}

void pb_dict_end(pkb *p) { pb_op(p, 'u'); }

void pb_tensor(pkb *p, const char *stype, const char *key, int64_t numel, int64_t off, int nd, const int64_t *size,
               const int64_t *stride) {
  pb_global(p, "torch._utils", "_rebuild_tensor_v2");
  pb_op(p, '(');
  pb_op(p, '(');
  pb_str(p, "storage");
  pb_global(p, "torch", stype);
  pb_str(p, key);
  pb_str(p, "cpu");
  pb_int(p, numel);
  pb_op(p, 't');
  pb_op(p, 'Q');
  pb_int(p, off);
  pb_op(p, '(');
  for (int i = 0; i < nd; i++) pb_int(p, size[i]);
  pb_op(p, 't');
  pb_op(p, '(');
  for (int i = 0; i < nd; i++) pb_int(p, stride[i]);
  pb_op(p, 't');
  pb_op(p, 0x89);
  pb_global(p, "collections", "OrderedDict");
  pb_op(p, ')'); pb_op(p, 'R');
  pb_op(p, 't');
  pb_op(p, 'R');
}

void pb_tensor1(pkb *p, const char *key, int64_t numel) {
  int64_t s = numel, st = 1;
  pb_tensor(p, "FloatStorage", key, numel, 0, 1, &s, &st);
}

#ifdef FZ_HAVE_ZIP
int pb_write_zip(const char *path, const pb_entry *e, int n) {
  int zerr = 0;
  zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
  if (!za) return -1;
  for (int i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(za, e[i].data, e[i].len, 0);
    zip_int64_t idx = s ? zip_file_add(za, e[i].name, s, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) { zip_source_free(s); zip_discard(za); return -1; }
    zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
  }
  return zip_close(za) == 0 ? 0 : -1;
}
#else
int pb_write_zip(const char *path, const pb_entry *e, int n) { return -1; }
#endif

int pb_write_pth(const char *path, const char *folder, const pkb *pickle, int nstorages, const char *const *keys,
                 const void *const *data, const size_t *lens) {
  pb_entry *e = calloc((size_t)nstorages + 2, sizeof *e);
  char (*names)[128] = calloc((size_t)nstorages + 2, sizeof *names);
  if (!e || !names) abort();
  snprintf(names[0], 128, "%s/data.pkl", folder);
  snprintf(names[1], 128, "%s/version", folder);
  e[0] = (pb_entry){names[0], pickle->b, pickle->n};
  e[1] = (pb_entry){names[1], "3\n", 2};
  for (int i = 0; i < nstorages; i++) {
    snprintf(names[i + 2], 128, "%s/data/%s", folder, keys[i]);
    e[i + 2] = (pb_entry){names[i + 2], data[i], lens[i]};
  }
  int rc = pb_write_zip(path, e, nstorages + 2);
  free(e);
  free(names);
  return rc;
}
