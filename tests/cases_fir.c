// cases_fir.c — op cases of the fir family (fir2d, imresize, interp23tap) on f32 NCHW tensors; each
// compares the backend's output with its own plain double-precision loop written from the MATLAB
// definitions (imfilter correlation + border rules, imresize contributions, interp23tap.m).
#include "op_cases.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Index of sample i in [0, n) under MATLAB border rule pad (-1 = zero), by repeated folding.
static long ref_index(long i, long n, int pad) {
  if (i >= 0 && i < n) return i;
  if (pad == FZ_FIR_PAD_ZERO) return -1;
  if (pad == FZ_FIR_PAD_REPLICATE) return i < 0 ? 0 : n - 1;
  if (pad == FZ_FIR_PAD_CIRCULAR) {
    while (i < 0) i += n;
    while (i >= n) i -= n;
    return i;
  }
  while (i < 0 || i >= n) i = i < 0 ? -1 - i : 2 * n - 1 - i;  // symmetric: x1 | x1 x2 ... xn | xn
  return i;
}

FZ_OP_CASE(fir2d_per_channel_all_pads) {
  int64_t shape[4] = {2, 3, 17, 13}, kshape[3] = {3, 5, 4};
  fz_tensor x, k, out;
  float *hx = NULL, *hk = NULL, *got = NULL;
  double *ref = NULL;
  int rc = fz_case_rand(be, &x, 4, shape, seed, 0, -2, 2, &hx, err);
  if (rc) return rc;
  rc = fz_case_rand(be, &k, 3, kshape, seed, 1, -1, 1, &hk, err);
  if (!rc) rc = fz_tensor_alloc(&out, be, FZ_F32, 4, shape, err);
  int64_t n = 2 * 3 * 17 * 13;
  ref = malloc((size_t)n * sizeof *ref);
  res->max_err = 0;
  res->tol = 2e-6;
  snprintf(res->detail, sizeof res->detail, "[2,3,17,13] * [3,5,4], 4 border modes");
  for (int pad = 0; pad < 4 && !rc; pad++) {
    rc = fz_op_fir2d(be, &out, &x, &k, (fz_fir_pad)pad, err);
    if (!rc && !(got = fz_case_download(&out, err))) rc = err->code;
    if (rc) break;
    for (int p = 0; p < 6; p++)
      for (int y = 0; y < 17; y++)
        for (int xx = 0; xx < 13; xx++) {
          double s = 0;
          for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++) {  // centre (floor((5+1)/2), floor((4+1)/2)) 1-based = (2, 1) 0-based
              long sy = ref_index(y + i - 2, 17, pad), sx = ref_index(xx + j - 1, 13, pad);
              if (sy < 0 || sx < 0) continue;
              s += (double)hk[(p % 3) * 20 + i * 4 + j] * hx[(size_t)p * 221 + sy * 13 + sx];
            }
          ref[(size_t)p * 221 + y * 13 + xx] = s;
        }
    double e = fz_case_err(got, ref, n);
    if (!(e <= res->max_err)) res->max_err = e;
    free(got);
    got = NULL;
  }
  free(ref); free(hx); free(hk);
  fz_tensor_free(&x); fz_tensor_free(&k); fz_tensor_free(&out);
  return rc;
}

// MATLAB imresize kernels, written again here for the oracle loop.
static double ref_kernel(int m, double x) {
  double a = fabs(x);
  if (m == FZ_IMRESIZE_BICUBIC) return a <= 1 ? 1.5 * a * a * a - 2.5 * a * a + 1 : a <= 2 ? -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2 : 0;
  if (m == FZ_IMRESIZE_BILINEAR) return a <= 1 ? 1 - a : 0;
  return (x >= -0.5 && x < 0.5) ? 1 : 0;
}

// Weight of input sample j (0-based, mirrored) for output o along a dimension: MATLAB contributions().
static void ref_weights(int n_in, int o, double s, int m, int aa, double *wrow) {
  double width = m == FZ_IMRESIZE_BICUBIC ? 4 : m == FZ_IMRESIZE_BILINEAR ? 2 : 1;
  int shrink = s < 1 && aa;
  if (shrink) width /= s;
  double u = (o + 1) / s + 0.5 * (1 - 1 / s), sum = 0;
  long left = (long)floor(u - width / 2);
  memset(wrow, 0, (size_t)n_in * sizeof *wrow);
  double tmp[512];
  int P = (int)ceil(width) + 2;
  for (int p = 0; p < P; p++) sum += tmp[p] = shrink ? s * ref_kernel(m, s * (u - (left + p))) : ref_kernel(m, u - (left + p));
  for (int p = 0; p < P; p++) wrow[ref_index(left + p - 1, n_in, FZ_FIR_PAD_SYMMETRIC)] += tmp[p] / sum;
}

FZ_OP_CASE(imresize_bicubic_bilinear_nearest) {
  int64_t shape[4] = {1, 2, 23, 19};
  fz_tensor x, out;
  float *hx = NULL, *got = NULL;
  int rc = fz_case_rand(be, &x, 4, shape, seed, 0, 0, 1000, &hx, err);
  if (rc) return rc;
  struct { double sh, sw; int m, aa; } cs[5] = {{0.25, 0.25, FZ_IMRESIZE_BICUBIC, 1}, {0.4, 0.7, FZ_IMRESIZE_BICUBIC, 1},
                                                 {1.5, 2.0, FZ_IMRESIZE_BICUBIC, 1}, {1.0 / 3, 0.5, FZ_IMRESIZE_BILINEAR, 1},
                                                 {0.25, 0.3, FZ_IMRESIZE_NEAREST, 0}};
  res->max_err = 0;
  res->tol = 2e-6;
  snprintf(res->detail, sizeof res->detail, "[1,2,23,19], 5 scale/method pairs");
  for (int c = 0; c < 5 && !rc; c++) {
    int oh = fz_imresize_out_size(23, cs[c].sh), ow = fz_imresize_out_size(19, cs[c].sw);
    int64_t os[4] = {1, 2, oh, ow};
    rc = fz_tensor_alloc(&out, be, FZ_F32, 4, os, err);
    if (!rc) rc = fz_op_imresize(be, &out, &x, cs[c].sh, cs[c].sw, (fz_imresize_method)cs[c].m, cs[c].aa, err);
    if (!rc && !(got = fz_case_download(&out, err))) rc = err->code;
    if (!rc) {
      double *ref = malloc((size_t)2 * oh * ow * sizeof *ref), wy[23], wx[19];
      for (int p = 0; p < 2; p++)
        for (int y = 0; y < oh; y++) {
          ref_weights(23, y, cs[c].sh, cs[c].m, cs[c].aa, wy);
          for (int xx = 0; xx < ow; xx++) {
            ref_weights(19, xx, cs[c].sw, cs[c].m, cs[c].aa, wx);
            double s = 0;
            for (int i = 0; i < 23; i++)
              for (int j = 0; j < 19; j++) s += wy[i] * wx[j] * hx[(size_t)p * 437 + i * 19 + j];
            ref[((size_t)p * oh + y) * ow + xx] = s;
          }
        }
      double e = fz_case_err(got, ref, (int64_t)2 * oh * ow) / 1000;  // data in [0, 1000): relative to the range
      if (!(e <= res->max_err)) res->max_err = e;
      free(ref);
    }
    free(got);
    got = NULL;
    fz_tensor_free(&out);
  }
  free(hx);
  fz_tensor_free(&x);
  return rc;
}

FZ_OP_CASE(interp23tap_ratio4) {
  int64_t shape[4] = {2, 2, 6, 5}, os[4] = {2, 2, 24, 20};
  fz_tensor x, out;
  float *hx = NULL, *got = NULL;
  int rc = fz_case_rand(be, &x, 4, shape, seed, 0, 0, 100, &hx, err);
  if (rc) return rc;
  rc = fz_tensor_alloc(&out, be, FZ_F32, 4, os, err);
  if (!rc) rc = fz_op_interp23tap(be, &out, &x, 4, err);
  if (!rc && !(got = fz_case_download(&out, err))) rc = err->code;
  if (!rc) {
    // interp23tap.m coefficients (half filter), mirrored into 23 taps
    const double half[12] = {0.5, 0.305334091185, 0, -0.072698593239, 0, 0.021809577942, 0, -0.005192756653, 0,
                             0.000807762146, 0, -0.000060081482};
    double k[23];
    for (int i = 0; i < 23; i++) k[i] = 2 * half[abs(i - 11)];
    double *ref = malloc((size_t)4 * 24 * 20 * sizeof *ref), a[24 * 20], b[24 * 20];
    for (int p = 0; p < 4; p++) {
      int h = 6, w = 5;
      for (int i = 0; i < 30; i++) a[i] = hx[p * 30 + i];
      for (int st = 0; st < 2; st++) {  // zero insertion (stage 1 at odd 0-based positions), then a 2-D circular sum
        int H = 2 * h, W = 2 * w, off = st == 0 ? 1 : 0;
        memset(b, 0, sizeof b);
        for (int y = 0; y < h; y++)
          for (int xx = 0; xx < w; xx++) b[(2 * y + off) * W + 2 * xx + off] = a[y * w + xx];
        for (int y = 0; y < H; y++)
          for (int xx = 0; xx < W; xx++) {
            double s = 0;
            for (int i = 0; i < 23; i++)
              for (int j = 0; j < 23; j++)
                s += k[i] * k[j] * b[ref_index(y + i - 11, H, FZ_FIR_PAD_CIRCULAR) * W + ref_index(xx + j - 11, W, FZ_FIR_PAD_CIRCULAR)];
            a[y * W + xx] = s;
          }
        h = H;
        w = W;
      }
      memcpy(ref + p * 480, a, 480 * sizeof *a);
    }
    res->max_err = fz_case_err(got, ref, 4 * 480) / 100;
    res->tol = 2e-6;
    snprintf(res->detail, sizeof res->detail, "[2,2,6,5] x4");
    free(ref);
  }
  free(got);
  free(hx);
  fz_tensor_free(&x);
  fz_tensor_free(&out);
  return rc;
}
