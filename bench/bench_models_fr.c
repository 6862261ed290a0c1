// bench_models_fr.c — full-resolution quality (D_lambda, D_s, HQNR; bench/metrics.h, the toolbox definitions) of a
// fused scene against the MS / PAN variables of a .mat (or any raster with keys), for bench/models_table.sh:
// `fusor eval` picks .mat variables only by default, and the real scenes hold several.
// usage: bench_models_fr FUSED MS_FILE MS_KEY PAN_FILE PAN_KEY SENSOR      prints "D_lambda D_s HQNR"
#include "fusor.h"
#include "metrics.h"
#include "raster.h"
#include <stdio.h>
#include <stdlib.h>

// Copies raster r into a new double array (DN as stored).
static double *to_f64(const fz_raster *r) {
  size_t n = (size_t)r->c * r->h * r->w;
  double *d = malloc(n * sizeof *d);
  if (d)
    for (size_t i = 0; i < n; i++) d[i] = r->data[i];
  return d;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: bench_models_fr FUSED MS_FILE MS_KEY PAN_FILE PAN_KEY SENSOR\n");
    return 2;
  }
  fz_err err = {0};
  fz_raster f = {0}, ms = {0}, pan = {0};
  fz_raster_sel sm = {argv[3], 0}, sp = {argv[5], 0};
  int rc = fz_raster_read(argv[1], NULL, &f, &err) || fz_raster_read(argv[2], &sm, &ms, &err) ||
           fz_raster_read(argv[4], &sp, &pan, &err);
  double *df = NULL, *dm = NULL, *dp = NULL, *dl = NULL;
  if (!rc) {
    int R = pan.h / ms.h, H = pan.h, W = pan.w;
    df = to_f64(&f);
    dm = to_f64(&ms);
    dp = to_f64(&pan);
    dl = malloc((size_t)ms.c * H * W * sizeof *dl);
    double *band = malloc((size_t)ms.h * ms.w * sizeof *band);
    rc = !df || !dm || !dp || !dl || !band;
    for (int c = 0; !rc && c < ms.c; c++) {  // lms = interp23tap(MS), as fusor eval does by default
      for (size_t i = 0; i < (size_t)ms.h * ms.w; i++) band[i] = dm[(size_t)c * ms.h * ms.w + i];
      rc = fz_interp23tap_f64(band, ms.h, ms.w, R, dl + (size_t)c * H * W, &err);
    }
    free(band);
    fz_fr_scores s;
    fz_mimg mf = fz_mimg_make(df, f.c, f.h, f.w), mm = fz_mimg_make(dm, ms.c, ms.h, ms.w), ml = fz_mimg_make(dl, ms.c, H, W),
            mp = fz_mimg_make(dp, 1, H, W);
    if (!rc) rc = fz_metrics_fr(&mf, &mm, &ml, &mp, argv[6], R, 32, &s, &err);
    if (!rc) printf("%.6f %.6f %.6f\n", s.d_lambda, s.d_s, s.hqnr);
  }
  if (rc) fprintf(stderr, "bench_models_fr: %s\n", err.msg[0] ? err.msg : "out of memory");
  fz_raster_free(&f); fz_raster_free(&ms); fz_raster_free(&pan);
  free(df); free(dm); free(dp); free(dl);
  return rc ? 1 : 0;
}
