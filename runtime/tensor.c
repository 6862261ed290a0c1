// tensor.c — tensor headers, allocation and dtype conversion.
#include "tensor.h"
#include "backend.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t dtype_sizes[FZ_DTYPE_COUNT] = {4, 2, 2, 1, 2, 4};
static const char *dtype_names[FZ_DTYPE_COUNT] = {"f32", "f16", "bf16", "u8", "u16", "i32"};

size_t fz_dtype_size(fz_dtype dt) { return (unsigned)dt < FZ_DTYPE_COUNT ? dtype_sizes[dt] : 0; }
const char *fz_dtype_name(fz_dtype dt) { return (unsigned)dt < FZ_DTYPE_COUNT ? dtype_names[dt] : "?"; }
int fz_dtype_parse(const char *s) {
  for (int i = 0; i < FZ_DTYPE_COUNT; i++)
    if (strcmp(s, dtype_names[i]) == 0) return i;
  return -1;
}

int64_t fz_shape_numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return -1;
    if (shape[i] != 0 && n > FZ_MAX_NUMEL / shape[i]) return -1;
    n *= shape[i];
  }
  return n;
}

const char *fz_shape_str(int ndim, const int64_t *shape, char *buf, size_t n) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, n - o, "[");
  for (int i = 0; i < ndim && o < n; i++)
    o += (size_t)snprintf(buf + o, n - o, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (o < n) snprintf(buf + o, n - o, "]");
  return buf;
}

int fz_tensor_init(fz_tensor *t, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err) {
  memset(t, 0, sizeof *t);
  if ((unsigned)dt >= FZ_DTYPE_COUNT) return fz_fail(err, FZ_EINVAL, "tensor: unknown dtype %d", (int)dt);
  if (ndim < 0 || ndim > FZ_MAX_DIMS)
    return fz_fail(err, FZ_EINVAL, "tensor: %d dims requested, expected 0..%d", ndim, FZ_MAX_DIMS);
  if (fz_shape_numel(ndim, shape) < 0) {
    char b[128];
    return fz_fail(err, FZ_EINVAL, "tensor: shape %s has a negative dim or more than 2^40 elements",
                   fz_shape_str(ndim, shape, b, sizeof b));
  }
  t->dtype = dt;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
  return FZ_OK;
}

int fz_tensor_alloc(fz_tensor *t, const fz_backend *be, fz_dtype dt, int ndim, const int64_t *shape, fz_err *err) {
  int rc = fz_tensor_init(t, dt, ndim, shape, err);
  if (rc) return rc;
  size_t nb = fz_tensor_nbytes(t);
  void *p = be ? be->alloc(be, nb ? nb : 1, err) : malloc(nb ? nb : 1);
  if (!p) {
    char b[128];
    if (!be) fz_fail(err, FZ_ENOMEM, "tensor: cannot allocate %zu bytes for shape %s", nb, fz_shape_str(ndim, shape, b, sizeof b));
    return err ? (int)err->code : FZ_ENOMEM;
  }
  t->data = p;
  t->be = be;
  t->owns = 1;
  return FZ_OK;
}

void fz_tensor_free(fz_tensor *t) {
  if (!t) return;
  if (t->owns && t->data) {
    if (t->be) t->be->free(t->be, t->data);
    else free(t->data);
  }
  memset(t, 0, sizeof *t);
}

int fz_tensor_same_shape(const fz_tensor *a, const fz_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

uint16_t fz_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return (uint16_t)(sign | (absx > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (absx < 0x38800000u) {                                      // subnormal half or zero
    if (absx < 0x33000000u) return (uint16_t)sign;               // < 2^-25 rounds to 0
    uint32_t e = absx >> 23, m = (absx & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126 - e;  // value = m * 2^(e-150); drop bits so the unit is 2^-24
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ((absx - 0x38000000u) >> 13);  // rebias exponent 127->15
  uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) r++;
  return (uint16_t)(sign | r);
}

float fz_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu, x;
  if (e == 0x1f) x = sign | 0x7f800000u | (m << 13);
  else if (e) x = sign | ((e + 112) << 23) | (m << 13);
  else if (!m) x = sign;
  else {
    float v = ldexpf((float)m, -24);
    memcpy(&x, &v, 4);
    x |= sign;
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

uint16_t fz_f32_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)(x >> 16);
}

float fz_bf16_to_f32(uint16_t b) {
  uint32_t x = (uint32_t)b << 16;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

void fz_convert_to_f32(float *dst, const void *src, fz_dtype sdt, size_t n) {
  switch (sdt) {
    case FZ_F32: memmove(dst, src, n * 4); break;
    case FZ_F16: for (size_t i = 0; i < n; i++) dst[i] = fz_f16_to_f32(((const uint16_t *)src)[i]); break;
    case FZ_BF16: for (size_t i = 0; i < n; i++) dst[i] = fz_bf16_to_f32(((const uint16_t *)src)[i]); break;
    case FZ_U8: for (size_t i = 0; i < n; i++) dst[i] = ((const uint8_t *)src)[i]; break;
    case FZ_U16: for (size_t i = 0; i < n; i++) dst[i] = ((const uint16_t *)src)[i]; break;
    case FZ_I32: for (size_t i = 0; i < n; i++) dst[i] = (float)((const int32_t *)src)[i]; break;
    default: break;
  }
}

static double clampd(double v, double lo, double hi) { return v != v ? 0 : v < lo ? lo : v > hi ? hi : v; }

void fz_convert_from_f32(void *dst, fz_dtype ddt, const float *src, size_t n) {
  switch (ddt) {
    case FZ_F32: memmove(dst, src, n * 4); break;
    case FZ_F16: for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = fz_f32_to_f16(src[i]); break;
    case FZ_BF16: for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = fz_f32_to_bf16(src[i]); break;
    case FZ_U8: for (size_t i = 0; i < n; i++) ((uint8_t *)dst)[i] = (uint8_t)nearbyint(clampd(src[i], 0, 255)); break;
    case FZ_U16: for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = (uint16_t)nearbyint(clampd(src[i], 0, 65535)); break;
    case FZ_I32: for (size_t i = 0; i < n; i++) ((int32_t *)dst)[i] = (int32_t)nearbyint(clampd(src[i], -2147483648.0, 2147483520.0)); break;
    default: break;
  }
}
