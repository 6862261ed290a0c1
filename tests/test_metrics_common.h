// test_metrics_common.h — helpers for the metric / simulation tests: the deterministic synthetic images
// (the same formulas generated the Octave oracle values), reading the committed reference CSVs of
// tests/data/metrics/, and loading the shared pansharpening scenes.
#ifndef FZ_TEST_METRICS_COMMON_H
#define FZ_TEST_METRICS_COMMON_H
#include "fusor.h"

// C×H×W image round(800 + 300·sin(0.37x + 0.61b + seed)·cos(0.23y − 0.4b) + 25b), x, y, b 0-based.
double *fzt_synth(int h, int w, int c, double seed);
// The "fused" companion: I + 40·sin(0.5x + 0.3y + b) + 0.3 (new array).
double *fzt_perturb(const double *img, int h, int w, int c);

// A key → value table read from tests/data/metrics/<name> (lines "key,value"; first line a header).
typedef struct fzt_ref {
  int n;
  char (*key)[96];
  double *val;
} fzt_ref;
// Loads the table; returns 0 or an fz_code with err naming the file.
int fzt_ref_load(const char *name, fzt_ref *r, fz_err *err);
void fzt_ref_free(fzt_ref *r);
// The value for key, or NAN when absent.
double fzt_ref_get(const fzt_ref *r, const char *key);
// |a − b| <= rtol·|b| + atol (NaN never passes unless both are NaN).
int fzt_close(double a, double b, double rtol, double atol);

// A pansharpening scene of /work/shared/data/pansharpening: ms (C×h×w, the low-resolution MS as stored)
// and pan (1×H×W), in DN as doubles; NULL path when shared data or the raster readers are unavailable.
typedef struct fzt_scene {
  int c, h, w, H, W;
  double *ms, *pan;
} fzt_scene;
// Reads file (e.g. "grip_imgWV2.mat") with its MS variable (msvar) and "I_PAN"; 0 or an fz_code.
int fzt_scene_load(const char *path, const char *msvar, fzt_scene *s, fz_err *err);
void fzt_scene_free(fzt_scene *s);
#endif
