// elementwise.c — clamp, affine (x·mul + add) and binary add/sub/mul/div/max/min with NumPy broadcasting
// on the CPU. Broadcast operands are reduced to (outer rows) × (inner run) with strides 0 or 1 inside
// the run, so every inner loop is a contiguous vectorised loop.
#include "cpu_nn.h"

#define EW_CHUNK 16384

int fz_cpu_clamp(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err) {
  (void)err;
  int64_t n = fz_tensor_numel(x);
  const float *s = x->data;
  float *d = out->data;
#pragma omp parallel for simd schedule(static) num_threads(fz_cpu_threads(be)) if (n > FZ_NN_PAR_MIN)
  for (int64_t i = 0; i < n; i++) {
    float v = s[i];
    v = v < lo ? lo : v;  // NaN compares false and stays NaN (torch.clamp)
    d[i] = v > hi ? hi : v;
  }
  return FZ_OK;
}

int fz_cpu_affine(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err) {
  (void)err;
  int64_t n = fz_tensor_numel(x);
  const float *s = x->data;
  float *d = out->data;
#pragma omp parallel for simd schedule(static) num_threads(fz_cpu_threads(be)) if (n > FZ_NN_PAR_MIN)
  for (int64_t i = 0; i < n; i++) d[i] = s[i] * mul + add;
  return FZ_OK;
}

// torch.maximum / minimum: NaN in either operand gives NaN.
static inline float fmax_nan(float a, float b) { return a != a ? a : (a > b ? a : b); }
static inline float fmin_nan(float a, float b) { return a != a ? a : (a < b ? a : b); }

// One inner run: d[j] = a[j·sa] OP b[j·sb] for j < n, sa and sb in {0, 1}; four loops so each is contiguous.
#define BIN_RUN(EXPR)                                                                                           \
  do {                                                                                                          \
    if (sa && sb) { _Pragma("omp simd") for (int64_t j = 0; j < n; j++) { float x = a[j], y = b[j]; d[j] = (EXPR); } } \
    else if (sa) { float y = b[0]; _Pragma("omp simd") for (int64_t j = 0; j < n; j++) { float x = a[j]; d[j] = (EXPR); } } \
    else if (sb) { float x = a[0]; _Pragma("omp simd") for (int64_t j = 0; j < n; j++) { float y = b[j]; d[j] = (EXPR); } } \
    else { float x = a[0], y = b[0]; float v = (EXPR); for (int64_t j = 0; j < n; j++) d[j] = v; }               \
  } while (0)

// d[0..n) = a op b over one run (strides sa, sb in {0,1}).
static void bin_run(int op, float *d, const float *a, const float *b, int64_t n, int sa, int sb) {
  switch (op) {
    case FZ_BIN_ADD: BIN_RUN(x + y); break;
    case FZ_BIN_SUB: BIN_RUN(x - y); break;
    case FZ_BIN_MUL: BIN_RUN(x * y); break;
    case FZ_BIN_DIV: BIN_RUN(x / y); break;
    case FZ_BIN_MAX: BIN_RUN(fmax_nan(x, y)); break;
    default: BIN_RUN(fmin_nan(x, y)); break;
  }
}

int fz_cpu_binary(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int ndim,
                  const int64_t *a_shape, const int64_t *b_shape, int op, fz_err *err) {
  (void)err;
  // Merge adjacent dims with the same broadcast pattern (dims of size 1 in out are dropped).
  int64_t sz[FZ_MAX_DIMS];
  int fa[FZ_MAX_DIMS], fb[FZ_MAX_DIMS], nd = 0;  // fa: a broadcasts along the dim
  for (int i = 0; i < ndim; i++) {
    int64_t o = a_shape[i] == 1 ? b_shape[i] : a_shape[i];
    if (o == 1) continue;
    int ba = a_shape[i] == 1, bb = b_shape[i] == 1;
    if (nd && fa[nd - 1] == ba && fb[nd - 1] == bb) sz[nd - 1] *= o;
    else { sz[nd] = o; fa[nd] = ba; fb[nd] = bb; nd++; }
  }
  if (nd == 0) { sz[0] = 1; fa[0] = fb[0] = 0; nd = 1; }
  int64_t st_a[FZ_MAX_DIMS], st_b[FZ_MAX_DIMS], acc_a = 1, acc_b = 1;
  for (int d = nd - 1; d >= 0; d--) {
    st_a[d] = fa[d] ? 0 : acc_a;
    st_b[d] = fb[d] ? 0 : acc_b;
    if (!fa[d]) acc_a *= sz[d];
    if (!fb[d]) acc_b *= sz[d];
  }
  int64_t inner = sz[nd - 1], rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= sz[d];
  int64_t per = (inner + EW_CHUNK - 1) / EW_CHUNK, items = rows * per;
  if (inner == 0 || rows == 0) return FZ_OK;
  const float *ad = a->data, *bd = b->data;
  float *od = out->data;
  int sa = !fa[nd - 1], sb = !fb[nd - 1];
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (rows * inner > FZ_NN_PAR_MIN)
  for (int64_t it = 0; it < items; it++) {
    int64_t r = it / per, j0 = (it % per) * EW_CHUNK, len = inner - j0 < EW_CHUNK ? inner - j0 : EW_CHUNK;
    int64_t oa = 0, ob = 0, rem = r;
    for (int d = nd - 2; d >= 0; d--) {
      int64_t i = rem % sz[d];
      rem /= sz[d];
      oa += i * st_a[d];
      ob += i * st_b[d];
    }
    bin_run(op, od + r * inner + j0, ad + oa + (sa ? j0 : 0), bd + ob + (sb ? j0 : 0), len, sa, sb);
  }
  return FZ_OK;
}
