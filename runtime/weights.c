// weights.c — the named tensor set shared by the safetensors and .pth readers.
#include "weights.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char *wd_names[FZ_W_DTYPE_COUNT] = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8",
                                                 "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2"};
static const size_t wd_sizes[FZ_W_DTYPE_COUNT] = {8, 4, 2, 2, 8, 4, 2, 1, 1, 2, 4, 8, 1, 1, 1};

size_t fz_wdtype_size(fz_wdtype dt) { return (unsigned)dt < FZ_W_DTYPE_COUNT ? wd_sizes[dt] : 0; }
const char *fz_wdtype_name(fz_wdtype dt) { return (unsigned)dt < FZ_W_DTYPE_COUNT ? wd_names[dt] : "?"; }

int fz_wdtype_parse(const char *s) {
  for (int i = 0; i < FZ_W_DTYPE_COUNT; i++)
    if (strcmp(s, wd_names[i]) == 0) return i;
  return -1;
}

int fz_wdtype_to_fz(fz_wdtype dt) {
  switch (dt) {
    case FZ_W_F32: return FZ_F32;
    case FZ_W_F16: return FZ_F16;
    case FZ_W_BF16: return FZ_BF16;
    case FZ_W_U8: return FZ_U8;
    case FZ_W_U16: return FZ_U16;
    case FZ_W_I32: return FZ_I32;
    default: return -1;
  }
}

void fz_weights_init(fz_weights *w) { memset(w, 0, sizeof *w); }

void fz_weights_free(fz_weights *w) {
  if (!w) return;
  for (int i = 0; i < w->count; i++) free(w->tensors[i].name);
  free(w->tensors);
  for (int i = 0; i < w->nmeta; i++) { free(w->meta[i].key); free(w->meta[i].value); }
  free(w->meta);
  for (int i = 0; i < w->nowned; i++) free(w->owned[i]);
  free(w->owned);
  if (w->map) munmap(w->map, w->map_len);
  memset(w, 0, sizeof *w);
}

// Grows a (ptr, cap) array to hold at least need elements of size esz.
static int grow(void **p, int *cap, int need, size_t esz, fz_err *err) {
  if (need <= *cap) return FZ_OK;
  int nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, (size_t)nc * esz);
  if (!q) return fz_fail(err, FZ_ENOMEM, "weights: out of memory growing a table to %d entries", nc);
  *p = q;
  *cap = nc;
  return FZ_OK;
}

int fz_weights_add(fz_weights *w, const char *name, fz_wdtype dt, int ndim, const int64_t *shape,
                   const void *data, size_t nbytes, fz_err *err) {
  char pn[160], sb[256];
  if ((unsigned)dt >= FZ_W_DTYPE_COUNT) return fz_fail(err, FZ_EINVAL, "tensor '%s': unknown dtype %d", fz_printable(name, pn, sizeof pn), (int)dt);
  if (ndim < 0 || ndim > FZ_W_MAX_DIMS)
    return fz_fail(err, FZ_EFORMAT, "tensor '%s': %d dims, expected 0..%d", fz_printable(name, pn, sizeof pn), ndim, FZ_W_MAX_DIMS);
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0 || (shape[i] && numel > FZ_MAX_NUMEL / shape[i]))
      return fz_fail(err, FZ_EFORMAT, "tensor '%s': shape %s has a negative dim or more than 2^40 elements",
                     fz_printable(name, pn, sizeof pn), fz_wshape_str(ndim, shape, sb, sizeof sb));
    numel *= shape[i];
  }
  if ((uint64_t)numel * fz_wdtype_size(dt) != (uint64_t)nbytes)
    return fz_fail(err, FZ_EFORMAT, "tensor '%s': %zu bytes given, expected %lld for %s %s", fz_printable(name, pn, sizeof pn),
                   nbytes, (long long)numel * (long long)fz_wdtype_size(dt), fz_wdtype_name(dt), fz_wshape_str(ndim, shape, sb, sizeof sb));
  if (grow((void **)&w->tensors, &w->cap, w->count + 1, sizeof *w->tensors, err)) return err ? err->code : FZ_ENOMEM;
  char *nm = strdup(name);
  if (!nm) return fz_fail(err, FZ_ENOMEM, "weights: out of memory copying a tensor name");
  fz_wtensor *t = &w->tensors[w->count++];
  memset(t, 0, sizeof *t);
  t->name = nm;
  t->dtype = dt;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
  t->numel = numel;
  t->data = nbytes ? data : NULL;
  t->nbytes = nbytes;
  return FZ_OK;
}

int fz_weights_own(fz_weights *w, void *buf, fz_err *err) {
  if (grow((void **)&w->owned, &w->owned_cap, w->nowned + 1, sizeof *w->owned, err)) { free(buf); return err ? err->code : FZ_ENOMEM; }
  w->owned[w->nowned++] = buf;
  return FZ_OK;
}

const fz_wtensor *fz_weights_find(const fz_weights *w, const char *name) {
  for (int i = 0; i < w->count; i++)
    if (strcmp(w->tensors[i].name, name) == 0) return &w->tensors[i];
  return NULL;
}

const char *fz_weights_meta_get(const fz_weights *w, const char *key) {
  for (int i = 0; i < w->nmeta; i++)
    if (strcmp(w->meta[i].key, key) == 0) return w->meta[i].value;
  return NULL;
}

int fz_weights_meta_set(fz_weights *w, const char *key, const char *value, fz_err *err) {
  char *v = strdup(value);
  if (!v) return fz_fail(err, FZ_ENOMEM, "weights: out of memory copying metadata '%s'", key);
  for (int i = 0; i < w->nmeta; i++)
    if (strcmp(w->meta[i].key, key) == 0) { free(w->meta[i].value); w->meta[i].value = v; return FZ_OK; }
  char *k = strdup(key);
  if (!k || grow((void **)&w->meta, &w->meta_cap, w->nmeta + 1, sizeof *w->meta, err)) {
    free(k); free(v);
    return fz_fail(err, FZ_ENOMEM, "weights: out of memory adding metadata '%s'", key);
  }
  w->meta[w->nmeta++] = (fz_wmeta){k, v};
  return FZ_OK;
}

int fz_weights_meta_append(fz_weights *w, const char *key, const char *value, fz_err *err) {
  char *k = strdup(key), *v = strdup(value);
  if (!k || !v || grow((void **)&w->meta, &w->meta_cap, w->nmeta + 1, sizeof *w->meta, err)) {
    free(k); free(v);
    return fz_fail(err, FZ_ENOMEM, "weights: out of memory adding metadata");
  }
  w->meta[w->nmeta++] = (fz_wmeta){k, v};
  return FZ_OK;
}

int64_t fz_weights_param_count(const fz_weights *w) {
  int64_t n = 0;
  for (int i = 0; i < w->count; i++) n += w->tensors[i].numel;
  return n;
}

// qsort order of tensor pointers: by name, then by position.
static int cmp_name_idx(const void *a, const void *b) {
  const fz_wtensor *x = *(fz_wtensor *const *)a, *y = *(fz_wtensor *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x < y ? -1 : x > y);
}

int fz_weights_first_duplicate(const fz_weights *w) {
  if (w->count < 2) return -1;
  fz_wtensor **ix = malloc((size_t)w->count * sizeof *ix);
  if (!ix) {  // fall back to the quadratic check rather than fail
    for (int i = 0; i < w->count; i++)
      for (int j = 0; j < i; j++)
        if (!strcmp(w->tensors[i].name, w->tensors[j].name)) return i;
    return -1;
  }
  for (int i = 0; i < w->count; i++) ix[i] = &w->tensors[i];
  qsort(ix, (size_t)w->count, sizeof *ix, cmp_name_idx);
  int dup = -1;
  for (int i = 1; i < w->count; i++)
    if (!strcmp(ix[i]->name, ix[i - 1]->name)) {
      int k = (int)(ix[i] - w->tensors);
      if (dup < 0 || k < dup) dup = k;
    }
  free(ix);
  return dup;
}

// OCP FP8 E4M3FN (no infinities, 0x7f/0xff = NaN) and E5M2 (IEEE-like) to double.
static double f8_to_f64(uint8_t v, int e4m3) {
  int s = v >> 7, e, m;
  double r;
  if (e4m3) {
    e = (v >> 3) & 15; m = v & 7;
    if (e == 15 && m == 7) return NAN;
    r = e ? ldexp(1.0 + m / 8.0, e - 7) : ldexp(m / 8.0, -6);
  } else {
    e = (v >> 2) & 31; m = v & 3;
    if (e == 31) return m ? NAN : (s ? -INFINITY : INFINITY);
    r = e ? ldexp(1.0 + m / 4.0, e - 15) : ldexp(m / 4.0, -14);
  }
  return s ? -r : r;
}

double fz_wtensor_get_f64(const fz_wtensor *t, int64_t i) {
  const uint8_t *p = t->data + (size_t)i * fz_wdtype_size(t->dtype);
  union { double d; float f; int64_t i64; uint64_t u64; int32_t i32; uint32_t u32; int16_t i16; uint16_t u16; } u;
  memcpy(&u, p, fz_wdtype_size(t->dtype));
  switch (t->dtype) {
    case FZ_W_F64: return u.d;
    case FZ_W_F32: return u.f;
    case FZ_W_F16: return fz_f16_to_f32(u.u16);
    case FZ_W_BF16: return fz_bf16_to_f32(u.u16);
    case FZ_W_I64: return (double)u.i64;
    case FZ_W_I32: return u.i32;
    case FZ_W_I16: return u.i16;
    case FZ_W_I8: return (int8_t)p[0];
    case FZ_W_U8: return p[0];
    case FZ_W_U16: return u.u16;
    case FZ_W_U32: return u.u32;
    case FZ_W_U64: return (double)u.u64;
    case FZ_W_BOOL: return p[0] != 0;
    case FZ_W_F8_E4M3: return f8_to_f64(p[0], 1);
    case FZ_W_F8_E5M2: return f8_to_f64(p[0], 0);
    default: return NAN;
  }
}

const char *fz_wshape_str(int ndim, const int64_t *shape, char *buf, size_t n) {
  size_t o = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && o < n; i++) o += (size_t)snprintf(buf + o, n - o, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (o < n) snprintf(buf + o, n - o, "]");
  return buf;
}

const char *fz_printable(const char *src, char *dst, size_t n) {
  size_t i = 0;
  if (!n) return dst;
  for (; src && src[i] && i + 1 < n; i++) dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
  dst[i] = 0;
  return dst;
}
