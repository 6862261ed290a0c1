// test_runtime.c — tensor, dtype conversion, arena, Philox and backend op tests.
#include "test.h"
#include "../runtime/detmath.h"
#include "fusor.h"
#include <stdlib.h>
#include <string.h>

// Oracle: Random123 kat_vectors (philox4x32 10 lines), published with Salmon et al. SC'11.
TEST(philox_known_answers) {
  static const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
  for (int k = 0; k < 3; k++) {
    uint32_t out[4];
    fz_philox4x32_10(kat[k], kat[k] + 4, out);
    for (int i = 0; i < 4; i++) CHECKF(out[i] == kat[k][6 + i], "vector %d word %d: %08x != %08x", k, i, out[i], kat[k][6 + i]);
  }
}

// Oracle: the (seed, stream, index) layout documented in rng.h, rebuilt from the raw block function.
TEST(philox_normal_is_pure_function_of_index) {
  uint32_t w[4];
  fz_philox_block(7, 3, 5, w);
  double u1 = ((double)w[0] + 0.5) / 4294967296.0, u2 = ((double)w[1] + 0.5) / 4294967296.0;
  double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
  CHECK_NEAR(fz_philox_normal(7, 3, 20), z, 1e-6);
  float a[37], b[37];
  fz_philox_fill_normal(a, 37, 11, 2, 5);
  for (int i = 0; i < 37; i++) b[i] = fz_philox_normal(11, 2, 5 + (uint64_t)i);
  CHECK(memcmp(a, b, sizeof a) == 0);
}

// Oracle: moments of N(0,1) — mean 0, variance 1, kurtosis 3 — within 5 standard errors for n = 2^20.
TEST(philox_normal_moments) {
  int n = 1 << 20;
  float *x = malloc((size_t)n * 4);
  fz_philox_fill_normal(x, (uint64_t)n, 1234, 0, 0);
  double m = 0, m2 = 0, m4 = 0;
  for (int i = 0; i < n; i++) m += x[i];
  m /= n;
  for (int i = 0; i < n; i++) { double d = x[i] - m; m2 += d * d; m4 += d * d * d * d; }
  m2 /= n; m4 /= n;
  free(x);
  CHECK_NEAR(m, 0.0, 5 / sqrt(n));
  CHECK_NEAR(m2, 1.0, 5 * sqrt(2.0 / n));
  CHECK_NEAR(m4 / (m2 * m2), 3.0, 5 * sqrt(24.0 / n));
}

// Oracle: IEEE 754 binary16 / bfloat16 encodings of known values, and exhaustive round trips.
TEST(half_and_bfloat16_rounding) {
  CHECK(fz_f32_to_f16(1.0f) == 0x3c00);
  CHECK(fz_f32_to_f16(-2.0f) == 0xc000);
  CHECK(fz_f32_to_f16(65504.0f) == 0x7bff);
  CHECK(fz_f32_to_f16(65520.0f) == 0x7c00);        // halfway past max rounds to inf
  CHECK(fz_f32_to_f16(5.9604645e-8f) == 0x0001);   // smallest subnormal 2^-24
  CHECK(fz_f32_to_f16(2.98023224e-8f) == 0x0000);  // exactly half of it: ties to even = 0
  CHECK(fz_f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);  // tie to even
  CHECK(fz_f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);
  for (uint32_t h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // NaNs
    CHECKF(fz_f32_to_f16(fz_f16_to_f32((uint16_t)h)) == h, "f16 round trip of %04x", h);
  }
  CHECK(fz_f32_to_bf16(1.0f) == 0x3f80);
  CHECK(fz_f32_to_bf16(1.00390625f) == 0x3f80);    // tie (1 + 2^-8) rounds to even
  CHECK(fz_f32_to_bf16(1.01171875f) == 0x3f82);    // tie (1 + 3*2^-8) rounds up to even
  for (uint32_t h = 0; h < 0x10000; h++) {
    if ((h & 0x7f80) == 0x7f80 && (h & 0x7f)) continue;
    CHECKF(fz_f32_to_bf16(fz_bf16_to_f32((uint16_t)h)) == h, "bf16 round trip of %04x", h);
  }
}

TEST(tensor_rejects_absurd_shapes) {
  fz_tensor t;
  fz_err err = {0};
  int64_t neg[2] = {3, -1}, huge[3] = {1 << 20, 1 << 20, 1 << 20}, ok[5] = {1, 2, 3, 4, 5}, six[6] = {1, 1, 1, 1, 1, 1};
  CHECK(fz_tensor_init(&t, FZ_F32, 2, neg, &err) == FZ_EINVAL);
  CHECK(strstr(err.msg, "negative") != NULL);
  CHECK(fz_tensor_init(&t, FZ_F32, 3, huge, &err) == FZ_EINVAL);
  CHECK(fz_tensor_init(&t, FZ_F32, 6, six, &err) == FZ_EINVAL);
  CHECK_OK(fz_tensor_alloc(&t, fz_backend_cpu(1), FZ_BF16, 5, ok, &err), &err);
  CHECK(fz_tensor_nbytes(&t) == 240);
  fz_tensor_free(&t);
}

// Oracle: brute-force check that no two buffers live at the same time share bytes.
TEST(arena_packs_without_overlap) {
  fz_arena a;
  fz_err err = {0};
  fz_arena_init(&a, fz_backend_cpu(1));
  int ids[40];
  size_t sum = 0;
  srand(5);
  for (int i = 0; i < 40; i++) {
    int f = rand() % 20, l = f + rand() % 5;
    size_t sz = 64 + (size_t)(rand() % 5000);
    ids[i] = fz_arena_request(&a, sz, f, l, &err);
    CHECK(ids[i] == i);
    sum += (sz + 63) & ~(size_t)63;
  }
  CHECK_OK(fz_arena_plan(&a, &err), &err);
  CHECK(a.total <= sum);
  for (int i = 0; i < 40; i++)
    for (int j = i + 1; j < 40; j++) {
      fz_arena_req *p = &a.reqs[i], *q = &a.reqs[j];
      int live = !(p->last < q->first || q->last < p->first);
      int mem = p->offset < q->offset + q->size && q->offset < p->offset + p->size;
      CHECKF(!(live && mem), "buffers %d and %d overlap in time and memory", i, j);
    }
  int64_t shape[1] = {4};
  fz_tensor t;
  CHECK_OK(fz_arena_tensor(&a, 0, &t, FZ_F32, 1, shape, &err), &err);
  CHECK(t.data == fz_arena_ptr(&a, 0) && !t.owns);
  fz_arena_free(&a);
}

// Oracle: a double-precision loop over the same inputs.
TEST(cpu_lincomb_matches_double_loop) {
  const fz_backend *be = fz_backend_cpu(2);
  fz_err err = {0};
  int64_t shape[4] = {2, 3, 17, 131};
  fz_tensor x[3], out;
  const fz_tensor *xs[3];
  float coef[3] = {0.5f, -1.25f, 3.0f};
  for (int i = 0; i < 3; i++) {
    CHECK_OK(fz_tensor_alloc(&x[i], be, FZ_F32, 4, shape, &err), &err);
    CHECK_OK(fz_op_randn(be, &x[i], 9, (uint64_t)i, 0, &err), &err);
    xs[i] = &x[i];
  }
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err), &err);
  CHECK_OK(fz_op_lincomb(be, &out, 3, coef, xs, &err), &err);
  int64_t n = fz_tensor_numel(&out);
  for (int64_t j = 0; j < n; j++) {
    double ref = 0;
    for (int i = 0; i < 3; i++) ref += (double)coef[i] * ((float *)x[i].data)[j];
    CHECK_NEAR(((float *)out.data)[j], ref, 1e-5 * (1 + fabs(ref)));
  }
  // aliasing: out = x0 itself
  CHECK_OK(fz_op_lincomb(be, &x[0], 3, coef, xs, &err), &err);
  CHECK(memcmp(x[0].data, out.data, fz_tensor_nbytes(&out)) == 0);
  int64_t bad[1] = {5};
  fz_tensor small;
  CHECK_OK(fz_tensor_alloc(&small, be, FZ_F32, 1, bad, &err), &err);
  xs[1] = &small;
  CHECK(fz_op_lincomb(be, &out, 2, coef, xs, &err) == FZ_EINVAL);
  CHECK(strstr(err.msg, "elements") != NULL);
  fz_tensor_free(&small);
  for (int i = 0; i < 3; i++) fz_tensor_free(&x[i]);
  fz_tensor_free(&out);
}

// Oracle: noise of a tile equals the same window cut out of the whole image's noise (seam consistency),
// and is identical for 1 and 2 threads.
TEST(randn_image_is_tiling_and_thread_invariant) {
  fz_err err = {0};
  int64_t full[4] = {1, 2, 40, 50}, tile[4] = {1, 2, 13, 21};
  fz_tensor a, b, c;
  CHECK_OK(fz_tensor_alloc(&a, fz_backend_cpu(1), FZ_F32, 4, full, &err), &err);
  CHECK_OK(fz_tensor_alloc(&b, fz_backend_cpu(2), FZ_F32, 4, tile, &err), &err);
  CHECK_OK(fz_tensor_alloc(&c, fz_backend_cpu(2), FZ_F32, 4, full, &err), &err);
  CHECK_OK(fz_op_randn_image(a.be, &a, 42, 100, 0, 0, 50, &err), &err);
  CHECK_OK(fz_op_randn_image(c.be, &c, 42, 100, 0, 0, 50, &err), &err);
  CHECK(memcmp(a.data, c.data, fz_tensor_nbytes(&a)) == 0);
  CHECK_OK(fz_op_randn_image(b.be, &b, 42, 100, 7, 29, 50, &err), &err);
  const float *A = a.data, *B = b.data;
  for (int ch = 0; ch < 2; ch++)
    for (int y = 0; y < 13; y++)
      for (int x = 0; x < 21; x++) CHECK(B[(ch * 13 + y) * 21 + x] == A[(ch * 40 + y + 7) * 50 + x + 29]);
  CHECK(fz_op_randn_image(b.be, &b, 42, 100, 7, 40, 50, &err) == FZ_EINVAL);
  fz_tensor_free(&a); fz_tensor_free(&b); fz_tensor_free(&c);
}

TEST(progress_line_and_json) {
  fz_progress p;
  fz_progress_start(&p, "sample", 50, 0);
  p.done = 10;
  char buf[512];
  fz_progress_format(&p, p.t0 + 2.0, buf, sizeof buf);
  CHECKF(strstr(buf, "10/50") && strstr(buf, "5.00 it/s") && strstr(buf, "ETA 0:08"), "line: %s", buf);
  p.json = 1;
  fz_progress_format(&p, p.t0 + 2.0, buf, sizeof buf);
  CHECKF(strstr(buf, "\"done\":10") && strstr(buf, "\"eta_s\":8.000"), "json: %s", buf);
}

TEST(error_wrap_and_backend_lookup) {
  fz_err err = {0};
  fz_fail(&err, FZ_EFORMAT, "field '%s' bad", "shape");
  fz_wrap(&err, "file %s", "a.safetensors");
  CHECK(strcmp(err.msg, "file a.safetensors: field 'shape' bad") == 0 && err.code == FZ_EFORMAT);
  CHECK(fz_backend_get("cpu", 1, &err) != NULL);
  CHECK(fz_backend_get("tpu:0", 1, &err) == NULL && strstr(err.msg, "expected cpu or cuda:N"));
  CHECK(fz_backend_get("cuda:x", 1, &err) == NULL);
}

// Oracle: long-double libm (logl, and sinl/cosl after an exact reduction of u by quarter turns) on 2·10^5 points
// spread over (0, 1], the Philox grid's ends, the quadrant boundaries of 2πu, and the log's mantissa split at
// √2/2: the deterministic log is within 1 ulp and sin/cos(2πu) within 2 ulp of the true values.
TEST(detmath_log_sincos_accuracy) {
  double worst_log = 0, worst_sc = 0;
  for (int i = 0; i < 200000; i++) {
    double u;
    if (i < 8) { static const double e[8] = {0x1p-32, 0.5, 0.25, 0.75, 1.0, 0.7071067811865476, 0.70710678118654746, 1 - 0x1p-33}; u = e[i]; }
    else u = ((double)(uint32_t)(i * 2654435761u) + 0.5) * 0x1p-32;  // the Philox u grid, scrambled
    long double L = logl((long double)u);
    double ulp = nextafter(fabs((double)L), INFINITY) - fabs((double)L);
    if (L != 0) { double e = fabsl(fz_det_log(u) - L) / ulp; if (e > worst_log) worst_log = e; }
    else CHECK(fz_det_log(u) == 0);
    double s, c;
    fz_det_sincos_2pi(u, &s, &c);
    // the oracle reduces exactly in u (u − q/4 is exact), then sin(x + qπ/2) = (sin, cos, −sin, −cos)[q]
    int q = (int)floor(4 * u + 0.5);
    long double a = 2 * 3.14159265358979323846264338327950288L * (long double)(u - q / 4.0), sa = sinl(a), ca = cosl(a);
    long double S = q % 4 == 0 ? sa : q % 4 == 1 ? ca : q % 4 == 2 ? -sa : -ca;
    long double C = q % 4 == 0 ? ca : q % 4 == 1 ? -sa : q % 4 == 2 ? -ca : sa;
    double us = fmax(nextafter(fabs((double)S), INFINITY) - fabs((double)S), 0x1p-72);
    double uc = fmax(nextafter(fabs((double)C), INFINITY) - fabs((double)C), 0x1p-72);
    double es = fabsl(s - S) / us, ec = fabsl(c - C) / uc;
    if (es > worst_sc) worst_sc = es;
    if (ec > worst_sc) worst_sc = ec;
  }
  printf("    detmath: log within %.2f ulp, sin/cos(2πu) within %.2f ulp of long double\n", worst_log, worst_sc);
  CHECKF(worst_log <= 1.0, "log error %.3f ulp", worst_log);
  CHECKF(worst_sc <= 2.0, "sin/cos error %.3f ulp", worst_sc);
}
