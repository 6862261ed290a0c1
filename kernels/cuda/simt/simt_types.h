// simt_types.h — CUDA's built-in vector types (dim3, uint3, float4, ...) for the SIMT emulation, with the
// sizes and alignments of the CUDA headers (float2/int2: 8 bytes, float4/int4/double2: 16), so that
// reinterpret_cast'ed vector loads in .cu sources see the same layout as on a GPU.
#ifndef FZ_SIMT_TYPES_H
#define FZ_SIMT_TYPES_H
#include <cstddef>
#include <cstdint>

// Declares struct NAME##1..4 of element type T with CUDA's alignments (a2, a4 for the 2- and 4-vectors)
// and make_NAME##k constructors.
#define FZ_SIMT_VEC(NAME, T, a2, a4)                                                                     \
  struct NAME##1 { T x; };                                                                               \
  struct alignas(a2) NAME##2 { T x, y; };                                                                \
  struct NAME##3 { T x, y, z; };                                                                         \
  struct alignas(a4) NAME##4 { T x, y, z, w; };                                                          \
  static inline NAME##1 make_##NAME##1(T x) { return NAME##1{x}; }                                     \
  static inline NAME##2 make_##NAME##2(T x, T y) { return NAME##2{x, y}; }                             \
  static inline NAME##3 make_##NAME##3(T x, T y, T z) { return NAME##3{x, y, z}; }                     \
  static inline NAME##4 make_##NAME##4(T x, T y, T z, T w) { return NAME##4{x, y, z, w}; }

FZ_SIMT_VEC(char, signed char, 2, 4)
FZ_SIMT_VEC(uchar, unsigned char, 2, 4)
FZ_SIMT_VEC(short, short, 4, 8)
FZ_SIMT_VEC(ushort, unsigned short, 4, 8)
FZ_SIMT_VEC(int, int, 8, 16)
FZ_SIMT_VEC(uint, unsigned int, 8, 16)
FZ_SIMT_VEC(long, long, 16, 16)
FZ_SIMT_VEC(ulong, unsigned long, 16, 16)
FZ_SIMT_VEC(longlong, long long, 16, 16)
FZ_SIMT_VEC(ulonglong, unsigned long long, 16, 16)
FZ_SIMT_VEC(float, float, 8, 16)
FZ_SIMT_VEC(double, double, 16, 16)
#undef FZ_SIMT_VEC

// Grid and block extents: unspecified components are 1 (CUDA's dim3).
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

static_assert(sizeof(float4) == 16 && alignof(float4) == 16, "float4 layout");
static_assert(sizeof(float2) == 8 && alignof(float2) == 8, "float2 layout");
static_assert(sizeof(double2) == 16 && alignof(double2) == 16, "double2 layout");
#endif
