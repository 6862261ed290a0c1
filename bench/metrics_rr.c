// metrics_rr.c — reduced-resolution pansharpening metrics with a reference: SAM, ERGAS, SCC, Q-avg
// (DLPan-Toolbox Quality_Indices/*.m), PSNR and SSIM (Efficient-MIF quality_assess.m), and the
// indexes_evaluation.m driver. Loops follow the MATLAB operation order (column-major sums) in double.
#include "metrics.h"
#include "metrics_util.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int fz_mimg_check(const fz_mimg *img, const char *what, fz_err *err) {
  if (!img || !img->p) return fz_fail(err, FZ_EINVAL, "%s: image is missing", what);
  if (img->c < 1 || img->h < 1 || img->w < 1)
    return fz_fail(err, FZ_EINVAL, "%s: size %dx%dx%d (C×H×W), expected every side >= 1", what, img->c, img->h, img->w);
  size_t n = (size_t)img->c * img->h * img->w;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(img->p[i])) {
      size_t hw = (size_t)img->h * img->w;
      return fz_fail(err, FZ_EINVAL, "%s: sample (band %zu, row %zu, column %zu) is %s; metrics need finite values", what,
                     i / hw, (i % hw) / img->w, i % img->w, isnan(img->p[i]) ? "NaN" : "Inf");
    }
  return FZ_OK;
}

int fz_mimg_check_pair(const fz_mimg *a, const char *wa, const fz_mimg *b, const char *wb, fz_err *err) {
  int rc = fz_mimg_check(a, wa, err);
  if (!rc) rc = fz_mimg_check(b, wb, err);
  if (rc) return rc;
  if (a->c != b->c)
    return fz_fail(err, FZ_EINVAL, "%s has %d bands but %s has %d bands", wa, a->c, wb, b->c);
  if (a->h != b->h || a->w != b->w)
    return fz_fail(err, FZ_EINVAL, "%s is %dx%d (H×W) but %s is %dx%d", wa, a->h, a->w, wb, b->h, b->w);
  return FZ_OK;
}

double fz_mu_mean2(const double *p, int h, int w) {
  double s = 0;
  for (int x = 0; x < w; x++)
    for (int y = 0; y < h; y++) s += p[(size_t)y * w + x];
  return s / ((double)h * w);
}

int fz_mu_box_valid(const double *img, int h, int w, int b, double *out, double *tmp) {
  int oh = h - b + 1, ow = w - b + 1;
  if (oh < 1 || ow < 1) return -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      const double *r = img + (size_t)y * w + x;
      for (int j = 0; j < b; j++) s += r[j];
      tmp[(size_t)y * ow + x] = s;
    }
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int i = 0; i < b; i++) s += tmp[(size_t)(y + i) * ow + x];
      out[(size_t)y * ow + x] = s;
    }
  return 0;
}

int fz_metric_sam(const fz_mimg *ref, const fz_mimg *fus, double *deg, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "SAM: reference", fus, "SAM: fused", err);
  if (rc) return rc;
  size_t hw = (size_t)ref->h * ref->w;
  double acc = 0;
  size_t cnt = 0;
  for (int x = 0; x < ref->w; x++)  // column-major pixel order, as MATLAB's reshape(...)(:)
    for (int y = 0; y < ref->h; y++) {
      size_t i = (size_t)y * ref->w + x;
      double ps = 0, n1 = 0, n2 = 0;
      for (int c = 0; c < ref->c; c++) {
        double a = ref->p[c * hw + i], b = fus->p[c * hw + i];
        ps += a * b;
        n1 += a * a;
        n2 += b * b;
      }
      double pn = sqrt(n1 * n2);
      if (pn == 0) continue;  // SAM.m drops pixels with a zero norm product
      double r = ps / pn;
      acc += r >= 1 ? 0.0 : r <= -1 ? M_PI : acos(r);  // real(acos(r)) for |r| > 1 from rounding
      cnt++;
    }
  *deg = cnt ? acc / (double)cnt * 180 / M_PI : NAN;
  return FZ_OK;
}

int fz_metric_ergas(const fz_mimg *ref, const fz_mimg *fus, double ratio, double *out, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "ERGAS: reference", fus, "ERGAS: fused", err);
  if (rc) return rc;
  if (!(ratio > 0) || !isfinite(ratio)) return fz_fail(err, FZ_EINVAL, "ERGAS: ratio %g, expected a positive number", ratio);
  int h = ref->h, w = ref->w;
  size_t hw = (size_t)h * w;
  double *e = malloc(hw * sizeof *e);
  if (!e) return fz_fail(err, FZ_ENOMEM, "ERGAS: no memory");
  double acc = 0;
  for (int c = 0; c < ref->c; c++) {
    for (size_t i = 0; i < hw; i++) {
      double d = ref->p[c * hw + i] - fus->p[c * hw + i];
      e[i] = d * d;
    }
    double m = fz_mu_mean2(ref->p + c * hw, h, w);
    acc += fz_mu_mean2(e, h, w) / (m * m);
  }
  free(e);
  *out = (100 / ratio) * sqrt((1.0 / ref->c) * acc);
  return FZ_OK;
}

// Sobel gradient magnitude of the (h-2)×(w-2) interior of plane p (SCC.m: imfilter, zero padding).
static void sobel_mag(const double *p, int h, int w, double *g) {
  int ih = h - 2, iw = w - 2;
#define IN(y, x) (((y) < 0 || (y) >= ih || (x) < 0 || (x) >= iw) ? 0.0 : p[(size_t)((y) + 1) * w + (x) + 1])
  for (int y = 0; y < ih; y++)
    for (int x = 0; x < iw; x++) {
      // s = [1 2 1; 0 0 0; -1 -2 -1] and s' as correlation kernels centred at (y, x)
      double gy = IN(y - 1, x - 1) + 2 * IN(y - 1, x) + IN(y - 1, x + 1) - IN(y + 1, x - 1) - 2 * IN(y + 1, x) -
                  IN(y + 1, x + 1);
      double gx = IN(y - 1, x - 1) + 2 * IN(y, x - 1) + IN(y + 1, x - 1) - IN(y - 1, x + 1) - 2 * IN(y, x + 1) -
                  IN(y + 1, x + 1);
      g[(size_t)y * iw + x] = sqrt(gy * gy + gx * gx);
    }
#undef IN
}

int fz_metric_scc(const fz_mimg *ref, const fz_mimg *fus, double *out, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "SCC: reference", fus, "SCC: fused", err);
  if (rc) return rc;
  if (ref->h < 3 || ref->w < 3) return fz_fail(err, FZ_EINVAL, "SCC: image %dx%d, expected at least 3x3", ref->h, ref->w);
  int ih = ref->h - 2, iw = ref->w - 2;
  size_t hw = (size_t)ref->h * ref->w, ihw = (size_t)ih * iw;
  double *gf = malloc(ihw * sizeof *gf), *gx = malloc(ihw * sizeof *gx);
  if (!gf || !gx) { free(gf); free(gx); return fz_fail(err, FZ_ENOMEM, "SCC: no memory"); }
  double sfx = 0, sff = 0, sxx = 0;
  for (int c = 0; c < ref->c; c++) {
    sobel_mag(fus->p + c * hw, ref->h, ref->w, gf);
    sobel_mag(ref->p + c * hw, ref->h, ref->w, gx);
    for (size_t i = 0; i < ihw; i++) {
      sfx += gf[i] * gx[i];
      sff += gf[i] * gf[i];
      sxx += gx[i] * gx[i];
    }
  }
  free(gf);
  free(gx);
  *out = sfx / sqrt(sff) / sqrt(sxx);
  return FZ_OK;
}

// img_qi.m for one band pair (block×block sliding windows, 'valid'): mean of the quality map.
static int img_qi(const double *a, const double *b, int h, int w, int block, double *q, fz_err *err) {
  int oh = h - block + 1, ow = w - block + 1;
  if (oh < 1 || ow < 1) { *q = NAN; return FZ_OK; }  // filter2 'valid' is empty: mean2([]) is NaN
  size_t hw = (size_t)h * w, ohw = (size_t)oh * ow;
  double *buf = malloc((hw * 3 + ohw * 5 + (size_t)h * ow) * sizeof *buf);
  if (!buf) return fz_fail(err, FZ_ENOMEM, "Q: no memory");
  double *aa = buf, *bb = aa + hw, *ab = bb + hw, *tmp = ab + hw, *sa = tmp + (size_t)h * ow, *sb = sa + ohw,
         *saa = sb + ohw, *sbb = saa + ohw, *sab = sbb + ohw;
  for (size_t i = 0; i < hw; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  fz_mu_box_valid(a, h, w, block, sa, tmp);
  fz_mu_box_valid(b, h, w, block, sb, tmp);
  fz_mu_box_valid(aa, h, w, block, saa, tmp);
  fz_mu_box_valid(bb, h, w, block, sbb, tmp);
  fz_mu_box_valid(ab, h, w, block, sab, tmp);
  double N = (double)block * block;
  double *map = aa;  // reuse (ohw <= hw)
  for (size_t i = 0; i < ohw; i++) {
    double m12 = sa[i] * sb[i];
    double sq = sa[i] * sa[i] + sb[i] * sb[i];
    double num = 4 * (N * sab[i] - m12) * m12;
    double den1 = N * (saa[i] + sbb[i]) - sq;
    double den = den1 * sq;
    double v = 1;
    if (den1 == 0 && sq != 0) v = 2 * m12 / sq;
    if (den != 0) v = num / den;
    map[i] = v;
  }
  *q = fz_mu_mean2(map, oh, ow);
  free(buf);
  return FZ_OK;
}

int fz_metric_q_avg(const fz_mimg *ref, const fz_mimg *fus, int block, double *out, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "Q: reference", fus, "Q: fused", err);
  if (rc) return rc;
  if (block < 1 || block > 4096) return fz_fail(err, FZ_EINVAL, "Q: block size %d, expected 1..4096", block);
  size_t hw = (size_t)ref->h * ref->w;
  double acc = 0;
  for (int c = 0; c < ref->c; c++) {
    double q = 0;
    if ((rc = img_qi(ref->p + c * hw, fus->p + c * hw, ref->h, ref->w, block, &q, err))) return rc;
    acc += q;
  }
  *out = acc / ref->c;
  return FZ_OK;
}

int fz_metric_psnr(const fz_mimg *ref, const fz_mimg *fus, double data_range, double *out, double *per_band, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "PSNR: reference", fus, "PSNR: fused", err);
  if (rc) return rc;
  if (!(data_range > 0) || !isfinite(data_range))
    return fz_fail(err, FZ_EINVAL, "PSNR: data range %g, expected a positive number", data_range);
  size_t hw = (size_t)ref->h * ref->w;
  double acc = 0;
  for (int c = 0; c < ref->c; c++) {
    double s = 0;
    for (int x = 0; x < ref->w; x++)
      for (int y = 0; y < ref->h; y++) {
        size_t i = c * hw + (size_t)y * ref->w + x;
        double d = fus->p[i] / data_range - ref->p[i] / data_range;
        s += d * d;
      }
    double p = 10 * log10(1.0 / (s / (double)hw));
    if (per_band) per_band[c] = p;
    acc += p;
  }
  *out = acc / ref->c;
  return FZ_OK;
}

// Separable 'valid' correlation of an h×w plane with the 11-tap kernel g along both axes.
static void gauss_valid(const double *img, int h, int w, const double *g, double *tmp, double *out) {
  int ow = w - 10, oh = h - 10;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int j = 0; j < 11; j++) s += g[j] * img[(size_t)y * w + x + j];
      tmp[(size_t)y * ow + x] = s;
    }
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double s = 0;
      for (int i = 0; i < 11; i++) s += g[i] * tmp[(size_t)(y + i) * ow + x];
      out[(size_t)y * ow + x] = s;
    }
}

int fz_mu_ssim_plane(const double *a, const double *b, int h, int w, double L, double *out) {
  // window = fspecial('gaussian', 11, 1.5) / sum: separable with the normalised 1-D Gaussian
  double g[11], gs = 0;
  for (int i = 0; i < 11; i++) gs += (g[i] = exp(-(double)(i - 5) * (i - 5) / (2 * 1.5 * 1.5)));
  for (int i = 0; i < 11; i++) g[i] /= gs;
  int oh = h - 10, ow = w - 10;
  size_t hw = (size_t)h * w, ohw = (size_t)oh * ow;
  double *buf = malloc((hw * 3 + (size_t)h * ow + ohw * 5) * sizeof *buf);
  if (!buf) return -1;
  double *aa = buf, *bb = aa + hw, *ab = bb + hw, *tmp = ab + hw, *m1 = tmp + (size_t)h * ow, *m2 = m1 + ohw,
         *s11 = m2 + ohw, *s22 = s11 + ohw, *s12 = s22 + ohw;
  for (size_t i = 0; i < hw; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  gauss_valid(a, h, w, g, tmp, m1);
  gauss_valid(b, h, w, g, tmp, m2);
  gauss_valid(aa, h, w, g, tmp, s11);
  gauss_valid(bb, h, w, g, tmp, s22);
  gauss_valid(ab, h, w, g, tmp, s12);
  double C1 = (0.01 * L) * (0.01 * L), C2 = (0.03 * L) * (0.03 * L);
  double *map = aa;
  for (size_t i = 0; i < ohw; i++) {
    double mu1 = m1[i], mu2 = m2[i];
    double v1 = s11[i] - mu1 * mu1, v2 = s22[i] - mu2 * mu2, c12 = s12[i] - mu1 * mu2;
    map[i] = ((2 * mu1 * mu2 + C1) * (2 * c12 + C2)) / ((mu1 * mu1 + mu2 * mu2 + C1) * (v1 + v2 + C2));
  }
  *out = fz_mu_mean2(map, oh, ow);
  free(buf);
  return 0;
}

int fz_metric_ssim(const fz_mimg *ref, const fz_mimg *fus, double data_range, double *out, double *per_band, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "SSIM: reference", fus, "SSIM: fused", err);
  if (rc) return rc;
  if (!(data_range > 0) || !isfinite(data_range))
    return fz_fail(err, FZ_EINVAL, "SSIM: data range %g, expected a positive number", data_range);
  if (ref->h < 11 || ref->w < 11)
    return fz_fail(err, FZ_EINVAL, "SSIM: image %dx%d, expected at least 11x11 (the Gaussian window)", ref->h, ref->w);
  size_t hw = (size_t)ref->h * ref->w;
  double *a = malloc(2 * hw * sizeof *a);
  if (!a) return fz_fail(err, FZ_ENOMEM, "SSIM: no memory");
  double *b = a + hw, acc = 0;
  for (int c = 0; c < ref->c && !rc; c++) {
    for (size_t i = 0; i < hw; i++) {  // quality_assess.m: ssim_index(sr/const*255, gt/const*255)
      a[i] = fus->p[c * hw + i] / data_range * 255;
      b[i] = ref->p[c * hw + i] / data_range * 255;
    }
    double s;
    if (fz_mu_ssim_plane(a, b, ref->h, ref->w, 255, &s)) rc = fz_fail(err, FZ_ENOMEM, "SSIM: no memory");
    else {
      if (per_band) per_band[c] = s;
      acc += s;
    }
  }
  free(a);
  if (!rc) *out = acc / ref->c;
  return rc;
}

void fz_rr_opts_default(fz_rr_opts *o) {
  o->ratio = 4;
  o->L = 11;
  o->q_block = 32;
  o->flag_cut_bounds = 0;
  o->dim_cut = 21;
  o->th_values = 0;
  o->data_range = 2047;
}

int fz_metrics_rr(const fz_mimg *ref, const fz_mimg *fus, const fz_rr_opts *o, fz_rr_scores *s, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "reference", fus, "fused", err);
  if (rc) return rc;
  if (o->ratio < 1 || o->ratio > 64) return fz_fail(err, FZ_EINVAL, "ratio %d, expected 1..64", o->ratio);
  if (o->L < 1 || o->L > 32) return fz_fail(err, FZ_EINVAL, "L = %d bits, expected 1..32", o->L);
  int c = ref->c, h = ref->h, w = ref->w, y0 = 0, x0 = 0, ch = h, cw = w;
  if (o->flag_cut_bounds) {  // I(dim_cut:end-dim_cut, dim_cut:end-dim_cut, :)
    y0 = x0 = o->dim_cut - 1;
    ch = h - 2 * o->dim_cut + 1;
    cw = w - 2 * o->dim_cut + 1;
    if (o->dim_cut < 1 || ch < 3 || cw < 3)
      return fz_fail(err, FZ_EINVAL, "dim_cut %d leaves %dx%d of a %dx%d image; expected at least 3x3", o->dim_cut, ch, cw, h, w);
  }
  size_t chw = (size_t)ch * cw;
  double *r = malloc(2 * c * chw * sizeof *r);
  if (!r) return fz_fail(err, FZ_ENOMEM, "metrics: no memory");
  double *f = r + c * chw, top = ldexp(1.0, o->L);
  for (int b = 0; b < c; b++)
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++) {
        size_t si = ((size_t)b * h + y + y0) * w + x + x0, di = ((size_t)b * ch + y) * cw + x;
        double v = fus->p[si];
        if (o->th_values) v = v > top ? top : v < 0 ? 0 : v;
        r[di] = ref->p[si];
        f[di] = v;
      }
  fz_mimg R = fz_mimg_make(r, c, ch, cw), F = fz_mimg_make(f, c, ch, cw);
  rc = fz_metric_q2n(&R, &F, o->q_block, o->q_block, &s->q2n, err);
  if (!rc) rc = fz_metric_q_avg(&R, &F, o->q_block, &s->q_avg, err);
  if (!rc) rc = fz_metric_sam(&R, &F, &s->sam, err);
  if (!rc) rc = fz_metric_ergas(&R, &F, o->ratio, &s->ergas, err);
  if (!rc) rc = fz_metric_scc(&R, &F, &s->scc, err);
  free(r);
  if (!rc) rc = fz_metric_psnr(ref, fus, o->data_range, &s->psnr, NULL, err);
  if (!rc) {
    if (h >= 11 && w >= 11) rc = fz_metric_ssim(ref, fus, o->data_range, &s->ssim, NULL, err);
    else s->ssim = NAN;
  }
  return rc;
}
