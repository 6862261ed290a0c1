// sample_model.c — `fusor sample -m MODEL.safetensors --ms MS --pan PAN [--lms LMS] -o OUT`: samples one
// scene with a generative model file (SSDiff, PAN-OTFM, the Schrödinger bridge: any architecture with
// sampling hooks, models/generative.h) tile by tile through the sampler layer, and writes a
// georeferenced GeoTIFF (or PNG / HDF5 / .mat by extension) in DN, like `fusor run`.
#include "cli.h"
#include "raster.h"
#include "precision.h"
#include "arena_backend.h"
#include "sample_model.h"
#include "../models/generative.h"
#include "../models/fuse.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void fz_sample_model_usage(FILE *f) {
  fprintf(f,
          "usage: fusor sample -m MODEL.safetensors --ms MS --pan PAN [--lms LMS] -o OUT [options]\n"
          "  Samples one scene with a generative model file (fusor.arch ssdiff, pan_otfm, sb_pan; or SSDiff's official\n"
          "  .pth) tile by tile and writes the result in DN (GeoTIFF with the PAN's georeferencing, .png, .h5, .mat).\n"
          "  LMS defaults to interp23tap(MS). Defaults are the model's own sampler (`fusor inspect` shows it; SSDiff:\n"
          "  ddim, 10 steps respaced ddim10, the respaced index as time input), 64x64 tiles merged by the\n"
          "  PatchMergeModule rule, 10 tiles per batch.\n"
          "  --sampler NAME     any sampler of the model's process (vp: ddim ddpm dpmpp_2m dpmpp_2m_sde euler heun\n"
          "                     midpoint euler_a; flow: onestep flow_euler flow_heun flow_midpoint; bridge: bridge_ode\n"
          "                     bridge_sde)\n"
          "  --steps N          sampling steps (default: the model's); vp grid = improved-diffusion respacing ddimN / N\n"
          "  --respace STR      respacing sections (ddim10, 50,25,10) instead;  --spacing S  another grid (leading,\n"
          "                     trailing, linspace, karras, exponential)\n"
          "  --eta X            DDIM / Euler-ancestral eta;  --strength X  SDEdit start from the LMS (0 < X <= 1)\n"
          "  --time-input T     what the network's time embedding gets (default: the model's; SSDiff: respaced)\n"
          "  --seed N           noise seed (default 0); tile k of the scene gets noise image k\n"
          "  --tile N           tile side on the PAN grid (default 64);  --merge M  patchmerge (default) | blend | grid\n"
          "  --overlap N        blend overlap (default 16);  --batch N  tiles per batch (default 10)\n"
          "  --ms-key K, --pan-key K, --lms-key K, --index N   variables in .mat / .h5 inputs\n"
          "  --scale S          DN normalisation (default: the model's fusor.hparams scale)\n"
          "  --dtype T          output u8 | u16 | f32 (default u16, u8 for 8-bit models)\n"
          "  --threads N, --device D, --json, --force\n"
          "  --precision P      fp32 (default) | bf16 | fp16: 16-bit storage, fp32 accumulation (cuda only)\n");
}

int fz_sample_wants_model_file(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i++)
    if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) && strncmp(argv[i + 1], "gaussian:", 9)) return 1;
  return 0;
}

typedef struct smo {
  const char *model, *ms, *pan, *lms, *out, *device, *ms_key, *pan_key, *lms_key, *dtype, *respace, *precision;
  int index, threads, json, force, steps, spacing_set, tin_set;
  double scale;
  uint64_t seed;
  fz_sampler_config opt;
  fz_sampler_kind kind;
  int kind_set;
  fz_process kind_process;  // the process the sampler name implies (flow_euler: flow), DEFAULT when none
  fz_time_input tin;
  fz_fuse_opts fo;
} smo;

// 1 when path ends with ext (case-insensitive).
static int has_ext(const char *path, const char *ext) {
  size_t n = strlen(path), e = strlen(ext);
  return n >= e && !strcasecmp(path + n - e, ext);
}

// Reads one input raster: explicit key, else the first of cands a .mat / .h5 file holds.
static int read_input(const char *path, const char *key, int index, const char *const *cands, fz_raster *r, fz_err *err) {
  const char *k = key;
  if (!k && (has_ext(path, ".mat") || has_ext(path, ".h5") || has_ext(path, ".hdf5"))) {
    fz_var_info v[64];
    fz_err e = {0};
    int n = fz_raster_list_vars(path, v, 64, &e);
    for (int c = 0; cands[c] && !k; c++)
      for (int i = 0; i < n && i < 64 && !k; i++)
        if (!strcmp(v[i].name, cands[c])) k = cands[c];
  }
  fz_raster_sel sel = {k, index};
  return fz_raster_read(path, &sel, r, err) ? err->code : FZ_OK;
}

// A new buffer holding r's samples divided by scale.
static float *normalised(const fz_raster *r, double scale, fz_err *err) {
  size_t n = (size_t)r->c * r->h * r->w;
  float *f = malloc((n ? n : 1) * sizeof *f);
  if (!f) { fz_fail(err, FZ_ENOMEM, "out of memory normalising a %dx%dx%d raster", r->c, r->h, r->w); return NULL; }
  for (size_t i = 0; i < n; i++) f[i] = (float)(r->data[i] / scale);
  return f;
}

// lms = interp23tap(ms, ratio) per band (the toolbox's LMS generator, double precision).
static float *make_lms(const float *ms, int c, int h, int w, int ratio, fz_err *err) {
  size_t hw = (size_t)h * w, HW = hw * (size_t)ratio * ratio;
  double *in = malloc(hw * sizeof *in), *o = malloc(HW * sizeof *o);
  float *lms = malloc((size_t)c * HW * sizeof *lms);
  int rc = in && o && lms ? FZ_OK : fz_fail(err, FZ_ENOMEM, "out of memory computing the LMS (%d bands, %dx%d)", c, h * ratio, w * ratio);
  for (int k = 0; !rc && k < c; k++) {
    for (size_t i = 0; i < hw; i++) in[i] = ms[k * hw + i];
    rc = fz_interp23tap_f64(in, h, w, ratio, o, err);
    for (size_t i = 0; !rc && i < HW; i++) lms[k * HW + i] = (float)o[i];
  }
  free(in);
  free(o);
  if (rc) { free(lms); return NULL; }
  return lms;
}

// Checks MS / PAN / LMS against each other and the model.
static int check_inputs(const smo *o, const fz_model_info *I, const fz_raster *ms, const fz_raster *pan, const fz_raster *lms,
                        fz_err *err) {
  if (pan->c != 1) return fz_fail(err, FZ_EINVAL, "PAN %s has %d bands; expected 1 (a panchromatic image)", o->pan, pan->c);
  int r = I->ratio;
  if (pan->h != r * ms->h || pan->w != r * ms->w)
    return fz_fail(err, FZ_EINVAL, "PAN %s is %dx%d and MS %s is %dx%d: model %s needs PAN = %d x MS (%dx%d)", o->pan, pan->h, pan->w,
                   o->ms, ms->h, ms->w, o->model, r, r * ms->h, r * ms->w);
  if (ms->c != I->bands)
    return fz_fail(err, FZ_EINVAL, "MS %s has %d bands; model %s takes %d", o->ms, ms->c, o->model, I->bands);
  if (lms && (lms->c != I->bands || lms->h != pan->h || lms->w != pan->w))
    return fz_fail(err, FZ_EINVAL, "LMS %s is %d bands %dx%d; expected %d bands %dx%d (the PAN grid)", o->lms, lms->c, lms->h, lms->w,
                   I->bands, pan->h, pan->w);
  if (fz_raster_check_finite(ms, o->ms, NULL, err) || fz_raster_check_finite(pan, o->pan, NULL, err) ||
      (lms && fz_raster_check_finite(lms, o->lms, NULL, err)))
    return err->code;
  return FZ_OK;
}

// The sampler configuration the options ask for: the model's own sampler, or --sampler on the model's process
// (fz_model_sampler_for), then the grid, eta and SDEdit options.
static int make_config(const smo *o, const fz_pan_model *m, fz_sampler_config *cfg, fz_err *err) {
  fz_sampler_config def;
  if (fz_model_sampler_default(m, &def, NULL, err)) return err->code;
  if (fz_model_sampler_for(m, o->kind_set ? o->kind : def.sampler, o->steps, cfg, err)) return err->code;
  if (o->kind_set && o->kind_process != FZ_PROC_DEFAULT && o->kind_process != cfg->process)
    return fz_fail(err, FZ_EINVAL, "--sampler %s runs on the %s process; model %s was trained on the %s process", fz_sampler_name(o->kind),
                   fz_process_name(o->kind_process), o->model, fz_process_name(cfg->process));
  if (o->opt.process != FZ_PROC_DEFAULT && o->opt.process != cfg->process)
    return fz_fail(err, FZ_EINVAL, "--process %s: model %s was trained on the %s process", fz_process_name(o->opt.process), o->model,
                   fz_process_name(cfg->process));
  if (o->spacing_set && o->opt.spacing != FZ_SPACING_RESPACE) {
    cfg->spacing = o->opt.spacing;
  } else if (o->respace) {
    cfg->spacing = FZ_SPACING_RESPACE;
    snprintf(cfg->respace, sizeof cfg->respace, "%s", o->respace);
  }
  if (o->opt.eta_set) { cfg->eta = o->opt.eta; cfg->eta_set = 1; }
  if (o->opt.start == FZ_START_SDEDIT) { cfg->start = FZ_START_SDEDIT; cfg->strength = o->opt.strength; }
  return FZ_OK;
}

// Loads o->model and checks it is a generative model.
static int load_generative(const smo *o, const fz_backend *be, fz_pan_model **m, fz_err *err) {
  if (fz_model_load(o->model, NULL, be, m, err)) return err->code;
  if (!fz_model_is_generative(*m)) {
    fz_fail(err, FZ_EINVAL, "--model %s holds a %s model, a regression network: run it with `fusor run` (fusor sample takes "
            "generative models: ssdiff, pan_otfm, sb_pan)", o->model, fz_model_get_info(*m)->arch);
    fz_model_free(*m);
    *m = NULL;
    return err->code;
  }
  return FZ_OK;
}

typedef struct { fz_progress p; } prog;
// Tile progress callback.
static void on_tiles(void *ctx, int64_t done, int64_t total) {
  (void)total;
  fz_progress_update(&((prog *)ctx)->p, done);
}

// The command after option parsing; nothing is left at o->out on failure.
static int sample_scene(const smo *o, fz_err *err) {
  static const char *const ms_keys[] = {"I_MS_LR", "ms", "I_MS", NULL}, *const pan_keys[] = {"I_PAN", "pan", NULL},
                           *const lms_keys[] = {"lms", NULL};
  const fz_backend *be = fz_backend_get(o->device, o->threads, err);
  if (be) be = fz_backend_with_precision(be, o->precision, err);
  if (be) be = fz_backend_forward_arena(be, err);  // CUDA: a forward's intermediates from one allocation
  if (!be) return err->code;
  fz_pan_model *m = NULL;
  int rc = load_generative(o, be, &m, err);
  if (rc) return rc;
  fz_raster ms = {0}, pan = {0}, lms = {0}, res = {0};
  float *fms = NULL, *fpan = NULL, *flms = NULL, *fout = NULL;
  const fz_model_info *I = fz_model_get_info(m);
  double scale = o->scale > 0 ? o->scale : I->scale;
  fz_sampler_config cfg;
  if (!o->force && access(o->out, F_OK) == 0) { rc = fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it (use --force)", o->out); goto done; }
  if (!fz_raster_format_name(o->out)) { rc = fz_fail(err, FZ_EINVAL, "%s: unknown output extension; fusor writes %s", o->out, fz_raster_known_extensions()); goto done; }
  if (!(scale > 0)) {
    rc = fz_fail(err, FZ_EINVAL, "%s: the metadata gives no normalisation (fusor.hparams.scale); convert with --set scale=2047|1023|255 "
                 "or pass --scale", o->model);
    goto done;
  }
  fz_time_input tin;
  if ((rc = fz_model_sampler_default(m, &cfg, &tin, err)) || (rc = make_config(o, m, &cfg, err)) ||
      (rc = fz_model_set_sampler(m, &cfg, o->tin_set ? o->tin : tin, o->seed, err)))
    goto done;
  if ((rc = read_input(o->pan, o->pan_key, o->index, pan_keys, &pan, err)) || (rc = read_input(o->ms, o->ms_key, o->index, ms_keys, &ms, err)))
    goto done;
  if (o->lms && (rc = read_input(o->lms, o->lms_key, o->index, lms_keys, &lms, err))) goto done;
  if ((rc = check_inputs(o, I, &ms, &pan, o->lms ? &lms : NULL, err))) goto done;
  if (!(fms = normalised(&ms, scale, err)) || !(fpan = normalised(&pan, scale, err)) ||
      !(flms = o->lms ? normalised(&lms, scale, err) : make_lms(fms, ms.c, ms.h, ms.w, I->ratio, err))) {
    rc = err->code;
    goto done;
  }
  fz_scene sc = {I->bands, pan.h, pan.w, fms, flms, fpan};
  fz_fuse_opts fo = o->fo;
  int64_t tiles = 0;
  if ((rc = fz_fuse_count_tiles(m, &sc, &fo, &tiles, err))) goto done;
  if (!(fout = malloc((size_t)I->bands * pan.h * pan.w * sizeof *fout))) { rc = fz_fail(err, FZ_ENOMEM, "out of memory for the output"); goto done; }
  prog pr;
  char label[64];
  snprintf(label, sizeof label, "%s %s tiles", I->arch, fz_sampler_name(cfg.sampler));
  fz_progress_start(&pr.p, label, tiles, o->json);
  fo.progress = on_tiles;
  fo.progress_ctx = &pr;
  double t0 = fz_now();
  rc = fz_model_sample_scene(m, &sc, &fo, fout, err);
  fz_progress_finish(&pr.p);
  double secs = fz_now() - t0;
  if (rc) goto done;
  if ((rc = fz_raster_alloc(&res, I->bands, pan.h, pan.w, err))) goto done;
  for (size_t i = 0, n = (size_t)I->bands * pan.h * pan.w; i < n; i++) {
    float v = fout[i] < 0 ? 0 : fout[i] > 1 ? 1 : fout[i];  // as SSDiff's release: (x0 · 2047).clamp(0, 2047)
    res.data[i] = (float)(v * scale);
  }
  res.scale = scale;
  if ((rc = fz_geo_copy(&res.geo, &pan.geo, err))) goto done;
  fz_dtype odt = scale <= 255 ? FZ_U8 : FZ_U16;
  if (o->dtype) odt = !strcmp(o->dtype, "u8") ? FZ_U8 : !strcmp(o->dtype, "f32") ? FZ_F32 : FZ_U16;
  if ((rc = fz_raster_write(o->out, &res, odt, o->force, NULL, err))) goto done;
  int nsteps = cfg.steps;
  if (cfg.spacing == FZ_SPACING_RESPACE) {
    int ts[1000], n = 0, T = cfg.train_steps > 0 && cfg.train_steps <= 1000 ? cfg.train_steps : 1000;
    fz_err e2 = {0};
    if (!fz_respace_timesteps(T, cfg.respace, ts, 1000, &n, &e2)) nsteps = n;
  }
  if (o->json)
    printf("{\"event\":\"result\",\"output\":\"%s\",\"arch\":\"%s\",\"sampler\":\"%s\",\"steps\":%d,\"seed\":%llu,\"bands\":%d,"
           "\"height\":%d,\"width\":%d,\"tiles\":%lld,\"merge\":\"%s\",\"network_evaluations\":%llu,\"seconds\":%.3f}\n",
           o->out, I->arch, fz_sampler_name(cfg.sampler), nsteps, (unsigned long long)o->seed, I->bands, pan.h, pan.w, (long long)tiles,
           fz_merge_name(fo.merge), (unsigned long long)fz_model_evaluations(m), secs);
  else
    printf("wrote %s: %d bands %dx%d (%s), %s %s %d steps, seed %llu, %lld tiles (%s), %.2f s\n", o->out, I->bands, pan.h, pan.w,
           fz_dtype_name(odt), I->arch, fz_sampler_name(cfg.sampler), nsteps, (unsigned long long)o->seed, (long long)tiles,
           fz_merge_name(fo.merge), secs);
done:
  fz_model_free(m);
  fz_raster_free(&ms); fz_raster_free(&pan); fz_raster_free(&lms); fz_raster_free(&res);
  free(fms); free(fpan); free(flms); free(fout);
  return rc;
}

// Parses a non-negative integer; -1 when malformed.
static int int_arg(const char *s) {
  char *e;
  long v = strtol(s, &e, 10);
  return (*s && !*e && v >= 0 && v < (1 << 24)) ? (int)v : -1;
}

int fz_sample_model_main(int argc, char **argv) {
  smo o;
  memset(&o, 0, sizeof o);
  o.device = "cpu";
  o.kind = FZ_SAMPLER_DDIM;
  o.fo.tile = 64;
  o.fo.overlap = 16;
  o.fo.batch = 10;
  o.fo.merge = FZ_MERGE_PATCHMERGE;
  fz_sampler_config_default(&o.opt, FZ_SAMPLER_DDIM);
  fz_err err = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--json")) { o.json = 1; continue; }
    if (!strcmp(a, "--force")) { o.force = 1; continue; }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) { fprintf(stderr, "fusor sample: %s needs a value (or is unknown); run 'fusor sample --help'\n", a); return 2; }
    i++;
    int iv = int_arg(v), rc = 0;
    fz_process implied;
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) o.model = v;
    else if (!strcmp(a, "--ms")) o.ms = v;
    else if (!strcmp(a, "--pan")) o.pan = v;
    else if (!strcmp(a, "--lms")) o.lms = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.out = v;
    else if (!strcmp(a, "--device")) o.device = v;
    else if (!strcmp(a, "--precision")) o.precision = v;
    else if (!strcmp(a, "--ms-key")) o.ms_key = v;
    else if (!strcmp(a, "--pan-key")) o.pan_key = v;
    else if (!strcmp(a, "--lms-key")) o.lms_key = v;
    else if (!strcmp(a, "--respace")) o.respace = v;
    else if (!strcmp(a, "--sampler")) { rc = fz_sampler_parse(v, &o.kind, &implied, &err); o.kind_set = 1; o.kind_process = implied; }
    else if (!strcmp(a, "--process")) rc = fz_process_parse(v, &o.opt.process, &err);
    else if (!strcmp(a, "--spacing")) { rc = fz_spacing_parse(v, &o.opt.spacing, &err); o.spacing_set = 1; }
    else if (!strcmp(a, "--time-input")) { rc = fz_time_input_parse(v, &o.tin, &err); o.tin_set = 1; }
    else if (!strcmp(a, "--eta")) { o.opt.eta = atof(v); o.opt.eta_set = 1; }
    else if (!strcmp(a, "--strength")) { o.opt.strength = atof(v); o.opt.start = FZ_START_SDEDIT; }
    else if (!strcmp(a, "--seed")) o.seed = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--merge")) {
      int mm = fz_merge_parse(v);
      if (mm < 0) { fprintf(stderr, "fusor sample: --merge '%s': expected patchmerge, blend or grid\n", v); return 2; }
      o.fo.merge = (fz_merge_mode)mm;
    } else if (!strcmp(a, "--dtype")) {
      if (strcmp(v, "u8") && strcmp(v, "u16") && strcmp(v, "f32")) { fprintf(stderr, "fusor sample: --dtype '%s': expected u8, u16 or f32\n", v); return 2; }
      o.dtype = v;
    } else if (!strcmp(a, "--scale")) {
      char *e;
      o.scale = strtod(v, &e);
      if (*e || !(o.scale > 0)) { fprintf(stderr, "fusor sample: --scale '%s': expected a positive number (2047, 1023, 255)\n", v); return 2; }
    } else if (!strcmp(a, "--steps") || !strcmp(a, "--tile") || !strcmp(a, "--overlap") || !strcmp(a, "--batch") ||
               !strcmp(a, "--threads") || !strcmp(a, "--index")) {
      int pos = !strcmp(a, "--steps") || !strcmp(a, "--batch") || !strcmp(a, "--tile");
      if (iv < 0 || (pos && iv < 1)) { fprintf(stderr, "fusor sample: %s '%s': expected a %s integer\n", a, v, pos ? "positive" : "non-negative"); return 2; }
      if (!strcmp(a, "--steps")) o.steps = iv;
      else if (!strcmp(a, "--tile")) o.fo.tile = iv;
      else if (!strcmp(a, "--overlap")) o.fo.overlap = iv;
      else if (!strcmp(a, "--batch")) o.fo.batch = iv;
      else if (!strcmp(a, "--threads")) o.threads = iv;
      else o.index = iv;
    } else { fprintf(stderr, "fusor sample: unknown option '%s' for a model file; run 'fusor sample --help'\n", a); return 2; }
    if (rc) return fz_cli_fail(&err);
  }
  if (o.opt.start == FZ_START_SDEDIT && !(o.opt.strength > 0 && o.opt.strength <= 1)) {
    fprintf(stderr, "fusor sample: --strength %g: expected 0 < X <= 1\n", o.opt.strength);
    return 2;
  }
  if (!o.model || !o.ms || !o.pan || !o.out) {
    if (o.model) {  // a model that does not load is reported first (exit 1), as for a full command line
      fz_pan_model *m = NULL;
      if (load_generative(&o, fz_backend_cpu(1), &m, &err)) return fz_cli_fail(&err);
      fz_model_free(m);
    }
    fprintf(stderr, "fusor sample: -m MODEL, --ms MS, --pan PAN and -o OUT are required to sample a model file; run 'fusor sample --help'\n");
    return 2;
  }
  if (sample_scene(&o, &err)) return fz_cli_fail(&err);
  return 0;
}
