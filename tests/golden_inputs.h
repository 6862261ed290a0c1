// golden_inputs.h — the real-image inputs of the model parity goldens (tests/golden/README.md, "Inputs"), rebuilt
// at test time from the scenes in ../shared/data/pansharpening: the GRIP-UNINA and Z-PNN images may not be
// redistributed, so the repository stores no crop of them, only the recipe (scene, crop) in the table below.
// MS and PAN are the crops as stored DNs; LMS is the toolbox's generator, round(interp23tap(whole MS, 4)) as u16,
// then cropped (fusor's interp23tap is checked against the toolbox in tests/test_fir.c). The rebuilt inputs were
// compared bit for bit with the files the goldens had been made from before those were deleted (README).
// Header-only (like test_models_util.h) so fusor_tests, the emulated CUDA tests (tests/cuda/test_cuda_models.c)
// and bench/bench_models.c use it without build rules of their own; each including file keeps its own cache.
#ifndef FZ_GOLDEN_INPUTS_H
#define FZ_GOLDEN_INPUTS_H
#include "error.h"
#include "ops_fir.h"
#include "raster.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GI_RATIO 4  // PAN / MS resolution ratio of every scene used

// One case's inputs, every sample the stored digital number (an integer) as float:
// ms [c, h/4, w/4] (the scene's low-resolution MS crop), pan [h, w] (the I_PAN crop), and
// lms [c, h, w] = round(interp23tap(whole MS scene, 4)) as u16 (round half to even, saturated to 0..65535), cropped.
typedef struct golden_inputs {
  const char *name;   // case name ("wv3_64", ...)
  const char *scene;  // file name under data/pansharpening
  int c, h, w;        // bands, PAN rows, PAN columns
  float *ms, *lms, *pan;
} golden_inputs;

// Scene, MS variable and PAN crop (rows y..y+h-1, columns x..x+w-1, 0-based; multiples of GI_RATIO).
static const struct gi_case {
  const char *name, *scene, *ms_key;
  int y, x, h, w;
} gi_cases[] __attribute__((unused)) = {
    {"wv3_64", "zpnn_WV3_example.mat", "I_MS_LR", 32, 32, 64, 64},
    {"wv2_256", "grip_imgWV2.mat", "I_MS", 512, 512, 256, 256},
    {"ik_64", "grip_imgIK.mat", "I_MS", 640, 640, 64, 64},
    {"ik_256", "grip_imgIK.mat", "I_MS", 512, 512, 256, 256},
    {"pm_wv3_88x72", "zpnn_WV3_example.mat", "I_MS_LR", 20, 24, 88, 72},  // patchmerge_pannet.safetensors
};
#define GI_NCASES ((int)(sizeof gi_cases / sizeof gi_cases[0]))

// The cases built so far in this file (on first use; kept until exit).
static golden_inputs gi_cache[GI_NCASES] __attribute__((unused));

// Index of case cname in gi_cases, or -1.
static inline int gi_case_index(const char *cname) {
  for (int i = 0; cname && i < GI_NCASES; i++)
    if (!strcmp(gi_cases[i].name, cname)) return i;
  return -1;
}

// Path of case cname's scene ($FUSOR_SHARED or ../shared, then data/pansharpening/<scene>) in buf;
// NULL when the case is unknown or the file is unreadable.
static inline const char *golden_inputs_scene(const char *cname, char *buf, size_t n) {
  int i = gi_case_index(cname);
  if (i < 0) return NULL;
  const char *root = getenv("FUSOR_SHARED");
  snprintf(buf, n, "%s/data/pansharpening/%s", root ? root : "../shared", gi_cases[i].scene);
  return access(buf, R_OK) == 0 ? buf : NULL;
}

// Why case cname cannot be rebuilt here (a sentence for SKIP naming the scene file it needs), or NULL when it can.
static inline const char *golden_inputs_missing(const char *cname) {
  static char why[700];
  char path[600];
  int i = gi_case_index(cname);
  if (i < 0) snprintf(why, sizeof why, "unknown golden input case '%s'", cname ? cname : "(null)");
  else if (!golden_inputs_scene(cname, path, sizeof path))
    snprintf(why, sizeof why, "needs %s (scene of the golden inputs %s, rebuilt at test time, never stored)", path, cname);
  else return NULL;
  return why;
}

// The crop of case k of one LMS band: out[y*k->w + x] = sat_u16(round_half_even(interp23tap(plane, 4)))[k->y + y,
// k->x + x] with plane the whole ph×pw MS band, out [k->h, k->w].
static inline int gi_lms_band(const float *plane, int ph, int pw, const struct gi_case *k, float *out, fz_err *err) {
  int oh = ph * GI_RATIO, ow = pw * GI_RATIO;
  double *in = malloc((size_t)ph * pw * sizeof *in), *up = malloc((size_t)oh * ow * sizeof *up);
  int rc = (in && up) ? FZ_OK : fz_fail(err, FZ_ENOMEM, "golden inputs %s: out of memory", k->name);
  for (int64_t i = 0; !rc && i < (int64_t)ph * pw; i++) in[i] = plane[i];
  if (!rc) rc = fz_interp23tap_f64(in, ph, pw, GI_RATIO, up, err);
  for (int y = 0; !rc && y < k->h; y++)
    for (int x = 0; x < k->w; x++) {
      double v = nearbyint(up[(size_t)(k->y + y) * ow + k->x + x]);  // default rounding mode: half to even (numpy)
      out[(size_t)y * k->w + x] = (float)(v <= 0 ? 0 : v > 65535 ? 65535 : v);  // u16: -0.0 and below give +0
    }
  free(in);
  free(up);
  return rc;
}

// Builds case k into *g from the scene at path (ms_key and I_PAN; PAN must be GI_RATIO times the MS size).
static inline int gi_build_case(const struct gi_case *k, const char *path, golden_inputs *g, fz_err *err) {
  fz_raster ms = {0}, pan = {0};
  fz_raster_sel sm = {k->ms_key, 0}, sp = {"I_PAN", 0};
  int rc = fz_raster_read(path, &sm, &ms, err);
  if (!rc) rc = fz_raster_read(path, &sp, &pan, err);
  if (!rc && (pan.c != 1 || pan.h != GI_RATIO * ms.h || pan.w != GI_RATIO * ms.w))
    rc = fz_fail(err, FZ_EINVAL, "%s: I_PAN is %dx%dx%d and %s %dx%dx%d; expected one PAN band %d times the MS size",
                 path, pan.h, pan.w, pan.c, k->ms_key, ms.h, ms.w, ms.c, GI_RATIO);
  if (!rc && (k->y + k->h > pan.h || k->x + k->w > pan.w))
    rc = fz_fail(err, FZ_EINVAL, "%s: I_PAN is %dx%d, too small for rows %d:%d, columns %d:%d of golden inputs %s", path,
                 pan.h, pan.w, k->y, k->y + k->h, k->x, k->x + k->w, k->name);
  int C = ms.c, h = k->h, w = k->w, mh = h / GI_RATIO, mw = w / GI_RATIO, my = k->y / GI_RATIO, mx = k->x / GI_RATIO;
  golden_inputs t = {k->name, k->scene, C, h, w, NULL, NULL, NULL};
  if (!rc) {
    t.ms = malloc((size_t)C * mh * mw * sizeof *t.ms);
    t.lms = malloc((size_t)C * h * w * sizeof *t.lms);
    t.pan = malloc((size_t)h * w * sizeof *t.pan);
    if (!t.ms || !t.lms || !t.pan) rc = fz_fail(err, FZ_ENOMEM, "golden inputs %s: out of memory", k->name);
  }
  for (int c = 0; !rc && c < C; c++)
    for (int y = 0; y < mh; y++)
      memcpy(t.ms + ((size_t)c * mh + y) * mw, ms.data + ((size_t)c * ms.h + my + y) * ms.w + mx, (size_t)mw * sizeof *t.ms);
  for (int y = 0; !rc && y < h; y++)
    memcpy(t.pan + (size_t)y * w, pan.data + (size_t)(k->y + y) * pan.w + k->x, (size_t)w * sizeof *t.pan);
  for (int c = 0; !rc && c < C; c++)
    rc = gi_lms_band(ms.data + (size_t)c * ms.h * ms.w, ms.h, ms.w, k, t.lms + (size_t)c * h * w, err);
  fz_raster_free(&ms);
  fz_raster_free(&pan);
  if (rc) {
    free(t.ms); free(t.lms); free(t.pan);
    return rc;
  }
  *g = t;
  return FZ_OK;
}

// The rebuilt inputs of case cname ("wv3_64", "wv2_256", "ik_64", "ik_256", "pm_wv3_88x72"), computed on the first
// call and cached for the life of the process (do not free). NULL with err set when the case is unknown or its
// scene absent (the message says which file) or malformed (file, variable and expectation named).
static inline const golden_inputs *golden_inputs_get(const char *cname, fz_err *err) {
  int i = gi_case_index(cname);
  if (i < 0) { fz_fail(err, FZ_EINVAL, "unknown golden input case '%s'", cname ? cname : "(null)"); return NULL; }
  if (gi_cache[i].ms) return &gi_cache[i];
  char path[600];
  if (!golden_inputs_scene(cname, path, sizeof path)) { fz_fail(err, FZ_EIO, "%s", golden_inputs_missing(cname)); return NULL; }
  return gi_build_case(&gi_cases[i], path, &gi_cache[i], err) ? NULL : &gi_cache[i];
}
#endif
