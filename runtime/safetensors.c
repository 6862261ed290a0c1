// safetensors.c — the safetensors reader: mmap + full validation of the header and data layout.
#include "safetensors.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef FZ_HAVE_CJSON
#include <cJSON.h>

// A number token of the header text: where it starts and how long it is.
typedef struct { const char *p; size_t n; } numtok;

// Finds every JSON number token outside strings in s[0..n), in document order (the same tokens
// cJSON parsed; see parse_number in cJSON.c: a run of [0-9+-eE.] starting at '-' or a digit).
static int scan_numbers(const char *s, size_t n, numtok **out, size_t *count) {
  size_t cap = 64, k = 0;
  numtok *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (c == '"') {
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
      i++;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < n && strchr("0123456789+-eE.", s[j]) && s[j]) j++;
      if (k == cap) {
        numtok *q = realloc(t, 2 * cap * sizeof *t);
        if (!q) { free(t); return -1; }
        t = q;
        cap *= 2;
      }
      t[k++] = (numtok){s + i, j - i};
      i = j;
    } else i++;
  }
  *out = t;
  *count = k;
  return 0;
}

// Stores in each number node's valueint the index of its token (pre-order = document order).
static void number_ids(cJSON *node, int *next) {
  for (cJSON *c = node; c; c = c->next) {
    if (cJSON_IsNumber(c)) c->valueint = (*next)++;
    if (c->child) number_ids(c->child, next);
  }
}

typedef struct {
  const char *display;
  numtok *toks;
  size_t ntoks;
} hdr_ctx;

// Parses number node v as a non-negative JSON integer from its source text; fails naming what.
static int get_uint(const hdr_ctx *h, const cJSON *v, const char *tname, const char *field, int64_t *out, fz_err *err) {
  char pn[160];
  fz_printable(tname, pn, sizeof pn);
  if (!cJSON_IsNumber(v))
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': %s holds a non-number, expected non-negative integers", h->display, pn, field);
  if (v->valueint < 0 || (size_t)v->valueint >= h->ntoks)
    return fz_fail(err, FZ_EFORMAT, "%s: header: number tokens do not match the parsed JSON", h->display);
  const numtok *t = &h->toks[v->valueint];
  char txt[40];
  snprintf(txt, sizeof txt, "%.*s", (int)(t->n < 32 ? t->n : 32), t->p);
  if (t->n && t->p[0] == '-')
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': %s holds %s, expected non-negative integers", h->display, pn, field, txt);
  int64_t x = 0;
  for (size_t i = 0; i < t->n; i++) {
    char c = t->p[i];
    if (c < '0' || c > '9' || (i == 0 && c == '0' && t->n > 1))
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': %s holds %s, expected non-negative integers (no fractions, exponents or leading zeros)",
                     h->display, pn, field, txt);
    if (x > (INT64_MAX - (c - '0')) / 10)
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': %s holds %s, larger than 2^63-1", h->display, pn, field, txt);
    x = x * 10 + (c - '0');
  }
  if (fabs(v->valuedouble - (double)x) > 1e-6 * (double)x + 0.5)
    return fz_fail(err, FZ_EFORMAT, "%s: header: number tokens do not match the parsed JSON", h->display);
  *out = x;
  return FZ_OK;
}

typedef struct { int64_t begin, end; int idx; } span;

// qsort order of spans: by begin, then end, then header position.
static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->idx - y->idx;
}

// Writes "3*8*4" (dims then element size) into buf.
static const char *product_str(int ndim, const int64_t *shape, size_t esz, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  for (int i = 0; i < ndim && o < n; i++) o += (size_t)snprintf(buf + o, n - o, "%lld*", (long long)shape[i]);
  if (o < n) snprintf(buf + o, n - o, "%zu", esz);
  return buf;
}

// Writes "[3,8]" (no spaces, as in the header) into buf.
static const char *compact_shape(int ndim, const int64_t *shape, char *buf, size_t n) {
  size_t o = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && o < n; i++) o += (size_t)snprintf(buf + o, n - o, i ? ",%lld" : "%lld", (long long)shape[i]);
  if (o < n) snprintf(buf + o, n - o, "]");
  return buf;
}

// qsort order of cJSON items by key.
static int cmp_item_key(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

// Validates the "__metadata__" object (string -> string, no duplicate keys) and stores it in w.
static int parse_metadata(const hdr_ctx *h, const cJSON *m, fz_weights *w, fz_err *err) {
  char pk[160];
  if (!cJSON_IsObject(m))
    return fz_fail(err, FZ_EFORMAT, "%s: __metadata__ is not an object, expected an object of string -> string", h->display);
  int n = 0;
  for (const cJSON *e = m->child; e; e = e->next) {
    if (!cJSON_IsString(e))
      return fz_fail(err, FZ_EFORMAT, "%s: __metadata__ key '%s' holds a non-string value, expected a string", h->display,
                     fz_printable(e->string, pk, sizeof pk));
    n++;
  }
  const cJSON **ix = malloc((size_t)(n ? n : 1) * sizeof *ix);
  if (!ix) return fz_fail(err, FZ_ENOMEM, "%s: out of memory for %d metadata entries", h->display, n);
  n = 0;
  for (const cJSON *e = m->child; e; e = e->next) ix[n++] = e;
  qsort(ix, (size_t)n, sizeof *ix, cmp_item_key);  // duplicates become neighbours: O(n log n)
  for (int i = 1; i < n; i++)
    if (!strcmp(ix[i]->string, ix[i - 1]->string)) {
      fz_printable(ix[i]->string, pk, sizeof pk);
      free(ix);
      return fz_fail(err, FZ_EFORMAT, "%s: __metadata__ key '%s' appears twice, expected unique keys", h->display, pk);
    }
  free(ix);
  for (const cJSON *e = m->child; e; e = e->next)  // header order
    if (fz_weights_meta_append(w, e->string, e->valuestring, err)) return err ? err->code : FZ_ENOMEM;
  return FZ_OK;
}

// Validates one tensor entry {"dtype","shape","data_offsets"}; fills its dtype, shape and span.
static int parse_entry(const hdr_ctx *h, const cJSON *e, int64_t data_len, fz_wdtype *dt, int *ndim, int64_t *shape,
                       int64_t *begin, int64_t *end, fz_err *err) {
  char pn[160], f[64];
  fz_printable(e->string, pn, sizeof pn);
  if (!cJSON_IsObject(e))
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': value is not an object, expected {\"dtype\", \"shape\", \"data_offsets\"}", h->display, pn);
  const cJSON *jd = NULL, *js = NULL, *jo = NULL;
  for (const cJSON *c = e->child; c; c = c->next) {
    const cJSON **slot = !strcmp(c->string, "dtype") ? &jd : !strcmp(c->string, "shape") ? &js : !strcmp(c->string, "data_offsets") ? &jo : NULL;
    if (!slot)
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': unexpected field '%s', expected exactly dtype, shape, data_offsets",
                     h->display, pn, fz_printable(c->string, f, sizeof f));
    if (*slot) return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': field '%s' appears twice", h->display, pn, c->string);
    *slot = c;
  }
  if (!jd || !js || !jo)
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': missing field '%s', expected dtype, shape, data_offsets", h->display, pn,
                   !jd ? "dtype" : !js ? "shape" : "data_offsets");
  if (!cJSON_IsString(jd)) return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': dtype is not a string", h->display, pn);
  int d = fz_wdtype_parse(jd->valuestring);
  if (d < 0)
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': unknown dtype '%s', expected one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 U16 U32 U64 BOOL F8_E4M3 F8_E5M2",
                   h->display, pn, fz_printable(jd->valuestring, f, sizeof f));
  *dt = (fz_wdtype)d;
  if (!cJSON_IsArray(js)) return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': shape is not an array, expected an array of non-negative integers", h->display, pn);
  int nd = cJSON_GetArraySize(js);
  if (nd > FZ_W_MAX_DIMS) return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': shape has %d dims, expected at most %d", h->display, pn, nd, FZ_W_MAX_DIMS);
  int64_t numel = 1;
  int i = 0;
  for (const cJSON *c = js->child; c; c = c->next, i++) {
    if (get_uint(h, c, e->string, "shape", &shape[i], err)) return err ? err->code : FZ_EFORMAT;
    if (shape[i] && numel > FZ_MAX_NUMEL / shape[i]) {
      char sb[256];
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': shape %s has more than 2^40 elements", h->display, pn,
                     compact_shape(nd, shape, sb, sizeof sb));
    }
    numel *= shape[i];
  }
  *ndim = nd;
  if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2)
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets is not an array of 2 integers [begin, end]", h->display, pn);
  if (get_uint(h, jo->child, e->string, "data_offsets", begin, err) || get_uint(h, jo->child->next, e->string, "data_offsets", end, err))
    return err ? err->code : FZ_EFORMAT;
  if (*begin > *end)
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] have begin > end", h->display, pn, (long long)*begin, (long long)*end);
  if (*end > data_len)
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] end past the data region of %lld bytes (file truncated?)",
                   h->display, pn, (long long)*begin, (long long)*end, (long long)data_len);
  size_t esz = fz_wdtype_size(*dt);
  if ((uint64_t)(*end - *begin) != (uint64_t)numel * esz) {
    char pb[200], sb[200];
    return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] hold %lld bytes, expected %s = %lld (%s %s)", h->display, pn,
                   (long long)*begin, (long long)*end, (long long)(*end - *begin), product_str(nd, shape, esz, pb, sizeof pb),
                   (long long)(numel * (int64_t)esz), fz_wdtype_name(*dt), compact_shape(nd, shape, sb, sizeof sb));
  }
  return FZ_OK;
}

// Checks that the spans cover [0, data_len) exactly: sorted, no overlap, no hole.
static int check_coverage(const char *display, const fz_weights *w, span *sp, int n, int64_t data_len, fz_err *err) {
  char pa[160], pb[160];
  qsort(sp, (size_t)n, sizeof *sp, cmp_span);
  int64_t pos = 0;
  for (int i = 0; i < n; i++) {
    const char *nm = fz_printable(w->tensors[sp[i].idx].name, pa, sizeof pa);
    if (sp[i].begin < pos)
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] overlap tensor '%s' which ends at %lld", display, nm,
                     (long long)sp[i].begin, (long long)sp[i].end, fz_printable(w->tensors[sp[i - 1].idx].name, pb, sizeof pb), (long long)pos);
    if (sp[i].begin > pos)
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s': data_offsets [%lld, %lld] leave a hole: bytes [%lld, %lld) belong to no tensor", display, nm,
                     (long long)sp[i].begin, (long long)sp[i].end, (long long)pos, (long long)sp[i].begin);
    pos = sp[i].end;
  }
  if (pos != data_len)
    return fz_fail(err, FZ_EFORMAT, "%s: the data region holds %lld bytes but the tensors cover only [0, %lld): trailing bytes belong to no tensor",
                   display, (long long)data_len, (long long)pos);
  return FZ_OK;
}

// Validates the parsed header tree and fills w (data pointers into data).
static int parse_tree(const hdr_ctx *h, const cJSON *root, const uint8_t *data, int64_t data_len, fz_weights *w, fz_err *err) {
  if (!cJSON_IsObject(root)) return fz_fail(err, FZ_EFORMAT, "%s: header is not a JSON object", h->display);
  int n = 0, seen_meta = 0, rc = FZ_OK;
  for (const cJSON *c = root->child; c; c = c->next) n++;
  span *sp = malloc((size_t)(n ? n : 1) * sizeof *sp);
  if (!sp) return fz_fail(err, FZ_ENOMEM, "%s: out of memory for %d header entries", h->display, n);
  int nt = 0;
  for (const cJSON *c = root->child; c; c = c->next) {
    if (!strcmp(c->string, "__metadata__")) {
      if (seen_meta++) { rc = fz_fail(err, FZ_EFORMAT, "%s: __metadata__ appears twice, expected at most once", h->display); break; }
      if ((rc = parse_metadata(h, c, w, err))) break;
      continue;
    }
    if (!c->string[0]) { rc = fz_fail(err, FZ_EFORMAT, "%s: a tensor has an empty name", h->display); break; }
    fz_wdtype dt = FZ_W_F32;
    int nd = 0;
    int64_t shape[FZ_W_MAX_DIMS], b = 0, e = 0;
    if ((rc = parse_entry(h, c, data_len, &dt, &nd, shape, &b, &e, err))) break;
    if ((rc = fz_weights_add(w, c->string, dt, nd, shape, data + b, (size_t)(e - b), err))) {
      fz_wrap(err, "%s", h->display);
      break;
    }
    sp[nt++] = (span){b, e, w->count - 1};
  }
  if (!rc) {
    int d = fz_weights_first_duplicate(w);
    char pn[160];
    if (d >= 0) rc = fz_fail(err, FZ_EFORMAT, "%s: tensor '%s' appears twice in the header, expected unique names", h->display,
                             fz_printable(w->tensors[d].name, pn, sizeof pn));
  }
  if (!rc) rc = check_coverage(h->display, w, sp, nt, data_len, err);
  free(sp);
  return rc;
}

int st_parse(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err) {
  const uint8_t *b = buf;
  fz_weights_init(w);
  if (len < 8) return fz_fail(err, FZ_EFORMAT, "%s: file is %zu bytes, too short for the 8-byte header length (truncated?)", display, len);
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
  if (n < 2) return fz_fail(err, FZ_EFORMAT, "%s: header length %llu is below the minimum of 2 bytes ('{}')", display, (unsigned long long)n);
  if (n > ST_MAX_HEADER)
    return fz_fail(err, FZ_EFORMAT, "%s: header length %llu exceeds the limit of %u bytes (100 MB): not a safetensors file?", display,
                   (unsigned long long)n, ST_MAX_HEADER);
  if (n > len - 8)
    return fz_fail(err, FZ_EFORMAT, "%s: header length %llu exceeds the file: 8 + %llu > %zu bytes (truncated?)", display,
                   (unsigned long long)n, (unsigned long long)n, len);
  const char *hdr = (const char *)b + 8;
  if (hdr[0] != '{') return fz_fail(err, FZ_EFORMAT, "%s: header does not start with '{', expected a JSON object", display);
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
  if (!root) {
    size_t at = end && end >= hdr && end <= hdr + n ? (size_t)(end - hdr) : 0;
    return fz_fail(err, FZ_EFORMAT, "%s: header is not valid JSON (error near header byte %zu of %llu)", display, at, (unsigned long long)n);
  }
  for (const char *p = end; p < hdr + n; p++)
    if (*p != ' ') {
      cJSON_Delete(root);
      return fz_fail(err, FZ_EFORMAT, "%s: header byte %zu after the JSON object is 0x%02x, expected only space padding", display,
                     (size_t)(p - hdr), (unsigned char)*p);
    }
  hdr_ctx h = {display, NULL, 0};
  if (scan_numbers(hdr, (size_t)(end - hdr), &h.toks, &h.ntoks)) {
    cJSON_Delete(root);
    return fz_fail(err, FZ_ENOMEM, "%s: out of memory scanning the header", display);
  }
  int next = 0;
  number_ids(root, &next);
  int rc;
  if ((size_t)next != h.ntoks) rc = fz_fail(err, FZ_EFORMAT, "%s: header: number tokens do not match the parsed JSON", display);
  else rc = parse_tree(&h, root, b + 8 + n, (int64_t)(len - 8 - n), w, err);
  free(h.toks);
  cJSON_Delete(root);
  if (rc) fz_weights_free(w);
  else w->format = "safetensors";
  return rc;
}
#else
int st_parse(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err) {
  fz_weights_init(w);
  return fz_fail(err, FZ_EUNSUP, "%s: this fusor was built without cJSON (libcjson-dev): cannot read safetensors", display);
}
#endif

int st_open(const char *path, fz_weights *w, fz_err *err) {
  fz_weights_init(w);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat s;
  if (fstat(fd, &s) != 0) { int e = errno; close(fd); return fz_fail(err, FZ_EIO, "%s: cannot stat: %s", path, strerror(e)); }
  if (!S_ISREG(s.st_mode)) { close(fd); return fz_fail(err, FZ_EINVAL, "%s: not a regular file", path); }
  size_t len = (size_t)s.st_size;
  if (len < 8) { close(fd); return fz_fail(err, FZ_EFORMAT, "%s: file is %zu bytes, too short for the 8-byte header length (truncated?)", path, len); }
  void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  close(fd);
  if (map == MAP_FAILED) return fz_fail(err, FZ_EIO, "%s: cannot map %zu bytes: %s", path, len, strerror(e));
  int rc = st_parse(map, len, path, w, err);
  if (rc) { munmap(map, len); return rc; }
  w->map = map;
  w->map_len = len;
  return FZ_OK;
}
