// simt_half.h — __half, __half2, __nv_bfloat16 and __nv_bfloat162 for the SIMT emulation, with the
// conversions and arithmetic of the GPU: float -> half / bfloat16 round to nearest even (the _rz/_rd/_ru
// variants round as named), overflow to infinity, subnormals kept, NaN -> the canonical NaN 0x7fff (as
// cvt.rn.f16.f32 / cvt.rn.bf16.f32 produce); half -> float is exact (NaN -> 0x7fffffff). Arithmetic on
// half / bfloat16 rounds once: add/sub/mul/div are computed exactly enough in a wider type that the
// second rounding is innocuous (float has 24 >= 2·11+2 bits for half; double 53 >= 2·8+2 for bfloat16),
// and fma rounds the double result to odd before the final rounding, which makes it a single rounding.
// Included by cuda_fp16.h and cuda_bf16.h.
#ifndef FZ_SIMT_HALF_H
#define FZ_SIMT_HALF_H
#include <cmath>
#include <cstdint>
#include <cstring>
#include "simt_device.h"
#include "simt_types.h"

namespace fz_simt {
enum { RND_N = 0, RND_Z = 1, RND_D = 2, RND_U = 3 };

inline uint32_t f2u(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float u2f(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// float -> IEEE binary16 bits, round to nearest even.
inline uint16_t f32_to_f16_rn(float f) {
  uint32_t x = f2u(f), sign = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return 0x7fffu;                       // NaN: canonical
  if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);   // >= 65520 (or inf) rounds to inf
  if (a >= 0x38800000u) {                                    // normal half: rebias 127 -> 15, 13 bits dropped
    uint32_t r = (a - 0x38000000u) >> 13, rem = a & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
    return (uint16_t)(sign | r);
  }
  if (a <= 0x33000000u) return (uint16_t)sign;               // <= 2^-25 (a tie with 0 goes to even 0)
  uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u, sh = 126u - e;  // value / 2^-24 = m >> sh
  uint32_t r = m >> sh, rem = m & ((1u << sh) - 1u), half = 1u << (sh - 1u);
  if (rem > half || (rem == half && (r & 1u))) r++;
  return (uint16_t)(sign | r);
}

// IEEE binary16 bits -> float (exact; NaN -> 0x7fffffff).
inline float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1fu) return u2f(m ? 0x7fffffffu : (sign | 0x7f800000u));
  if (e) return u2f(sign | ((e + 112u) << 23) | (m << 13));
  float v = std::ldexp((float)m, -24);
  return sign ? -v : v;
}

// float -> bfloat16 bits, round to nearest even (NaN -> 0x7fff).
inline uint16_t f32_to_bf16_rn(float f) {
  uint32_t x = f2u(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fffu;
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)(x >> 16);
}
inline float bf16_to_f32(uint16_t b) { return u2f((uint32_t)b << 16); }

// Rounds a finite or infinite double x to the binary format with p significand bits, smallest normal
// 2^emin and largest finite value maxv, in mode (RND_*). The result is exactly representable there.
inline double round_fmt(double x, int p, int emin, double maxv, int mode) {
  if (x != x || x == 0.0 || std::isinf(x)) return x;
  int e;
  (void)std::frexp(x, &e);                // |x| in [2^(e-1), 2^e)
  int ex = e - 1 > emin ? e - 1 : emin;   // binade exponent (subnormals share emin's quantum)
  double q = std::ldexp(1.0, ex - (p - 1)), r = x / q, fl = std::floor(r), d = r - fl;
  switch (mode) {
    case RND_Z: r = std::trunc(r); break;
    case RND_D: r = fl; break;
    case RND_U: r = std::ceil(r); break;
    default: r = d > 0.5 ? fl + 1 : (d < 0.5 ? fl : (std::fmod(fl, 2.0) == 0 ? fl : fl + 1)); break;
  }
  r *= q;
  if (std::fabs(r) > maxv) {
    bool pos = x > 0;
    if (mode == RND_N) return pos ? HUGE_VAL : -HUGE_VAL;
    if (mode == RND_Z) return pos ? maxv : -maxv;
    if (mode == RND_U) return pos ? HUGE_VAL : -maxv;
    return pos ? maxv : -HUGE_VAL;
  }
  return r;
}
inline uint16_t f64_to_f16(double x, int mode) {
  if (x != x) return 0x7fffu;
  return f32_to_f16_rn((float)round_fmt(x, 11, -14, 65504.0, mode));
}
inline uint16_t f64_to_bf16(double x, int mode) {
  if (x != x) return 0x7fffu;
  return f32_to_bf16_rn((float)round_fmt(x, 8, -126, 0x1.fep127, mode));
}
// a + b rounded to double with round-to-odd (exact sum kept in the last bit), for single-rounding fma.
inline double add_round_odd(double a, double b) {
  double s = a + b, bb = s - a, err = (a - (s - bb)) + (b - bb);  // TwoSum: s + err == a + b exactly
  if (err == 0.0 || std::isinf(s)) return s;
  uint64_t u;
  std::memcpy(&u, &s, 8);
  if (u & 1u) return s;
  return std::nextafter(s, err > 0 ? HUGE_VAL : -HUGE_VAL);
}
}  // namespace fz_simt

struct __half_raw { unsigned short x; };
struct __nv_bfloat16_raw { unsigned short x; };

// IEEE binary16. Converts implicitly from / to float, as CUDA's __half.
struct __half {
  unsigned short __x;
  __half() = default;
  constexpr __half(__half_raw r) : __x(r.x) {}
  __half(float f) : __x(fz_simt::f32_to_f16_rn(f)) {}
  __half(double d) : __x(fz_simt::f64_to_f16(d, fz_simt::RND_N)) {}
  __half(int i) : __x(fz_simt::f64_to_f16((double)i, fz_simt::RND_N)) {}
  __half(unsigned i) : __x(fz_simt::f64_to_f16((double)i, fz_simt::RND_N)) {}
  operator float() const { return fz_simt::f16_to_f32(__x); }
  operator __half_raw() const { return __half_raw{__x}; }
};
// bfloat16 (8 significand bits, float's exponent range).
struct __nv_bfloat16 {
  unsigned short __x;
  __nv_bfloat16() = default;
  constexpr __nv_bfloat16(__nv_bfloat16_raw r) : __x(r.x) {}
  __nv_bfloat16(float f) : __x(fz_simt::f32_to_bf16_rn(f)) {}
  __nv_bfloat16(double d) : __x(fz_simt::f64_to_bf16(d, fz_simt::RND_N)) {}
  __nv_bfloat16(int i) : __x(fz_simt::f64_to_bf16((double)i, fz_simt::RND_N)) {}
  operator float() const { return fz_simt::bf16_to_f32(__x); }
  operator __nv_bfloat16_raw() const { return __nv_bfloat16_raw{__x}; }
};
struct alignas(4) __half2 { __half x, y; };
struct alignas(4) __nv_bfloat162 { __nv_bfloat16 x, y; };
typedef __half half;
typedef __half2 half2;
typedef __nv_bfloat16 nv_bfloat16;
typedef __nv_bfloat162 nv_bfloat162;
static_assert(sizeof(__half) == 2 && sizeof(__half2) == 4 && sizeof(__nv_bfloat162) == 4, "half layouts");

// ---- half conversions ---------------------------------------------------------------------------------
static inline __half fz_simt_mkh(uint16_t b) { return __half(__half_raw{b}); }
static inline __nv_bfloat16 fz_simt_mkb(uint16_t b) { return __nv_bfloat16(__nv_bfloat16_raw{b}); }
static inline __half __float2half(float f) { return fz_simt_mkh(fz_simt::f32_to_f16_rn(f)); }
static inline __half __float2half_rn(float f) { return fz_simt_mkh(fz_simt::f32_to_f16_rn(f)); }
static inline __half __float2half_rz(float f) { return fz_simt_mkh(fz_simt::f64_to_f16(f, fz_simt::RND_Z)); }
static inline __half __float2half_rd(float f) { return fz_simt_mkh(fz_simt::f64_to_f16(f, fz_simt::RND_D)); }
static inline __half __float2half_ru(float f) { return fz_simt_mkh(fz_simt::f64_to_f16(f, fz_simt::RND_U)); }
static inline __half __double2half(double d) { return fz_simt_mkh(fz_simt::f64_to_f16(d, fz_simt::RND_N)); }
static inline __half __int2half_rn(int i) { return fz_simt_mkh(fz_simt::f64_to_f16((double)i, fz_simt::RND_N)); }
static inline float __half2float(__half h) { return fz_simt::f16_to_f32(h.__x); }
static inline int __half2int_rn(__half h) { return (int)std::nearbyint(__half2float(h)); }
static inline int __half2int_rz(__half h) { return (int)__half2float(h); }
static inline __half __ushort_as_half(unsigned short b) { return fz_simt_mkh(b); }
static inline unsigned short __half_as_ushort(__half h) { return h.__x; }
static inline __half __short_as_half(short b) { return fz_simt_mkh((uint16_t)b); }
static inline short __half_as_short(__half h) { return (short)h.__x; }
static inline __half2 __halves2half2(__half a, __half b) { return __half2{a, b}; }
static inline __half2 __half2half2(__half a) { return __half2{a, a}; }
static inline __half2 __float2half2_rn(float f) { return __half2{__float2half_rn(f), __float2half_rn(f)}; }
static inline __half2 __floats2half2_rn(float a, float b) { return __half2{__float2half_rn(a), __float2half_rn(b)}; }
static inline float2 __half22float2(__half2 h) { return float2{__half2float(h.x), __half2float(h.y)}; }
static inline __half2 __float22half2_rn(float2 f) { return __floats2half2_rn(f.x, f.y); }
static inline float __low2float(__half2 h) { return __half2float(h.x); }
static inline float __high2float(__half2 h) { return __half2float(h.y); }
static inline __half __low2half(__half2 h) { return h.x; }
static inline __half __high2half(__half2 h) { return h.y; }

// ---- bfloat16 conversions -----------------------------------------------------------------------------
static inline __nv_bfloat16 __float2bfloat16(float f) { return fz_simt_mkb(fz_simt::f32_to_bf16_rn(f)); }
static inline __nv_bfloat16 __float2bfloat16_rn(float f) { return fz_simt_mkb(fz_simt::f32_to_bf16_rn(f)); }
static inline __nv_bfloat16 __float2bfloat16_rz(float f) { return fz_simt_mkb(fz_simt::f64_to_bf16(f, fz_simt::RND_Z)); }
static inline __nv_bfloat16 __float2bfloat16_rd(float f) { return fz_simt_mkb(fz_simt::f64_to_bf16(f, fz_simt::RND_D)); }
static inline __nv_bfloat16 __float2bfloat16_ru(float f) { return fz_simt_mkb(fz_simt::f64_to_bf16(f, fz_simt::RND_U)); }
static inline __nv_bfloat16 __double2bfloat16(double d) { return fz_simt_mkb(fz_simt::f64_to_bf16(d, fz_simt::RND_N)); }
static inline __nv_bfloat16 __int2bfloat16_rn(int i) { return fz_simt_mkb(fz_simt::f64_to_bf16((double)i, fz_simt::RND_N)); }
static inline float __bfloat162float(__nv_bfloat16 b) { return fz_simt::bf16_to_f32(b.__x); }
static inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short b) { return fz_simt_mkb(b); }
static inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 b) { return b.__x; }
static inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return __nv_bfloat162{__float2bfloat16_rn(a), __float2bfloat16_rn(b)}; }
static inline __nv_bfloat162 __float2bfloat162_rn(float a) { return __nv_bfloat162{__float2bfloat16_rn(a), __float2bfloat16_rn(a)}; }
static inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) { return __nv_bfloat162{a, b}; }
static inline float2 __bfloat1622float2(__nv_bfloat162 h) { return float2{__bfloat162float(h.x), __bfloat162float(h.y)}; }
static inline float __low2float(__nv_bfloat162 h) { return __bfloat162float(h.x); }
static inline float __high2float(__nv_bfloat162 h) { return __bfloat162float(h.y); }

// ---- arithmetic (one rounding per operation, see the header comment) --------------------------------------
static inline __half __hadd(__half a, __half b) { return __float2half_rn(__half2float(a) + __half2float(b)); }
static inline __half __hsub(__half a, __half b) { return __float2half_rn(__half2float(a) - __half2float(b)); }
static inline __half __hmul(__half a, __half b) { return __float2half_rn(__half2float(a) * __half2float(b)); }
static inline __half __hdiv(__half a, __half b) { return __float2half_rn(__half2float(a) / __half2float(b)); }
static inline __half __hfma(__half a, __half b, __half c) {
  return __double2half(fz_simt::add_round_odd((double)__half2float(a) * __half2float(b), __half2float(c)));
}
static inline __half __hneg(__half a) { return fz_simt_mkh((uint16_t)(a.__x ^ 0x8000u)); }
static inline __half __habs(__half a) { return fz_simt_mkh((uint16_t)(a.__x & 0x7fffu)); }
static inline bool __hisnan(__half a) { return (a.__x & 0x7fffu) > 0x7c00u; }
static inline int __hisinf(__half a) { return (a.__x & 0x7fffu) == 0x7c00u ? ((a.__x & 0x8000u) ? -1 : 1) : 0; }
// __hmax / __hmin return the other input when one is NaN (canonical NaN when both are).
static inline __half __hmax(__half a, __half b) {
  if (__hisnan(a) && __hisnan(b)) return fz_simt_mkh(0x7fffu);
  if (__hisnan(a)) return b;
  if (__hisnan(b)) return a;
  return __half2float(a) > __half2float(b) ? a : b;
}
static inline __half __hmin(__half a, __half b) {
  if (__hisnan(a) && __hisnan(b)) return fz_simt_mkh(0x7fffu);
  if (__hisnan(a)) return b;
  if (__hisnan(b)) return a;
  return __half2float(a) < __half2float(b) ? a : b;
}
static inline bool __heq(__half a, __half b) { return __half2float(a) == __half2float(b); }
static inline bool __hne(__half a, __half b) { return __half2float(a) != __half2float(b) && !__hisnan(a) && !__hisnan(b); }
static inline bool __hlt(__half a, __half b) { return __half2float(a) < __half2float(b); }
static inline bool __hle(__half a, __half b) { return __half2float(a) <= __half2float(b); }
static inline bool __hgt(__half a, __half b) { return __half2float(a) > __half2float(b); }
static inline bool __hge(__half a, __half b) { return __half2float(a) >= __half2float(b); }
static inline __half2 __hadd2(__half2 a, __half2 b) { return __half2{__hadd(a.x, b.x), __hadd(a.y, b.y)}; }
static inline __half2 __hsub2(__half2 a, __half2 b) { return __half2{__hsub(a.x, b.x), __hsub(a.y, b.y)}; }
static inline __half2 __hmul2(__half2 a, __half2 b) { return __half2{__hmul(a.x, b.x), __hmul(a.y, b.y)}; }
static inline __half2 __h2div(__half2 a, __half2 b) { return __half2{__hdiv(a.x, b.x), __hdiv(a.y, b.y)}; }
static inline __half2 __hfma2(__half2 a, __half2 b, __half2 c) { return __half2{__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)}; }
static inline __half2 __hneg2(__half2 a) { return __half2{__hneg(a.x), __hneg(a.y)}; }
static inline __half hsqrt(__half a) { return __double2half(std::sqrt((double)__half2float(a))); }
static inline __half hrsqrt(__half a) { return __double2half(1.0 / std::sqrt((double)__half2float(a))); }
static inline __half hexp(__half a) { return __double2half(std::exp((double)__half2float(a))); }
static inline __half hlog(__half a) { return __double2half(std::log((double)__half2float(a))); }
static inline __half hrcp(__half a) { return __double2half(1.0 / (double)__half2float(a)); }

static inline __nv_bfloat16 fz_simt_bop(double r) { return __double2bfloat16(r); }
static inline __nv_bfloat16 __hadd(__nv_bfloat16 a, __nv_bfloat16 b) { return fz_simt_bop((double)__bfloat162float(a) + __bfloat162float(b)); }
static inline __nv_bfloat16 __hsub(__nv_bfloat16 a, __nv_bfloat16 b) { return fz_simt_bop((double)__bfloat162float(a) - __bfloat162float(b)); }
static inline __nv_bfloat16 __hmul(__nv_bfloat16 a, __nv_bfloat16 b) { return fz_simt_bop((double)__bfloat162float(a) * __bfloat162float(b)); }
static inline __nv_bfloat16 __hdiv(__nv_bfloat16 a, __nv_bfloat16 b) { return fz_simt_bop((double)__bfloat162float(a) / __bfloat162float(b)); }
static inline __nv_bfloat16 __hfma(__nv_bfloat16 a, __nv_bfloat16 b, __nv_bfloat16 c) {
  return fz_simt_bop(fz_simt::add_round_odd((double)__bfloat162float(a) * __bfloat162float(b), __bfloat162float(c)));
}
static inline __nv_bfloat16 __hneg(__nv_bfloat16 a) { return fz_simt_mkb((uint16_t)(a.__x ^ 0x8000u)); }
static inline __nv_bfloat16 __habs(__nv_bfloat16 a) { return fz_simt_mkb((uint16_t)(a.__x & 0x7fffu)); }
static inline bool __hisnan(__nv_bfloat16 a) { return (a.__x & 0x7fffu) > 0x7f80u; }
static inline __nv_bfloat162 __hadd2(__nv_bfloat162 a, __nv_bfloat162 b) { return __nv_bfloat162{__hadd(a.x, b.x), __hadd(a.y, b.y)}; }
static inline __nv_bfloat162 __hmul2(__nv_bfloat162 a, __nv_bfloat162 b) { return __nv_bfloat162{__hmul(a.x, b.x), __hmul(a.y, b.y)}; }
static inline __nv_bfloat162 __hfma2(__nv_bfloat162 a, __nv_bfloat162 b, __nv_bfloat162 c) {
  return __nv_bfloat162{__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)};
}

// ---- operators (CUDA defines these for device code on both types) -----------------------------------------
#define FZ_SIMT_HALF_OPS(H)                                                                      \
  static inline H operator+(H a, H b) { return __hadd(a, b); }                                   \
  static inline H operator-(H a, H b) { return __hsub(a, b); }                                   \
  static inline H operator*(H a, H b) { return __hmul(a, b); }                                   \
  static inline H operator/(H a, H b) { return __hdiv(a, b); }                                   \
  static inline H operator-(H a) { return __hneg(a); }                                           \
  static inline H operator+(H a) { return a; }                                                   \
  static inline H &operator+=(H &a, H b) { return a = __hadd(a, b); }                            \
  static inline H &operator-=(H &a, H b) { return a = __hsub(a, b); }                            \
  static inline H &operator*=(H &a, H b) { return a = __hmul(a, b); }                            \
  static inline H &operator/=(H &a, H b) { return a = __hdiv(a, b); }                            \
  static inline bool operator==(H a, H b) { return (float)a == (float)b; }                       \
  static inline bool operator!=(H a, H b) { return (float)a != (float)b; }                       \
  static inline bool operator<(H a, H b) { return (float)a < (float)b; }                         \
  static inline bool operator>(H a, H b) { return (float)a > (float)b; }                         \
  static inline bool operator<=(H a, H b) { return (float)a <= (float)b; }                       \
  static inline bool operator>=(H a, H b) { return (float)a >= (float)b; }
FZ_SIMT_HALF_OPS(__half)
FZ_SIMT_HALF_OPS(__nv_bfloat16)
#undef FZ_SIMT_HALF_OPS

// atomicAdd on 16-bit floats (sm_70+ for __half, sm_80+ for bfloat16): a CAS loop on the 16-bit word.
static inline __half atomicAdd(__half *a, __half v) {
  uint16_t *p = reinterpret_cast<uint16_t *>(a), old = __atomic_load_n(p, __ATOMIC_SEQ_CST), nw;
  do nw = __hadd(fz_simt_mkh(old), v).__x;
  while (!__atomic_compare_exchange_n(p, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  fz_simt::yield_point();
  return fz_simt_mkh(old);
}
static inline __nv_bfloat16 atomicAdd(__nv_bfloat16 *a, __nv_bfloat16 v) {
  uint16_t *p = reinterpret_cast<uint16_t *>(a), old = __atomic_load_n(p, __ATOMIC_SEQ_CST), nw;
  do nw = __hadd(fz_simt_mkb(old), v).__x;
  while (!__atomic_compare_exchange_n(p, &old, nw, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  fz_simt::yield_point();
  return fz_simt_mkb(old);
}
#endif
