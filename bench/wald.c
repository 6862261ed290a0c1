// wald.c — Wald's-protocol degradation of a full-resolution MS/PAN pair (resize_images.m, interp23tap.m)
// and PanCollection-style cropping.
#include "wald.h"
#include "mtf.h"
#include "backend.h"
#include <stdlib.h>
#include <string.h>

void fz_wald_scene_free(fz_wald_scene *s) {
  free(s->gt);
  free(s->ms);
  free(s->lms);
  free(s->pan);
  memset(s, 0, sizeof *s);
}

int fz_wald_degrade(const double *ms_full, int c, int h, int w, const double *pan_full, int H, int W, const char *sensor,
                    int ratio, fz_wald_scene *out, fz_err *err) {
  memset(out, 0, sizeof *out);
  if (ratio < 2 || ratio > 64 || (ratio & (ratio - 1)))
    return fz_fail(err, FZ_EINVAL, "simulate: ratio %d, expected a power of 2 in 2..64", ratio);
  if (c < 1 || h < 1 || w < 1) return fz_fail(err, FZ_EINVAL, "simulate: MS is %dx%dx%d, expected a non-empty image", c, h, w);
  if (h % ratio || w % ratio)
    return fz_fail(err, FZ_EINVAL, "simulate: MS is %dx%d, expected both sides multiples of the ratio %d", h, w, ratio);
  if ((long long)H != (long long)h * ratio || (long long)W != (long long)w * ratio)
    return fz_fail(err, FZ_EINVAL, "simulate: PAN is %dx%d, expected %dx%d (the MS size %dx%d times the ratio %d)", H, W,
                   h * ratio, w * ratio, h, w, ratio);
  int lh = h / ratio, lw = w / ratio;
  size_t hw = (size_t)h * w, lhw = (size_t)lh * lw;
  out->c = c;
  out->h = h;
  out->w = w;
  out->ratio = ratio;
  out->gt = malloc((size_t)c * hw * sizeof *out->gt);
  out->ms = malloc((size_t)c * lhw * sizeof *out->ms);
  out->lms = malloc((size_t)c * hw * sizeof *out->lms);
  out->pan = malloc(hw * sizeof *out->pan);
  double *lp = malloc((size_t)c * hw * sizeof *lp);
  if (!out->gt || !out->ms || !out->lms || !out->pan || !lp) {
    free(lp);
    fz_wald_scene_free(out);
    return fz_fail(err, FZ_ENOMEM, "simulate: no memory for a %dx%dx%d scene", c, h, w);
  }
  memcpy(out->gt, ms_full, (size_t)c * hw * sizeof *out->gt);
  // I_MS_LP = MTF(I_MS, sensor, ratio); I_MS_LR = imresize(I_MS_LP, 1/ratio, 'nearest') per band
  int rc = fz_mtf_filter(ms_full, c, h, w, sensor, ratio, lp, err);
  for (int b = 0; b < c && !rc; b++)
    rc = fz_imresize_f64(lp + b * hw, h, w, 1.0 / ratio, 1.0 / ratio, lh, lw, FZ_IMRESIZE_NEAREST, 0, out->ms + b * lhw, err);
  // I_PAN_LR = imresize(I_PAN, 1/ratio) (bicubic, antialiased)
  if (!rc) rc = fz_imresize_f64(pan_full, H, W, 1.0 / ratio, 1.0 / ratio, h, w, FZ_IMRESIZE_BICUBIC, 1, out->pan, err);
  // lms = interp23tap(I_MS_LR, ratio), on the whole scene as the family's simulation does before cropping
  for (int b = 0; b < c && !rc; b++) rc = fz_interp23tap_f64(out->ms + b * lhw, lh, lw, ratio, out->lms + b * hw, err);
  free(lp);
  if (rc) fz_wald_scene_free(out);
  return rc;
}

int fz_wald_crops(int h, int w, int crop, int ratio, int count, int *ys, int *xs, int max, int *n, fz_err *err) {
  *n = 0;
  if (crop < 1 || ratio < 1 || crop % ratio)
    return fz_fail(err, FZ_EINVAL, "simulate: --crop %d, expected a positive multiple of the ratio %d", crop, ratio);
  if (crop > h || crop > w)
    return fz_fail(err, FZ_EINVAL, "simulate: --crop %d does not fit the reduced-resolution scene %dx%d; the largest crop is %d",
                   crop, h, w, ((h < w ? h : w) / ratio) * ratio);
  int ny = h / crop, nx = w / crop, avail = ny * nx;
  if (count < 0) return fz_fail(err, FZ_EINVAL, "simulate: --count %d, expected >= 0 (0 = all crops)", count);
  if (count > avail)
    return fz_fail(err, FZ_EINVAL, "simulate: --count %d, but only %d non-overlapping %dx%d crops fit the %dx%d scene", count,
                   avail, crop, crop, h, w);
  int want = count ? count : avail;
  if (want > max) return fz_fail(err, FZ_EINVAL, "simulate: %d crops exceed the limit of %d", want, max);
  for (int i = 0; i < want; i++) {
    ys[i] = (i / nx) * crop;
    xs[i] = (i % nx) * crop;
  }
  *n = want;
  return FZ_OK;
}

void fz_wald_crop(const fz_wald_scene *s, int y, int x, int crop, double *gt, double *ms, double *lms, double *pan) {
  int r = s->ratio, lc = crop / r, lw = s->w / r, lh = s->h / r;
  size_t hw = (size_t)s->h * s->w, lhw = (size_t)lh * lw;
  for (int b = 0; b < s->c; b++)
    for (int i = 0; i < crop; i++) {
      size_t src = b * hw + (size_t)(y + i) * s->w + x, dst = ((size_t)b * crop + i) * crop;
      if (gt) memcpy(gt + dst, s->gt + src, (size_t)crop * sizeof *gt);
      if (lms) memcpy(lms + dst, s->lms + src, (size_t)crop * sizeof *lms);
    }
  if (pan)
    for (int i = 0; i < crop; i++) memcpy(pan + (size_t)i * crop, s->pan + (size_t)(y + i) * s->w + x, (size_t)crop * sizeof *pan);
  if (ms)
    for (int b = 0; b < s->c; b++)
      for (int i = 0; i < lc; i++)
        memcpy(ms + ((size_t)b * lc + i) * lc, s->ms + b * lhw + (size_t)(y / r + i) * lw + x / r, (size_t)lc * sizeof *ms);
}
