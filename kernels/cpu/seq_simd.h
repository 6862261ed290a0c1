// seq_simd.h — 16-lane float vectors (GCC/clang vector extensions), a vectorised exp2 and a register-blocked
// tile GEMM shared by the seq kernels (attention, selective scan, k-means). Header-only, static inline.
// The vector type compiles on any target: the compiler splits 16 lanes into what the machine has.
#ifndef FZ_SEQ_SIMD_H
#define FZ_SEQ_SIMD_H
#include <stdint.h>
#include <string.h>
// Builds without AVX-512 (e.g. the sanitizer build) pass 64-byte vectors differently; these helpers are all
// static inline, so GCC's ABI note does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

typedef float fz_v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t fz_vi16 __attribute__((vector_size(64), aligned(4)));
typedef uint32_t fz_vu16 __attribute__((vector_size(64), aligned(4)));
#define FZ_V16 16

// a·b + c per lane, fused (one rounding) where the target has FMA. ISO C mode (-std=c11) turns off the
// compiler's own contraction of a*b+c, so the hot loops call this explicitly.
static inline fz_v16 fz_v16_fma(fz_v16 a, fz_v16 b, fz_v16 c) {
#if defined(__AVX512F__)
  return (fz_v16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
  __m256 r[2], x[2], y[2], z[2];
  memcpy(x, &a, 64); memcpy(y, &b, 64); memcpy(z, &c, 64);
  r[0] = _mm256_fmadd_ps(x[0], y[0], z[0]);
  r[1] = _mm256_fmadd_ps(x[1], y[1], z[1]);
  fz_v16 o;
  memcpy(&o, r, 64);
  return o;
#else
  return a * b + c;
#endif
}

// Loads 16 floats from p (any alignment).
static inline fz_v16 fz_v16_load(const float *p) { fz_v16 v; memcpy(&v, p, sizeof v); return v; }
// Stores 16 floats to p (any alignment).
static inline void fz_v16_store(float *p, fz_v16 v) { memcpy(p, &v, sizeof v); }
// All lanes = x.
static inline fz_v16 fz_v16_set1(float x) { fz_v16 v = {0}; return v + x; }
// Lanewise select: m ? a : b, m from a vector comparison (-1 or 0 per lane).
static inline fz_v16 fz_v16_select(fz_vi16 m, fz_v16 a, fz_v16 b) {
  return (fz_v16)(((fz_vi16)a & m) | ((fz_vi16)b & ~m));
}
// Lanewise max / min (NaN-unaware).
static inline fz_v16 fz_v16_max(fz_v16 a, fz_v16 b) { return fz_v16_select(a > b, a, b); }
static inline fz_v16 fz_v16_min(fz_v16 a, fz_v16 b) { return fz_v16_select(a < b, a, b); }
// Sum / max of the 16 lanes (pairwise tree: 4 shuffle steps).
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
static inline float fz_v16_hsum(fz_v16 v) {
  v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  v += __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
  return v[0];
}
static inline float fz_v16_hmax(fz_v16 v) {
  v = fz_v16_max(v, __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  v = fz_v16_max(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));
  v = fz_v16_max(v, __builtin_shufflevector(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
  v = fz_v16_max(v, __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14));
  return v[0];
}
#else
static inline float fz_v16_hsum(fz_v16 v) {
  float s = 0;
  for (int i = 0; i < FZ_V16; i++) s += v[i];
  return s;
}
static inline float fz_v16_hmax(fz_v16 v) {
  float m = v[0];
  for (int i = 1; i < FZ_V16; i++) m = v[i] > m ? v[i] : m;
  return m;
}
#endif

// 2^x per lane: x = n + f with n = rint(x), |f| <= 1/2, 2^f by the Cephes exp2f polynomial (relative error
// about 2e-7), then scaled by 2^n (vscalefps on AVX-512, exponent bits elsewhere; the same values). Lanes below
// -126 (including -inf) give exactly 0; lanes above 128 give +inf; NaN lanes give NaN.
static inline fz_v16 fz_v16_exp2(fz_v16 x) {
#if defined(__AVX512F__)
  const __m512 xv = (__m512)x;
  // max/min return their second operand when either is NaN, so x goes second: NaN propagates.
  __m512 xc = _mm512_min_ps(_mm512_set1_ps(128.0f), _mm512_max_ps(_mm512_set1_ps(-127.0f), xv));
  __m512 n = _mm512_roundscale_ps(xc, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 f = _mm512_sub_ps(xc, n);
  __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  __m512 r = _mm512_scalef_ps(p, n);
  __mmask16 keep = _mm512_cmp_ps_mask(xv, _mm512_set1_ps(-126.0f), _CMP_NLT_UQ);  // x >= -126 or NaN
  return (fz_v16)_mm512_maskz_mov_ps(keep, r);
#else
  const fz_v16 lo = fz_v16_set1(-126.0f), hi = fz_v16_set1(128.0f);
  fz_vi16 under = x < lo;
  fz_v16 xc = fz_v16_select(x < lo, lo, x);    // comparisons with NaN are false: NaN propagates
  xc = fz_v16_select(xc > hi, hi, xc);
  fz_v16 n = xc + fz_v16_set1(12582912.0f);  // 1.5·2^23: round to nearest integer in the low mantissa bits
  n = n - fz_v16_set1(12582912.0f);
  fz_v16 f = xc - n;
  fz_v16 p = fz_v16_set1(1.535336188319500e-4f);
  p = fz_v16_fma(p, f, fz_v16_set1(1.339887440266574e-3f));
  p = fz_v16_fma(p, f, fz_v16_set1(9.618437357674640e-3f));
  p = fz_v16_fma(p, f, fz_v16_set1(5.550332471162809e-2f));
  p = fz_v16_fma(p, f, fz_v16_set1(2.402264791363012e-1f));
  p = fz_v16_fma(p, f, fz_v16_set1(6.931472028550421e-1f));
  p = fz_v16_fma(p, f, fz_v16_set1(1.0f));
  fz_vi16 ni = __builtin_convertvector(n, fz_vi16);
  fz_vi16 h1 = ni >> 1, h2 = ni - h1;  // 2^n = 2^h1 · 2^h2 keeps both factors normal for n in [-126, 128]
  fz_v16 s1 = (fz_v16)((fz_vu16)(h1 + 127) << 23), s2 = (fz_v16)((fz_vu16)(h2 + 127) << 23);  // unsigned: no UB
  return fz_v16_select(under, fz_v16_set1(0.0f), p * s1 * s2);  // +inf for n = 128 and p >= 1 by overflow
#endif
}
// Scalar 2^x with exactly the arithmetic of fz_v16_exp2 (for loop tails).
static inline float fz_exp2_scalar(float x) {
  fz_v16 v = fz_v16_exp2(fz_v16_set1(x));
  return v[0];
}

// Natural log per lane for positive normal inputs (Cephes logf polynomial, relative error about 1e-7):
// x = m·2^e with m in [sqrt(1/2), sqrt(2)), log x = log1p(m - 1) + e·ln 2.
static inline fz_v16 fz_v16_log(fz_v16 x) {
  fz_vi16 bits = (fz_vi16)x;
  fz_vi16 e = ((bits >> 23) & 0xff) - 126;
  fz_v16 m = (fz_v16)((bits & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  fz_vi16 small = m < fz_v16_set1(0.70710678118654752f);
  e = e + small;                                           // small is -1 where true
  m = fz_v16_select(small, m + m, m) - 1.0f;
  fz_v16 z = m * m, fe = __builtin_convertvector(e, fz_v16);
  fz_v16 y = fz_v16_set1(7.0376836292e-2f);
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  return m + y + fe * 0.693359375f;
}
// PyTorch softplus (beta 1, threshold 20) per lane: x for x > 20, else log1p(exp(x)), with log1p(e) computed
// as log(1+e)·e/((1+e)-1) so that small e keep full relative precision.
static inline fz_v16 fz_v16_softplus(fz_v16 x) {
  fz_v16 e = fz_v16_exp2(fz_v16_min(x, fz_v16_set1(20.0f)) * 1.4426950408889634f);
  fz_v16 u = e + 1.0f, um1 = u - 1.0f;
  fz_vi16 exact = um1 == fz_v16_set1(0.0f);
  fz_v16 safe = fz_v16_select(exact, fz_v16_set1(1.0f), um1);
  fz_v16 r = fz_v16_select(exact, e, fz_v16_log(u) * (e / safe));
  r = fz_v16_select(x > fz_v16_set1(20.0f), x, r);
  return fz_v16_select(x != x, x, r);  // NaN stays NaN
}
// SiLU per lane: x·sigmoid(x) = x / (1 + exp(-x)).
static inline fz_v16 fz_v16_silu(fz_v16 x) { return x / (fz_v16_exp2(-x * 1.4426950408889634f) + 1.0f); }

// Loads n <= 16 floats from p, zero-filling the remaining lanes.
static inline fz_v16 fz_v16_load_n(const float *p, int64_t n) {
  float t[16] = {0};
  if (n > 0) memcpy(t, p, sizeof(float) * (size_t)(n < 16 ? n : 16));
  return fz_v16_load(t);
}
// Stores the first n <= 16 lanes of v to p.
static inline void fz_v16_store_n(float *p, fz_v16 v, int64_t n) {
  float t[16];
  fz_v16_store(t, v);
  if (n > 0) memcpy(p, t, sizeof(float) * (size_t)(n < 16 ? n : 16));
}

// Transposes the 16×16 block held in r[0..16) (row i = r[i]) in place: four perfect-shuffle stages,
// row'[2i] = interleave(r[i][0..8), r[i+8][0..8)), row'[2i+1] = interleave(r[i][8..16), r[i+8][8..16)).
static inline void fz_v16_transpose16(fz_v16 r[16]) {
  for (int s = 0; s < 4; s++) {
    fz_v16 t[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
      t[2 * i] = __builtin_shufflevector(r[i], r[i + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      t[2 * i + 1] = __builtin_shufflevector(r[i], r[i + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
#else
      for (int k = 0; k < 8; k++) {
        t[2 * i][2 * k] = r[i][k]; t[2 * i][2 * k + 1] = r[i + 8][k];
        t[2 * i + 1][2 * k] = r[i][8 + k]; t[2 * i + 1][2 * k + 1] = r[i + 8][8 + k];
      }
#endif
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
  }
}

// Transposes a rows × cols block (rows, cols <= 16) of a row-major matrix (row stride ld) into dst:
// dst[c·ldd + r] = src[r·ld + c] for c < cols; each of the cols dst rows gets its first `width` lanes written
// (16: lanes r >= rows are zeros; rows: exactly the block).
static inline void fz_transpose_block16(float *dst, int64_t ldd, const float *src, int64_t ld, int64_t rows,
                                        int64_t cols, int64_t width) {
  fz_v16 r[16];
  for (int i = 0; i < 16; i++)
    r[i] = i < rows ? (cols == 16 ? fz_v16_load(src + i * ld) : fz_v16_load_n(src + i * ld, cols)) : fz_v16_set1(0.0f);
  fz_v16_transpose16(r);
  for (int c = 0; c < cols; c++) {
    if (width >= 16) fz_v16_store(dst + c * ldd, r[c]);
    else fz_v16_store_n(dst + c * ldd, r[c], width);
  }
}

// Tile GEMM: C[M×N] = A[M×K]·B[K×N] (accumulate = 0) or C += A·B (accumulate = 1). Row-major with leading
// dimensions lda, ldb, ldc. M must be a multiple of 8 and N a multiple of 16 (callers pad with zeros).
// Register blocking 8 rows × 32 (or 16) columns: 16 accumulators stay in registers on AVX-512.
static inline void fz_tile_gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
                                int ldc, int accumulate) {
  for (int i = 0; i < M; i += 8) {
    const float *a = A + (int64_t)i * lda;
    int j = 0;
    for (; j + 32 <= N; j += 32) {
      fz_v16 c0[8], c1[8];
      for (int r = 0; r < 8; r++) {
        c0[r] = accumulate ? fz_v16_load(C + (int64_t)(i + r) * ldc + j) : fz_v16_set1(0.0f);
        c1[r] = accumulate ? fz_v16_load(C + (int64_t)(i + r) * ldc + j + 16) : fz_v16_set1(0.0f);
      }
      for (int k = 0; k < K; k++) {
        fz_v16 b0 = fz_v16_load(B + (int64_t)k * ldb + j), b1 = fz_v16_load(B + (int64_t)k * ldb + j + 16);
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
          float av = a[(int64_t)r * lda + k];
          c0[r] = fz_v16_fma(fz_v16_set1(av), b0, c0[r]);
          c1[r] = fz_v16_fma(fz_v16_set1(av), b1, c1[r]);
        }
      }
      for (int r = 0; r < 8; r++) {
        fz_v16_store(C + (int64_t)(i + r) * ldc + j, c0[r]);
        fz_v16_store(C + (int64_t)(i + r) * ldc + j + 16, c1[r]);
      }
    }
    for (; j < N; j += 16) {
      fz_v16 c0[8];
      for (int r = 0; r < 8; r++)
        c0[r] = accumulate ? fz_v16_load(C + (int64_t)(i + r) * ldc + j) : fz_v16_set1(0.0f);
      for (int k = 0; k < K; k++) {
        fz_v16 b0 = fz_v16_load(B + (int64_t)k * ldb + j);
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) c0[r] = fz_v16_fma(fz_v16_set1(a[(int64_t)r * lda + k]), b0, c0[r]);
      }
      for (int r = 0; r < 8; r++) fz_v16_store(C + (int64_t)(i + r) * ldc + j, c0[r]);
    }
  }
}

// Rounds n up to a multiple of m.
static inline int64_t fz_round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }
#endif
