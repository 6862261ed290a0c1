// cases_seq_fft.c — op cases for fft2 / ifft2 / rfft2 / irfft2, fftshift / ifftshift and the complex helpers.
// Oracles: the naive 2-D DFT in double (X[k,l] = Σ x[m,n]·e^{∓2πi(km/H + ln/W)}, inverse scaled by 1/(HW));
// irfft2 as FFTW and PocketFFT define it (inverse DFT over H, then the half-spectrum real inverse over W whose
// bins 0 and W/2 contribute their real parts); torch.roll index rules; the C library's hypot/atan2/cos/sin.
#include "cases_seq.h"

// Complex DFT of P planes H×W in double: in (re, im) pairs, out likewise; sign -1 forward, +1 inverse (scaled).
static void ref_dft(const double *in, double *out, int64_t P, int64_t H, int64_t W, int inverse) {
  const double sg = inverse ? 1.0 : -1.0, tp = 6.283185307179586;
  for (int64_t p = 0; p < P; p++)
    for (int64_t k = 0; k < H; k++)
      for (int64_t l = 0; l < W; l++) {
        double re = 0, im = 0;
        for (int64_t m = 0; m < H; m++)
          for (int64_t n = 0; n < W; n++) {
            double a = sg * tp * ((double)((k * m) % H) / H + (double)((l * n) % W) / W);
            double xr = in[((p * H + m) * W + n) * 2], xi = in[((p * H + m) * W + n) * 2 + 1];
            re += xr * cos(a) - xi * sin(a);
            im += xr * sin(a) + xi * cos(a);
          }
        double s = inverse ? 1.0 / (double)(H * W) : 1.0;
        out[((p * H + k) * W + l) * 2] = re * s;
        out[((p * H + k) * W + l) * 2 + 1] = im * s;
      }
}

// fft2 / ifft2 of a complex [P..,H,W,2] input and fft2 of a real input; folds the errors into res.
static void run_fft2(seq_case *c, fz_op_result *res, int64_t B, int64_t C, int64_t H, int64_t W, uint64_t s0) {
  const int64_t P = B * C, n = P * H * W;
  float *hx = NULL, *hr = NULL;
  fz_tensor *x = sc_rand(c, 5, SHAPE(B, C, H, W, 2), s0, -1, 1, &hx);
  fz_tensor *xr = sc_rand(c, 4, SHAPE(B, C, H, W), s0 + 1, -1, 1, &hr);
  fz_tensor *f = sc_new(c, FZ_F32, 5, SHAPE(B, C, H, W, 2), NULL), *fi = sc_new(c, FZ_F32, 5, SHAPE(B, C, H, W, 2), NULL);
  fz_tensor *fr = sc_new(c, FZ_F32, 5, SHAPE(B, C, H, W, 2), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_fft2(c->be, f, x, 0, c->err))) return;
  if (!sc_ok(c, fz_op_fft2(c->be, fi, x, 1, c->err))) return;
  if (!sc_ok(c, fz_op_fft2(c->be, fr, xr, 0, c->err))) return;
  float *gf = sc_get(c, f), *gi = sc_get(c, fi), *gr = sc_get(c, fr);
  double *in = sc_mem(c, sizeof(double) * (size_t)(2 * n)), *ref = sc_mem(c, sizeof(double) * (size_t)(2 * n));
  if (!gf || !gi || !gr || !in || !ref) return;
  // Spectra grow like sqrt(HW): compare relative to that scale.
  const double sc = sqrt((double)(H * W));
  for (int64_t i = 0; i < 2 * n; i++) in[i] = hx[i];
  ref_dft(in, ref, P, H, W, 0);
  for (int64_t i = 0; i < 2 * n; i++) { ref[i] /= sc; gf[i] = (float)(gf[i] / sc); }
  sc_err(res, gf, ref, 2 * n);
  ref_dft(in, ref, P, H, W, 1);
  sc_err(res, gi, ref, 2 * n);
  for (int64_t i = 0; i < n; i++) { in[2 * i] = hr[i]; in[2 * i + 1] = 0; }
  ref_dft(in, ref, P, H, W, 0);
  for (int64_t i = 0; i < 2 * n; i++) { ref[i] /= sc; gr[i] = (float)(gr[i] / sc); }
  sc_err(res, gr, ref, 2 * n);
}

// Oracle: the naive 2-D DFT in double (ref_dft), inverse scaled by 1/(H·W).
FZ_OP_CASE(seq_fft2_ifft2) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_fft2(&c, res, 2, 3, 5, 6, 0);
  run_fft2(&c, res, 1, 2, 8, 7, 10);
  run_fft2(&c, res, 3, 1, 1, 1, 20);
  run_fft2(&c, res, 1, 1, 1, 9, 30);
  res->tol = 2e-6;
  snprintf(res->detail, sizeof res->detail, "[2,3,5,6], [1,2,8,7], 1×1, 1×9; complex and real in");
  return sc_done(&c);
}

// rfft2 of a real [P,H,W] and irfft2 of an arbitrary (not Hermitian) half spectrum [P,H,W/2+1,2].
static void run_rfft(seq_case *c, fz_op_result *res, int64_t P, int64_t H, int64_t W, uint64_t s0) {
  const int64_t Wc = W / 2 + 1;
  float *hx = NULL, *hs = NULL;
  fz_tensor *x = sc_rand(c, 3, SHAPE(P, H, W), s0, -1, 1, &hx);
  fz_tensor *X = sc_new(c, FZ_F32, 4, SHAPE(P, H, Wc, 2), NULL);
  fz_tensor *S = sc_rand(c, 4, SHAPE(P, H, Wc, 2), s0 + 1, -1, 1, &hs);
  fz_tensor *y = sc_new(c, FZ_F32, 3, SHAPE(P, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_rfft2(c->be, X, x, c->err))) return;
  if (!sc_ok(c, fz_op_irfft2(c->be, y, S, c->err))) return;
  float *gX = sc_get(c, X), *gy = sc_get(c, y);
  double *in = sc_mem(c, sizeof(double) * (size_t)(2 * P * H * W)), *full = sc_mem(c, sizeof(double) * (size_t)(2 * P * H * W));
  double *rX = sc_mem(c, sizeof(double) * (size_t)(2 * P * H * Wc)), *ry = sc_mem(c, sizeof(double) * (size_t)(P * H * W));
  if (!gX || !gy || !in || !full || !rX || !ry) return;
  const double sc = sqrt((double)(H * W)), tp = 6.283185307179586;
  for (int64_t i = 0; i < P * H * W; i++) { in[2 * i] = hx[i]; in[2 * i + 1] = 0; }
  ref_dft(in, full, P, H, W, 0);
  for (int64_t p = 0; p < P; p++)
    for (int64_t k = 0; k < H; k++)
      for (int64_t l = 0; l < Wc; l++)
        for (int e = 0; e < 2; e++) {
          int64_t i = ((p * H + k) * Wc + l) * 2 + e;
          rX[i] = full[((p * H + k) * W + l) * 2 + e] / sc;
          gX[i] = (float)(gX[i] / sc);
        }
  // irfft2: Z[m, l] = Σ_k S[k, l]·e^{+2πi km/H}; y[m, n] = (Re Z[m,0] + 2 Σ_{0<l<W/2} Re(Z[m,l] e^{2πi ln/W})
  //          + [W even] Re(Z[m,W/2])·(-1)^n) / (HW), and for odd W the sum runs over 0 < l <= W/2.
  for (int64_t p = 0; p < P; p++)
    for (int64_t m = 0; m < H; m++)
      for (int64_t nn = 0; nn < W; nn++) {
        double acc = 0;
        for (int64_t l = 0; l < Wc; l++) {
          double zr = 0, zi = 0;
          for (int64_t k = 0; k < H; k++) {
            double a = tp * (double)((k * m) % H) / H, sr = hs[((p * H + k) * Wc + l) * 2], si = hs[((p * H + k) * Wc + l) * 2 + 1];
            zr += sr * cos(a) - si * sin(a);
            zi += sr * sin(a) + si * cos(a);
          }
          int self_conj = l == 0 || (W % 2 == 0 && l == W / 2);
          double b = tp * (double)((l * nn) % W) / W;
          acc += self_conj ? zr * cos(b) : 2 * (zr * cos(b) - zi * sin(b));
        }
        ry[(p * H + m) * W + nn] = acc / (double)(H * W);
      }
  sc_err(res, gX, rX, 2 * P * H * Wc);
  sc_err(res, gy, ry, P * H * W);
}

// Oracle: the naive DFT in double; irfft2 by FFTW / PocketFFT's definition written out in double.
FZ_OP_CASE(seq_rfft2_irfft2) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_rfft(&c, res, 3, 6, 5, 0);
  run_rfft(&c, res, 2, 5, 8, 10);
  run_rfft(&c, res, 1, 1, 1, 20);
  run_rfft(&c, res, 2, 7, 2, 30);
  res->tol = 2e-6;
  snprintf(res->detail, sizeof res->detail, "rfft2/irfft2 [3,6,5], [2,5,8], 1×1, [2,7,2]");
  return sc_done(&c);
}

// fftshift / ifftshift of real [P,H,W] and complex [P,H,W,2]: out[(i + s) mod n] = in[i], s = n/2 or -(n/2).
static void run_shift(seq_case *c, fz_op_result *res, int64_t P, int64_t H, int64_t W, int cplx, int inv, uint64_t s0) {
  const int e = cplx ? 2 : 1;
  const int64_t n = P * H * W * e;
  float *hx = NULL;
  fz_tensor *x = sc_rand(c, cplx ? 4 : 3, cplx ? SHAPE(P, H, W, 2) : SHAPE(P, H, W), s0, -1, 1, &hx);
  fz_tensor *out = sc_new(c, FZ_F32, x ? x->ndim : 3, x ? x->shape : SHAPE(P, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_fftshift(c->be, out, x, cplx, inv, c->err))) return;
  float *g = sc_get(c, out);
  double *ref = sc_mem(c, sizeof(double) * (size_t)n);
  if (!g || !ref) return;
  int64_t sy = inv ? -(H / 2) : H / 2, sx = inv ? -(W / 2) : W / 2;
  for (int64_t p = 0; p < P; p++)
    for (int64_t y = 0; y < H; y++)
      for (int64_t xx = 0; xx < W; xx++)
        for (int k = 0; k < e; k++) {
          int64_t oy = ((y + sy) % H + H) % H, ox = ((xx + sx) % W + W) % W;
          ref[((p * H + oy) * W + ox) * e + k] = hx[((p * H + y) * W + xx) * e + k];
        }
  sc_err(res, g, ref, n);
}

// Oracle: torch.roll index rule out[(i ± n/2) mod n] = in[i].
FZ_OP_CASE(seq_fftshift) {
  seq_case c;
  sc_init(&c, be, seed, err);
  for (int cplx = 0; cplx <= 1; cplx++)
    for (int inv = 0; inv <= 1; inv++) {
      uint64_t s = (uint64_t)(cplx * 10 + inv * 5);
      run_shift(&c, res, 2, 5, 7, cplx, inv, s);
      run_shift(&c, res, 1, 4, 6, cplx, inv, s + 1);
      run_shift(&c, res, 1, 1, 1, cplx, inv, s + 2);
    }
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "odd 5×7, even 4×6, 1×1; real and complex; shift and inverse");
  return sc_done(&c);
}

// |z|, angle, real, imaginary part and polar, against the C library in double.
// Oracle: hypot, atan2, cos, sin of the C library in double.
FZ_OP_CASE(seq_complex_part_polar) {
  seq_case c;
  sc_init(&c, be, seed, err);
  const int64_t n = 257;
  float *hz = NULL, *hm = NULL, *hp = NULL;
  fz_tensor *z = sc_rand(&c, 2, SHAPE(n, 2), 0, -3, 3, &hz);
  fz_tensor *m = sc_rand(&c, 1, SHAPE(n), 1, 0, 2, &hm), *ph = sc_rand(&c, 1, SHAPE(n), 2, -4, 4, &hp);
  fz_tensor *o = sc_new(&c, FZ_F32, 1, SHAPE(n), NULL), *pz = sc_new(&c, FZ_F32, 2, SHAPE(n, 2), NULL);
  double *ref = sc_mem(&c, sizeof(double) * 2 * (size_t)n);
  if (!c.rc) {
    hz[0] = 0; hz[1] = 0;  // z = 0: |z| = 0, angle = 0
    if (fz_tensor_upload(z, hz, sizeof(float) * 2 * (size_t)n, err)) c.rc = err->code;
  }
  for (int part = 0; part < 4 && !c.rc; part++) {
    if (!sc_ok(&c, fz_op_complex_part(be, o, z, part, err))) break;
    float *g = sc_get(&c, o);
    if (!g) break;
    for (int64_t i = 0; i < n; i++) {
      double re = hz[2 * i], im = hz[2 * i + 1];
      ref[i] = part == 0 ? hypot(re, im) : part == 1 ? atan2(im, re) : part == 2 ? re : im;
    }
    sc_err(res, g, ref, n);
  }
  if (!c.rc && sc_ok(&c, fz_op_polar(be, pz, m, ph, err))) {
    float *g = sc_get(&c, pz);
    if (g) {
      for (int64_t i = 0; i < n; i++) { ref[2 * i] = hm[i] * cos(hp[i]); ref[2 * i + 1] = hm[i] * sin(hp[i]); }
      sc_err(res, g, ref, 2 * n);
    }
  }
  res->tol = 4e-7;
  snprintf(res->detail, sizeof res->detail, "abs, angle, real, imag, polar on 257 values (z = 0 included)");
  return sc_done(&c);
}
