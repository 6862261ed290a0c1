// onnx_pb.c — protobuf wire-format decoding of ONNX TensorProto / ModelProto (see onnx_pb.h).
// Wire format: each field is a varint key (field << 3 | wire type); wire types 0 varint, 1 fixed64,
// 2 length-delimited, 5 fixed32. Field numbers are those of onnx/onnx.proto (ONNX 1.12).
#include "onnx_pb.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const uint8_t *p, *end; } pb;

// Reads a base-128 varint (at most 10 bytes) into *v; -1 when truncated or too long.
static int pb_varint(pb *b, uint64_t *v) {
  uint64_t r = 0;
  for (int s = 0; s < 64; s += 7) {
    if (b->p >= b->end) return -1;
    uint8_t c = *b->p++;
    r |= (uint64_t)(c & 0x7f) << s;
    if (!(c & 0x80)) { *v = r; return 0; }
  }
  return -1;
}

// Reads the next key; 1 on a field, 0 at the end, -1 on malformed input.
static int pb_key(pb *b, int *field, int *wt) {
  if (b->p >= b->end) return 0;
  uint64_t k;
  if (pb_varint(b, &k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff) return -1;
  *field = (int)(k >> 3);
  *wt = (int)(k & 7);
  return 1;
}

// A length-delimited payload as a sub-buffer.
static int pb_bytes(pb *b, pb *sub) {
  uint64_t n;
  if (pb_varint(b, &n) || n > (uint64_t)(b->end - b->p)) return -1;
  sub->p = b->p;
  sub->end = b->p + n;
  b->p += n;
  return 0;
}

// Skips a field's payload of wire type wt; -1 on unknown types or truncation.
static int pb_skip(pb *b, int wt) {
  uint64_t v;
  pb sub;
  switch (wt) {
    case 0: return pb_varint(b, &v);
    case 1: if (b->end - b->p < 8) return -1; b->p += 8; return 0;
    case 2: return pb_bytes(b, &sub);
    case 5: if (b->end - b->p < 4) return -1; b->p += 4; return 0;
    default: return -1;
  }
}

// Copies a length-delimited string into dst (truncated to cap-1 bytes, NUL-terminated).
static void copy_str(char *dst, size_t cap, const pb *s) {
  size_t n = (size_t)(s->end - s->p);
  if (n >= cap) n = cap - 1;
  memcpy(dst, s->p, n);
  dst[n] = 0;
}

// Appends int64 values of a field that may be packed (wire type 2) or single (0).
static int read_ints(pb *b, int wt, int64_t *dst, int *count, int cap) {
  uint64_t v;
  if (wt == 0) {
    if (pb_varint(b, &v) || *count >= cap) return -1;
    dst[(*count)++] = (int64_t)v;
    return 0;
  }
  if (wt != 2) return -1;
  pb sub;
  if (pb_bytes(b, &sub)) return -1;
  while (sub.p < sub.end) {
    if (pb_varint(&sub, &v) || *count >= cap) return -1;
    dst[(*count)++] = (int64_t)v;
  }
  return 0;
}

// Decodes a TensorProto message.
static int decode_tensor(pb b, fz_onnx_tensor *t, const char *path, fz_err *err) {
  memset(t, 0, sizeof *t);
  pb raw = {0}, fl = {0};
  int nfl_single = 0, field, wt, r;
  float *single = NULL;
  size_t single_cap = 0;
  while ((r = pb_key(&b, &field, &wt)) == 1) {
    uint64_t v;
    pb s;
    if (field == 1) {
      if (read_ints(&b, wt, t->dims, &t->ndim, FZ_ONNX_MAX_DIMS)) goto bad;
    } else if (field == 2 && wt == 0) {
      if (pb_varint(&b, &v)) goto bad;
      t->data_type = (int)v;
    } else if (field == 4 && wt == 2) {
      if (pb_bytes(&b, &fl)) goto bad;
    } else if (field == 4 && wt == 5) {  // unpacked float_data
      if (b.end - b.p < 4) goto bad;
      if ((size_t)nfl_single >= single_cap) {
        single_cap = single_cap ? 2 * single_cap : 64;
        float *ns = realloc(single, single_cap * sizeof *ns);
        if (!ns) { free(single); return fz_fail(err, FZ_ENOMEM, "%s: no memory", path); }
        single = ns;
      }
      memcpy(&single[nfl_single++], b.p, 4);
      b.p += 4;
    } else if (field == 8 && wt == 2) {
      if (pb_bytes(&b, &s)) goto bad;
      copy_str(t->name, sizeof t->name, &s);
    } else if (field == 9 && wt == 2) {
      if (pb_bytes(&b, &raw)) goto bad;
    } else if (pb_skip(&b, wt)) {
      goto bad;
    }
  }
  if (r < 0) goto bad;
  t->numel = 1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dims[i] < 0 || t->dims[i] > (1 << 28) || (t->numel *= t->dims[i]) > (1 << 28)) {
      free(single);
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s' dims out of range", path, t->name);
    }
  }
  if (t->data_type == 1) {
    size_t nb = (size_t)t->numel * 4, have = raw.p ? (size_t)(raw.end - raw.p) : fl.p ? (size_t)(fl.end - fl.p) : (size_t)nfl_single * 4;
    if (have != nb) {
      free(single);
      return fz_fail(err, FZ_EFORMAT, "%s: tensor '%s' has %zu bytes of float data, expected %zu for %lld elements", path, t->name,
                     have, nb, (long long)t->numel);
    }
    t->data = malloc(nb ? nb : 4);
    if (!t->data) { free(single); return fz_fail(err, FZ_ENOMEM, "%s: no memory", path); }
    memcpy(t->data, raw.p ? (const void *)raw.p : fl.p ? (const void *)fl.p : (const void *)single, nb);  // little-endian host
  }
  free(single);
  return FZ_OK;
bad:
  free(single);
  return fz_fail(err, FZ_EFORMAT, "%s: malformed TensorProto", path);
}

// Reads a whole file (at most 256 MiB) into a malloc'd buffer.
static int read_file(const char *path, uint8_t **buf, size_t *n, fz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return fz_fail(err, FZ_EIO, "%s: cannot open", path);
  if (fseek(f, 0, SEEK_END) || ftell(f) < 0 || ftell(f) > (1L << 28)) { fclose(f); return fz_fail(err, FZ_EIO, "%s: cannot size", path); }
  long len = ftell(f);
  rewind(f);
  *buf = malloc((size_t)len + 1);
  if (!*buf) { fclose(f); return fz_fail(err, FZ_ENOMEM, "%s: no memory", path); }
  *n = fread(*buf, 1, (size_t)len, f);
  fclose(f);
  if (*n != (size_t)len) { free(*buf); *buf = NULL; return fz_fail(err, FZ_EIO, "%s: short read", path); }
  return FZ_OK;
}

int fz_onnx_read_tensor(const char *path, fz_onnx_tensor *t, fz_err *err) {
  uint8_t *buf;
  size_t n;
  memset(t, 0, sizeof *t);
  int rc = read_file(path, &buf, &n, err);
  if (rc) return rc;
  rc = decode_tensor((pb){buf, buf + n}, t, path, err);
  free(buf);
  return rc;
}

void fz_onnx_tensor_free(fz_onnx_tensor *t) {
  free(t->data);
  t->data = NULL;
}

// Decodes an AttributeProto (name 1, f 2, i 3, s 4, floats 7, ints 8).
static int decode_attr(pb b, fz_onnx_attr *a) {
  memset(a, 0, sizeof *a);
  int field, wt, r;
  while ((r = pb_key(&b, &field, &wt)) == 1) {
    uint64_t v;
    pb s;
    if (field == 1 && wt == 2) { if (pb_bytes(&b, &s)) return -1; copy_str(a->name, sizeof a->name, &s); }
    else if (field == 2 && wt == 5) { if (b.end - b.p < 4) return -1; memcpy(&a->f, b.p, 4); b.p += 4; a->has_f = 1; }
    else if (field == 3 && wt == 0) { if (pb_varint(&b, &v)) return -1; a->i = (int64_t)v; a->has_i = 1; }
    else if (field == 4 && wt == 2) { if (pb_bytes(&b, &s)) return -1; copy_str(a->s, sizeof a->s, &s); }
    else if (field == 8) { if (read_ints(&b, wt, a->ints, &a->nints, FZ_ONNX_MAX_INTS)) return -1; }
    else if (pb_skip(&b, wt)) return -1;
  }
  return r;
}

// Decodes a NodeProto (input 1, op_type 4, attribute 5).
static int decode_node(pb b, fz_onnx_node *n) {
  memset(n, 0, sizeof *n);
  int field, wt, r;
  while ((r = pb_key(&b, &field, &wt)) == 1) {
    pb s;
    if (field == 1 && wt == 2) {
      if (pb_bytes(&b, &s) || n->ninputs >= FZ_ONNX_MAX_IO) return -1;
      copy_str(n->inputs[n->ninputs++], sizeof n->inputs[0], &s);
    } else if (field == 4 && wt == 2) {
      if (pb_bytes(&b, &s)) return -1;
      copy_str(n->op_type, sizeof n->op_type, &s);
    } else if (field == 5 && wt == 2) {
      if (pb_bytes(&b, &s) || n->nattrs >= FZ_ONNX_MAX_ATTRS || decode_attr(s, &n->attrs[n->nattrs++])) return -1;
    } else if (pb_skip(&b, wt)) {
      return -1;
    }
  }
  return r;
}

int fz_onnx_read_model(const char *path, fz_onnx_model *m, fz_err *err) {
  memset(m, 0, sizeof *m);
  uint8_t *buf;
  size_t len;
  int rc = read_file(path, &buf, &len, err);
  if (rc) return rc;
  pb b = {buf, buf + len};
  int field, wt, r;
  while ((r = pb_key(&b, &field, &wt)) == 1) {
    pb s;
    if (field == 7 && wt == 2) {  // graph: node 1, initializer 5
      if (pb_bytes(&b, &s)) goto bad;
      int f2, w2, r2;
      while ((r2 = pb_key(&s, &f2, &w2)) == 1) {
        pb t;
        if (f2 == 1 && w2 == 2) {
          if (pb_bytes(&s, &t) || m->nnodes >= FZ_ONNX_MAX_NODES || decode_node(t, &m->nodes[m->nnodes++])) goto bad;
        } else if (f2 == 5 && w2 == 2) {
          if (pb_bytes(&s, &t) || m->ninits >= FZ_ONNX_MAX_INITS) goto bad;
          if ((rc = decode_tensor(t, &m->inits[m->ninits], path, err))) { free(buf); fz_onnx_model_free(m); return rc; }
          m->ninits++;
        } else if (pb_skip(&s, w2)) {
          goto bad;
        }
      }
      if (r2 < 0) goto bad;
    } else if (field == 8 && wt == 2) {  // opset_import: domain 1, version 2
      if (pb_bytes(&b, &s)) goto bad;
      int f2, w2, r2, default_domain = 1;
      int64_t ver = 0;
      while ((r2 = pb_key(&s, &f2, &w2)) == 1) {
        uint64_t v;
        pb t;
        if (f2 == 1 && w2 == 2) {
          if (pb_bytes(&s, &t)) goto bad;
          default_domain = t.end == t.p || (t.end - t.p == 7 && !memcmp(t.p, "ai.onnx", 7));
        } else if (f2 == 2 && w2 == 0) {
          if (pb_varint(&s, &v)) goto bad;
          ver = (int64_t)v;
        } else if (pb_skip(&s, w2)) {
          goto bad;
        }
      }
      if (r2 < 0) goto bad;
      if (default_domain) m->opset = ver;
    } else if (pb_skip(&b, wt)) {
      goto bad;
    }
  }
  if (r < 0) goto bad;
  free(buf);
  return FZ_OK;
bad:
  free(buf);
  fz_onnx_model_free(m);
  return fz_fail(err, FZ_EFORMAT, "%s: malformed ModelProto (or more than %d nodes / %d initializers)", path, FZ_ONNX_MAX_NODES,
                 FZ_ONNX_MAX_INITS);
}

void fz_onnx_model_free(fz_onnx_model *m) {
  for (int i = 0; i < m->ninits; i++) fz_onnx_tensor_free(&m->inits[i]);
  m->ninits = 0;
}

const fz_onnx_attr *fz_onnx_attr_get(const fz_onnx_node *n, const char *name) {
  for (int i = 0; i < n->nattrs; i++)
    if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
  return NULL;
}

const fz_onnx_tensor *fz_onnx_init_get(const fz_onnx_model *m, const char *name) {
  for (int i = 0; i < m->ninits; i++)
    if (!strcmp(m->inits[i].name, name)) return &m->inits[i];
  return NULL;
}
