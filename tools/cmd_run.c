// cmd_run.c — `fusor run`: pansharpen one scene of any size with a converted model (tiled, batched),
// write a georeferenced GeoTIFF (or PNG / HDF5 / .mat by extension) and optionally an RGB quicklook.
#include "cli.h"
#include "raster.h"
#include "precision.h"
#include "arena_backend.h"
#include "raster_stack.h"
#include "../models/fuse.h"
#include "../models/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

// Prints the command's help to f.
static void usage(FILE *f) {
  fprintf(f,
          "usage: fusor run -m MODEL.safetensors --ms MS --pan PAN [--lms LMS] -o OUT [options]\n"
          "  Pansharpens one scene with a converted model (fusor convert). MS is the low-resolution multispectral\n"
          "  image, PAN the panchromatic one (PAN = ratio x MS, the model's fusor.hparams.ratio: 4, or 2 for Landsat);\n"
          "  LMS (MS upsampled to the PAN grid) is computed with the toolbox's 23-tap interpolator (interp23tap) when\n"
          "  absent. MS may be a comma-separated list of single-band files (B2.TIF,B3.TIF,...) stacked in that order.\n"
          "  Inputs are in DN and divided by the model's normalisation (fusor.hparams.scale: 2047 for 11-bit\n"
          "  WV3/WV2/QB, 1023 GF2, 255 8-bit, 65535 Landsat 8);\n"
          "  the output is clamped to [0,1] and scaled back to DN. Formats by extension: .tif/.tiff (GeoTIFF, the\n"
          "  PAN's georeferencing kept), .png, .h5, .mat; .mat/.h5 inputs pick I_MS_LR/I_MS/ms, I_PAN/pan, lms.\n"
          "  --tile N         tile side on the PAN grid (default 256; 0 = whole scene in one forward)\n"
          "  --overlap N      blend overlap in PAN pixels (default 32)\n"
          "  --merge M        blend (default, seam-free) | grid (non-overlapping, zero-padded: FusionMamba test.py)\n"
          "                   | patchmerge (the family's PatchMergeModule rule: tile P, stride P/4)\n"
          "  --batch N        tiles per forward (default 1)\n"
          "  --preview P.png  also write an RGB quicklook (2-98%% stretch) of the fused image\n"
          "  --compare P.png  also write a before/after quicklook: LMS | fused side by side, one shared stretch,\n"
          "                   small scenes enlarged (nearest) to at least 256 pixels high\n"
          "  --rgb R,G,B      1-based bands for the quicklook (default 5,3,2 for 8 bands, 3,2,1 for 4)\n"
          "  --ms-key K, --pan-key K, --lms-key K   variable / dataset names in .mat / .h5 inputs; --index N (.h5)\n"
          "  --dtype T        output sample type u8 | u16 | f32 (default u16, u8 for 8-bit models)\n"
          "  --scale S        override the model's normalisation (for files converted without one)\n"
          "  --no-clamp       keep the network output unclamped\n"
          "  --device D       cpu (default) or cuda:N;  --threads N  CPU threads (default all)\n"
          "  --precision P    fp32 (default) | bf16 | fp16: 16-bit storage, fp32 accumulation (cuda only)\n"
          "  --json           progress and result as JSON lines;  --force / --overwrite  replace OUT\n");
}

typedef struct run_opts {
  const char *model, *ms, *pan, *lms, *out, *preview, *compare, *device, *rgb;
  const char *ms_key, *pan_key, *lms_key, *dtype, *precision;
  int index, threads, batch, json, force, no_clamp;
  double scale;
  fz_fuse_opts fo;
} run_opts;

// 1 when path exists.
static int exists(const char *path) {
  struct stat s;
  return stat(path, &s) == 0;
}

// 1 when path ends with ext (case-insensitive).
static int has_ext(const char *path, const char *ext) {
  size_t n = strlen(path), e = strlen(ext);
  return n >= e && !strcasecmp(path + n - e, ext);
}

// The default variable of a .mat / .h5 input for a role: the first of cands the file holds, else NULL.
static const char *pick_key(const char *path, const char *const *cands) {
  if (!has_ext(path, ".mat") && !has_ext(path, ".h5") && !has_ext(path, ".hdf5")) return NULL;
  fz_var_info v[64];
  fz_err e = {0};
  int n = fz_raster_list_vars(path, v, 64, &e);
  for (int k = 0; cands[k]; k++)
    for (int i = 0; i < n && i < 64; i++)
      if (!strcmp(v[i].name, cands[k])) return cands[k];
  return NULL;
}

// Reads one input raster with its key (explicit, else the role's default candidates).
static int read_input(const char *path, const char *key, int index, const char *const *cands, fz_raster *r, fz_err *err) {
  fz_raster_sel sel = {key ? key : pick_key(path, cands), index};
  if (fz_raster_read_stack(path, &sel, r, err)) return err->code;
  return FZ_OK;
}

// Progress callback: forwards to the fz_progress line.
static void on_progress(void *ctx, int64_t done, int64_t total) {
  (void)total;
  fz_progress_update((fz_progress *)ctx, done);
}

// Divides n samples by scale into a new float buffer.
static float *normalised(const fz_raster *r, double scale, fz_err *err) {
  size_t n = (size_t)r->c * r->h * r->w;
  float *f = malloc(n * sizeof *f);
  if (!f) { fz_fail(err, FZ_ENOMEM, "out of memory normalising a %dx%dx%d raster", r->c, r->h, r->w); return NULL; }
  for (size_t i = 0; i < n; i++) f[i] = (float)(r->data[i] / scale);
  return f;
}

// lms = interp23tap(ms, ratio) per band (double precision, the toolbox's LMS generator).
static float *make_lms(const float *ms, int c, int h, int w, int ratio, fz_err *err) {
  size_t hw = (size_t)h * w, HW = hw * ratio * ratio;
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

// Copies MS band descriptions into the output's geo (PAN georeferencing already copied).
static int copy_band_desc(fz_geo *dst, const fz_geo *ms, int bands, fz_err *err) {
  if (!ms->band_desc || ms->nbands_desc != bands) return FZ_OK;
  for (int i = 0; dst->band_desc && i < dst->nbands_desc; i++) free(dst->band_desc[i]);
  free(dst->band_desc);
  dst->band_desc = calloc((size_t)bands, sizeof *dst->band_desc);
  dst->nbands_desc = 0;
  if (!dst->band_desc) return fz_fail(err, FZ_ENOMEM, "out of memory copying band names");
  dst->nbands_desc = bands;
  for (int i = 0; i < bands; i++)
    if (ms->band_desc[i] && !(dst->band_desc[i] = strdup(ms->band_desc[i]))) return fz_fail(err, FZ_ENOMEM, "out of memory");
  return FZ_OK;
}

// Checks the inputs against each other and the model; messages name the file, the field and the expectation.
static int check_inputs(const run_opts *o, const fz_model_info *I, const fz_raster *ms, const fz_raster *pan,
                        const fz_raster *lms, fz_err *err) {
  if (ms->h > pan->h || ms->w > pan->w)
    return fz_fail(err, FZ_EINVAL, "MS %s (%dx%d) is larger than PAN %s (%dx%d): expected PAN = %d x MS (are --ms and --pan swapped?)",
                   o->ms, ms->h, ms->w, o->pan, pan->h, pan->w, I->ratio);
  if (pan->c != 1)
    return fz_fail(err, FZ_EINVAL, "PAN %s has %d bands; expected 1 (a panchromatic image)", o->pan, pan->c);
  if (pan->h != I->ratio * ms->h || pan->w != I->ratio * ms->w)
    return fz_fail(err, FZ_EINVAL, "PAN %s is %dx%d and MS %s is %dx%d: %s needs PAN = %d x MS (%dx%d)", o->pan, pan->h, pan->w,
                   o->ms, ms->h, ms->w, I->arch, I->ratio, I->ratio * ms->h, I->ratio * ms->w);
  if (ms->c != I->bands)
    return fz_fail(err, FZ_EINVAL, "MS %s has %d bands; model %s (%s %s) takes %d", o->ms, ms->c, o->model, I->arch,
                   I->sensor[0] ? I->sensor : "", I->bands);
  if (lms && (lms->h != pan->h || lms->w != pan->w || lms->c != I->bands))
    return fz_fail(err, FZ_EINVAL, "LMS %s is %d bands %dx%d; expected %d bands %dx%d (the PAN grid)", o->lms, lms->c, lms->h,
                   lms->w, I->bands, pan->h, pan->w);
  if (fz_raster_check_finite(ms, o->ms, NULL, err) || fz_raster_check_finite(pan, o->pan, NULL, err) ||
      (lms && fz_raster_check_finite(lms, o->lms, NULL, err)))
    return err->code;
  return FZ_OK;
}

// Parses "5,3,2" (1-based) into 0-based band indices; defaults by band count when s is NULL.
static int parse_rgb(const char *s, int bands, int rgb[3], fz_err *err) {
  if (!s) {
    if (bands >= 8) { rgb[0] = 4; rgb[1] = 2; rgb[2] = 1; }
    else if (bands >= 3) { rgb[0] = 2; rgb[1] = 1; rgb[2] = 0; }
    else rgb[0] = rgb[1] = rgb[2] = 0;
    return FZ_OK;
  }
  int a, b, c;
  if (sscanf(s, "%d,%d,%d", &a, &b, &c) != 3 || a < 1 || b < 1 || c < 1 || a > bands || b > bands || c > bands)
    return fz_fail(err, FZ_EINVAL, "--rgb '%s': expected three 1-based band numbers in 1..%d, e.g. 5,3,2", s, bands);
  rgb[0] = a - 1; rgb[1] = b - 1; rgb[2] = c - 1;
  return FZ_OK;
}

// Writes the before/after quicklook path: [lms | 8-pixel gap | fused] (both C×H×W in DN), rgb bands, one 2-98%
// stretch over both; enlarged by the integer factor that makes it at least 256 pixels high (nearest neighbour).
static int write_compare(const char *path, const float *lms, const float *fused, int C, int H, int W, const int rgb[3], fz_err *err) {
  int z = H >= 256 ? 1 : (256 + H - 1) / H, gap = 8, ow = (2 * W + gap) * z, oh = H * z;
  fz_raster q = {0};
  int rc = fz_raster_alloc(&q, 3, oh, ow, err);
  if (rc) return rc;
  double lo = 1e300;  // gap colour: the darkest sample shown
  for (int k = 0; k < 3; k++)
    for (size_t i = 0; i < (size_t)H * W; i++) {
      double a = lms[(size_t)rgb[k] * H * W + i], b = fused[(size_t)rgb[k] * H * W + i];
      lo = a < lo ? a : lo;
      lo = b < lo ? b : lo;
    }
  for (int k = 0; k < 3; k++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++) {
        int xs = x / z, ys = y / z;
        float v = (float)lo;
        if (xs < W) v = lms[((size_t)rgb[k] * H + ys) * W + xs];
        else if (xs >= W + gap) v = fused[((size_t)rgb[k] * H + ys) * W + xs - W - gap];
        q.data[((size_t)k * oh + y) * ow + x] = v;
      }
  rc = fz_raster_quicklook(&q, 0, 1, 2, path, err);
  fz_raster_free(&q);
  return rc;
}

// The whole command after option parsing. Returns an fz_code; nothing is left at o->out / o->preview on failure.
static int run(const run_opts *o, fz_err *err) {
  static const char *const ms_keys[] = {"I_MS_LR", "ms", "I_MS", NULL}, *const pan_keys[] = {"I_PAN", "pan", NULL},
                           *const lms_keys[] = {"lms", NULL};
  if (!o->force && exists(o->out)) return fz_fail(err, FZ_EINVAL, "%s: output exists; refusing to overwrite it (use --force)", o->out);
  if (o->preview && !o->force && exists(o->preview))
    return fz_fail(err, FZ_EINVAL, "%s: preview exists; refusing to overwrite it (use --force)", o->preview);
  if (o->compare && !o->force && exists(o->compare))
    return fz_fail(err, FZ_EINVAL, "%s: comparison quicklook exists; refusing to overwrite it (use --force)", o->compare);
  const fz_backend *be = fz_backend_get(o->device, o->threads, err);
  if (be) be = fz_backend_with_precision(be, o->precision, err);
  if (be) be = fz_backend_forward_arena(be, err);  // CUDA: a forward's intermediates from one allocation
  if (!be) return err->code;
  fz_pan_model *m = NULL;
  fz_raster ms = {0}, pan = {0}, lms = {0}, res = {0};
  float *fms = NULL, *fpan = NULL, *flms = NULL, *fout = NULL;
  int rc = fz_model_load(o->model, NULL, be, &m, err);
  if (rc) return rc;
  const fz_model_info *I = fz_model_get_info(m);
  double scale = o->scale > 0 ? o->scale : I->scale;
  if (!(scale > 0)) {
    rc = fz_fail(err, FZ_EINVAL, "%s: the metadata gives no normalisation (fusor.hparams.scale); convert with --set sensor=GF2|QB|WV3 "
                 "or --set scale=2047|1023|255, or pass --scale", o->model);
    goto done;
  }
  int rgb[3] = {0, 0, 0};
  if ((rc = parse_rgb(o->rgb, I->bands, rgb, err))) goto done;
  if (!fz_raster_format_name(o->out)) {
    rc = fz_fail(err, FZ_EINVAL, "%s: unknown output extension; fusor writes %s", o->out, fz_raster_known_extensions());
    goto done;
  }
  if ((has_ext(o->out, ".png") || has_ext(o->out, ".jpg") || has_ext(o->out, ".jpeg")) && I->bands > 4) {
    rc = fz_fail(err, FZ_EINVAL, "%s: PNG/JPEG hold at most 4 bands and %s makes %d; write .tif, .h5 or .mat (and --preview "
                 "for an RGB quicklook)", o->out, I->arch, I->bands);
    goto done;
  }
  if ((rc = read_input(o->pan, o->pan_key, o->index, pan_keys, &pan, err))) goto done;
  if ((rc = read_input(o->ms, o->ms_key, o->index, ms_keys, &ms, err))) goto done;
  if (o->lms && (rc = read_input(o->lms, o->lms_key, o->index, lms_keys, &lms, err))) goto done;
  if ((rc = check_inputs(o, I, &ms, &pan, o->lms ? &lms : NULL, err))) goto done;
  if (pan.scale > 1 && fabs(pan.scale - scale) > 0.5)
    FZ_WARN("%s declares a bit depth of scale %g but %s normalises by %g (override with --scale)", o->pan, pan.scale, o->model, scale);
  if (!(fms = normalised(&ms, scale, err)) || !(fpan = normalised(&pan, scale, err))) { rc = err->code; goto done; }
  if ((I->inputs & FZ_MODEL_IN_LMS) || o->compare) {
    flms = o->lms ? normalised(&lms, scale, err) : make_lms(fms, ms.c, ms.h, ms.w, I->ratio, err);
    if (!flms) { rc = err->code; goto done; }
  }
  fz_scene sc = {I->bands, pan.h, pan.w, fms, flms, fpan};
  fz_fuse_opts fo = o->fo;
  int64_t tiles = 0;
  if ((rc = fz_fuse_count_tiles(m, &sc, &fo, &tiles, err))) goto done;
  fout = malloc((size_t)I->bands * pan.h * pan.w * sizeof *fout);
  if (!fout) { rc = fz_fail(err, FZ_ENOMEM, "out of memory for the %dx%dx%d output", I->bands, pan.h, pan.w); goto done; }
  fz_progress pr;
  fz_progress_start(&pr, "fusing tiles", tiles, o->json);
  fo.progress = on_progress;
  fo.progress_ctx = &pr;
  double t0 = fz_now();
  rc = fz_fuse_scene(m, &sc, &fo, fout, err);
  fz_progress_finish(&pr);
  double secs = fz_now() - t0;
  if (rc) goto done;
  if ((rc = fz_raster_alloc(&res, I->bands, pan.h, pan.w, err))) goto done;
  size_t n = (size_t)I->bands * pan.h * pan.w;
  for (size_t i = 0; i < n; i++) {
    float v = fout[i];
    if (!o->no_clamp) v = v < 0 ? 0 : v > 1 ? 1 : v;
    res.data[i] = (float)(v * scale);
  }
  res.scale = scale;
  if ((rc = fz_geo_copy(&res.geo, &pan.geo, err)) || (rc = copy_band_desc(&res.geo, &ms.geo, I->bands, err))) goto done;
  fz_dtype odt = scale <= 255 ? FZ_U8 : FZ_U16;
  if (o->dtype) odt = !strcmp(o->dtype, "u8") ? FZ_U8 : !strcmp(o->dtype, "f32") ? FZ_F32 : FZ_U16;
  if (res.geo.has_nodata && odt != FZ_F32 && (res.geo.nodata < 0 || res.geo.nodata > (odt == FZ_U8 ? 255 : 65535)))
    res.geo.has_nodata = 0;  // the PAN's nodata (Landsat: -32768) cannot be stored in an unsigned output
  if (o->preview && (rc = fz_raster_quicklook(&res, rgb[0], rgb[1], rgb[2], o->preview, err))) goto done;
  if (o->compare) {
    for (size_t i = 0; i < n; i++) flms[i] = (float)(flms[i] * scale);  // back to DN, as res
    if ((rc = write_compare(o->compare, flms, res.data, I->bands, pan.h, pan.w, rgb, err))) {
      if (o->preview) unlink(o->preview);
      goto done;
    }
  }
  if ((rc = fz_raster_write(o->out, &res, odt, o->force, NULL, err))) {
    if (o->preview) unlink(o->preview);
    if (o->compare) unlink(o->compare);
    goto done;
  }
  if (o->json)
    printf("{\"event\":\"result\",\"output\":\"%s\",\"model\":\"%s\",\"arch\":\"%s\",\"bands\":%d,\"height\":%d,\"width\":%d,"
           "\"tiles\":%lld,\"merge\":\"%s\",\"seconds\":%.3f%s%s%s}\n",
           o->out, o->model, I->arch, I->bands, pan.h, pan.w, (long long)tiles, fz_merge_name(fo.merge), secs,
           o->preview ? ",\"preview\":\"" : "", o->preview ? o->preview : "", o->preview ? "\"" : "");
  else {
    printf("wrote %s: %d bands %dx%d (%s), %s %s, %lld tiles (%s), %.2f s\n", o->out, I->bands, pan.h, pan.w, fz_dtype_name(odt),
           I->arch, I->sensor, (long long)tiles, fz_merge_name(fo.merge), secs);
    if (o->preview) printf("wrote %s: RGB quicklook (bands %d,%d,%d)\n", o->preview, rgb[0] + 1, rgb[1] + 1, rgb[2] + 1);
    if (o->compare) printf("wrote %s: LMS | fused quicklook (bands %d,%d,%d)\n", o->compare, rgb[0] + 1, rgb[1] + 1, rgb[2] + 1);
  }
done:
  fz_model_free(m);
  fz_raster_free(&ms); fz_raster_free(&pan); fz_raster_free(&lms); fz_raster_free(&res);
  free(fms); free(fpan); free(flms); free(fout);
  return rc;
}

// Parses a non-negative integer option value; -1 when malformed.
static int int_arg(const char *s) {
  char *e;
  long v = strtol(s, &e, 10);
  return (*s && !*e && v >= 0 && v < (1 << 24)) ? (int)v : -1;
}

// `fusor run`: parses the options (exit 2 on a bad command line) and runs; exit 1 on any error.
static int cmd_run(int argc, char **argv) {
  run_opts o = {0};
  o.device = "cpu";
  o.fo.tile = 256;
  o.fo.overlap = 32;
  o.fo.batch = 1;
  o.fo.merge = FZ_MERGE_BLEND;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    if (!strcmp(a, "--json")) { o.json = 1; continue; }
    if (!strcmp(a, "--force") || !strcmp(a, "--overwrite")) { o.force = 1; continue; }
    if (!strcmp(a, "--no-clamp")) { o.no_clamp = 1; continue; }
    if (!v) { fprintf(stderr, "fusor run: %s needs a value (or is unknown)\n", a); usage(stderr); return 2; }
    int iv = int_arg(v);
    i++;
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) o.model = v;
    else if (!strcmp(a, "--ms")) o.ms = v;
    else if (!strcmp(a, "--pan")) o.pan = v;
    else if (!strcmp(a, "--lms")) o.lms = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.out = v;
    else if (!strcmp(a, "--preview")) o.preview = v;
    else if (!strcmp(a, "--compare")) o.compare = v;
    else if (!strcmp(a, "--device")) o.device = v;
    else if (!strcmp(a, "--precision")) o.precision = v;
    else if (!strcmp(a, "--rgb")) o.rgb = v;
    else if (!strcmp(a, "--ms-key")) o.ms_key = v;
    else if (!strcmp(a, "--pan-key")) o.pan_key = v;
    else if (!strcmp(a, "--lms-key")) o.lms_key = v;
    else if (!strcmp(a, "--dtype")) {
      if (strcmp(v, "u8") && strcmp(v, "u16") && strcmp(v, "f32")) { fprintf(stderr, "fusor run: --dtype '%s': expected u8, u16 or f32\n", v); return 2; }
      o.dtype = v;
    } else if (!strcmp(a, "--merge")) {
      int mm = fz_merge_parse(v);
      if (mm < 0) { fprintf(stderr, "fusor run: --merge '%s': expected blend, grid or patchmerge\n", v); return 2; }
      o.fo.merge = (fz_merge_mode)mm;
    } else if (!strcmp(a, "--scale")) {
      char *e;
      o.scale = strtod(v, &e);
      if (*e || !(o.scale > 0)) { fprintf(stderr, "fusor run: --scale '%s': expected a positive number (2047, 1023, 255)\n", v); return 2; }
    } else if (!strcmp(a, "--tile") || !strcmp(a, "--overlap") || !strcmp(a, "--batch") || !strcmp(a, "--threads") ||
               !strcmp(a, "--index")) {
      if (iv < 0 || (!strcmp(a, "--batch") && iv < 1)) { fprintf(stderr, "fusor run: %s '%s': expected a %s integer\n", a, v, !strcmp(a, "--batch") ? "positive" : "non-negative"); return 2; }
      if (!strcmp(a, "--tile")) o.fo.tile = iv;
      else if (!strcmp(a, "--overlap")) o.fo.overlap = iv;
      else if (!strcmp(a, "--batch")) o.fo.batch = iv;
      else if (!strcmp(a, "--threads")) o.threads = iv;
      else o.index = iv;
    } else { fprintf(stderr, "fusor run: unknown option '%s'\n", a); usage(stderr); return 2; }
  }
  if (!o.model || !o.ms || !o.pan || !o.out) {
    fprintf(stderr, "fusor run: -m MODEL, --ms MS, --pan PAN and -o OUT are required\n");
    usage(stderr);
    return 2;
  }
  fz_err err = {0};
  if (run(&o, &err)) return fz_cli_fail(&err);
  return 0;
}
FZ_COMMAND(run, "pansharpen one scene with a pretrained model (tiled; GeoTIFF/PNG/HDF5/.mat out)", cmd_run)
