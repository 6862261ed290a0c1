// mtf.h — sensor MTF tables and the MTF-matched low-pass filters of the pansharpening toolboxes
// (DLPan-Toolbox Tools/genMTF.m, MTF.m, MTF_PAN.m): a 41-tap Gaussian with the sensor's gain at
// Nyquist, windowed by a Kaiser window (β = 0.5) with fwind1 (Huang's circular window).
#ifndef FZ_MTF_H
#define FZ_MTF_H
#include "error.h"

#define FZ_MTF_TAPS 41
#define FZ_MTF_MAX_BANDS 4096

// Canonical toolbox sensor name for a user spelling: "WV3", "WV2", "WV4", "QB", "IKONOS", "GeoEye1",
// "GF2", "L8" (Landsat 8 OLI), "L7" (Landsat 7 ETM+) or "none" (case-insensitive; also "IK", "GE1", "GeoEye-1",
// "WorldView-3", "QuickBird", "Gaofen-2", "Landsat-8", "OLI", "Landsat-7", "ETM+").
// Returns NULL when the spelling is unknown (the toolbox then uses its default gain 0.3).
const char *fz_sensor_canonical(const char *name);
// The sensor the family's full-resolution drivers evaluate with: QB and GF2 become IKONOS
// (Efficient-MIF analysis_unref_batched_images.m); other names map to themselves.
const char *fz_sensor_fr_alias(const char *name);
// Fills gnyq[0..nbands) with the MS gains at Nyquist of genMTF.m for sensor (any spelling):
// QB, IKONOS, GeoEye1/WV4, WV2, WV3 tables, 0.3 for every other sensor (L8 and L7 included). Fails when the sensor's table
// has fewer bands than nbands (MATLAB would index past the end).
int fz_mtf_ms_gnyq(const char *sensor, int nbands, double *gnyq, fz_err *err);
// PAN gain at Nyquist of MTF_PAN.m (QB 0.15, IKONOS 0.17, GeoEye1/WV4 0.16, WV2 0.11, WV3 0.14, none 0.15;
// L8 / L7 0.15 as 'none');
// fails for a sensor MTF_PAN.m does not list.
int fz_mtf_pan_gnyq(const char *sensor, double *gnyq, fz_err *err);
// The ntaps×ntaps filter genMTF.m builds for one band (ntaps odd, gnyq in (0,1), ratio >= 1):
// alpha = sqrt(((N-1)·fcut/2)² / (-2 ln gnyq)), fcut = 1/ratio; H = fspecial('gaussian', N, alpha) / max;
// h = real(fwind1(H, kaiser(N, 0.5))). h is row-major (ntaps·ntaps doubles).
int fz_mtf_kernel(double gnyq, int ratio, int ntaps, double *h, fz_err *err);
// MATLAB kaiser(n, beta): the n-point Kaiser window.
void fz_kaiser(int n, double beta, double *w);
// MATLAB fwind1(Hd, w) for an n×n desired response Hd (n odd) and a symmetric n-point window w:
// fsamp2(Hd) times the circular window made from w by Huang's method; h real part, row-major n×n.
int fz_fwind1(const double *hd, const double *w, int n, double *h, fz_err *err);
// MTF.m: every band c of img (C×H×W doubles) filtered with the sensor's band-c kernel, replicate border.
int fz_mtf_filter(const double *img, int c, int h, int w, const char *sensor, int ratio, double *out, fz_err *err);
// MTF_PAN.m: the PAN (H×W) filtered with the sensor's PAN kernel, replicate border.
int fz_mtf_filter_pan(const double *pan, int h, int w, const char *sensor, int ratio, double *out, fz_err *err);
#endif
