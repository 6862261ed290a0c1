// unpickle.c — the restricted pickle machine (see unpickle.h): a bounded stack/memo interpreter
// that builds plain objects and refuses every global outside the state_dict allow-list.
#include "unpickle.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pk_ctx {
  pk_obj **objs;            // every object created (freed by pk_free)
  size_t nobjs, ocap;
  pk_obj **stack;
  size_t sp, scap;
  size_t *marks;
  size_t nmarks, mcap;
  pk_obj **memo;            // memo[i] or NULL when unset
  size_t memo_cap, memo_count;
  const uint8_t *p;
  size_t len, pos, op_pos;  // op_pos: offset of the opcode being run
  uint8_t op;
  const char *display;
  fz_err *err;
};

const char *pk_kind_name(pk_kind k) {
  static const char *n[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list", "dict", "global", "storage", "tensor"};
  return (unsigned)k <= PK_TENSOR ? n[k] : "?";
}

// Name of opcode c for messages.
static const char *op_name(uint8_t c) {
  switch (c) {
    case 0x80: return "PROTO"; case 0x95: return "FRAME"; case '.': return "STOP"; case '(': return "MARK";
    case '0': return "POP"; case '1': return "POP_MARK"; case '2': return "DUP"; case '}': return "EMPTY_DICT";
    case ']': return "EMPTY_LIST"; case ')': return "EMPTY_TUPLE"; case 'q': return "BINPUT"; case 'r': return "LONG_BINPUT";
    case 'h': return "BINGET"; case 'j': return "LONG_BINGET"; case 0x94: return "MEMOIZE"; case 'c': return "GLOBAL";
    case 0x93: return "STACK_GLOBAL"; case 'X': return "BINUNICODE"; case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8"; case 'T': return "BINSTRING"; case 'U': return "SHORT_BINSTRING"; case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES"; case 'J': return "BININT"; case 'K': return "BININT1"; case 'M': return "BININT2";
    case 0x8a: return "LONG1"; case 'G': return "BINFLOAT"; case 'N': return "NONE"; case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE"; case 't': return "TUPLE"; case 0x85: return "TUPLE1"; case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3"; case 'l': return "LIST"; case 'd': return "DICT"; case 'a': return "APPEND"; case 'e': return "APPENDS";
    case 's': return "SETITEM"; case 'u': return "SETITEMS"; case 'R': return "REDUCE"; case 'b': return "BUILD";
    case 'Q': return "BINPERSID"; case 'P': return "PERSID"; case 0x81: return "NEWOBJ"; case 'i': return "INST"; case 'o': return "OBJ";
    case 0x92: return "NEWOBJ_EX"; case 'I': return "INT"; case 'L': return "LONG"; case 'S': return "STRING"; case 'V': return "UNICODE";
    case 'F': return "FLOAT"; case 'g': return "GET"; case 'p': return "PUT"; case 0x82: return "EXT1"; case 0x83: return "EXT2";
    case 0x84: return "EXT4"; case 0x8b: return "LONG4"; case 0x8e: return "BINBYTES8"; case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS"; case 0x91: return "FROZENSET"; case 0x96: return "BYTEARRAY8"; case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "unknown";
  }
}

// Fails with "<display>: byte N (OPNAME): <message>".
__attribute__((format(printf, 2, 3))) static int bad(pk_ctx *c, const char *fmt, ...) {
  char m[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  return fz_fail(c->err, FZ_EFORMAT, "%s: byte %zu (%s): %s", c->display, c->op_pos, op_name(c->op), m);
}

// A new object of kind k registered for freeing; NULL (with err) past PK_MAX_OBJECTS or OOM.
static pk_obj *new_obj(pk_ctx *c, pk_kind k) {
  if (c->nobjs >= PK_MAX_OBJECTS) { bad(c, "more than %d objects: refusing an absurd pickle", PK_MAX_OBJECTS); return NULL; }
  if (c->nobjs == c->ocap) {
    size_t nc = c->ocap ? c->ocap * 2 : 256;
    pk_obj **q = realloc(c->objs, nc * sizeof *q);
    if (!q) { fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display); return NULL; }
    c->objs = q;
    c->ocap = nc;
  }
  pk_obj *o = calloc(1, sizeof *o);
  if (!o) { fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display); return NULL; }
  o->kind = k;
  c->objs[c->nobjs++] = o;
  return o;
}

// Appends item to container o (list/tuple item or dict key/value half).
static int add_item(pk_ctx *c, pk_obj *o, pk_obj *item) {
  if (o->n == o->cap) {
    size_t nc = o->cap ? o->cap * 2 : 4;
    pk_obj **q = realloc(o->items, nc * sizeof *q);
    if (!q) return fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display);
    o->items = q;
    o->cap = nc;
  }
  o->items[o->n++] = item;
  return FZ_OK;
}

// Pushes o (NULL: the error of the allocation that failed) onto the stack.
static int push(pk_ctx *c, pk_obj *o) {
  if (!o) return c->err ? c->err->code : FZ_ENOMEM;
  if (c->sp >= PK_MAX_STACK) return bad(c, "stack deeper than %d entries: refusing an absurd pickle", PK_MAX_STACK);
  if (c->sp == c->scap) {
    size_t nc = c->scap ? c->scap * 2 : 256;
    pk_obj **q = realloc(c->stack, nc * sizeof *q);
    if (!q) return fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display);
    c->stack = q;
    c->scap = nc;
  }
  c->stack[c->sp++] = o;
  return FZ_OK;
}

// Lowest stack index the current opcode may pop (the innermost MARK).
static size_t floor_sp(const pk_ctx *c) { return c->nmarks ? c->marks[c->nmarks - 1] : 0; }

// Pops the top object, never below the innermost MARK.
static pk_obj *pop(pk_ctx *c) {
  if (c->sp <= floor_sp(c)) { bad(c, "stack underflow: nothing to pop%s", c->nmarks ? " above the MARK" : ""); return NULL; }
  return c->stack[--c->sp];
}

// The top object (not popped), never below the innermost MARK.
static pk_obj *top(pk_ctx *c) {
  if (c->sp <= floor_sp(c)) { bad(c, "stack underflow: empty stack%s", c->nmarks ? " above the MARK" : ""); return NULL; }
  return c->stack[c->sp - 1];
}

// Pops everything down to the innermost MARK into a new container of kind k (items in order).
static pk_obj *pop_mark(pk_ctx *c, pk_kind k) {
  if (!c->nmarks) { bad(c, "no MARK on the stack"); return NULL; }
  size_t m = c->marks[--c->nmarks];
  pk_obj *o = new_obj(c, k);
  if (!o) return NULL;
  for (size_t i = m; i < c->sp; i++)
    if (add_item(c, o, c->stack[i])) return NULL;
  c->sp = m;
  return o;
}

// Makes sure n more bytes follow; returns a pointer to them.
static const uint8_t *need(pk_ctx *c, size_t n) {
  if (n > c->len - c->pos) {
    bad(c, "truncated pickle: %zu bytes needed, %zu left", n, c->len - c->pos);
    return NULL;
  }
  const uint8_t *p = c->p + c->pos;
  c->pos += n;
  return p;
}

// Little-endian unsigned integer of n bytes at p.
static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

// A STR/BYTES object holding a copy of n bytes from the input.
static int push_bytes(pk_ctx *c, pk_kind k, size_t n) {
  const uint8_t *p = need(c, n);
  if (!p) return FZ_EFORMAT;
  pk_obj *o = new_obj(c, k);
  if (!o) return c->err ? c->err->code : FZ_ENOMEM;
  o->s = malloc(n + 1);
  if (!o->s) return fz_fail(c->err, FZ_ENOMEM, "%s: out of memory for a %zu-byte string", c->display, n);
  memcpy(o->s, p, n);
  o->s[n] = 0;
  o->slen = n;
  return push(c, o);
}

// Pushes a new INT or BOOL object holding v.
static int push_int(pk_ctx *c, pk_kind k, int64_t v) {
  pk_obj *o = new_obj(c, k);
  if (o) o->i = v;
  return push(c, o);
}

static const char *const storage_names[] = {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
                                            "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"};
static const fz_wdtype storage_dtypes[] = {FZ_W_F32, FZ_W_F64, FZ_W_F16, FZ_W_BF16, FZ_W_I64, FZ_W_I32, FZ_W_I16, FZ_W_I8, FZ_W_U8, FZ_W_BOOL};

// Pushes the allowed global mod.name or refuses it by name.
static int push_global(pk_ctx *c, const char *mod, const char *name) {
  pk_obj *o = NULL;
  if (!strcmp(mod, "collections") && !strcmp(name, "OrderedDict")) {
    if ((o = new_obj(c, PK_GLOBAL))) o->g = PK_G_ORDERED_DICT;
  } else if (!strcmp(mod, "torch._utils") && !strcmp(name, "_rebuild_tensor_v2")) {
    if ((o = new_obj(c, PK_GLOBAL))) o->g = PK_G_REBUILD_TENSOR_V2;
  } else if (!strcmp(mod, "torch._utils") && !strcmp(name, "_rebuild_parameter")) {
    if ((o = new_obj(c, PK_GLOBAL))) o->g = PK_G_REBUILD_PARAMETER;
  } else if (!strcmp(mod, "torch")) {
    for (size_t i = 0; i < sizeof storage_names / sizeof *storage_names; i++)
      if (!strcmp(name, storage_names[i])) {
        if ((o = new_obj(c, PK_GLOBAL))) { o->g = PK_G_STORAGE; o->dtype = storage_dtypes[i]; }
        return push(c, o);
      }
  }
  if (!o && !(c->err && c->err->code)) {
    char m[200], n[200];
    fz_printable(mod, m, sizeof m);
    fz_printable(name, n, sizeof n);
    return bad(c, "refuses pickle global '%s.%s': only state_dict contents are allowed (collections.OrderedDict, "
                  "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage)", m, n);
  }
  return push(c, o);
}

// GLOBAL: "module\nname\n" in the opcode's argument.
static int op_global(pk_ctx *c) {
  char part[2][257];
  for (int k = 0; k < 2; k++) {
    size_t n = 0;
    while (1) {
      const uint8_t *b = need(c, 1);
      if (!b) return FZ_EFORMAT;
      if (*b == '\n') break;
      if (n >= 256) return bad(c, "global name longer than 256 bytes");
      part[k][n++] = (char)*b;
    }
    part[k][n] = 0;
    if (strlen(part[k]) != n) return bad(c, "global name holds a NUL byte");
  }
  return push_global(c, part[0], part[1]);
}

// STACK_GLOBAL: module and name strings from the stack.
static int op_stack_global(pk_ctx *c) {
  pk_obj *name = pop(c), *mod = name ? pop(c) : NULL;
  if (!mod) return FZ_EFORMAT;
  if (mod->kind != PK_STR || name->kind != PK_STR) return bad(c, "module and name must be strings, got %s and %s", pk_kind_name(mod->kind), pk_kind_name(name->kind));
  if (strlen(mod->s) != mod->slen || strlen(name->s) != name->slen) return bad(c, "global name holds a NUL byte");
  return push_global(c, mod->s, name->s);
}

// memo[idx] = top of stack (idx < PK_MAX_MEMO).
static int memo_put(pk_ctx *c, uint64_t idx) {
  pk_obj *t = top(c);
  if (!t) return FZ_EFORMAT;
  if (idx >= PK_MAX_MEMO) return bad(c, "memo index %llu exceeds the limit of %d", (unsigned long long)idx, PK_MAX_MEMO);
  if (idx >= c->memo_cap) {
    size_t nc = c->memo_cap ? c->memo_cap : 256;
    while (nc <= idx) nc *= 2;
    pk_obj **q = realloc(c->memo, nc * sizeof *q);
    if (!q) return fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display);
    memset(q + c->memo_cap, 0, (nc - c->memo_cap) * sizeof *q);
    c->memo = q;
    c->memo_cap = nc;
  }
  if (!c->memo[idx]) c->memo_count++;
  c->memo[idx] = t;
  return FZ_OK;
}

// Pushes memo[idx]; an unset index is an error.
static int memo_get(pk_ctx *c, uint64_t idx) {
  if (idx >= c->memo_cap || !c->memo[idx]) return bad(c, "memo index %llu is out of range (never stored)", (unsigned long long)idx);
  return push(c, c->memo[idx]);
}

// REDUCE: callable(*args) for the allowed callables only; never executes anything.
static int op_reduce(pk_ctx *c) {
  pk_obj *args = pop(c), *fn = args ? pop(c) : NULL;
  if (!fn) return FZ_EFORMAT;
  if (args->kind != PK_TUPLE) return bad(c, "arguments are a %s, expected a tuple", pk_kind_name(args->kind));
  if (fn->kind != PK_GLOBAL || fn->g == PK_G_STORAGE)
    return bad(c, "refusing to call a %s: only OrderedDict(), _rebuild_tensor_v2 and _rebuild_parameter are allowed",
               fn->kind == PK_GLOBAL ? "storage type" : pk_kind_name(fn->kind));
  pk_obj **a = args->items;
  if (fn->g == PK_G_ORDERED_DICT) {
    if (args->n) return bad(c, "OrderedDict called with %zu arguments, expected none", args->n);
    return push(c, new_obj(c, PK_DICT));
  }
  if (fn->g == PK_G_REBUILD_PARAMETER) {
    if (args->n < 1 || args->n > 3 || a[0]->kind != PK_TENSOR)
      return bad(c, "_rebuild_parameter expects (tensor, requires_grad, hooks)");
    return push(c, a[0]);
  }
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (args->n < 4 || args->n > 7) return bad(c, "_rebuild_tensor_v2 called with %zu arguments, expected 4 to 7", args->n);
  if (a[0]->kind != PK_STORAGE) return bad(c, "_rebuild_tensor_v2: argument 1 is a %s, expected a storage", pk_kind_name(a[0]->kind));
  if (a[1]->kind != PK_INT) return bad(c, "_rebuild_tensor_v2: storage_offset is a %s, expected an int", pk_kind_name(a[1]->kind));
  if (a[2]->kind != PK_TUPLE || a[3]->kind != PK_TUPLE || a[2]->n != a[3]->n)
    return bad(c, "_rebuild_tensor_v2: size and stride must be tuples of equal length");
  if (a[2]->n > FZ_W_MAX_DIMS) return bad(c, "_rebuild_tensor_v2: %zu dims, expected at most %d", a[2]->n, FZ_W_MAX_DIMS);
  for (size_t k = 0; k < a[2]->n; k++)
    if (a[2]->items[k]->kind != PK_INT || a[3]->items[k]->kind != PK_INT)
      return bad(c, "_rebuild_tensor_v2: size and stride must hold ints");
  pk_obj *t = new_obj(c, PK_TENSOR);
  if (!t) return c->err ? c->err->code : FZ_ENOMEM;
  t->storage = a[0];
  t->dtype = a[0]->dtype;
  t->i = a[1]->i;
  t->size = a[2];
  t->stride = a[3];
  return push(c, t);
}

// BINPERSID: ('storage', torch.XStorage, key, location, numel) -> a storage reference.
static int op_persid(pk_ctx *c) {
  pk_obj *pid = pop(c);
  if (!pid) return FZ_EFORMAT;
  pk_obj **a = pid->items;
  if (pid->kind != PK_TUPLE || pid->n != 5 || a[0]->kind != PK_STR || strcmp(a[0]->s, "storage") || a[1]->kind != PK_GLOBAL ||
      a[1]->g != PK_G_STORAGE || a[2]->kind != PK_STR || a[3]->kind != PK_STR || a[4]->kind != PK_INT)
    return bad(c, "persistent id is not ('storage', torch.<T>Storage, key, location, numel)");
  if (strlen(a[2]->s) != a[2]->slen || !a[2]->slen || a[2]->slen > 200 || strchr(a[2]->s, '/'))
    return bad(c, "storage key is empty, too long, or holds '/' or NUL");
  if (a[4]->i < 0 || a[4]->i > FZ_MAX_NUMEL) return bad(c, "storage numel %lld is negative or above 2^40", (long long)a[4]->i);
  pk_obj *s = new_obj(c, PK_STORAGE);
  if (!s) return c->err ? c->err->code : FZ_ENOMEM;
  s->dtype = a[1]->dtype;
  s->s = a[2]->s;  // shared with the key string object (both freed via their owner: see pk_free)
  s->slen = a[2]->slen;
  s->i = a[4]->i;
  return push(c, s);
}

// Runs one opcode; returns 1 after STOP, 0 to go on, or an error code (> 1) via a negative value.
static int step(pk_ctx *c, pk_obj **root) {
  const uint8_t *b;
  c->op_pos = c->pos;
  if (!(b = need(c, 1))) return -1;
  c->op = *b;
  pk_obj *o, *v, *k, *t;
  switch (c->op) {
    case 0x80: if (!(b = need(c, 1))) return -1; if (*b > 5) return bad(c, "pickle protocol %d, expected 2..5", *b), -1; return 0;
    case 0x95: return need(c, 8) ? 0 : -1;
    case '.': if (!(o = pop(c))) return -1; *root = o; return 1;
    case '(':
      if (c->nmarks >= PK_MAX_MARKS) return bad(c, "more than %d nested MARKs: refusing an absurd pickle", PK_MAX_MARKS), -1;
      if (c->nmarks == c->mcap) {
        size_t nc = c->mcap ? c->mcap * 2 : 64;
        size_t *q = realloc(c->marks, nc * sizeof *q);
        if (!q) return fz_fail(c->err, FZ_ENOMEM, "%s: out of memory", c->display), -1;
        c->marks = q;
        c->mcap = nc;
      }
      c->marks[c->nmarks++] = c->sp;
      return 0;
    case '0': return pop(c) ? 0 : -1;
    case '1': return pop_mark(c, PK_TUPLE) ? 0 : -1;
    case '2': return (o = top(c)) && !push(c, o) ? 0 : -1;
    case '}': return push(c, new_obj(c, PK_DICT)) ? -1 : 0;
    case ']': return push(c, new_obj(c, PK_LIST)) ? -1 : 0;
    case ')': return push(c, new_obj(c, PK_TUPLE)) ? -1 : 0;
    case 'q': return (b = need(c, 1)) && !memo_put(c, *b) ? 0 : -1;
    case 'r': return (b = need(c, 4)) && !memo_put(c, le(b, 4)) ? 0 : -1;
    case 0x94: return memo_put(c, c->memo_count) ? -1 : 0;
    case 'h': return (b = need(c, 1)) && !memo_get(c, *b) ? 0 : -1;
    case 'j': return (b = need(c, 4)) && !memo_get(c, le(b, 4)) ? 0 : -1;
    case 'c': return op_global(c) ? -1 : 0;
    case 0x93: return op_stack_global(c) ? -1 : 0;
    case 'X': case 'B': return (b = need(c, 4)) && !push_bytes(c, c->op == 'X' ? PK_STR : PK_BYTES, le(b, 4)) ? 0 : -1;
    case 0x8c: case 'U': case 'C': return (b = need(c, 1)) && !push_bytes(c, c->op == 'C' ? PK_BYTES : PK_STR, *b) ? 0 : -1;
    case 0x8d: return (b = need(c, 8)) && !push_bytes(c, PK_STR, le(b, 8) > c->len ? c->len + 1 : le(b, 8)) ? 0 : -1;
    case 'T':
      if (!(b = need(c, 4))) return -1;
      if ((int32_t)le(b, 4) < 0) return bad(c, "negative string length %d", (int32_t)le(b, 4)), -1;
      return push_bytes(c, PK_STR, le(b, 4)) ? -1 : 0;
    case 'J': return (b = need(c, 4)) && !push_int(c, PK_INT, (int32_t)le(b, 4)) ? 0 : -1;
    case 'K': return (b = need(c, 1)) && !push_int(c, PK_INT, *b) ? 0 : -1;
    case 'M': return (b = need(c, 2)) && !push_int(c, PK_INT, (int64_t)le(b, 2)) ? 0 : -1;
    case 0x8a: {
      if (!(b = need(c, 1))) return -1;
      int n = *b;
      if (n > 8) return bad(c, "LONG1 integer of %d bytes is larger than 64 bits", n), -1;
      if (!(b = need(c, (size_t)n))) return -1;
      uint64_t u = le(b, n);
      if (n && n < 8 && (b[n - 1] & 0x80)) u |= ~UINT64_C(0) << (8 * n);  // sign-extend
      return push_int(c, PK_INT, (int64_t)u) ? -1 : 0;
    }
    case 'G': {
      if (!(b = need(c, 8))) return -1;
      uint64_t u = 0;
      for (int i = 0; i < 8; i++) u = (u << 8) | b[i];  // big-endian
      if (!(o = new_obj(c, PK_FLOAT))) return -1;
      memcpy(&o->f, &u, 8);
      return push(c, o) ? -1 : 0;
    }
    case 'N': return push(c, new_obj(c, PK_NONE)) ? -1 : 0;
    case 0x88: case 0x89: return push_int(c, PK_BOOL, c->op == 0x88) ? -1 : 0;
    case 't': return push(c, pop_mark(c, PK_TUPLE)) ? -1 : 0;
    case 'l': return push(c, pop_mark(c, PK_LIST)) ? -1 : 0;
    case 'd':
      if (!(o = pop_mark(c, PK_DICT))) return -1;
      if (o->n % 2) return bad(c, "odd number of items (%zu) for key/value pairs", o->n), -1;
      o->n /= 2;
      return push(c, o) ? -1 : 0;
    case 0x85: case 0x86: case 0x87: {
      int n = c->op - 0x84;
      pk_obj *it[3];
      for (int i = n - 1; i >= 0; i--)
        if (!(it[i] = pop(c))) return -1;
      if (!(o = new_obj(c, PK_TUPLE))) return -1;
      for (int i = 0; i < n; i++)
        if (add_item(c, o, it[i])) return -1;
      return push(c, o) ? -1 : 0;
    }
    case 'a':
      if (!(v = pop(c)) || !(t = top(c))) return -1;
      if (t->kind != PK_LIST) return bad(c, "APPEND to a %s, expected a list", pk_kind_name(t->kind)), -1;
      return add_item(c, t, v) ? -1 : 0;
    case 'e':
      if (!(o = pop_mark(c, PK_TUPLE)) || !(t = top(c))) return -1;
      if (t->kind != PK_LIST) return bad(c, "APPENDS to a %s, expected a list", pk_kind_name(t->kind)), -1;
      for (size_t i = 0; i < o->n; i++)
        if (add_item(c, t, o->items[i])) return -1;
      return 0;
    case 's':
      if (!(v = pop(c)) || !(k = pop(c)) || !(t = top(c))) return -1;
      if (t->kind != PK_DICT) return bad(c, "SETITEM on a %s, expected a dict", pk_kind_name(t->kind)), -1;
      t->n *= 2;
      if (add_item(c, t, k) || add_item(c, t, v)) return -1;
      t->n /= 2;
      return 0;
    case 'u':
      if (!(o = pop_mark(c, PK_TUPLE)) || !(t = top(c))) return -1;
      if (t->kind != PK_DICT) return bad(c, "SETITEMS on a %s, expected a dict", pk_kind_name(t->kind)), -1;
      if (o->n % 2) return bad(c, "odd number of items (%zu) for key/value pairs", o->n), -1;
      t->n *= 2;
      for (size_t i = 0; i < o->n; i++)
        if (add_item(c, t, o->items[i])) return -1;
      t->n /= 2;
      return 0;
    case 'R': return op_reduce(c) ? -1 : 0;
    case 'b':
      if (!(v = pop(c)) || !(t = top(c))) return -1;
      if (t->kind != PK_DICT && t->kind != PK_TENSOR)
        return bad(c, "BUILD on a %s: only dict and tensor state (ignored) is allowed", pk_kind_name(t->kind)), -1;
      return 0;  // state such as OrderedDict._metadata is dropped: nothing is set or called
    case 'Q': return op_persid(c) ? -1 : 0;
    default:
      return bad(c, "opcode 0x%02x is not allowed in a state_dict pickle", c->op), -1;
  }
}

int pk_load(const void *buf, size_t len, const char *display, pk_ctx **ctx, pk_obj **root, fz_err *err) {
  *ctx = NULL;
  *root = NULL;
  fz_err local = {0};
  if (!err) err = &local;
  fz_err_clear(err);
  if (len > PK_MAX_PICKLE) return fz_fail(err, FZ_EFORMAT, "%s: pickle of %zu bytes exceeds the %u-byte limit", display, len, PK_MAX_PICKLE);
  pk_ctx *c = calloc(1, sizeof *c);
  if (!c) return fz_fail(err, FZ_ENOMEM, "%s: out of memory", display);
  c->p = buf;
  c->len = len;
  c->display = display;
  c->err = err;
  int r = 0;
  while (r == 0) {
    if (c->pos >= c->len) {
      c->op_pos = c->pos;
      c->op = 0;
      fz_fail(err, FZ_EFORMAT, "%s: truncated pickle: ends at byte %zu without a STOP opcode", display, c->len);
      r = -1;
      break;
    }
    r = step(c, root);
  }
  if (r < 0) {
    if (!err->code) fz_fail(err, FZ_EINTERNAL, "%s: unpickling failed at byte %zu", display, c->op_pos);
    *root = NULL;
    pk_free(c);
    return err->code;
  }
  free(c->stack); c->stack = NULL;
  free(c->marks); c->marks = NULL;
  free(c->memo); c->memo = NULL;
  *ctx = c;
  return FZ_OK;
}

void pk_free(pk_ctx *c) {
  if (!c) return;
  for (size_t i = 0; i < c->nobjs; i++) {
    pk_obj *o = c->objs[i];
    if (o->kind != PK_STORAGE) free(o->s);  // a storage borrows its key string
    free(o->items);
    free(o);
  }
  free(c->objs);
  free(c->stack);
  free(c->marks);
  free(c->memo);
  free(c);
}
