// metrics_util.h — helpers shared by the metric files (internal to bench/).
#ifndef FZ_METRICS_UTIL_H
#define FZ_METRICS_UTIL_H

// MATLAB mean2 of an h×w row-major plane, summed in column-major order as MATLAB's x(:) does.
double fz_mu_mean2(const double *p, int h, int w);
// filter2(ones(b), img, 'valid'): out is (h-b+1)×(w-b+1) window sums; tmp holds h×(w-b+1). -1 if too small.
int fz_mu_box_valid(const double *img, int h, int w, int b, double *out, double *tmp);
// ssim_index.m (11×11 Gaussian σ 1.5, K = [0.01 0.03], dynamic range L, 'valid') of planes a, b (h, w >= 11);
// mean SSIM into *out. Returns -1 when out of memory.
int fz_mu_ssim_plane(const double *a, const double *b, int h, int w, double L, double *out);
#endif
