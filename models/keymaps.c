// keymaps.c — `fusor convert` key maps from the official checkpoints to fusor's names. fusor keeps the
// official module names (conv1.weight, rb1.conv1.kernels, stage0.fm...), so a map only checks the
// checkpoint, drops aliased duplicates (DLPan's res<i> / backbone.<i-1> pairs point to one storage) and
// records the hyper-parameters it can infer in fusor.hparams: spectral_num always; scale and sensor when
// the band count decides them (8 bands: the WV3 checkpoints, 11-bit, 2047). 4-band CANNet (GF2 1023 or
// QB 2047) needs `--set sensor=GF2|QB` at conversion.
#include "dlpan_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// 1 when tensors a and b have equal dtype, shape and bytes.
static int same_tensor(const fz_wtensor *a, const fz_wtensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return a->data == b->data || !a->nbytes || !memcmp(a->data, b->data, a->nbytes);
}

// Drops "backbone.<i>.<rest>" when "res<i+1>.<rest>" holds the same tensor (the DLPan alias pairs).
static void drop_backbone_aliases(fz_weights *w) {
  for (int i = 0; i < w->count;) {
    const char *nm = w->tensors[i].name;
    int idx, off = 0;
    if (sscanf(nm, "backbone.%d.%n", &idx, &off) == 1 && off > 0) {
      char alias[256];
      snprintf(alias, sizeof alias, "res%d.%s", idx + 1, nm + off);
      const fz_wtensor *r = fz_weights_find(w, alias);
      if (r && same_tensor(r, &w->tensors[i])) {
        fz_weights_remove(w, i);
        continue;
      }
    }
    i++;
  }
}

// Adds key = json_value to the flat JSON object text of metadata fusor.hparams unless the key is present.
static int hp_default(fz_weights *w, const char *key, const char *json_value, fz_err *err) {
  const char *old = fz_weights_meta_get(w, "fusor.hparams");
  double d;
  char s[8];
  if (old && (fz_hp_num(old, key, &d) || fz_hp_str(old, key, s, sizeof s))) return FZ_OK;
  size_t n = (old ? strlen(old) : 2) + strlen(key) + strlen(json_value) + 8;
  char *js = malloc(n);
  if (!js) return fz_fail(err, FZ_ENOMEM, "out of memory building fusor.hparams");
  const char *close = old ? strrchr(old, '}') : NULL;
  if (!close) snprintf(js, n, "{\"%s\":%s}", key, json_value);
  else {
    size_t head = (size_t)(close - old);
    int empty = 1;
    for (const char *p = old; p < close; p++)
      if (*p != '{' && *p != ' ' && *p != '\n' && *p != '\t') { empty = 0; break; }
    snprintf(js, n, "%.*s%s\"%s\":%s}", (int)head, old, empty ? "" : ",", key, json_value);
  }
  int rc = fz_weights_meta_set(w, "fusor.hparams", js, err);
  free(js);
  return rc;
}

int fz_keymap_common(fz_weights *w, const char *arch, int bands, fz_err *err) {
  char v[32];
  drop_backbone_aliases(w);
  snprintf(v, sizeof v, "%d", bands);
  if (hp_default(w, "spectral_num", v, err)) return err->code;
  if (bands == 8) {
    if (hp_default(w, "sensor", "\"WV3\"", err)) return err->code;
    const char *hp = fz_weights_meta_get(w, "fusor.hparams");
    char s[32];
    double sc = fz_hp_str(hp, "sensor", s, sizeof s) ? fz_sensor_scale(s) : 2047;
    snprintf(v, sizeof v, "%g", sc > 0 ? sc : 2047);
    if (hp_default(w, "scale", v, err)) return err->code;
  }
  (void)arch;
  return FZ_OK;
}

// Band count from shape[0] of tensor name (4-D); fails naming the architecture when absent.
static int bands_of(const fz_weights *w, const char *name, const char *arch, int *bands, fz_err *err) {
  const fz_wtensor *t = fz_weights_find(w, name);
  if (!t || t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 4096)
    return fz_fail(err, FZ_EINVAL, "tensor '%s' [C, *, k, k] of a %s checkpoint is missing or malformed: is this another architecture?",
                   name, arch);
  *bands = (int)t->shape[0];
  return FZ_OK;
}

// Generic DLPan key map: checks the signature tensor, then the common edits.
static int dlpan_map(fz_weights *w, const char *arch, const char *last, fz_err *err) {
  int c = 0;
  if (bands_of(w, last, arch, &c, err)) return err->code;
  const char *a = fz_model_detect_arch(w);
  if (a && strcmp(a, arch))
    return fz_fail(err, FZ_EINVAL, "the tensor names are those of a %s checkpoint, not %s", a, arch);
  return fz_keymap_common(w, arch, c, err);
}

int fz_keymap_pnn(fz_weights *w, fz_err *err) { return dlpan_map(w, "pnn", "conv3.weight", err); }
int fz_keymap_pannet(fz_weights *w, fz_err *err) { return dlpan_map(w, "pannet", "conv3.weight", err); }
int fz_keymap_dicnn(fz_weights *w, fz_err *err) { return dlpan_map(w, "dicnn", "conv3.weight", err); }
int fz_keymap_msdcnn(fz_weights *w, fz_err *err) { return dlpan_map(w, "msdcnn", "conv5.weight", err); }
int fz_keymap_fusionnet(fz_weights *w, fz_err *err) { return dlpan_map(w, "fusionnet", "conv3.weight", err); }
int fz_keymap_drpnn(fz_weights *w, fz_err *err) { return dlpan_map(w, "drpnn", "conv3.weight", err); }
