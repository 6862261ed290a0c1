// pth.c — turns an unpickled torch state_dict into fz_weights: picks the state dict, flattens
// nested dicts, validates every tensor view against its storage and gathers strided views.
#include "pth.h"
#include "unpickle.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// One storage fetched from the provider, found by key through an open-addressing hash table.
typedef struct { const char *key; fz_wdtype dtype; int64_t numel; const uint8_t *data; } stor_slot;

typedef struct {
  const char *display;
  pth_storage_fn fn;
  void *fn_ctx;
  fz_weights *w;
  fz_err *err;
  stor_slot *slots;
  size_t nslots, used;
  int skipped;  // non-tensor leaves ignored while flattening
  long visits;  // dict entries visited (bounded: shared sub-dicts must not blow up the walk)
} flat_ctx;

#define PTH_MAX_VISITS (1L << 22)

// FNV-1a hash of a C string.
static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

// Returns the slot for key (existing, or empty to fill); grows the table when 1/2 full.
static stor_slot *slot_for(flat_ctx *f, const char *key) {
  if (2 * (f->used + 1) > f->nslots) {
    size_t nn = f->nslots ? 2 * f->nslots : 64;
    stor_slot *ns = calloc(nn, sizeof *ns);
    if (!ns) return NULL;
    for (size_t i = 0; i < f->nslots; i++)
      if (f->slots[i].key) {
        size_t j = hash_str(f->slots[i].key) & (nn - 1);
        while (ns[j].key) j = (j + 1) & (nn - 1);
        ns[j] = f->slots[i];
      }
    free(f->slots);
    f->slots = ns;
    f->nslots = nn;
  }
  size_t j = hash_str(key) & (f->nslots - 1);
  while (f->slots[j].key && strcmp(f->slots[j].key, key)) j = (j + 1) & (f->nslots - 1);
  return &f->slots[j];
}

// The bytes of storage s (fetched once per key; every use must agree on dtype and numel).
static int storage_data(flat_ctx *f, const pk_obj *s, const char *tname, const uint8_t **data) {
  char pn[160], pk[220];
  stor_slot *sl = slot_for(f, s->s);
  if (!sl) return fz_fail(f->err, FZ_ENOMEM, "%s: out of memory", f->display);
  if (sl->key) {
    if (sl->dtype != s->dtype || sl->numel != s->i)
      return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': storage '%s' is used as %s x %lld here but as %s x %lld elsewhere",
                     f->display, fz_printable(tname, pn, sizeof pn), fz_printable(s->s, pk, sizeof pk), fz_wdtype_name(s->dtype),
                     (long long)s->i, fz_wdtype_name(sl->dtype), (long long)sl->numel);
    *data = sl->data;
    return FZ_OK;
  }
  const uint8_t *d = NULL;
  int rc = f->fn(f->fn_ctx, f->w, s->s, (size_t)s->i * fz_wdtype_size(s->dtype), &d, f->err);
  if (rc) return fz_wrap(f->err, "%s: tensor '%s'", f->display, fz_printable(tname, pn, sizeof pn));
  *sl = (stor_slot){s->s, s->dtype, s->i, d};
  f->used++;
  *data = d;
  return FZ_OK;
}

// Validates tensor record t (named name) against its storage and adds it to w.
static int add_tensor(flat_ctx *f, const pk_obj *t, const char *name) {
  char pn[160], sb[200], tb[200], pk[220];
  fz_printable(name, pn, sizeof pn);
  const pk_obj *st = t->storage;
  int nd = (int)t->size->n;
  int64_t size[FZ_W_MAX_DIMS], stride[FZ_W_MAX_DIMS], numel = 1, off = t->i;
  for (int k = 0; k < nd; k++) { size[k] = t->size->items[k]->i; stride[k] = t->stride->items[k]->i; }
  fz_wshape_str(nd, size, sb, sizeof sb);
  fz_wshape_str(nd, stride, tb, sizeof tb);
  for (int k = 0; k < nd; k++) {
    if (size[k] < 0 || (size[k] && numel > FZ_MAX_NUMEL / size[k]))
      return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': size %s has a negative dim or more than 2^40 elements", f->display, pn, sb);
    if (stride[k] < 0) return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': stride %s is negative, expected >= 0", f->display, pn, tb);
    numel *= size[k];
  }
  if (off < 0) return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': storage_offset %lld is negative", f->display, pn, (long long)off);
  size_t esz = fz_wdtype_size(st->dtype);
  const uint8_t *base = NULL;
  if (numel == 0) return fz_weights_add(f->w, name, st->dtype, nd, size, NULL, 0, f->err) ? fz_wrap(f->err, "%s", f->display) : FZ_OK;
  int64_t last = off;  // largest element index the view touches
  int oob = 0;
  for (int k = 0; k < nd && !oob; k++) {
    if (size[k] > 1 && stride[k] > (INT64_MAX - last) / (size[k] - 1)) oob = 1;
    else last += (size[k] - 1) * stride[k];
  }
  if (oob || last >= st->i)
    return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': size %s stride %s offset %lld reach element %s%lld of storage '%s', which holds %lld elements",
                   f->display, pn, sb, tb, (long long)off, oob ? "> " : "", oob ? (long long)INT64_MAX : (long long)last,
                   fz_printable(st->s, pk, sizeof pk), (long long)st->i);
  int rc = storage_data(f, st, name, &base);
  if (rc) return rc;
  int contiguous = 1;
  int64_t expect = 1;
  for (int k = nd - 1; k >= 0; k--) {
    if (size[k] != 1 && stride[k] != expect) contiguous = 0;
    expect *= size[k];
  }
  const uint8_t *data = base + (size_t)off * esz;
  if (!contiguous && numel > st->i)
    return fz_fail(f->err, FZ_EFORMAT, "%s: tensor '%s': size %s stride %s views %lld elements of a %lld-element storage (an expanded view): "
                   "not supported in a state_dict", f->display, pn, sb, tb, (long long)numel, (long long)st->i);
  if (!contiguous) {  // gather the strided view into a new row-major buffer
    uint8_t *g = malloc((size_t)numel * esz);
    if (!g) return fz_fail(f->err, FZ_ENOMEM, "%s: tensor '%s': cannot allocate %lld bytes", f->display, pn, (long long)numel * (long long)esz);
    int64_t idx[FZ_W_MAX_DIMS] = {0}, src = off;
    for (int64_t i = 0; i < numel; i++) {
      memcpy(g + (size_t)i * esz, base + (size_t)src * esz, esz);
      for (int k = nd - 1; k >= 0; k--) {  // odometer increment
        if (++idx[k] < size[k]) { src += stride[k]; break; }
        src -= (size[k] - 1) * stride[k];
        idx[k] = 0;
      }
    }
    if (fz_weights_own(f->w, g, f->err)) return f->err->code;
    data = g;
  }
  if (fz_weights_add(f->w, name, st->dtype, nd, size, data, (size_t)numel * esz, f->err)) return fz_wrap(f->err, "%s", f->display);
  return FZ_OK;
}

// Adds every tensor of dict d, names prefixed by prefix + "." (nested dicts recurse up to PTH_MAX_NEST).
static int flatten(flat_ctx *f, const pk_obj *d, const char *prefix, int depth) {
  char pn[160];
  if (depth > PTH_MAX_NEST)
    return fz_fail(f->err, FZ_EFORMAT, "%s: dicts nested deeper than %d levels under '%s'", f->display, PTH_MAX_NEST,
                   fz_printable(prefix, pn, sizeof pn));
  size_t plen = strlen(prefix);
  for (size_t i = 0; i < d->n; i++) {
    const pk_obj *k = d->items[2 * i], *v = d->items[2 * i + 1];
    if (++f->visits > PTH_MAX_VISITS)
      return fz_fail(f->err, FZ_EFORMAT, "%s: the checkpoint dicts hold more than %ld entries (shared or self-referencing dicts?)",
                     f->display, PTH_MAX_VISITS);
    if (v->kind != PK_TENSOR && v->kind != PK_DICT) { f->skipped++; continue; }
    char kb[32];
    const char *ks;
    if (k->kind == PK_STR) {
      if (strlen(k->s) != k->slen)
        return fz_fail(f->err, FZ_EFORMAT, "%s: a key under '%s' holds a NUL byte", f->display, fz_printable(prefix, pn, sizeof pn));
      ks = k->s;
    } else if (k->kind == PK_INT) {
      snprintf(kb, sizeof kb, "%lld", (long long)k->i);
      ks = kb;
    } else {
      f->skipped++;
      continue;
    }
    size_t kl = strlen(ks);
    if (plen + kl + 2 > 4096)
      return fz_fail(f->err, FZ_EFORMAT, "%s: tensor name under '%s' longer than 4096 bytes", f->display, fz_printable(prefix, pn, sizeof pn));
    char *name = malloc(plen + kl + 2);
    if (!name) return fz_fail(f->err, FZ_ENOMEM, "%s: out of memory", f->display);
    if (plen) snprintf(name, plen + kl + 2, "%s.%s", prefix, ks);
    else memcpy(name, ks, kl + 1);
    int rc = v->kind == PK_TENSOR ? (name[0] ? add_tensor(f, v, name)
                                             : fz_fail(f->err, FZ_EFORMAT, "%s: a tensor has an empty name", f->display))
                                  : flatten(f, v, name, depth + 1);
    free(name);
    if (rc) return rc;
  }
  return FZ_OK;
}

// The dict holding the tensors: root itself when it has a tensor value, else the value of the
// first wrapper key (state_dict, model_state_dict, model, net, network) that is a dict, else root.
static const pk_obj *pick_state_dict(const pk_obj *root, const char **via) {
  static const char *wrappers[] = {"state_dict", "model_state_dict", "model", "net", "network"};
  *via = NULL;
  for (size_t i = 0; i < root->n; i++)
    if (root->items[2 * i + 1]->kind == PK_TENSOR) return root;
  for (size_t w = 0; w < sizeof wrappers / sizeof *wrappers; w++)
    for (size_t i = 0; i < root->n; i++) {
      const pk_obj *k = root->items[2 * i], *v = root->items[2 * i + 1];
      if (k->kind == PK_STR && !strcmp(k->s, wrappers[w]) && v->kind == PK_DICT) { *via = wrappers[w]; return v; }
    }
  return root;
}

int pth_from_pickle(const void *pkl, size_t len, const char *display, pth_storage_fn fn, void *fn_ctx, fz_weights *w, fz_err *err) {
  fz_err local = {0};
  if (!err) err = &local;
  fz_weights_init(w);
  pk_ctx *ctx = NULL;
  pk_obj *root = NULL;
  int rc = pk_load(pkl, len, display, &ctx, &root, err);
  if (rc) return rc;
  flat_ctx f = {display, fn, fn_ctx, w, err, NULL, 0, 0, 0, 0};
  if (root->kind != PK_DICT) {
    rc = fz_fail(err, FZ_EFORMAT, "%s: the pickle holds a %s, expected a dict of tensors (a state_dict)", display, pk_kind_name(root->kind));
  } else {
    const char *via = NULL;
    const pk_obj *sd = pick_state_dict(root, &via);
    if (via) FZ_DEBUG("%s: tensors taken from the '%s' entry of the checkpoint dict", display, via);
    rc = flatten(&f, sd, "", 0);
    if (!rc && w->count == 0) rc = fz_fail(err, FZ_EFORMAT, "%s: no tensors found in the checkpoint dict", display);
    if (!rc && f.skipped) FZ_DEBUG("%s: %d non-tensor entries ignored", display, f.skipped);
    int d = rc ? -1 : fz_weights_first_duplicate(w);
    char pn[160];
    if (d >= 0) rc = fz_fail(err, FZ_EFORMAT, "%s: tensor name '%s' appears twice after flattening, expected unique names", display,
                             fz_printable(w->tensors[d].name, pn, sizeof pn));
  }
  free(f.slots);
  pk_free(ctx);
  if (rc) fz_weights_free(w);
  else w->format = "pth";
  return rc;
}
