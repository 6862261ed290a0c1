// model.c — the architecture registry, fusor.hparams lookup, model loading and the checked forward.
#include "model_internal.h"
#include "arena_backend.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const fz_arch fz_arch_cannet, fz_arch_fusionmamba;

static const fz_arch *const g_archs[] = {
    &fz_arch_pnn, &fz_arch_pannet, &fz_arch_dicnn, &fz_arch_msdcnn, &fz_arch_fusionnet, &fz_arch_drpnn,
    &fz_arch_cannet, &fz_arch_fusionmamba, &fz_arch_ssdiff,
    &fz_arch_pan_otfm,
    &fz_arch_sb_pan,
};
#define N_ARCHS ((int)(sizeof g_archs / sizeof g_archs[0]))

int fz_model_arch_count(void) { return N_ARCHS; }
const char *fz_model_arch_name(int i) { return i >= 0 && i < N_ARCHS ? g_archs[i]->name : NULL; }
const char *fz_model_arch_summary(int i) { return i >= 0 && i < N_ARCHS ? g_archs[i]->summary : NULL; }

// The registered architecture called name (case-insensitive), or NULL.
static const fz_arch *find_arch(const char *name) {
  for (int i = 0; i < N_ARCHS; i++)
    if (!strcasecmp(g_archs[i]->name, name)) return g_archs[i];
  return NULL;
}

// Writes "pnn, pannet, ..." into buf.
static const char *arch_list(char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  for (int i = 0; i < N_ARCHS && o < n; i++) o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", g_archs[i]->name);
  return buf;
}

const char *fz_model_detect_arch(const fz_weights *w) {
  for (int i = 0; i < N_ARCHS; i++)
    if (g_archs[i]->detect && g_archs[i]->detect(w)) return g_archs[i]->name;
  return NULL;
}

fz_weights_keymap_fn fz_model_keymap(const char *arch) {
  const fz_arch *a = arch ? find_arch(arch) : NULL;
  return a ? a->keymap : NULL;
}

double fz_sensor_scale(const char *s) {
  if (!s) return 0;
  static const struct { const char *name; double scale; } t[] = {
      {"WV3", 2047}, {"WV2", 2047}, {"WV4", 2047}, {"QB", 2047}, {"IKONOS", 2047}, {"IK", 2047},
      {"GF2", 1023}, {"GE1", 255}, {"GeoEye1", 255},
      {"L8", 65535}, {"L7", 255},  // Landsat 8 OLI L1 (16-bit scaled DN), Landsat 7 ETM+ (8-bit DN)
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcasecmp(s, t[i].name)) return t[i].scale;
  return 0;
}

// ---- flat JSON lookup -----------------------------------------------------------------------------

// Skips spaces; returns the new position.
static const char *ws(const char *p) {
  while (*p && isspace((unsigned char)*p)) p++;
  return p;
}

// Skips a JSON string starting at the opening quote; returns the position after the closing quote or NULL.
static const char *skip_str(const char *p) {
  for (p++; *p; p++) {
    if (*p == '\\') { if (!*++p) return NULL; }
    else if (*p == '"') return p + 1;
  }
  return NULL;
}

// Skips one JSON value (string, number, literal, object or array); NULL when malformed.
static const char *skip_value(const char *p) {
  p = ws(p);
  if (*p == '"') return skip_str(p);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (*p) {
      if (*p == '"') { p = skip_str(p); if (!p) return NULL; continue; }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') { if (--depth == 0) return p + 1; }
      p++;
    }
    return NULL;
  }
  while (*p && *p != ',' && *p != '}' && !isspace((unsigned char)*p)) p++;
  return p;
}

// Finds top-level key in object js; returns the start of its value or NULL.
static const char *hp_find(const char *js, const char *key) {
  if (!js) return NULL;
  const char *p = ws(js);
  if (*p++ != '{') return NULL;
  size_t kl = strlen(key);
  for (;;) {
    p = ws(p);
    if (*p != '"') return NULL;
    const char *k0 = p + 1, *k1 = skip_str(p);
    if (!k1) return NULL;
    int match = (size_t)(k1 - 1 - k0) == kl && !memcmp(k0, key, kl);
    p = ws(k1);
    if (*p++ != ':') return NULL;
    p = ws(p);
    if (match) return p;
    p = skip_value(p);
    if (!p) return NULL;
    p = ws(p);
    if (*p == ',') { p++; continue; }
    return NULL;
  }
}

int fz_hp_num(const char *js, const char *key, double *v) {
  const char *p = hp_find(js, key);
  if (!p) return 0;
  char *end;
  double d = strtod(p, &end);
  if (end == p) return 0;
  *v = d;
  return 1;
}

int fz_hp_str(const char *js, const char *key, char *buf, size_t n) {
  const char *p = hp_find(js, key);
  if (!p || *p != '"' || n == 0) return 0;
  const char *e = skip_str(p);
  if (!e) return 0;
  size_t len = (size_t)(e - p - 2);
  if (len >= n) len = n - 1;
  memcpy(buf, p + 1, len);
  buf[len] = 0;
  return 1;
}

// ---- load / forward / free ------------------------------------------------------------------------

// Fills the hyper-parameters every architecture shares: sensor, scale (checked), ratio.
static int common_hparams(fz_pan_model *m, fz_err *err) {
  fz_model_info *in = &m->info;
  double v;
  char s[16];
  in->ratio = 4;
  if (fz_hp_str(m->hparams, "sensor", s, sizeof s)) snprintf(in->sensor, sizeof in->sensor, "%s", s);
  if (fz_hp_num(m->hparams, "scale", &v)) {
    if (!(v > 0 && v < 1e9))
      return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams 'scale' is %g; expected a positive normalisation (2047, 1023, 255)",
                     m->display, v);
    in->scale = v;
  } else if (in->sensor[0]) {
    in->scale = fz_sensor_scale(in->sensor);
  }
  if (fz_hp_num(m->hparams, "ratio", &v)) {
    if (!(v >= 2 && v <= 64 && v == (int)v && ((int)v & ((int)v - 1)) == 0))
      return fz_fail(err, FZ_EINVAL, "%s: fusor.hparams 'ratio' is %g; expected a PAN/MS ratio that is a power of 2 (2, 4, 8)",
                     m->display, v);
    in->ratio = (int)v;
  }
  return FZ_OK;
}

// After init: an architecture that reads the low-resolution MS upsamples it with layers sized for ratio 4
// (PanNet's stride-4 deconv, CANNet, ...); only LMS-only nets (the upsampling done by interp23tap) take other ratios.
static int check_ratio(const fz_pan_model *m, fz_err *err) {
  if (m->info.ratio != 4 && (m->info.inputs & FZ_MODEL_IN_MS))
    return fz_fail(err, FZ_EUNSUP, "%s: fusor.hparams 'ratio' is %d; %s reads the low-resolution MS with layers built for a "
                   "PAN/MS ratio of 4 (only LMS + PAN architectures such as fusionnet, dicnn, pnn take other ratios)",
                   m->display, m->info.ratio, m->arch->name);
  return FZ_OK;
}

int fz_model_from_weights(const fz_weights *w, const char *display, const fz_backend *be, fz_pan_model **out, fz_err *err) {
  *out = NULL;
  if (!display) display = "weights";
  const char *name = fz_weights_meta_get(w, "fusor.arch");
  char list[256];
  const fz_arch *a = NULL;
  if (name) {
    a = find_arch(name);
    if (!a)
      return fz_fail(err, FZ_EUNSUP, "%s: metadata fusor.arch is '%.64s', which is not a pansharpening model fusor can run (known: %s)",
                     display, name, arch_list(list, sizeof list));
  } else {
    const char *d = fz_model_detect_arch(w);
    if (!d)
      return fz_fail(err, FZ_EINVAL, "%s: no fusor.arch metadata and the tensor names match no known architecture (%s); "
                     "convert it with `fusor convert IN OUT --arch NAME`", display, arch_list(list, sizeof list));
    a = find_arch(d);
  }
  fz_pan_model *m = calloc(1, sizeof *m);
  if (!m) return fz_fail(err, FZ_ENOMEM, "out of memory creating a model");
  m->arch = a;
  m->be = be;
  m->w = w;
  m->hparams = fz_weights_meta_get(w, "fusor.hparams");
  snprintf(m->display, sizeof m->display, "%s", display);
  snprintf(m->info.arch, sizeof m->info.arch, "%s", a->name);
  int rc = common_hparams(m, err);
  if (!rc) rc = a->init(m, err);
  if (!rc) rc = check_ratio(m, err);
  if (!rc && a->gen) a->gen->sampler_default(&m->gen.cfg, &m->gen.tin);
  if (!rc) {
    double v;
    if (fz_hp_num(m->hparams, "spectral_num", &v) && (int)v != m->info.bands)
      rc = fz_fail(err, FZ_EINVAL, "%s: fusor.hparams spectral_num = %g but the tensors hold a %d-band %s", display, v,
                   m->info.bands, a->name);
  }
  m->w = NULL;
  m->hparams = NULL;
  if (rc) {
    fz_model_free(m);
    return rc;
  }
  fz_param_count(m);
  *out = m;
  return FZ_OK;
}

int fz_model_load(const char *path, const char *display, const fz_backend *be, fz_pan_model **out, fz_err *err) {
  fz_weights w;
  *out = NULL;
  if (!display) display = path;
  int rc = fz_weights_load(path, &w, err);
  if (rc) return rc;
  rc = fz_model_from_weights(&w, display, be, out, err);
  fz_weights_free(&w);
  return rc;
}

const fz_model_info *fz_model_get_info(const fz_pan_model *m) { return &m->info; }
const fz_backend *fz_model_backend(const fz_pan_model *m) { return m->be; }

// Checks that t is an f32 [N, c, h, w] tensor; names role in the error.
static int need_nchw(const fz_pan_model *m, const fz_tensor *t, const char *role, int64_t n, int64_t c, int64_t h, int64_t w,
                     fz_err *err) {
  char got[96], want[96];
  int64_t s[4] = {n, c, h, w};
  if (!t || !t->data)
    return fz_fail(err, FZ_EINVAL, "%s (%s): input '%s' is missing; this architecture needs it", m->display, m->info.arch, role);
  if (t->dtype != FZ_F32 || t->ndim != 4 || t->shape[0] != n || t->shape[1] != c || t->shape[2] != h || t->shape[3] != w)
    return fz_fail(err, FZ_EINVAL, "%s (%s): %s is %s %s; expected f32 %s", m->display, m->info.arch, role,
                   fz_dtype_name(t->dtype), fz_shape_str(t->ndim, t->shape, got, sizeof got), fz_shape_str(4, s, want, sizeof want));
  return FZ_OK;
}

int fz_model_forward(fz_pan_model *m, const fz_pan_inputs *in, fz_tensor *out, fz_err *err) {
  const fz_model_info *I = &m->info;
  if (!in || !in->pan || in->pan->ndim != 4)
    return fz_fail(err, FZ_EINVAL, "%s (%s): pan must be an [N, 1, H, W] tensor", m->display, I->arch);
  int64_t n = in->pan->shape[0], h = in->pan->shape[2], w = in->pan->shape[3];
  if (need_nchw(m, in->pan, "pan", n, 1, h, w, err)) return err->code;
  if (h % I->multiple || w % I->multiple)
    return fz_fail(err, FZ_EINVAL, "%s (%s): PAN is %lldx%lld; this architecture needs H and W multiples of %d",
                   m->display, I->arch, (long long)h, (long long)w, I->multiple);
  if ((I->inputs & FZ_MODEL_IN_LMS) && need_nchw(m, in->lms, "lms", n, I->bands, h, w, err)) return err->code;
  if (I->inputs & FZ_MODEL_IN_MS) {
    if (h % I->ratio || w % I->ratio)
      return fz_fail(err, FZ_EINVAL, "%s (%s): PAN is %lldx%lld, not a multiple of the PAN/MS ratio %d", m->display, I->arch,
                     (long long)h, (long long)w, I->ratio);
    if (need_nchw(m, in->ms, "ms", n, I->bands, h / I->ratio, w / I->ratio, err)) return err->code;
  }
  if (need_nchw(m, out, "out", n, I->bands, h, w, err)) return err->code;
  if (out->be != m->be || in->pan->be != m->be)
    return fz_fail(err, FZ_EINVAL, "%s (%s): inputs and output must live on the model's backend (%s)", m->display, I->arch,
                   m->be->name);
  fz_arena_backend *ab = fz_arena_backend_of(m->be);  // intermediates from one planned allocation (arena_backend.h)
  if (ab && fz_arena_backend_begin(ab, err)) return err->code;
  int rc = m->arch->gen ? m->arch->gen->sample(m, in, NULL, m->gen.next_image, NULL, NULL, out, err) : m->arch->forward(m, in, out, err);
  if (ab) {
    int rc2 = fz_arena_backend_end(ab, rc ? NULL : err);
    if (!rc) rc = rc2;
  }
  if (m->arch->gen) {  // a generative model: the forward is a sampler run; tile n gets noise image next_image + n
    if (rc) return fz_wrap(err, "%s sampling", I->arch);
    m->gen.next_image += (uint64_t)n;
    return FZ_OK;
  }
  if (rc) return fz_wrap(err, "%s forward", I->arch);
  return FZ_OK;
}

void fz_model_free(fz_pan_model *m) {
  if (!m) return;
  if (m->arch && m->arch->release) m->arch->release(m);
  for (int i = 0; i < m->nparams; i++) { fz_tensor_free(m->params[i]); free(m->params[i]); }
  free(m->params);
  for (int i = 0; i < FZ_MODEL_MAX_SLOTS; i++)
    if (m->slots[i].data) m->be->free(m->be, m->slots[i].data);
  free(m);
}
