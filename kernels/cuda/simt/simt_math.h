// simt_math.h — CUDA device math for the SIMT emulation: the C math library is the host's (<cmath>), and
// CUDA's intrinsics (__expf, __fdividef, rsqrtf, __saturatef, bit tricks, integer helpers) are defined
// here. Limits: the fast-math intrinsics (__expf, __logf, __sinf, ...) and rsqrtf are computed with the
// accurate host functions, so results can be MORE accurate than a GPU's approximations; explicit-rounding
// intrinsics (__fadd_rn, __fmul_rz, ...) honour their rounding mode; CUDA's own libdevice functions differ
// from glibc's by up to their documented ulp bounds. Tolerances must be chosen for the GPU's bounds.
#ifndef FZ_SIMT_MATH_H
#define FZ_SIMT_MATH_H
#include <cfenv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

// ---- min / max overloads CUDA provides in the global namespace ----------------------------------------
#define FZ_SIMT_MINMAX(T)                                                  \
  static inline T min(T a, T b) { return a < b ? a : b; }                  \
  static inline T max(T a, T b) { return a > b ? a : b; }
FZ_SIMT_MINMAX(int)
FZ_SIMT_MINMAX(unsigned int)
FZ_SIMT_MINMAX(long)
FZ_SIMT_MINMAX(unsigned long)
FZ_SIMT_MINMAX(long long)
FZ_SIMT_MINMAX(unsigned long long)
#undef FZ_SIMT_MINMAX
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }

// ---- reinterpretation ------------------------------------------------------------------------------
static inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
static inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
static inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
static inline int __double2hiint(double d) { return (int)(__double_as_longlong(d) >> 32); }
static inline int __double2loint(double d) { return (int)(uint32_t)__double_as_longlong(d); }

namespace fz_simt {
// Evaluates f() with the FPU rounding mode set to mode (FE_TONEAREST, FE_TOWARDZERO, FE_UPWARD, FE_DOWNWARD).
template <class F> inline auto with_rounding(int mode, F f) -> decltype(f()) {
  int old = std::fegetround();
  std::fesetround(mode);
  volatile auto r = f();  // volatile: the operation must happen under the mode
  std::fesetround(old);
  return r;
}
}  // namespace fz_simt

// ---- explicitly rounded arithmetic (never contracted into an FMA; volatile operands keep g++ honest).
// Round-to-nearest is the default mode, so the _rn forms are the plain operations; the others switch mode.
#define FZ_SIMT_RN(name, T, expr) \
  static inline T name(T a, T b) { volatile T x = a, y = b; return expr; }
#define FZ_SIMT_RND(name, T, mode, expr) \
  static inline T name(T a, T b) { return fz_simt::with_rounding(mode, [&]() -> T { volatile T x = a, y = b; return expr; }); }
FZ_SIMT_RN(__fadd_rn, float, x + y)
FZ_SIMT_RND(__fadd_rz, float, FE_TOWARDZERO, x + y)
FZ_SIMT_RND(__fadd_ru, float, FE_UPWARD, x + y)
FZ_SIMT_RND(__fadd_rd, float, FE_DOWNWARD, x + y)
FZ_SIMT_RN(__fsub_rn, float, x - y)
FZ_SIMT_RN(__fmul_rn, float, x * y)
FZ_SIMT_RND(__fmul_rz, float, FE_TOWARDZERO, x * y)
FZ_SIMT_RND(__fmul_ru, float, FE_UPWARD, x * y)
FZ_SIMT_RND(__fmul_rd, float, FE_DOWNWARD, x * y)
FZ_SIMT_RN(__fdiv_rn, float, x / y)
FZ_SIMT_RN(__dadd_rn, double, x + y)
FZ_SIMT_RN(__dsub_rn, double, x - y)
FZ_SIMT_RN(__dmul_rn, double, x * y)
FZ_SIMT_RN(__ddiv_rn, double, x / y)
#undef FZ_SIMT_RN
#undef FZ_SIMT_RND
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline float __fmaf_rz(float a, float b, float c) {
  return fz_simt::with_rounding(FE_TOWARDZERO, [&]() -> float { volatile float x = a; return fmaf(x, b, c); });
}
static inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
static inline float __frcp_rn(float a) { return 1.0f / a; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
static inline double __dsqrt_rn(double a) { return sqrt(a); }
static inline float __fdividef(float a, float b) { return a / b; }
static inline float fdividef(float a, float b) { return a / b; }
static inline float __frsqrt_rn(float a) { return (float)(1.0 / sqrt((double)a)); }
static inline float rsqrtf(float a) { return (float)(1.0 / sqrt((double)a)); }
static inline double rsqrt(double a) { return 1.0 / sqrt(a); }
static inline float rcbrtf(float a) { return (float)(1.0 / cbrt((double)a)); }
static inline float __saturatef(float a) { return a != a ? 0.0f : (a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a)); }
static inline float sinpif(float a) { return (float)sin(M_PI * (double)a); }
static inline float cospif(float a) { return (float)cos(M_PI * (double)a); }
static inline void sincospif(float a, float *s, float *c) { *s = sinpif(a); *c = cospif(a); }
static inline float normcdff(float a) { return 0.5f * erfcf(-a * 0.70710678118654752f); }
static inline float rhypotf(float a, float b) { return 1.0f / hypotf(a, b); }
static inline float rnorm3df(float a, float b, float c) { return (float)(1.0 / sqrt((double)a * a + (double)b * b + (double)c * c)); }
static inline float norm3df(float a, float b, float c) { return (float)sqrt((double)a * a + (double)b * b + (double)c * c); }

// ---- fast-math intrinsics (computed accurately here; see the header comment). glibc declares __expf,
// __logf, __sinf, ... (and exp10f) itself as aliases of the accurate functions; elsewhere they are defined.
#ifndef __GLIBC__
static inline float exp10f(float a) { return (float)pow(10.0, (double)a); }
static inline float __expf(float a) { return expf(a); }
static inline float __exp10f(float a) { return exp10f(a); }
static inline float __logf(float a) { return logf(a); }
static inline float __log2f(float a) { return log2f(a); }
static inline float __log10f(float a) { return log10f(a); }
static inline float __powf(float a, float b) { return powf(a, b); }
static inline float __sinf(float a) { return sinf(a); }
static inline float __cosf(float a) { return cosf(a); }
static inline float __tanf(float a) { return tanf(a); }
static inline void __sincosf(float a, float *s, float *c) { *s = sinf(a); *c = cosf(a); }
static inline float __tanhf(float a) { return tanhf(a); }
#endif

// ---- conversions with explicit rounding ---------------------------------------------------------------------
static inline int __float2int_rn(float a) { return (int)nearbyintf(a); }
static inline int __float2int_rz(float a) { return (int)truncf(a); }
static inline int __float2int_rd(float a) { return (int)floorf(a); }
static inline int __float2int_ru(float a) { return (int)ceilf(a); }
static inline unsigned __float2uint_rn(float a) { return (unsigned)nearbyintf(a); }
static inline long long __float2ll_rn(float a) { return (long long)nearbyintf(a); }
static inline float __int2float_rn(int a) { return (float)a; }
static inline float __uint2float_rn(unsigned a) { return (float)a; }
static inline int __double2int_rn(double a) { return (int)nearbyint(a); }
static inline float __double2float_rn(double a) { return (float)a; }
static inline float __double2float_rz(double a) {
  return fz_simt::with_rounding(FE_TOWARDZERO, [&]() -> float { volatile double x = a; return (float)x; });
}

// ---- integer intrinsics ---------------------------------------------------------------------------------
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
static inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline int __ffsll(long long x) { return __builtin_ffsll(x); }
static inline unsigned __brev(unsigned x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}
static inline unsigned long long __brevll(unsigned long long x) {
  return ((unsigned long long)__brev((unsigned)x) << 32) | __brev((unsigned)(x >> 32));
}
static inline int __mul24(int a, int b) { return ((a << 8) >> 8) * ((b << 8) >> 8); }
static inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xffffffu) * (b & 0xffffffu); }
static inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline long long __mul64hi(long long a, long long b) { return (long long)(((__int128)a * b) >> 64); }
static inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
static inline unsigned __funnelshift_l(unsigned lo, unsigned hi, unsigned s) {
  unsigned long long v = ((unsigned long long)hi << 32) | lo;
  return (unsigned)((v << (s & 31)) >> 32);
}
static inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned s) {
  unsigned long long v = ((unsigned long long)hi << 32) | lo;
  return (unsigned)(v >> (s & 31));
}
static inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  unsigned char b[8];
  std::memcpy(b, &x, 4);
  std::memcpy(b + 4, &y, 4);
  unsigned r = 0;
  for (int i = 0; i < 4; i++) r |= (unsigned)b[(s >> (4 * i)) & 7] << (8 * i);
  return r;
}
static inline int __hadd(int a, int b) { return (int)(((long long)a + b) >> 1); }
static inline int __rhadd(int a, int b) { return (int)(((long long)a + b + 1) >> 1); }
static inline unsigned __sad(int a, int b, unsigned c) { return c + (unsigned)(a > b ? (long long)a - b : (long long)b - a); }
#endif
