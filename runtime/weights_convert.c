// weights_convert.c — metadata assembly and the .pth/.safetensors -> safetensors conversion.
#include "weights_convert.h"
#include "safetensors.h"
#include "sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef FZ_HAVE_CJSON
#include <cJSON.h>
#endif
#ifndef FUSOR_VERSION
#define FUSOR_VERSION "unknown"
#endif

#ifdef FZ_HAVE_CJSON
// qsort order of cJSON items by key.
static int by_string(const void *a, const void *b) {
  return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

// Merges o's --set pairs into the JSON object text `old` (may be NULL); writes sorted compact JSON.
static int merge_hparams(const char *old, const fz_convert_opts *o, char **out, fz_err *err) {
  cJSON *obj = old ? cJSON_Parse(old) : cJSON_CreateObject();
  if (!obj || !cJSON_IsObject(obj)) {
    cJSON_Delete(obj);
    return fz_fail(err, FZ_EINVAL, "metadata 'fusor.hparams' is not a JSON object: '%.200s'", old ? old : "");
  }
  for (int i = 0; i < o->nset; i++) {
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(o->set_vals[i], &end, 1);
    if (!v) v = cJSON_CreateString(o->set_vals[i]);
    if (!v) { cJSON_Delete(obj); return fz_fail(err, FZ_ENOMEM, "out of memory building fusor.hparams"); }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, o->set_keys[i]);
    cJSON_AddItemToObject(obj, o->set_keys[i], v);
  }
  int n = cJSON_GetArraySize(obj);
  cJSON **kids = malloc((size_t)(n ? n : 1) * sizeof *kids);
  if (!kids) { cJSON_Delete(obj); return fz_fail(err, FZ_ENOMEM, "out of memory building fusor.hparams"); }
  int k = 0;
  while (obj->child) kids[k++] = cJSON_DetachItemViaPointer(obj, obj->child);
  qsort(kids, (size_t)k, sizeof *kids, by_string);
  for (int i = 0; i < k; i++) cJSON_AddItemToArray(obj, kids[i]);  // keeps each item's key
  free(kids);
  *out = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  if (!*out) return fz_fail(err, FZ_ENOMEM, "out of memory printing fusor.hparams");
  return FZ_OK;
}
#else
static int merge_hparams(const char *old, const fz_convert_opts *o, char **out, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "fusor.hparams needs cJSON (libcjson-dev), absent from this build");
}
#endif

int fz_convert_metadata(fz_weights *w, const char *in_path, const fz_convert_opts *o, fz_err *err) {
  for (int i = 0; i < o->nmeta; i++) {
    if (!o->meta_keys[i][0]) return fz_fail(err, FZ_EINVAL, "metadata key is empty");
    if (fz_weights_meta_set(w, o->meta_keys[i], o->meta_vals[i], err)) return err->code;
  }
  if (o->arch && fz_weights_meta_set(w, "fusor.arch", o->arch, err)) return err->code;
  const char *old = fz_weights_meta_get(w, "fusor.hparams");
  if (o->nset || old) {
    for (int i = 0; i < o->nset; i++)
      if (!o->set_keys[i][0]) return fz_fail(err, FZ_EINVAL, "hyper-parameter name is empty (expected --set name=value)");
    char *h = NULL;
    if (merge_hparams(old, o, &h, err)) return err->code;
    int rc = fz_weights_meta_set(w, "fusor.hparams", h, err);
    free(h);
    if (rc) return rc;
  }
  if (!fz_weights_meta_get(w, "fusor.source")) {
    char hex[65], src[1200];
    if (fz_sha256_file(in_path, hex, err)) return err->code;
    const char *base = strrchr(in_path, '/');
    snprintf(src, sizeof src, "%.1000s sha256:%s", base ? base + 1 : in_path, hex);
    if (fz_weights_meta_set(w, "fusor.source", src, err)) return err->code;
  }
  return fz_weights_meta_set(w, "fusor.version", FUSOR_VERSION, err);
}

int fz_weights_convert(const char *in_path, const char *out_path, const fz_convert_opts *o, fz_weights *out_w, fz_err *err) {
  struct stat s;
  if (!o->overwrite && stat(out_path, &s) == 0)
    return fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it (use --force)", out_path);
  fz_weights w;
  int rc = fz_weights_load(in_path, &w, err);
  if (rc) return rc;
  if (o->keymap && (rc = o->keymap(&w, err))) { fz_weights_free(&w); return fz_wrap(err, "%s: key mapping for arch '%s'", in_path, o->arch ? o->arch : "?"); }
  rc = fz_convert_metadata(&w, in_path, o, err);
  st_writer wr;
  st_writer_init(&wr);
  if (!rc) rc = st_writer_add_weights(&wr, &w, err);
  if (!rc) rc = st_writer_write(&wr, out_path, o->overwrite ? ST_OVERWRITE : 0, err);
  st_writer_free(&wr);
  if (rc || !out_w) fz_weights_free(&w);
  else *out_w = w;
  return rc;
}
