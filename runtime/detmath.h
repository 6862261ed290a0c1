// detmath.h — deterministic double log and sin/cos(2π·u) for the Philox normals: the same sequence of IEEE
// double operations on the CPU, under the SIMT emulation and on a GPU (fdlibm's e_log.c and k_sin/k_cos
// polynomials, no libm, no fused multiply-add: the device path spells every product and sum with the _rn
// intrinsics and the host build compiles in ISO mode, where GCC does not contract). libm's log/cos/sin differ
// between glibc and CUDA in the last ulp, so Box–Muller through them was not bit-identical across backends.
#ifndef FZ_DETMATH_H
#define FZ_DETMATH_H
#include <stdint.h>
#include <string.h>

#if defined(__CUDACC__)
#define FZ_DM_FN static __host__ __device__ __forceinline__
#else
#define FZ_DM_FN static inline
#endif

#if defined(__CUDA_ARCH__)
#define FZ_DM_MUL(a, b) __dmul_rn((a), (b))
#define FZ_DM_ADD(a, b) __dadd_rn((a), (b))
#define FZ_DM_SUB(a, b) __dsub_rn((a), (b))
#define FZ_DM_DIV(a, b) __ddiv_rn((a), (b))
#else
#define FZ_DM_MUL(a, b) ((a) * (b))
#define FZ_DM_ADD(a, b) ((a) + (b))
#define FZ_DM_SUB(a, b) ((a) - (b))
#define FZ_DM_DIV(a, b) ((a) / (b))
#endif

// The IEEE bits of x and back.
FZ_DM_FN uint64_t fz_dm_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
FZ_DM_FN double fz_dm_from_bits(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

// Natural log of a positive normal double x (fdlibm __ieee754_log without the special cases; < 1 ulp).
FZ_DM_FN double fz_det_log(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  uint64_t u = fz_dm_bits(x);
  int32_t hx = (int32_t)(u >> 32);
  int k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;  // normalise the mantissa into [sqrt(2)/2, sqrt(2))
  u = ((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32) | (u & 0xffffffffu);
  k += i >> 20;
  double f = FZ_DM_SUB(fz_dm_from_bits(u), 1.0), dk = (double)k;
  double hfsq = FZ_DM_MUL(FZ_DM_MUL(0.5, f), f);
  double s = FZ_DM_DIV(f, FZ_DM_ADD(2.0, f)), z = FZ_DM_MUL(s, s), w = FZ_DM_MUL(z, z);
  double t1 = FZ_DM_MUL(w, FZ_DM_ADD(Lg2, FZ_DM_MUL(w, FZ_DM_ADD(Lg4, FZ_DM_MUL(w, Lg6)))));
  double t2 = FZ_DM_MUL(z, FZ_DM_ADD(Lg1, FZ_DM_MUL(w, FZ_DM_ADD(Lg3, FZ_DM_MUL(w, FZ_DM_ADD(Lg5, FZ_DM_MUL(w, Lg7)))))));
  double R = FZ_DM_ADD(t2, t1);
  double inner = FZ_DM_SUB(hfsq, FZ_DM_ADD(FZ_DM_MUL(s, FZ_DM_ADD(hfsq, R)), FZ_DM_MUL(dk, ln2_lo)));
  return FZ_DM_SUB(FZ_DM_MUL(dk, ln2_hi), FZ_DM_SUB(inner, f));
}

// sin(y) for |y| <= π/4 (fdlibm __kernel_sin with tail 0).
FZ_DM_FN double fz_dm_ksin(double y) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
               S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  double z = FZ_DM_MUL(y, y), v = FZ_DM_MUL(z, y);
  double r = FZ_DM_ADD(S2, FZ_DM_MUL(z, FZ_DM_ADD(S3, FZ_DM_MUL(z, FZ_DM_ADD(S4, FZ_DM_MUL(z, FZ_DM_ADD(S5, FZ_DM_MUL(z, S6))))))));
  return FZ_DM_ADD(y, FZ_DM_MUL(v, FZ_DM_ADD(S1, FZ_DM_MUL(z, r))));
}

// cos(y) for |y| <= π/4 (fdlibm __kernel_cos with tail 0).
FZ_DM_FN double fz_dm_kcos(double y) {
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
               C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  double z = FZ_DM_MUL(y, y);
  double r = FZ_DM_MUL(z, FZ_DM_ADD(C1, FZ_DM_MUL(z, FZ_DM_ADD(C2, FZ_DM_MUL(z, FZ_DM_ADD(C3, FZ_DM_MUL(z, FZ_DM_ADD(C4,
             FZ_DM_MUL(z, FZ_DM_ADD(C5, FZ_DM_MUL(z, C6)))))))))));
  uint32_t ix = (uint32_t)(fz_dm_bits(y) >> 32) & 0x7fffffff;
  if (ix < 0x3FD33333) return FZ_DM_SUB(1.0, FZ_DM_SUB(FZ_DM_MUL(0.5, z), FZ_DM_MUL(z, r)));  // |y| < 0.3
  double qx = ix > 0x3fe90000 ? 0.28125 : fz_dm_from_bits((uint64_t)(ix - 0x00200000) << 32);
  double hz = FZ_DM_SUB(FZ_DM_MUL(0.5, z), qx), a = FZ_DM_SUB(1.0, qx);
  return FZ_DM_SUB(a, FZ_DM_SUB(hz, FZ_DM_MUL(z, r)));
}

// *s = sin(2π·u), *c = cos(2π·u) for u in [0, 1]: quadrant from 4u (exact), then the kernels on
// y = (4u − q)·π/2 with |y| <= π/4.
FZ_DM_FN void fz_det_sincos_2pi(double u, double *s, double *c) {
  const double pio2 = 1.57079632679489655800e+00;
  double v = FZ_DM_MUL(4.0, u);
  double q = (double)(int64_t)(FZ_DM_ADD(v, 0.5));  // nearest quadrant (v >= 0)
  double y = FZ_DM_MUL(FZ_DM_SUB(v, q), pio2);
  double sy = fz_dm_ksin(y), cy = fz_dm_kcos(y);
  switch ((int)q & 3) {
    case 0: *s = sy; *c = cy; break;
    case 1: *s = cy; *c = -sy; break;
    case 2: *s = -sy; *c = -cy; break;
    default: *s = -cy; *c = sy; break;
  }
}

#endif
