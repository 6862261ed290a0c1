// metrics_fr.c — full-resolution (no reference) pansharpening metrics of the DLPan-Toolbox:
// D_lambda_K.m (Khan's spectral distortion), D_s.m (spatial distortion, toolbox 1.0 variant) and
// HQNR.m, with the argument conventions of indexes_evaluation_FS.m (inputs in DN); and HyRA's FSDS.
#include "metrics.h"
#include "metrics_util.h"
#include "mtf.h"
#include "fft64.h"
#include "backend.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int fz_metric_d_lambda_k(const fz_mimg *fused, const fz_mimg *lms, int ratio, const char *sensor, int S, double *out,
                         fz_err *err) {
  int rc = fz_mimg_check_pair(fused, "D_lambda: fused", lms, "D_lambda: upsampled MS (lms)", err);
  if (rc) return rc;
  if (S < 2 || fused->h % S || fused->w % S)
    return fz_fail(err, FZ_EINVAL, "D_lambda: image %dx%d, expected rows and columns multiples of the block size %d",
                   fused->h, fused->w, S);
  size_t n = (size_t)fused->c * fused->h * fused->w;
  double *deg = malloc(n * sizeof *deg);
  if (!deg) return fz_fail(err, FZ_ENOMEM, "D_lambda: no memory");
  rc = fz_mtf_filter(fused->p, fused->c, fused->h, fused->w, sensor, ratio, deg, err);  // MTF(fused, sensor, ratio)
  double q = 0;
  if (!rc) {
    fz_mimg D = fz_mimg_make(deg, fused->c, fused->h, fused->w);
    rc = fz_metric_q2n(lms, &D, S, S, &q, err);
  }
  free(deg);
  if (!rc) *out = 1 - q;
  return rc;
}

// D_s.m's uqi on an S×S block at (by, bx) of planes a and b (width w): 4·cov·μx·μy / (σx²+σy²) / (μx²+μy²).
static double uqi_block(const double *a, const double *b, int w, int by, int bx, int S) {
  double n = (double)S * S, sa = 0, sb = 0;
  for (int x = 0; x < S; x++)  // column-major, as x(:)
    for (int y = 0; y < S; y++) {
      size_t i = (size_t)(by + y) * w + bx + x;
      sa += a[i];
      sb += b[i];
    }
  double mx = sa / n, my = sb / n, cxx = 0, cyy = 0, cxy = 0;
  for (int x = 0; x < S; x++)
    for (int y = 0; y < S; y++) {
      size_t i = (size_t)(by + y) * w + bx + x;
      double dx = a[i] - mx, dy = b[i] - my;
      cxx += dx * dx;
      cyy += dy * dy;
      cxy += dx * dy;
    }
  cxx /= n - 1;
  cyy /= n - 1;
  cxy /= n - 1;
  return 4 * cxy * mx * my / (cxx + cyy) / (mx * mx + my * my);
}

// mean2(blockproc(a, [S S], uqi with b)) over non-overlapping S×S blocks of h×w planes (h, w multiples of S).
static double blockproc_uqi(const double *a, const double *b, int h, int w, int S, double *map) {
  int nr = h / S, nc = w / S;
  for (int r = 0; r < nr; r++)
    for (int c = 0; c < nc; c++) map[(size_t)r * nc + c] = uqi_block(a, b, w, r * S, c * S, S);
  return fz_mu_mean2(map, nr, nc);
}

int fz_metric_d_s(const fz_mimg *fused, const fz_mimg *lms, const fz_mimg *pan, int ratio, int S, double q, double *out,
                  fz_err *err) {
  int rc = fz_mimg_check_pair(fused, "D_s: fused", lms, "D_s: upsampled MS (lms)", err);
  if (!rc) rc = fz_mimg_check(pan, "D_s: PAN", err);
  if (rc) return rc;
  int h = fused->h, w = fused->w;
  if (pan->c != 1) return fz_fail(err, FZ_EINVAL, "D_s: PAN has %d bands, expected 1", pan->c);
  if (pan->h != h || pan->w != w)
    return fz_fail(err, FZ_EINVAL, "D_s: PAN is %dx%d but the fused image is %dx%d", pan->h, pan->w, h, w);
  if (S < 2 || h % S || w % S)
    return fz_fail(err, FZ_EINVAL, "D_s: image %dx%d, expected rows and columns multiples of the block size %d", h, w, S);
  if (ratio < 2 || (ratio & (ratio - 1)) || h % ratio || w % ratio)
    return fz_fail(err, FZ_EINVAL, "D_s: ratio %d, expected a power of 2 dividing the image size %dx%d", ratio, h, w);
  if (!(q > 0) || !isfinite(q)) return fz_fail(err, FZ_EINVAL, "D_s: exponent q = %g, expected > 0", q);
  int lh = fz_imresize_out_size(h, 1.0 / ratio), lw = fz_imresize_out_size(w, 1.0 / ratio);
  size_t hw = (size_t)h * w;
  double *lo = malloc((size_t)lh * lw * sizeof *lo), *pf = malloc(hw * sizeof *pf);
  double *map = malloc((size_t)(h / S) * (w / S) * sizeof *map);
  if (!lo || !pf || !map) { free(lo); free(pf); free(map); return fz_fail(err, FZ_ENOMEM, "D_s: no memory"); }
  // pan_filt = interp23tap(imresize(I_PAN, 1/ratio), ratio)
  rc = fz_imresize_f64(pan->p, h, w, 1.0 / ratio, 1.0 / ratio, lh, lw, FZ_IMRESIZE_BICUBIC, 1, lo, err);
  if (!rc) rc = fz_interp23tap_f64(lo, lh, lw, ratio, pf, err);
  double acc = 0;
  for (int b = 0; b < fused->c && !rc; b++) {
    double qh = blockproc_uqi(fused->p + b * hw, pan->p, h, w, S, map);
    double ql = blockproc_uqi(lms->p + b * hw, pf, h, w, S, map);
    acc += pow(fabs(qh - ql), q);
  }
  free(lo); free(pf); free(map);
  if (!rc) *out = pow(acc / fused->c, 1 / q);
  return rc;
}

int fz_metrics_fr(const fz_mimg *fused, const fz_mimg *ms, const fz_mimg *lms, const fz_mimg *pan, const char *sensor,
                  int ratio, int S, fz_fr_scores *s, fz_err *err) {
  if (ms) {
    int rc = fz_mimg_check(ms, "MS", err);
    if (rc) return rc;
    if (ms->c != fused->c)
      return fz_fail(err, FZ_EINVAL, "MS has %d bands but the fused image has %d bands", ms->c, fused->c);
    if ((long long)ms->h * ratio != lms->h || (long long)ms->w * ratio != lms->w)
      return fz_fail(err, FZ_EINVAL, "MS is %dx%d, expected the upsampled MS size %dx%d divided by the ratio %d", ms->h,
                     ms->w, lms->h, lms->w, ratio);
  }
  int rc = fz_metric_d_lambda_k(fused, lms, ratio, sensor, S, &s->d_lambda, err);
  if (!rc) rc = fz_metric_d_s(fused, lms, pan, ratio, S, 1.0, &s->d_s, err);
  if (!rc) s->hqnr = (1 - s->d_lambda) * (1 - s->d_s);
  return rc;
}

// FSDS helper: the standardised image's "frequency-aligned integral" (FSDS_code.py frequency_align_integrate):
// rfft2 per band (a zero row appended when H is odd), the upper half of the rows U and the flipped lower half
// V, each cumulatively summed along rows then columns. u, v: C×(He/2)×(W/2+1) complex (re, im interleaved).
static int fsds_integrate(const double *img, int C, int H, int W, double *u, double *v, fz_err *err) {
  int He = H + (H & 1), Wr = W / 2 + 1, hh = He / 2;
  int L = He > W ? He : W;
  double *fr = malloc((size_t)He * Wr * 2 * sizeof *fr), *lr = malloc((size_t)L * 2 * sizeof *lr);
  if (!fr || !lr) { free(fr); free(lr); return fz_fail(err, FZ_ENOMEM, "FSDS: no memory"); }
  double *li = lr + L;
  int rc = FZ_OK;
  for (int c = 0; c < C && !rc; c++) {
    for (int y = 0; y < He && !rc; y++) {  // rfft along W
      for (int x = 0; x < W; x++) {
        lr[x] = y < H ? img[((size_t)c * H + y) * W + x] : 0.0;
        li[x] = 0;
      }
      rc = fz_fft64(lr, li, W, err);
      for (int k = 0; k < Wr; k++) {
        fr[((size_t)y * Wr + k) * 2] = lr[k];
        fr[((size_t)y * Wr + k) * 2 + 1] = li[k];
      }
    }
    for (int k = 0; k < Wr && !rc; k++) {  // fft along H
      for (int y = 0; y < He; y++) {
        lr[y] = fr[((size_t)y * Wr + k) * 2];
        li[y] = fr[((size_t)y * Wr + k) * 2 + 1];
      }
      rc = fz_fft64(lr, li, He, err);
      for (int y = 0; y < He; y++) {
        fr[((size_t)y * Wr + k) * 2] = lr[y];
        fr[((size_t)y * Wr + k) * 2 + 1] = li[y];
      }
    }
    double *uc = u + (size_t)c * hh * Wr * 2, *vc = v + (size_t)c * hh * Wr * 2;
    for (int i = 0; i < hh; i++)
      for (int k = 0; k < Wr; k++)
        for (int q = 0; q < 2; q++) {
          uc[((size_t)i * Wr + k) * 2 + q] = fr[((size_t)i * Wr + k) * 2 + q];
          vc[((size_t)i * Wr + k) * 2 + q] = fr[((size_t)(He - 1 - i) * Wr + k) * 2 + q];
        }
    double *parts[2] = {uc, vc};
    for (int p = 0; p < 2; p++) {  // cumsum along rows, then along columns
      double *s = parts[p];
      for (int i = 1; i < hh; i++)
        for (int k = 0; k < Wr * 2; k++) s[(size_t)i * Wr * 2 + k] += s[(size_t)(i - 1) * Wr * 2 + k];
      for (int i = 0; i < hh; i++)
        for (int k = 1; k < Wr; k++)
          for (int q = 0; q < 2; q++) s[((size_t)i * Wr + k) * 2 + q] += s[((size_t)i * Wr + k - 1) * 2 + q];
    }
  }
  free(fr);
  free(lr);
  return rc;
}

int fz_metric_fsds(const fz_mimg *pred, const fz_mimg *tar, double *out, fz_err *err) {
  int rc = fz_mimg_check_pair(pred, "FSDS: prediction", tar, "FSDS: target", err);
  if (rc) return rc;
  int C = pred->c, H = pred->h, W = pred->w, He = H + (H & 1), Wr = W / 2 + 1;
  size_t n = (size_t)C * H * W, m = (size_t)C * (He / 2) * Wr * 2;
  if (n < 2) return fz_fail(err, FZ_EINVAL, "FSDS: images of %zu samples, expected at least 2", n);
  double *st = malloc(n * sizeof *st), *buf = malloc(4 * m * sizeof *buf);
  if (!st || !buf) { free(st); free(buf); return fz_fail(err, FZ_ENOMEM, "FSDS: no memory"); }
  const fz_mimg *im[2] = {pred, tar};
  for (int t = 0; t < 2 && !rc; t++) {  // (x − mean) / std, std unbiased (torch.std) over all C·H·W samples
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++) mean += im[t]->p[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (im[t]->p[i] - mean) * (im[t]->p[i] - mean);
    double sd = sqrt(ss / (double)(n - 1));
    if (!(sd > 0)) { rc = fz_fail(err, FZ_EINVAL, "FSDS: the %s image is constant (standard deviation 0)", t ? "target" : "predicted"); break; }
    for (size_t i = 0; i < n; i++) st[i] = (im[t]->p[i] - mean) / sd;
    rc = fsds_integrate(st, C, H, W, buf + 2 * t * m, buf + (2 * t + 1) * m, err);
  }
  if (!rc) {
    const double *pu = buf, *pv = buf + m, *tu = buf + 2 * m, *tv = buf + 3 * m;
    double num = 0, den = 0;
    for (size_t i = 0; i < m; i += 2) {
      double a = pu[i] - tu[i], b = pu[i + 1] - tu[i + 1], c = pv[i] - tv[i], d = pv[i + 1] - tv[i + 1];
      num += a * a + b * b + c * c + d * d;
      den += tu[i] * tu[i] + tu[i + 1] * tu[i + 1] + tv[i] * tv[i] + tv[i + 1] * tv[i + 1];
    }
    *out = -10 * log10(num / den);
  }
  free(st);
  free(buf);
  return rc;
}
