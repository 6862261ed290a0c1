// imresize.c — MATLAB-compatible imresize (Image Processing Toolbox semantics) in double precision:
// per-dimension contribution weights from the interpolation kernel (antialiased by stretching the
// kernel when shrinking), normalised to sum 1 per output sample, symmetric border, and the CPU op.
#include "cpu_fir.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Keys cubic convolution kernel with a = -0.5 (MATLAB 'bicubic').
static double k_cubic(double x) {
  double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}
// Triangle kernel (MATLAB 'bilinear').
static double k_triangle(double x) {
  if (x >= -1 && x < 0) return x + 1;
  if (x >= 0 && x <= 1) return 1 - x;
  return 0;
}
// Box kernel (MATLAB 'nearest'): 1 on [-0.5, 0.5).
static double k_box(double x) { return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0; }

int fz_imresize_out_size(int n, double scale) {
  double v = ceil((double)n * scale);
  return v < 1 ? 1 : v > 1e9 ? 1000000000 : (int)v;
}

// Contribution table of one dimension: out_len rows of P (index, weight) pairs.
typedef struct { int P; int *idx; double *wt; } contrib;

static int make_contrib(int in_len, int out_len, double scale, fz_imresize_method m, int antialias, contrib *c, fz_err *err) {
  double (*kern)(double) = m == FZ_IMRESIZE_BICUBIC ? k_cubic : m == FZ_IMRESIZE_BILINEAR ? k_triangle : k_box;
  double kw = m == FZ_IMRESIZE_BICUBIC ? 4.0 : m == FZ_IMRESIZE_BILINEAR ? 2.0 : 1.0;
  int aa = scale < 1 && antialias;
  if (aa) kw /= scale;
  int P = (int)ceil(kw) + 2;
  c->P = P;
  c->idx = malloc((size_t)out_len * P * sizeof *c->idx);
  c->wt = malloc((size_t)out_len * P * sizeof *c->wt);
  if (!c->idx || !c->wt) { free(c->idx); free(c->wt); return fz_fail(err, FZ_ENOMEM, "imresize: no memory for weights"); }
  for (int x = 0; x < out_len; x++) {
    double u = (x + 1) / scale + 0.5 * (1 - 1 / scale);  // 1-based input coordinate of output sample x+1
    double left = floor(u - kw / 2);
    double sum = 0;
    for (int p = 0; p < P; p++) {
      double j = left + p;
      double d = u - j;
      double wv = aa ? scale * kern(scale * d) : kern(d);
      c->wt[(size_t)x * P + p] = wv;
      sum += wv;
      // mirror the 1-based index j into [1, in_len] with period 2·in_len, then to 0-based
      c->idx[(size_t)x * P + p] = (int)fz_fir_pad_index((int64_t)j - 1, in_len, FZ_FIR_PAD_SYMMETRIC);
    }
    for (int p = 0; p < P; p++) c->wt[(size_t)x * P + p] /= sum;
  }
  return FZ_OK;
}

// Resizes along y (dim 0) when along_y, else along x, from h×w to the new length n.
static void resize_dim(const double *in, int h, int w, const contrib *c, int along_y, int n, double *out) {
  int P = c->P;
  if (along_y) {
#pragma omp parallel for schedule(static)
    for (int y = 0; y < n; y++) {
      double *o = out + (size_t)y * w;
      for (int x = 0; x < w; x++) o[x] = 0;
      for (int p = 0; p < P; p++) {
        double wv = c->wt[(size_t)y * P + p];
        if (wv == 0) continue;
        const double *s = in + (size_t)c->idx[(size_t)y * P + p] * w;
        for (int x = 0; x < w; x++) o[x] += wv * s[x];
      }
    }
  } else {
#pragma omp parallel for schedule(static)
    for (int y = 0; y < h; y++) {
      const double *s = in + (size_t)y * w;
      double *o = out + (size_t)y * n;
      for (int x = 0; x < n; x++) {
        double acc = 0;
        for (int p = 0; p < P; p++) {
          double wv = c->wt[(size_t)x * P + p];
          if (wv != 0) acc += wv * s[c->idx[(size_t)x * P + p]];
        }
        o[x] = acc;
      }
    }
  }
}

int fz_imresize_f64(const double *in, int h, int w, double sh, double sw, int oh, int ow, fz_imresize_method m,
                    int antialias, double *out, fz_err *err) {
  if (h < 1 || w < 1 || oh < 1 || ow < 1)
    return fz_fail(err, FZ_EINVAL, "imresize: sizes %dx%d -> %dx%d must be positive", h, w, oh, ow);
  if (!(sh > 0) || !(sw > 0) || !isfinite(sh) || !isfinite(sw))
    return fz_fail(err, FZ_EINVAL, "imresize: scale factors (%g, %g) must be finite and positive", sh, sw);
  if ((int)m < FZ_IMRESIZE_NEAREST || (int)m > FZ_IMRESIZE_BICUBIC)
    return fz_fail(err, FZ_EINVAL, "imresize: method %d, expected nearest, bilinear or bicubic", (int)m);
  contrib cy = {0}, cx = {0};
  int rc = make_contrib(h, oh, sh, m, antialias, &cy, err);
  if (!rc) rc = make_contrib(w, ow, sw, m, antialias, &cx, err);
  double *tmp = NULL;
  if (!rc) {
    int y_first = sh <= sw;  // MATLAB resizes along the dimension with the smaller scale first (rows on ties)
    size_t tn = y_first ? (size_t)oh * w : (size_t)h * ow;
    tmp = malloc(tn * sizeof *tmp);
    if (!tmp) rc = fz_fail(err, FZ_ENOMEM, "imresize: no memory for %zu samples", tn);
    else if (y_first) {
      resize_dim(in, h, w, &cy, 1, oh, tmp);
      resize_dim(tmp, oh, w, &cx, 0, ow, out);
    } else {
      resize_dim(in, h, w, &cx, 0, ow, tmp);
      resize_dim(tmp, h, ow, &cy, 1, oh, out);
    }
  }
  free(tmp);
  free(cy.idx); free(cy.wt); free(cx.idx); free(cx.wt);
  return rc;
}

int fz_cpu_imresize(const fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw, int method,
                    int antialias, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3];
  int64_t OH = out->shape[2], OW = out->shape[3];
  const float *xi = in->data;
  float *yo = out->data;
  int rc = FZ_OK;
  double *a = malloc((size_t)(H * W + OH * OW) * sizeof *a);
  if (!a) return fz_fail(err, FZ_ENOMEM, "imresize: no memory");
  double *b = a + H * W;
  (void)be;
  for (int64_t p = 0; p < N * C && !rc; p++) {  // planes in turn; each resize runs on all threads
    for (int64_t i = 0; i < H * W; i++) a[i] = xi[p * H * W + i];
    rc = fz_imresize_f64(a, (int)H, (int)W, sh, sw, (int)OH, (int)OW, (fz_imresize_method)method, antialias, b, err);
    if (!rc)
      for (int64_t i = 0; i < OH * OW; i++) yo[p * OH * OW + i] = (float)b[i];
  }
  free(a);
  return rc;
}
