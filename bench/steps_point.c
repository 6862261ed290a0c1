// steps_point.c — the test set, the sweep spec and one point of `fusor bench steps`: sample (or run) every image
// of the set with one (sampler, steps, seed), then score it with the DLPan-Toolbox metrics (bench/metrics*.c).
#include "steps.h"
#include "metrics.h"
#include "mtf.h"
#include "progress.h"
#include "sha256.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const g_metric_names[FZ_SM_COUNT] = {"SAM", "ERGAS", "SCC", "Q2n", "Q_avg", "PSNR", "SSIM",
                                                        "D_lambda", "D_s", "HQNR"};
static const int g_metric_sense[FZ_SM_COUNT] = {-1, -1, 1, 1, 1, 1, 1, -1, -1, 1};

const char *fz_steps_metric_name(int k) { return k >= 0 && k < FZ_SM_COUNT ? g_metric_names[k] : "?"; }
int fz_steps_metric_sense(int k) { return k >= 0 && k < FZ_SM_COUNT ? g_metric_sense[k] : 1; }
int fz_steps_metric_find(const char *name) {
  for (int k = 0; k < FZ_SM_COUNT; k++)
    if (!strcmp(name, g_metric_names[k])) return k;
  return -1;
}

// ---------------------------------------------------------------- index selection
int fz_steps_parse_index(const char *spec, int total, int **idx, int *n, fz_err *err) {
  *idx = NULL;
  *n = 0;
  if (total <= 0) return fz_fail(err, FZ_EINVAL, "the test set holds no images");
  unsigned char *sel = calloc((size_t)total, 1);
  if (!sel) return fz_fail(err, FZ_ENOMEM, "no memory");
  int rc = FZ_OK;
  if (!spec || !*spec || !strcmp(spec, "all")) {
    memset(sel, 1, (size_t)total);
  } else {
    const char *p = spec;
    while (*p && !rc) {
      char *e;
      long a = strtol(p, &e, 10), b = a;
      if (e == p || a < 0) { rc = fz_fail(err, FZ_EINVAL, "--index '%s': expected N, A-B or a comma list of them (0-based)", spec); break; }
      p = e;
      if (*p == '-') {
        const char *q = p + 1;
        b = strtol(q, &e, 10);
        if (e == q) { rc = fz_fail(err, FZ_EINVAL, "--index '%s': a range needs an end (A-B)", spec); break; }
        p = e;
      }
      if (b < a) { rc = fz_fail(err, FZ_EINVAL, "--index '%s': range %ld-%ld runs backwards", spec, a, b); break; }
      if (b >= total) { rc = fz_fail(err, FZ_EINVAL, "--index '%s': image %ld is out of range (the set holds %d: 0-%d)", spec, b, total, total - 1); break; }
      for (long i = a; i <= b; i++) sel[i] = 1;
      if (*p == ',') p++;
      else if (*p) rc = fz_fail(err, FZ_EINVAL, "--index '%s': unexpected '%c'", spec, *p);
    }
  }
  int cnt = 0;
  for (int i = 0; i < total; i++) cnt += sel[i];
  if (!rc && !cnt) rc = fz_fail(err, FZ_EINVAL, "--index '%s' selects no image", spec);
  if (!rc && !(*idx = malloc((size_t)cnt * sizeof **idx))) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  for (int i = 0; !rc && i < total; i++)
    if (sel[i]) (*idx)[(*n)++] = i;
  free(sel);
  return rc;
}

// ---------------------------------------------------------------- the test set
int fz_steps_set_open(const char *path, const char *spec, fz_steps_set *s, fz_err *err) {
  memset(s, 0, sizeof *s);
  snprintf(s->path, sizeof s->path, "%s", path);
  snprintf(s->spec, sizeof s->spec, "%s", spec && *spec ? spec : "all");
  static const char *const keys[4] = {"gt", "ms", "lms", "pan"};
  int cnt[4];
  for (int k = 0; k < 4; k++)
    if (fz_h5_count(path, keys[k], &cnt[k], err))
      return fz_wrap(err, "test set %s: expected a PanCollection HDF5 set with gt, ms, lms and pan (`fusor simulate`)", path);
  for (int k = 1; k < 4; k++)
    if (cnt[k] != cnt[0])
      return fz_fail(err, FZ_EINVAL, "test set %s: %s holds %d images but gt holds %d", path, keys[k], cnt[k], cnt[0]);
  if (fz_steps_parse_index(spec, cnt[0], &s->index, &s->n, err)) return fz_wrap(err, "test set %s", path);
  if (s->n == cnt[0]) snprintf(s->spec, sizeof s->spec, "all");
  else {  // canonical ranges ("0,3,5-7"), so that one selection written two ways keys the same results
    size_t o = 0;
    for (int i = 0; i < s->n && o + 24 < sizeof s->spec;) {
      int j = i;
      while (j + 1 < s->n && s->index[j + 1] == s->index[j] + 1) j++;
      o += (size_t)snprintf(s->spec + o, sizeof s->spec - o, j > i ? "%s%d-%d" : "%s%d", i ? "," : "", s->index[i], s->index[j]);
      i = j + 1;
    }
  }
  if (fz_sha256_file(path, s->sha256, err)) { fz_steps_set_free(s); return err->code; }
  return FZ_OK;
}

int fz_steps_set_load(const char *path, const char *spec, fz_steps_set *s, fz_err *err) {
  if (fz_steps_set_open(path, spec, s, err)) return err->code;
  s->gt = calloc((size_t)s->n, sizeof *s->gt);
  s->ms = calloc((size_t)s->n, sizeof *s->ms);
  s->lms = calloc((size_t)s->n, sizeof *s->lms);
  s->pan = calloc((size_t)s->n, sizeof *s->pan);
  int rc = s->gt && s->ms && s->lms && s->pan ? FZ_OK : fz_fail(err, FZ_ENOMEM, "no memory");
  for (int i = 0; i < s->n && !rc; i++) {
    fz_raster_sel g = {"gt", s->index[i]}, m = {"ms", s->index[i]}, l = {"lms", s->index[i]}, p = {"pan", s->index[i]};
    if ((rc = fz_raster_read(path, &g, &s->gt[i], err)) || (rc = fz_raster_read(path, &m, &s->ms[i], err)) ||
        (rc = fz_raster_read(path, &l, &s->lms[i], err)) || (rc = fz_raster_read(path, &p, &s->pan[i], err)))
      break;
    const fz_raster *G = &s->gt[i], *M = &s->ms[i], *L = &s->lms[i], *P = &s->pan[i];
    if (P->c != 1) rc = fz_fail(err, FZ_EINVAL, "test set %s: pan image %d has %d bands, expected 1", path, s->index[i], P->c);
    else if (G->h != P->h || G->w != P->w || L->h != P->h || L->w != P->w || L->c != G->c || M->c != G->c)
      rc = fz_fail(err, FZ_EINVAL, "test set %s image %d: gt %dx%dx%d, lms %dx%dx%d, pan %dx%d, ms %d bands: expected gt, lms and pan on "
                   "one grid with the ms bands", path, s->index[i], G->c, G->h, G->w, L->c, L->h, L->w, P->h, P->w, M->c);
    for (int k = 0; !rc && k < 4; k++) {
      const fz_raster *r = k == 0 ? G : k == 1 ? M : k == 2 ? L : P;
      char what[64];
      snprintf(what, sizeof what, "%s[%s %d]", path, k == 0 ? "gt" : k == 1 ? "ms" : k == 2 ? "lms" : "pan", s->index[i]);
      rc = fz_raster_check_finite(r, what, NULL, err);
    }
  }
  if (rc) fz_steps_set_free(s);
  return rc;
}

void fz_steps_set_free(fz_steps_set *s) {
  for (int i = 0; i < s->n; i++) {
    if (s->gt) fz_raster_free(&s->gt[i]);
    if (s->ms) fz_raster_free(&s->ms[i]);
    if (s->lms) fz_raster_free(&s->lms[i]);
    if (s->pan) fz_raster_free(&s->pan[i]);
  }
  free(s->gt); free(s->ms); free(s->lms); free(s->pan); free(s->index);
  memset(s, 0, sizeof *s);
}

// ---------------------------------------------------------------- the sweep spec
int fz_steps_spec_parse(const char *spec, fz_steps_item *items, int cap, int *n, fz_err *err) {
  *n = 0;
  if (!spec || !*spec) return fz_fail(err, FZ_EINVAL, "--samplers: empty spec; expected e.g. 'ddim:1,2,5,10;ddpm:100'");
  char buf[2048];
  if (strlen(spec) >= sizeof buf) return fz_fail(err, FZ_EINVAL, "--samplers: spec longer than %zu characters", sizeof buf - 1);
  snprintf(buf, sizeof buf, "%s", spec);
  char *save = NULL;
  for (char *part = strtok_r(buf, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
    while (isspace((unsigned char)*part)) part++;
    if (!*part) continue;
    char *colon = strchr(part, ':');
    if (!colon || !colon[1])
      return fz_fail(err, FZ_EINVAL, "--samplers '%s': '%s' needs step counts (SAMPLER:N,N,...; e.g. ddim:10,50)", spec, part);
    *colon = 0;
    fz_sampler_kind k;
    fz_process implied;
    if (fz_sampler_parse(part, &k, &implied, err)) return fz_wrap(err, "--samplers '%s'", spec);
    if (k == FZ_SAMPLER_REGRESSION)
      return fz_fail(err, FZ_EINVAL, "--samplers '%s': 'regression' is not a sampler to sweep (regression models are one point each)", spec);
    char *s2 = NULL;
    for (char *num = strtok_r(colon + 1, ",", &s2); num; num = strtok_r(NULL, ",", &s2)) {
      char *e;
      long v = strtol(num, &e, 10);
      if (e == num || *e || v < 1 || v > FZ_STEPS_MAX_STEPS)
        return fz_fail(err, FZ_EINVAL, "--samplers '%s': %s steps '%s': expected an integer from 1 to %d", spec, part, num,
                       FZ_STEPS_MAX_STEPS);
      int dup = 0;
      for (int i = 0; i < *n; i++) dup |= items[i].sampler == k && items[i].steps == (int)v && items[i].process == implied;
      if (dup) continue;
      if (*n >= cap) return fz_fail(err, FZ_EINVAL, "--samplers '%s': more than %d points", spec, cap);
      items[*n].sampler = k;
      items[*n].process = implied;
      items[(*n)++].steps = (int)v;
    }
  }
  if (!*n) return fz_fail(err, FZ_EINVAL, "--samplers '%s': no sampler given", spec);
  return FZ_OK;
}

// Sets (sampler, steps) on m as `fusor sample` does: the model's sampler_for configuration, its default time input.
// A name that implies a process (flow_euler) must name the model's own.
static int set_point_sampler(fz_pan_model *m, fz_sampler_kind k, fz_process implied, int steps, uint64_t seed, fz_err *err) {
  fz_sampler_config def, cfg;
  fz_time_input tin;
  if (fz_model_sampler_default(m, &def, &tin, err) || fz_model_sampler_for(m, k, steps, &cfg, err)) return err->code;
  if (implied != FZ_PROC_DEFAULT && implied != fz_resolve_process(&cfg))
    return fz_fail(err, FZ_EINVAL, "the sampler name implies the %s process; the model runs on the %s process", fz_process_name(implied),
                   fz_process_name(fz_resolve_process(&cfg)));
  if (cfg.spacing == FZ_SPACING_RESPACE) {  // a respaced grid must exist (improved-diffusion has no "ddim1")
    int ts[FZ_STEPS_MAX_STEPS], n = 0;
    if (fz_respace_timesteps(cfg.train_steps > 0 ? cfg.train_steps : 1000, cfg.respace, ts, FZ_STEPS_MAX_STEPS, &n, err))
      return fz_wrap(err, "%s:%d (respaced grid '%s')", fz_sampler_name(k), steps, cfg.respace);
  }
  return fz_model_set_sampler(m, &cfg, tin, seed, err);
}

// Restores m's default sampler (seed 0).
static void reset_sampler(fz_pan_model *m) {
  fz_sampler_config def;
  fz_time_input tin;
  fz_err e = {0};
  if (!fz_model_sampler_default(m, &def, &tin, &e)) fz_model_set_sampler(m, &def, tin, 0, &e);
}

int fz_steps_check_items(fz_pan_model *m, const fz_steps_item *items, int n, fz_err *err) {
  int rc = FZ_OK;
  for (int i = 0; i < n && !rc; i++)
    if ((rc = set_point_sampler(m, items[i].sampler, items[i].process, items[i].steps, 0, err)))
      fz_wrap(err, "--samplers %s%s:%d does not fit the model", items[i].process == FZ_PROC_FLOW ? "flow_" : "",
              fz_sampler_name(items[i].sampler), items[i].steps);
  reset_sampler(m);
  return rc;
}

int fz_steps_default_items(fz_pan_model *m, fz_steps_item *items, int cap, int *n, fz_err *err) {
  static const int list[] = {1, 2, 5, 10, 20, 50, 100};
  *n = 0;
  if (!fz_model_is_generative(m)) return fz_fail(err, FZ_EINVAL, "a regression model has no sampler sweep");
  for (int k = 0; k < FZ_SAMPLER_COUNT; k++) {
    if (k == FZ_SAMPLER_REGRESSION) continue;
    fz_err e = {0};
    if (set_point_sampler(m, (fz_sampler_kind)k, FZ_PROC_DEFAULT, 10, 0, &e)) continue;  // not of the model's process
    int cnt = k == FZ_SAMPLER_ONESTEP ? 1 : (int)(sizeof list / sizeof *list);
    for (int j = 0; j < cnt && *n < cap; j++) {
      if (set_point_sampler(m, (fz_sampler_kind)k, FZ_PROC_DEFAULT, list[j], 0, &e)) continue;  // a grid that does not exist (ddim1)
      items[*n].sampler = (fz_sampler_kind)k;
      items[*n].process = FZ_PROC_DEFAULT;
      items[(*n)++].steps = list[j];
    }
  }
  reset_sampler(m);
  if (!*n) return fz_fail(err, FZ_EINVAL, "the model accepts none of the samplers");
  return FZ_OK;
}

// ---------------------------------------------------------------- one point
void fz_steps_opts_default(fz_steps_opts *o) {
  memset(o, 0, sizeof *o);
  o->fo.tile = 64;
  o->fo.overlap = 16;
  o->fo.batch = 10;
  o->fo.merge = FZ_MERGE_PATCHMERGE;
  o->L = 11;
  o->block = 32;
}

// A new float buffer of r's samples divided by scale.
static float *normalised(const fz_raster *r, double scale, fz_err *err) {
  size_t n = (size_t)r->c * r->h * r->w;
  float *f = malloc((n ? n : 1) * sizeof *f);
  if (!f) { fz_fail(err, FZ_ENOMEM, "out of memory normalising a %dx%dx%d image", r->c, r->h, r->w); return NULL; }
  for (size_t i = 0; i < n; i++) f[i] = (float)(r->data[i] / scale);
  return f;
}

int fz_steps_fuse_image(fz_pan_model *m, const fz_steps_set *s, int i, const fz_steps_opts *o, double *out, double *secs,
                        fz_err *err) {
  const fz_model_info *I = fz_model_get_info(m);
  const fz_raster *ms = &s->ms[i], *lms = &s->lms[i], *pan = &s->pan[i];
  double scale = I->scale;
  if (!(scale > 0))
    return fz_fail(err, FZ_EINVAL, "the model's metadata gives no normalisation (fusor.hparams.scale); convert with --set scale=2047");
  if (ms->c != I->bands)
    return fz_fail(err, FZ_EINVAL, "test set %s image %d has %d bands; the model (%s) takes %d", s->path, s->index[i], ms->c, I->arch, I->bands);
  if (pan->h != I->ratio * ms->h || pan->w != I->ratio * ms->w)
    return fz_fail(err, FZ_EINVAL, "test set %s image %d: pan %dx%d is not %d x ms %dx%d", s->path, s->index[i], pan->h, pan->w,
                   I->ratio, ms->h, ms->w);
  float *fms = normalised(ms, scale, err), *flms = fms ? normalised(lms, scale, err) : NULL,
        *fpan = flms ? normalised(pan, scale, err) : NULL;
  size_t n = (size_t)I->bands * pan->h * pan->w;
  float *fo = fpan ? malloc(n * sizeof *fo) : NULL;
  int rc = fo ? FZ_OK : err->code ? err->code : fz_fail(err, FZ_ENOMEM, "out of memory for the output");
  if (!rc) {
    fz_scene sc = {I->bands, pan->h, pan->w, fms, flms, fpan};
    double t0 = fz_now();
    rc = fz_model_sample_scene(m, &sc, &o->fo, fo, err);
    if (secs) *secs = fz_now() - t0;
    if (rc) fz_wrap(err, "test set %s image %d", s->path, s->index[i]);
  }
  for (size_t k = 0; !rc && k < n; k++) {  // as `fusor sample` / `fusor run` write it: clamp [0,1], times scale, f32
    float v = fo[k] < 0 ? 0 : fo[k] > 1 ? 1 : fo[k];
    out[k] = (float)(v * scale);
  }
  free(fms); free(flms); free(fpan); free(fo);
  return rc;
}

// Median of n values (sorted copy).
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double median(const double *v, int n) {
  double *c = malloc((size_t)(n ? n : 1) * sizeof *c);
  if (!c || !n) { free(c); return NAN; }
  memcpy(c, v, (size_t)n * sizeof *c);
  qsort(c, (size_t)n, sizeof *c, cmp_d);
  double r = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
  free(c);
  return r;
}

void fz_steps_result_free(fz_steps_result *r) {
  free(r->img);
  free(r->secs);
  memset(r, 0, sizeof *r);
}

int fz_steps_run_point(fz_pan_model *m, const fz_steps_set *s, fz_sampler_kind sampler, int steps, uint64_t seed,
                       const fz_steps_opts *o, fz_steps_result *r, fz_err *err) {
  memset(r, 0, sizeof *r);
  const fz_model_info *I = m ? fz_model_get_info(m) : NULL;
  int gen = m && fz_model_is_generative(m);
  const char *sensor = o->sensor && *o->sensor ? o->sensor : I && I->sensor[0] ? I->sensor : NULL;
  if (!sensor)
    return fz_fail(err, FZ_EINVAL, "the %s names no sensor: pass --sensor (the MTF table of D_lambda: WV3, WV2, QB, IKONOS, ...)",
                   I ? I->arch : "LMS reference");
  if (s->n < 1 || !s->ms || !s->ms[0].h) return fz_fail(err, FZ_EINVAL, "test set %s: no image loaded", s->path);
  int ratio = I ? I->ratio : s->pan[0].h / s->ms[0].h;
  const char *fr_sensor = fz_sensor_fr_alias(sensor);  // as `fusor eval` (QB, GF2 -> IKONOS)
  snprintf(r->sensor, sizeof r->sensor, "%s", fr_sensor ? fr_sensor : sensor);
  if (gen && set_point_sampler(m, sampler, FZ_PROC_DEFAULT, steps, seed, err))
    return fz_wrap(err, "%s:%d", fz_sampler_name(sampler), steps);
  r->steps = gen ? fz_model_sampler(m)->steps : 1;
  if (gen && fz_model_sampler(m)->spacing == FZ_SPACING_RESPACE) {  // the kept grid of a respaced schedule
    int ts[FZ_STEPS_MAX_STEPS], nk = 0;
    fz_err e2 = {0};
    const fz_sampler_config *c = fz_model_sampler(m);
    if (!fz_respace_timesteps(c->train_steps > 0 ? c->train_steps : 1000, c->respace, ts, FZ_STEPS_MAX_STEPS, &nk, &e2)) r->steps = nk;
  }
  r->n = s->n;
  r->img = calloc((size_t)s->n, sizeof *r->img);
  r->secs = calloc((size_t)s->n, sizeof *r->secs);
  int rc = r->img && r->secs ? FZ_OK : fz_fail(err, FZ_ENOMEM, "no memory");
  fz_rr_opts ro;
  fz_rr_opts_default(&ro);
  ro.ratio = ratio;
  ro.L = o->L;
  ro.q_block = o->block;
  ro.data_range = ldexp(1, o->L) - 1;
  for (int i = 0; i < s->n && !rc; i++) {
    const fz_raster *G = &s->gt[i], *M = &s->ms[i], *L = &s->lms[i], *P = &s->pan[i];
    size_t n = (size_t)G->c * G->h * G->w;
    double *f = malloc(n * sizeof *f), *g = malloc(n * sizeof *g), *ms = malloc((size_t)M->c * M->h * M->w * sizeof *ms),
           *l = malloc(n * sizeof *l), *p = malloc((size_t)P->h * P->w * sizeof *p);
    if (!f || !g || !ms || !l || !p) rc = fz_fail(err, FZ_ENOMEM, "no memory");
    uint64_t e0 = gen ? fz_model_evaluations(m) : 0;
    int64_t tiles = 0;
    if (!rc && m) rc = fz_fuse_count_tiles(m, &(fz_scene){I->bands, P->h, P->w, NULL, NULL, NULL}, &o->fo, &tiles, err);
    if (!rc && m) rc = fz_steps_fuse_image(m, s, i, o, f, &r->secs[i], err);
    else if (!rc) {  // the LMS reference: the set's upsampled MS itself (no time: kept off the time axis and front)
      for (size_t k = 0; k < n; k++) f[k] = L->data[k];
      r->secs[i] = NAN;
    }
    if (!rc) {
      r->tiles += tiles;
      r->evals += gen ? fz_model_evaluations(m) - e0 : (uint64_t)tiles;
      for (size_t k = 0; k < n; k++) { g[k] = G->data[k]; l[k] = L->data[k]; }
      for (size_t k = 0; k < (size_t)M->c * M->h * M->w; k++) ms[k] = M->data[k];
      for (size_t k = 0; k < (size_t)P->h * P->w; k++) p[k] = P->data[k];
      fz_mimg Gi = fz_mimg_make(g, G->c, G->h, G->w), Fi = fz_mimg_make(f, G->c, G->h, G->w), Mi = fz_mimg_make(ms, M->c, M->h, M->w),
              Li = fz_mimg_make(l, L->c, L->h, L->w), Pi = fz_mimg_make(p, 1, P->h, P->w);
      fz_rr_scores rr;
      fz_fr_scores fr;
      if ((rc = fz_metrics_rr(&Gi, &Fi, &ro, &rr, err))) fz_wrap(err, "reduced-resolution metrics of test image %d", s->index[i]);
      else if ((rc = fz_metrics_fr(&Fi, &Mi, &Li, &Pi, r->sensor, ratio, o->block, &fr, err)))
        fz_wrap(err, "full-resolution metrics of test image %d (the reduced ms / pan taken as full resolution)", s->index[i]);
      else {
        double v[FZ_SM_COUNT] = {rr.sam, rr.ergas, rr.scc, rr.q2n, rr.q_avg, rr.psnr, rr.ssim, fr.d_lambda, fr.d_s, fr.hqnr};
        memcpy(r->img[i], v, sizeof v);
      }
    }
    free(f); free(g); free(ms); free(l); free(p);
  }
  if (gen) reset_sampler(m);
  if (rc) { fz_steps_result_free(r); return rc; }
  for (int k = 0; k < FZ_SM_COUNT; k++) {
    double sum = 0;
    for (int i = 0; i < r->n; i++) sum += r->img[i][k];
    r->mean[k] = sum / r->n;
  }
  r->wall_median = median(r->secs, r->n);
  return FZ_OK;
}
