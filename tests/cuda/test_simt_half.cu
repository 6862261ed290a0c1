// test_simt_half.cu — __half and __nv_bfloat16 conversions and arithmetic, computed in kernels (device code
// of the emulation here, the GPU's hardware conversions under `make test-gpu`), against runtime/tensor.h's
// exact fz_f32_to_f16 / fz_f32_to_bf16 and against brute-force correctly rounded references.
#include "cuda_test_util.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>

// h[i] / b[i] = the half / bfloat16 bits of f[i] (round to nearest even); back[i] = half bits -> float.
__global__ void k_convert(const float *f, unsigned short *h, unsigned short *b, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    h[i] = __half_as_ushort(__float2half_rn(f[i]));
    b[i] = __bfloat16_as_ushort(__float2bfloat16_rn(f[i]));
  }
}
__global__ void k_widen(const unsigned short *h, float *fh, float *fb, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    fh[i] = __half2float(__ushort_as_half(h[i]));
    fb[i] = __bfloat162float(__ushort_as_bfloat16(h[i]));
  }
}

// Inputs that probe every rounding boundary: each half / bfloat16 value, the midpoints to its successor,
// and the floats one ulp either side of each midpoint, plus pseudo-random bit patterns.
static float *boundary_inputs(int64_t *n_out) {
  int64_t n = 65536 * 8 + 200000, k = 0;
  float *f = (float *)malloc((size_t)n * sizeof(float));
  for (uint32_t c = 0; c < 65536; c++) {
    float a = fz_f16_to_f32((uint16_t)c), b2 = fz_f16_to_f32((uint16_t)(c + 1));
    if (isfinite(a) && isfinite(b2) && (c & 0x7fff) != 0x7bff && (c & 0x7fff) < 0x7c00 && c != 0x7fff) {
      float mid = (a + b2) * 0.5f;  // exact: halves have 11 bits
      f[k++] = a; f[k++] = mid; f[k++] = nextafterf(mid, INFINITY); f[k++] = nextafterf(mid, -INFINITY);
    }
    uint32_t bb = c << 16, bm = bb + 0x8000u;
    float fb, fm;
    memcpy(&fb, &bb, 4);
    memcpy(&fm, &bm, 4);
    if (isfinite(fb) && isfinite(fm)) { f[k++] = fb; f[k++] = fm; f[k++] = nextafterf(fm, INFINITY); f[k++] = nextafterf(fm, -INFINITY); }
  }
  uint64_t s = 12345;
  while (k < n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t u = (uint32_t)(s >> 32);
    memcpy(&f[k++], &u, 4);
  }
  *n_out = n;
  return f;
}

// Oracle: runtime/tensor.h's fz_f32_to_f16 / fz_f32_to_bf16 (round to nearest even, overflow to inf,
// subnormals kept; tested against IEEE encodings in test_runtime.c) for every non-NaN input; NaN inputs
// must give a NaN (under the emulation exactly CUDA's canonical 0x7fff, as cuda_fp16.hpp documents).
TEST(simt_half_bf16_conversions_match_tensor_h) {
  CUT_NEED_DEVICE();
  int64_t n;
  float *f = boundary_inputs(&n);
  unsigned short *hh = (unsigned short *)malloc((size_t)n * 2), *hb = (unsigned short *)malloc((size_t)n * 2);
  float *df;
  unsigned short *dh, *db;
  CUT_OK(cudaMalloc(&df, (size_t)n * 4));
  CUT_OK(cudaMalloc(&dh, (size_t)n * 2));
  CUT_OK(cudaMalloc(&db, (size_t)n * 2));
  CUT_OK(cudaMemcpy(df, f, (size_t)n * 4, cudaMemcpyHostToDevice));
  FZ_LAUNCH(k_convert, 256, 256, 0, 0)(df, dh, db, n);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(hh, dh, (size_t)n * 2, cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(hb, db, (size_t)n * 2, cudaMemcpyDeviceToHost));
  cudaFree(df); cudaFree(dh); cudaFree(db);
  int64_t bad = -1;
  const char *what = "";
  for (int64_t i = 0; i < n && bad < 0; i++) {
    if (f[i] != f[i]) {
      int hn = (hh[i] & 0x7fff) > 0x7c00, bn = (hb[i] & 0x7fff) > 0x7f80;
#ifdef FZ_CUDA_EMULATED
      hn = hn && hh[i] == 0x7fff;
      bn = bn && hb[i] == 0x7fff;
#endif
      if (!hn || !bn) { bad = i; what = "NaN"; }
    } else if (hh[i] != fz_f32_to_f16(f[i])) {
      bad = i; what = "half";
    } else if (hb[i] != fz_f32_to_bf16(f[i])) {
      bad = i; what = "bfloat16";
    }
  }
  float fb = bad >= 0 ? f[bad] : 0;
  unsigned gh = bad >= 0 ? hh[bad] : 0, gb = bad >= 0 ? hb[bad] : 0;
  free(f); free(hh); free(hb);
  CHECKF(bad < 0, "%s conversion of %.9g (input %lld): got half %04x bf16 %04x, expected %04x %04x", what, (double)fb,
         (long long)bad, gh, gb, fz_f32_to_f16(fb), fz_f32_to_bf16(fb));
}

// Oracle: fz_f16_to_f32 / fz_bf16_to_f32 of runtime/tensor.h (exact widenings), for all 65536 codes; NaN
// codes must widen to a NaN.
TEST(simt_half_bf16_widening_exhaustive) {
  CUT_NEED_DEVICE();
  unsigned short codes[65536];
  for (int c = 0; c < 65536; c++) codes[c] = (unsigned short)c;
  unsigned short *dc;
  float *dfh, *dfb, *fh = (float *)malloc(65536 * 4), *fb = (float *)malloc(65536 * 4);
  CUT_OK(cudaMalloc(&dc, sizeof codes));
  CUT_OK(cudaMalloc(&dfh, 65536 * 4));
  CUT_OK(cudaMalloc(&dfb, 65536 * 4));
  CUT_OK(cudaMemcpy(dc, codes, sizeof codes, cudaMemcpyHostToDevice));
  FZ_LAUNCH(k_widen, 128, 256, 0, 0)(dc, dfh, dfb, 65536);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(fh, dfh, 65536 * 4, cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(fb, dfb, 65536 * 4, cudaMemcpyDeviceToHost));
  cudaFree(dc); cudaFree(dfh); cudaFree(dfb);
  int bad = -1;
  for (int c = 0; c < 65536 && bad < 0; c++) {
    float eh = fz_f16_to_f32((uint16_t)c), eb = fz_bf16_to_f32((uint16_t)c);
    if (eh != eh ? fh[c] == fh[c] : memcmp(&eh, &fh[c], 4) != 0) bad = c;
    if (eb != eb ? fb[c] == fb[c] : memcmp(&eb, &fb[c], 4) != 0) bad = c;
  }
  free(fh); free(fb);
  CHECKF(bad < 0, "widening of code %04x", bad);
}

// r[i·6 + k]: __hadd, __hsub, __hmul, __hdiv, __hfma(a, b, c) and, for bfloat16 on b16 inputs, the same
// five in r[n·6 + i·6 + k]; inputs are half / bfloat16 bit codes.
__global__ void k_arith(const unsigned short *a, const unsigned short *b, const unsigned short *c, unsigned short *r, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    __half x = __ushort_as_half(a[i]), y = __ushort_as_half(b[i]), z = __ushort_as_half(c[i]);
    unsigned short *o = r + i * 5;
    o[0] = __half_as_ushort(__hadd(x, y));
    o[1] = __half_as_ushort(__hsub(x, y));
    o[2] = __half_as_ushort(__hmul(x, y));
    o[3] = __half_as_ushort(__hdiv(x, y));
    o[4] = __half_as_ushort(__hfma(x, y, z));
    __nv_bfloat16 xb = __ushort_as_bfloat16(a[i]), yb = __ushort_as_bfloat16(b[i]), zb = __ushort_as_bfloat16(c[i]);
    unsigned short *q = r + (n + i) * 5;
    q[0] = __bfloat16_as_ushort(__hadd(xb, yb));
    q[1] = __bfloat16_as_ushort(__hsub(xb, yb));
    q[2] = __bfloat16_as_ushort(__hmul(xb, yb));
    q[3] = __bfloat16_as_ushort(__hdiv(xb, yb));
    q[4] = __bfloat16_as_ushort(__hfma(xb, yb, zb));
  }
}

// The code of the value nearest to exact x among codes near `guess` in a 16-bit format (decode = its
// widening), ties to the even code: a brute-force correctly rounded reference.
static uint16_t nearest_code(double x, uint16_t guess, float (*decode)(uint16_t)) {
  uint16_t best = guess;
  double bd = INFINITY;
  for (int d = -3; d <= 3; d++) {
    uint16_t c = (uint16_t)(guess + d);
    if ((c & 0x7fff) > (decode == fz_f16_to_f32 ? 0x7c00 : 0x7f80)) continue;  // NaN codes
    if ((c ^ guess) & 0x8000) continue;
    double v = decode(c), dist = fabs(v - x);
    if (dist < bd || (dist == bd && !(c & 1))) { bd = dist; best = c; }
  }
  return best;
}

// Oracle: correctly rounded results (one rounding of the exact value, ties to even) found by brute force
// among the codes next to a first guess. Inputs have exponents in [-3, 3] so that every exact result
// (a·b + c too) is representable in double and no overflow / subnormal occurs.
TEST(simt_half_bf16_arithmetic_rounds_once) {
  CUT_NEED_DEVICE();
  const int n = 4000;
  unsigned short *a = (unsigned short *)malloc(n * 2), *b = (unsigned short *)malloc(n * 2), *c = (unsigned short *)malloc(n * 2);
  unsigned short *r = (unsigned short *)malloc((size_t)n * 10 * 2);
  uint64_t s = 99;
  for (int i = 0; i < n; i++) {  // random sign, exponent in [-3, 3], random mantissa (half: 10 bits; shared by bf16's 7)
    unsigned short v[3];
    for (int k = 0; k < 3; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      uint32_t u = (uint32_t)(s >> 33);
      int e = (int)(u % 7) - 3;
      v[k] = (unsigned short)(((u >> 3) & 1) << 15 | (unsigned)(e + 15) << 10 | ((u >> 4) & 0x3ff));
    }
    a[i] = v[0]; b[i] = v[1]; c[i] = v[2];
  }
  unsigned short *da, *db, *dc, *dr;
  CUT_OK(cudaMalloc(&da, n * 2)); CUT_OK(cudaMalloc(&db, n * 2)); CUT_OK(cudaMalloc(&dc, n * 2));
  CUT_OK(cudaMalloc(&dr, (size_t)n * 10 * 2));
  // bfloat16 inputs: the same sign / mantissa top bits with exponents in [-3, 3] of the bf16 format.
  unsigned short *ab = (unsigned short *)malloc(n * 2), *bb = (unsigned short *)malloc(n * 2), *cb = (unsigned short *)malloc(n * 2);
  for (int i = 0; i < n; i++) {
    unsigned short *src[3] = {&a[i], &b[i], &c[i]}, *dst[3] = {&ab[i], &bb[i], &cb[i]};
    for (int k = 0; k < 3; k++) {
      unsigned h = *src[k], sign = h >> 15, e = ((h >> 10) & 31) - 15, m = (h & 0x3ff) >> 3;
      *dst[k] = (unsigned short)(sign << 15 | (e + 127) << 7 | m);
    }
  }
  int fails = 0;
  char msg[200] = "";
  for (int pass = 0; pass < 2 && !fails; pass++) {
    unsigned short *xa = pass ? ab : a, *xb = pass ? bb : b, *xc = pass ? cb : c;
    float (*dec)(uint16_t) = pass ? fz_bf16_to_f32 : fz_f16_to_f32;
    CUT_OK(cudaMemcpy(da, xa, n * 2, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(db, xb, n * 2, cudaMemcpyHostToDevice));
    CUT_OK(cudaMemcpy(dc, xc, n * 2, cudaMemcpyHostToDevice));
    FZ_LAUNCH(k_arith, 16, 256, 0, 0)(da, db, dc, dr, n);
    CUT_OK(cudaGetLastError());
    CUT_OK(cudaMemcpy(r, dr, (size_t)n * 10 * 2, cudaMemcpyDeviceToHost));
    for (int i = 0; i < n && !fails; i++) {
      double x = dec(xa[i]), y = dec(xb[i]), z = dec(xc[i]);
      double exact[5] = {x + y, x - y, x * y, x / y, x * y + z};
      for (int k = 0; k < 5; k++) {
        if (k == 3) continue;  // division: not exact in double; checked below by bracketing
        uint16_t guess = pass ? fz_f32_to_bf16((float)exact[k]) : fz_f32_to_f16((float)exact[k]);
        uint16_t want = nearest_code(exact[k], guess, dec), got = r[(pass * n + i) * 5 + k];
        if (exact[k] == 0) want = got;  // signed zero conventions are not under test
        if (got != want) {
          snprintf(msg, sizeof msg, "%s op %d on (%g, %g, %g): %04x, expected %04x", pass ? "bf16" : "half", k, x, y, z, got, want);
          fails = 1;
          break;
        }
      }
      // Division: the result must be one of the two neighbours of x / y and the nearer one.
      uint16_t got = r[(pass * n + i) * 5 + 3];
      double q = x / y, gv = dec(got);
      uint16_t g2 = nearest_code(q, pass ? fz_f32_to_bf16((float)q) : fz_f32_to_f16((float)q), dec);
      if (!fails && got != g2 && fabs(gv - q) > fabs(dec(g2) - q) * (1 + 1e-12)) {
        snprintf(msg, sizeof msg, "%s division %g / %g: %04x, expected %04x", pass ? "bf16" : "half", x, y, got, g2);
        fails = 1;
      }
    }
  }
  cudaFree(da); cudaFree(db); cudaFree(dc); cudaFree(dr);
  free(a); free(b); free(c); free(ab); free(bb); free(cb); free(r);
  CHECKF(!fails, "%s", msg);
}
