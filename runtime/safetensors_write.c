// safetensors_write.c — the safetensors writer: deterministic header, atomic temp-file + rename.
#include "safetensors.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void st_writer_init(st_writer *wr) { memset(wr, 0, sizeof *wr); }

void st_writer_free(st_writer *wr) {
  if (!wr) return;
  for (int i = 0; i < wr->n; i++) free(wr->e[i].name);
  free(wr->e);
  for (int i = 0; i < wr->nmeta; i++) { free(wr->meta[i].key); free(wr->meta[i].value); }
  free(wr->meta);
  memset(wr, 0, sizeof *wr);
}

// Grows a (ptr, cap) array to hold at least need elements of size esz.
static int grow(void **p, int *cap, int need, size_t esz, fz_err *err) {
  if (need <= *cap) return FZ_OK;
  int nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, (size_t)nc * esz);
  if (!q) return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory for %d entries", nc);
  *p = q;
  *cap = nc;
  return FZ_OK;
}

int st_writer_add(st_writer *wr, const char *name, fz_wdtype dt, int ndim, const int64_t *shape, const void *data, size_t nbytes,
                  fz_err *err) {
  char pn[160], sb[256];
  fz_printable(name, pn, sizeof pn);
  if (!name[0]) return fz_fail(err, FZ_EINVAL, "safetensors writer: empty tensor name");
  if (!strcmp(name, "__metadata__")) return fz_fail(err, FZ_EINVAL, "safetensors writer: a tensor cannot be named '__metadata__'");
  if ((unsigned)dt >= FZ_W_DTYPE_COUNT) return fz_fail(err, FZ_EINVAL, "safetensors writer: tensor '%s': unknown dtype %d", pn, (int)dt);
  if (ndim < 0 || ndim > FZ_W_MAX_DIMS)
    return fz_fail(err, FZ_EINVAL, "safetensors writer: tensor '%s': %d dims, expected 0..%d", pn, ndim, FZ_W_MAX_DIMS);
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0 || (shape[i] && numel > FZ_MAX_NUMEL / shape[i]))
      return fz_fail(err, FZ_EINVAL, "safetensors writer: tensor '%s': shape %s has a negative dim or more than 2^40 elements", pn,
                     fz_wshape_str(ndim, shape, sb, sizeof sb));
    numel *= shape[i];
  }
  if ((uint64_t)numel * fz_wdtype_size(dt) != (uint64_t)nbytes)
    return fz_fail(err, FZ_EINVAL, "safetensors writer: tensor '%s': %zu bytes given, expected %lld for %s %s", pn, nbytes,
                   (long long)numel * (long long)fz_wdtype_size(dt), fz_wdtype_name(dt), fz_wshape_str(ndim, shape, sb, sizeof sb));
  if (nbytes && !data) return fz_fail(err, FZ_EINVAL, "safetensors writer: tensor '%s': no data", pn);
  if (grow((void **)&wr->e, &wr->cap, wr->n + 1, sizeof *wr->e, err)) return err ? err->code : FZ_ENOMEM;
  char *nm = strdup(name);
  if (!nm) return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory");
  st_wentry *e = &wr->e[wr->n++];
  memset(e, 0, sizeof *e);
  e->name = nm;
  e->dtype = dt;
  e->ndim = ndim;
  for (int i = 0; i < ndim; i++) e->shape[i] = shape[i];
  e->data = data;
  e->nbytes = nbytes;
  return FZ_OK;
}

int st_writer_meta(st_writer *wr, const char *key, const char *value, fz_err *err) {
  char *v = strdup(value);
  if (!v) return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory");
  for (int i = 0; i < wr->nmeta; i++)
    if (!strcmp(wr->meta[i].key, key)) { free(wr->meta[i].value); wr->meta[i].value = v; return FZ_OK; }
  char *k = strdup(key);
  if (!k || grow((void **)&wr->meta, &wr->meta_cap, wr->nmeta + 1, sizeof *wr->meta, err)) {
    free(k); free(v);
    return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory");
  }
  wr->meta[wr->nmeta++] = (fz_wmeta){k, v};
  return FZ_OK;
}

int st_writer_add_weights(st_writer *wr, const fz_weights *w, fz_err *err) {
  for (int i = 0; i < w->count; i++) {
    const fz_wtensor *t = &w->tensors[i];
    int rc = st_writer_add(wr, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes, err);
    if (rc) return rc;
  }
  if (wr->nmeta == 0) {  // fast path: w's keys are unique, append without the per-key search
    if (grow((void **)&wr->meta, &wr->meta_cap, w->nmeta, sizeof *wr->meta, err)) return err ? err->code : FZ_ENOMEM;
    for (int i = 0; i < w->nmeta; i++) {
      char *k = strdup(w->meta[i].key), *v = strdup(w->meta[i].value);
      if (!k || !v) { free(k); free(v); return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory"); }
      wr->meta[wr->nmeta++] = (fz_wmeta){k, v};
    }
    return FZ_OK;
  }
  for (int i = 0; i < w->nmeta; i++) {
    int rc = st_writer_meta(wr, w->meta[i].key, w->meta[i].value, err);
    if (rc) return rc;
  }
  return FZ_OK;
}

// A growable byte buffer for the header text.
typedef struct { char *p; size_t n, cap; int oom; } sbuf;

// Appends n bytes to b (sets b->oom instead of failing).
static void sb_put(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->n + n + 1) nc *= 2;
    char *q = realloc(b->p, nc);
    if (!q) { b->oom = 1; return; }
    b->p = q;
    b->cap = nc;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
// Appends the C string s to b.
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

// Appends s as a JSON string literal (quotes, backslashes and control bytes escaped).
static void sb_json(sbuf *b, const char *s) {
  sb_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; sb_put(b, esc, 2); }
    else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); sb_put(b, esc, 6); }
    else sb_put(b, (const char *)p, 1);
  }
  sb_put(b, "\"", 1);
}

typedef struct { const st_wentry *e; int idx; } order_item;
// Write order: larger elements first (alignment), then insertion order.
static int by_esize_desc(const void *a, const void *b) {
  const order_item *x = a, *y = b;
  size_t sx = fz_wdtype_size(x->e->dtype), sy = fz_wdtype_size(y->e->dtype);
  if (sx != sy) return sx > sy ? -1 : 1;
  return x->idx - y->idx;
}
// qsort order of metadata by key.
static int by_key(const void *a, const void *b) { return strcmp(((const fz_wmeta *)a)->key, ((const fz_wmeta *)b)->key); }
// qsort order of entries by name (duplicate detection).
static int by_name(const void *a, const void *b) { return strcmp(((const order_item *)a)->e->name, ((const order_item *)b)->e->name); }

// The write order (stable by descending element size); checks names are unique. Caller frees.
static order_item *write_order(const st_writer *wr, fz_err *err) {
  order_item *o = malloc((size_t)(wr->n ? wr->n : 1) * sizeof *o);
  if (!o) { fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory"); return NULL; }
  for (int i = 0; i < wr->n; i++) o[i] = (order_item){&wr->e[i], i};
  qsort(o, (size_t)wr->n, sizeof *o, by_name);
  for (int i = 1; i < wr->n; i++)
    if (!strcmp(o[i].e->name, o[i - 1].e->name)) {
      char pn[160];
      fz_fail(err, FZ_EINVAL, "safetensors writer: tensor name '%s' given twice, expected unique names", fz_printable(o[i].e->name, pn, sizeof pn));
      free(o);
      return NULL;
    }
  for (int i = 0; i < wr->n; i++) o[i] = (order_item){&wr->e[i], i};
  qsort(o, (size_t)wr->n, sizeof *o, by_esize_desc);
  return o;
}

// Builds the header for the given write order.
static int build_header(const st_writer *wr, const order_item *o, char **header, size_t *len, fz_err *err) {
  sbuf b = {0};
  char num[64];
  sb_str(&b, "{");
  int first = 1;
  if (wr->nmeta) {
    fz_wmeta *m = malloc((size_t)wr->nmeta * sizeof *m);
    if (!m) return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory");
    memcpy(m, wr->meta, (size_t)wr->nmeta * sizeof *m);
    qsort(m, (size_t)wr->nmeta, sizeof *m, by_key);
    for (int i = 1; i < wr->nmeta; i++)
      if (!strcmp(m[i].key, m[i - 1].key)) {
        char pk[160];
        fz_fail(err, FZ_EINVAL, "safetensors writer: metadata key '%s' given twice", fz_printable(m[i].key, pk, sizeof pk));
        free(m);
        free(b.p);
        return FZ_EINVAL;
      }
    sb_str(&b, "\"__metadata__\":{");
    for (int i = 0; i < wr->nmeta; i++) {
      if (i) sb_str(&b, ",");
      sb_json(&b, m[i].key);
      sb_str(&b, ":");
      sb_json(&b, m[i].value);
    }
    sb_str(&b, "}");
    free(m);
    first = 0;
  }
  uint64_t off = 0;
  for (int i = 0; i < wr->n; i++) {
    const st_wentry *e = o[i].e;
    if (!first) sb_str(&b, ",");
    first = 0;
    sb_json(&b, e->name);
    sb_str(&b, ":{\"dtype\":\"");
    sb_str(&b, fz_wdtype_name(e->dtype));
    sb_str(&b, "\",\"shape\":[");
    for (int d = 0; d < e->ndim; d++) {
      snprintf(num, sizeof num, d ? ",%lld" : "%lld", (long long)e->shape[d]);
      sb_str(&b, num);
    }
    snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + e->nbytes));
    sb_str(&b, num);
    off += e->nbytes;
  }
  sb_str(&b, "}");
  while (!b.oom && b.n % 8) sb_str(&b, " ");
  if (b.oom) { free(b.p); return fz_fail(err, FZ_ENOMEM, "safetensors writer: out of memory building the header"); }
  if (b.n > ST_MAX_HEADER) {
    free(b.p);
    return fz_fail(err, FZ_EINVAL, "safetensors writer: header of %zu bytes exceeds the 100 MB limit", b.n);
  }
  *header = b.p;
  *len = b.n;
  return FZ_OK;
}

int st_writer_header(const st_writer *wr, char **header, size_t *len, fz_err *err) {
  order_item *o = write_order(wr, err);
  if (!o) return err ? err->code : FZ_ENOMEM;
  int rc = build_header(wr, o, header, len, err);
  free(o);
  return rc;
}

// Writes n bytes to fd, retrying short writes and EINTR; -1 with errno on failure.
static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t k = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) { if (k == 0) errno = EIO; return -1; }
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

int st_writer_write_fd(const st_writer *wr, int fd, const char *display, fz_err *err) {
  order_item *o = write_order(wr, err);
  if (!o) return err ? err->code : FZ_ENOMEM;
  char *hdr = NULL;
  size_t hl = 0;
  int rc = build_header(wr, o, &hdr, &hl, err);
  if (rc) { free(o); return rc; }
  uint8_t len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)hl >> (8 * i));
  if (write_all(fd, len8, 8) || write_all(fd, hdr, hl)) rc = -1;
  for (int i = 0; !rc && i < wr->n; i++)
    if (o[i].e->nbytes && write_all(fd, o[i].e->data, o[i].e->nbytes)) rc = -1;
  if (rc) rc = fz_fail(err, FZ_EIO, "%s: write failed: %s", display, strerror(errno));
  free(hdr);
  free(o);
  return rc;
}

// Splits path into its directory (".": none) and base name.
static void split_path(const char *path, char *dir, size_t dn, const char **base) {
  const char *s = strrchr(path, '/');
  if (!s) { snprintf(dir, dn, "."); *base = path; return; }
  if (s == path) snprintf(dir, dn, "/");
  else snprintf(dir, dn, "%.*s", (int)(s - path), path);
  *base = s + 1;
}

int st_writer_write(const st_writer *wr, const char *path, int flags, fz_err *err) {
  struct stat s;
  int exists = stat(path, &s) == 0;
  if (exists && !(flags & ST_OVERWRITE))
    return fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it (use --force / ST_OVERWRITE)", path);
  if (exists && S_ISDIR(s.st_mode)) return fz_fail(err, FZ_EINVAL, "%s: output is a directory, expected a file name", path);
  if (exists && !S_ISREG(s.st_mode)) {  // device or FIFO: write in place, there is nothing to rename
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    int rc = st_writer_write_fd(wr, fd, path, err);
    if (close(fd) && !rc) rc = fz_fail(err, FZ_EIO, "%s: close failed: %s", path, strerror(errno));
    return rc;
  }
  char dir[4096], tmp[4400];
  const char *base;
  if (strlen(path) >= sizeof dir) return fz_fail(err, FZ_EINVAL, "%.200s...: output path is too long", path);
  split_path(path, dir, sizeof dir, &base);
  if (!base[0]) return fz_fail(err, FZ_EINVAL, "%s: output path names a directory, expected a file name", path);
  int fd = -1;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  unsigned seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() * 2654435761u;
  for (int tries = 0; tries < 100 && fd < 0; tries++) {
    seed = seed * 1103515245u + 12345u;
    if (snprintf(tmp, sizeof tmp, "%s/.%.200s.tmp.%d.%08x", dir, base, (int)getpid(), seed) >= (int)sizeof tmp)
      return fz_fail(err, FZ_EINVAL, "%s: output path is too long", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return fz_fail(err, FZ_EIO, "%s: cannot create a temp file in '%s': %s", path, dir, strerror(errno));
  }
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot create a unique temp file in '%s'", path, dir);
  int rc = st_writer_write_fd(wr, fd, path, err);
  if (!rc && fsync(fd)) rc = fz_fail(err, FZ_EIO, "%s: fsync failed: %s", path, strerror(errno));
  if (close(fd) && !rc) rc = fz_fail(err, FZ_EIO, "%s: close failed: %s", path, strerror(errno));
  if (!rc) {
    if (flags & ST_OVERWRITE) {
      if (rename(tmp, path)) rc = fz_fail(err, FZ_EIO, "%s: cannot rename the temp file into place: %s", path, strerror(errno));
    } else if (link(tmp, path)) {  // link fails if path appeared meanwhile: never clobbers
      int e = errno;
      if (e == EEXIST) rc = fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it (use --force / ST_OVERWRITE)", path);
      else if (stat(path, &s) == 0) rc = fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it", path);
      else if (rename(tmp, path)) rc = fz_fail(err, FZ_EIO, "%s: cannot move the temp file into place: %s", path, strerror(errno));
    }
  }
  unlink(tmp);  // after link() or on failure; after rename() it is already gone
  if (rc) {
    if (err) {
      size_t l = strlen(err->msg);
      snprintf(err->msg + l, sizeof err->msg - l, " (temp file removed, no output written)");
    }
    return rc;
  }
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { fsync(dfd); close(dfd); }
  return FZ_OK;
}
