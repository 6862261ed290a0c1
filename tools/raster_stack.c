// raster_stack.c — comma-separated band lists read as one C×H×W raster. See raster_stack.h.
#include "raster_stack.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fz_stack_is_list(const char *spec) { return spec && strchr(spec, ',') != NULL; }

// 1 when the geotransforms of a and b agree to a millimetre (or neither has one).
static int same_transform(const fz_geo *a, const fz_geo *b) {
  if (a->has_transform != b->has_transform) return 0;
  for (int i = 0; a->has_transform && i < 6; i++)
    if (fabs(a->transform[i] - b->transform[i]) > 1e-3) return 0;
  return 1;
}

int fz_raster_read_stack(const char *spec, const fz_raster_sel *sel, fz_raster *r, fz_err *err) {
  memset(r, 0, sizeof *r);
  if (!fz_stack_is_list(spec)) return fz_raster_read(spec, sel, r, err);
  char *list = strdup(spec);
  if (!list) return fz_fail(err, FZ_ENOMEM, "out of memory");
  enum { MAXF = 256 };
  char *names[MAXF];
  int n = 0, rc = FZ_OK;
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == MAXF) { rc = fz_fail(err, FZ_EINVAL, "band list '%.64s...': more than %d files", spec, MAXF); break; }
    if (*tok) names[n++] = tok;
  }
  fz_raster *parts = rc ? NULL : calloc((size_t)(n ? n : 1), sizeof *parts);
  if (!rc && !parts) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
  int C = 0;
  for (int i = 0; !rc && i < n; i++) {
    fz_raster_sel s0 = {NULL, 0};
    rc = fz_raster_read(names[i], &s0, &parts[i], err);
    if (rc) break;
    const fz_raster *a = &parts[0], *b = &parts[i];
    if (b->h != a->h || b->w != a->w)
      rc = fz_fail(err, FZ_EINVAL, "band list: %s is %dx%d but %s is %dx%d; every file of a stack must have the same size",
                   names[i], b->h, b->w, names[0], a->h, a->w);
    else if (!same_transform(&a->geo, &b->geo))
      rc = fz_fail(err, FZ_EINVAL, "band list: %s has origin (%.3f, %.3f) pixel (%g, %g) but %s has (%.3f, %.3f) pixel (%g, %g); "
                   "the files of a stack must share one grid", names[i], b->geo.transform[0], b->geo.transform[3],
                   b->geo.transform[1], b->geo.transform[5], names[0], a->geo.transform[0], a->geo.transform[3],
                   a->geo.transform[1], a->geo.transform[5]);
    C += b->c;
  }
  if (!rc) rc = fz_raster_alloc(r, C, parts[0].h, parts[0].w, err);
  if (!rc) rc = fz_geo_copy(&r->geo, &parts[0].geo, err);
  if (!rc) {
    for (int i = 0; r->geo.band_desc && i < r->geo.nbands_desc; i++) free(r->geo.band_desc[i]);
    free(r->geo.band_desc);
    r->geo.band_desc = calloc((size_t)C, sizeof *r->geo.band_desc);
    r->geo.nbands_desc = r->geo.band_desc ? C : 0;
    r->scale = parts[0].scale;
    r->src_dtype = parts[0].src_dtype;
    size_t plane = (size_t)r->h * r->w, o = 0;
    for (int i = 0, k = 0; i < n; i++) {
      memcpy(r->data + o, parts[i].data, (size_t)parts[i].c * plane * sizeof *r->data);
      o += (size_t)parts[i].c * plane;
      const char *base = strrchr(names[i], '/');
      for (int j = 0; j < parts[i].c; j++, k++)
        if (r->geo.band_desc) r->geo.band_desc[k] = strdup(base ? base + 1 : names[i]);
    }
  }
  for (int i = 0; parts && i < n; i++) fz_raster_free(&parts[i]);
  free(parts);
  free(list);
  if (rc) fz_raster_free(r);
  (void)sel;
  return rc;
}
