// wald.h — Wald's-protocol simulation of reduced-resolution pansharpening data, as the DLPan-Toolbox
// does it (Tools/resize_images.m + interp23tap.m): the full-resolution MS becomes the ground truth, the
// MS is MTF-filtered (sensor gains, 41-tap Kaiser-windowed Gaussian, replicate border) and decimated by
// the ratio with imresize 'nearest', the PAN is shrunk with imresize (bicubic, antialiased), and the
// upsampled MS (lms) is interp23tap of the degraded MS. Crops cut PanCollection-style samples.
#ifndef FZ_WALD_H
#define FZ_WALD_H
#include "error.h"

// One degraded scene (all C×H×W doubles in DN): gt = the input MS (c×h×w), ms (c×h/r×w/r),
// lms (c×h×w), pan (1×h×w, the PAN shrunk from H×W = r·h × r·w).
typedef struct fz_wald_scene {
  int c, h, w, ratio;
  double *gt, *ms, *lms, *pan;
} fz_wald_scene;

// resize_images.m + interp23tap.m on a full-resolution pair: ms_full c×h×w (the sensor's MS), pan_full
// 1×(ratio·h)×(ratio·w). h and w must be multiples of ratio (a power of 2). sensor: any spelling of
// fz_sensor_canonical (unknown sensors use the toolbox's default MTF gain 0.3). Fills out (allocated).
int fz_wald_degrade(const double *ms_full, int c, int h, int w, const double *pan_full, int H, int W, const char *sensor,
                    int ratio, fz_wald_scene *out, fz_err *err);
void fz_wald_scene_free(fz_wald_scene *s);

// Top-left corners (y, x) on the reduced-resolution grid of up to count non-overlapping crop×crop tiles,
// row-major from the top-left (count 0 = all that fit). crop must be a positive multiple of ratio and
// fit the h×w scene. Fills ys, xs (capacity max) and *n. Errors name the largest possible crop / count.
int fz_wald_crops(int h, int w, int crop, int ratio, int count, int *ys, int *xs, int max, int *n, fz_err *err);
// Copies the crop at (y, x) of size crop (reduced-resolution pixels) of scene s into gt, lms (c×crop×crop),
// ms (c×crop/r×crop/r) and pan (1×crop×crop); any output may be NULL.
void fz_wald_crop(const fz_wald_scene *s, int y, int x, int crop, double *gt, double *ms, double *lms, double *pan);
#endif
