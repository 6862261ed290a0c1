// test_cuda_backend.cu — the CUDA backend as fusor code sees it: device lookup and its errors, memory
// round trips, Philox noise bit-identical to the CPU backend (plain and tiled), lincomb in place, the
// segmented GEMM's index check, a multi-op chain against the CPU backend, and `fusor devices` output.
#include "cuda_test_util.h"
#include "cuda_ops.h"
#include <math.h>

// Oracle: fz_backend_get's contract (runtime/backend.h) — "cuda:0" gives a backend of that name; a device
// index beyond the machine's is FZ_EINVAL naming the count; no device at all is FZ_EUNSUP; with two
// (emulated) devices, cuda:1 is a separate backend whose lincomb gives 2·x.
TEST(cuda_backend_lookup_and_errors) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_get("cuda:0", 1, &err);
  CHECKF(be && strcmp(be->name, "cuda:0") == 0, "cuda:0: %s", err.msg);
  CHECK(fz_backend_get("cuda", 1, &err) == be);
  CHECK(fz_backend_cuda(9, &err) == NULL && err.code == FZ_EINVAL && strstr(err.msg, "device(s)"));
#ifdef FZ_CUDA_EMULATED
  fz_simt::set_device_count(2);  // a second device: its own table, name and stream; ops run on it
  const fz_backend *be1 = fz_backend_cuda(1, &err);
  CHECKF(be1 && be1 != be && strcmp(be1->name, "cuda:1") == 0, "cuda:1: %s", err.msg);
  int64_t sh[1] = {5};
  fz_tensor t1;
  float h1[5] = {1, 2, 3, 4, 5}, r1[5];
  const fz_tensor *xs1[1] = {&t1};
  float two = 2.0f;
  CHECK_OK(fz_tensor_alloc(&t1, be1, FZ_F32, 1, sh, &err), &err);
  CHECK_OK(fz_tensor_upload(&t1, h1, sizeof h1, &err), &err);
  CHECK_OK(fz_op_lincomb(be1, &t1, 1, &two, xs1, &err), &err);
  CHECK_OK(fz_tensor_download(&t1, r1, sizeof r1, &err), &err);
  fz_tensor_free(&t1);
  for (int i = 0; i < 5; i++) CHECK(r1[i] == 2.0f * h1[i]);
  fz_simt::set_device_count(0);
  const fz_backend *none = fz_backend_cuda(0, &err);
  fz_simt::set_device_count(1);
  CHECKF(none == NULL && err.code == FZ_EUNSUP && strstr(err.msg, "no CUDA device"), "%s", err.msg);
#endif
}

// Oracle: runtime/rng.c's fz_philox_fill_normal (the CPU definition of the noise) — every number of
// several (seed, stream, offset, length) windows, compared bit for bit, including offsets that start
// inside a Philox block and lengths that end inside one.
TEST(cuda_randn_bit_identical_to_cpu) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  const int64_t n = 50000;
  float *got = (float *)malloc(n * sizeof(float)), *ref = (float *)malloc(n * sizeof(float));
  fz_tensor t;
  int64_t shape[1] = {n};
  CHECK_OK(fz_tensor_alloc(&t, be, FZ_F32, 1, shape, &err), &err);
  int bad = 0;
  char msg[200] = "";
  for (int k = 0; k < 8 && !bad; k++) {
    uint64_t seed = 1234567ull * (k + 1), stream = (uint64_t)k * 3, offset = (uint64_t)k * 1000003ull + (uint64_t)k;
    int64_t len = n - k * 7;
    t.shape[0] = len;
    CHECK_OK(fz_op_randn(be, &t, seed, stream, offset, &err), &err);
    CHECK_OK(fz_tensor_download(&t, got, (size_t)len * sizeof(float), &err), &err);
    fz_philox_fill_normal(ref, (uint64_t)len, seed, stream, offset);
    for (int64_t i = 0; i < len; i++)
      if (memcmp(&got[i], &ref[i], 4) != 0) {
        snprintf(msg, sizeof msg, "window %d index %lld: %.9g vs %.9g", k, (long long)i, (double)got[i], (double)ref[i]);
        bad = 1;
        break;
      }
  }
  t.shape[0] = n;
  fz_tensor_free(&t);
  free(got); free(ref);
  CHECKF(!bad, "%s", msg);
}

// Oracle: the CPU backend's randn_image of the whole image (itself defined by rng.h's index layout and
// tested for seam consistency in test_runtime.c): every tile the CUDA backend draws equals the same window
// of the CPU's whole-image noise, bit for bit.
TEST(cuda_randn_image_tiles_match_cpu) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err), *cpu = fz_backend_cpu(1);
  CHECKF(be, "%s", err.msg);
  int64_t full[4] = {2, 3, 37, 61};
  fz_tensor whole;
  CHECK_OK(fz_tensor_alloc(&whole, cpu, FZ_F32, 4, full, &err), &err);
  CHECK_OK(fz_op_randn_image(cpu, &whole, 77, 500, 0, 0, 61, &err), &err);
  const float *W = (const float *)whole.data;
  const int64_t tiles[3][4] = {{5, 13, 0, 0}, {11, 17, 3, 29}, {37, 61, 0, 0}};  // h, w, y0, x0
  int bad = 0;
  for (int k = 0; k < 3 && !bad; k++) {
    int64_t ts[4] = {2, 3, tiles[k][0], tiles[k][1]}, y0 = tiles[k][2], x0 = tiles[k][3];
    fz_tensor tile;
    CHECK_OK(fz_tensor_alloc(&tile, be, FZ_F32, 4, ts, &err), &err);
    int rc = fz_op_randn_image(be, &tile, 77, 500, y0, x0, 61, &err);
    int64_t n = fz_tensor_numel(&tile);
    float *h = (float *)malloc((size_t)n * sizeof(float));
    if (!rc) rc = fz_tensor_download(&tile, h, (size_t)n * sizeof(float), &err);
    fz_tensor_free(&tile);
    for (int64_t i = 0; !rc && i < n && !bad; i++) {
      int64_t x = i % ts[3], y = (i / ts[3]) % ts[2], pl = i / (ts[2] * ts[3]);
      bad = memcmp(&h[i], &W[(pl * 37 + y0 + y) * 61 + x0 + x], 4) != 0;
    }
    free(h);
    CHECKF(rc == 0, "tile %d: %s", k, err.msg);
  }
  fz_tensor_free(&whole);
  CHECK(!bad);
}

// Oracle: a double-precision loop; out aliases the first input (allowed by fz_op_lincomb).
TEST(cuda_lincomb_in_place) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  const int n = 3001;
  float a[n], b[n], r[n];
  for (int i = 0; i < n; i++) { a[i] = sinf((float)i); b[i] = cosf(0.5f * (float)i); }
  int64_t shape[1] = {n};
  fz_tensor ta, tb;
  CHECK_OK(fz_tensor_alloc(&ta, be, FZ_F32, 1, shape, &err), &err);
  CHECK_OK(fz_tensor_alloc(&tb, be, FZ_F32, 1, shape, &err), &err);
  CHECK_OK(fz_tensor_upload(&ta, a, sizeof a, &err), &err);
  CHECK_OK(fz_tensor_upload(&tb, b, sizeof b, &err), &err);
  const fz_tensor *xs[2] = {&ta, &tb};
  float coef[2] = {0.75f, -2.5f};
  CHECK_OK(fz_op_lincomb(be, &ta, 2, coef, xs, &err), &err);
  CHECK_OK(fz_tensor_download(&ta, r, sizeof r, &err), &err);
  fz_tensor_free(&ta);
  fz_tensor_free(&tb);
  for (int i = 0; i < n; i++) CHECK_NEAR(r[i], 0.75 * a[i] - 2.5 * b[i], 1e-6 * (1 + fabs(0.75 * a[i] - 2.5 * b[i])));
}

// Oracle: fz_op_gemm_segmented's contract (runtime/ops_nn.h) — an index outside [0, G) is FZ_EINVAL
// naming the first such row and its value, as the CPU backend reports it.
TEST(cuda_gemm_segmented_rejects_bad_cluster_index) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  int64_t xs[2] = {6, 4}, ws[3] = {3, 4, 5}, is[1] = {6}, os[2] = {6, 5};
  fz_tensor x, w, idx, out;
  float hx[24], hw[60];
  int32_t hi[6] = {0, 2, 1, 7, -1, 2};
  for (int i = 0; i < 24; i++) hx[i] = (float)i;
  for (int i = 0; i < 60; i++) hw[i] = (float)(i % 5);
  CHECK_OK(fz_tensor_alloc(&x, be, FZ_F32, 2, xs, &err), &err);
  CHECK_OK(fz_tensor_alloc(&w, be, FZ_F32, 3, ws, &err), &err);
  CHECK_OK(fz_tensor_alloc(&idx, be, FZ_I32, 1, is, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 2, os, &err), &err);
  CHECK_OK(fz_tensor_upload(&x, hx, sizeof hx, &err), &err);
  CHECK_OK(fz_tensor_upload(&w, hw, sizeof hw, &err), &err);
  CHECK_OK(fz_tensor_upload(&idx, hi, sizeof hi, &err), &err);
  int rc = fz_op_gemm_segmented(be, &out, &x, &w, NULL, &idx, &err);
  fz_tensor_free(&x); fz_tensor_free(&w); fz_tensor_free(&idx); fz_tensor_free(&out);
  CHECKF(rc == FZ_EINVAL && strstr(err.msg, "idx[3] = 7"), "rc %d: %s", rc, err.msg);
}

// Oracle: the CPU backend's kmeans_update (tested against double loops in tests/cases_seq_kmeans.c), which the
// CUDA update must reproduce bit for bit (same double sums per 4096-point block, blocks in order): two images of
// 9000 points (nine 1024-point sort chunks, three 4096-point sum blocks), 13 clusters with one left empty; then
// an assignment outside [0, K) must be refused with FZ_EINVAL naming image and index.
TEST(cuda_kmeans_update_bit_identical_to_cpu) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *bes[2] = {fz_backend_cpu(2), fz_backend_cuda(0, &err)};
  CHECKF(bes[1], "%s", err.msg);
  enum { B = 2, N = 9000, D = 7, K = 13 };
  float *hx = (float *)malloc(sizeof(float) * B * N * D), *hc = (float *)malloc(sizeof(float) * B * K * D);
  int32_t *ha = (int32_t *)malloc(sizeof(int32_t) * B * N);
  float *got[2] = {(float *)malloc(sizeof(float) * B * K * D), (float *)malloc(sizeof(float) * B * K * D)};
  int32_t gotn[2][B * K];
  CHECK(hx && hc && ha && got[0] && got[1]);
  uint64_t r = 12345;
  for (int i = 0; i < B * N * D; i++) { r = r * 6364136223846793005ull + 1442695040888963407ull; hx[i] = (float)ldexp((r >> 40) / 16777216.0 - 0.5, (int)((r >> 20) % 61) - 30); }  // wide range: double sums depend on order
  for (int i = 0; i < B * K * D; i++) hc[i] = (float)(i % 11);
  for (int i = 0; i < B * N; i++) { r = r * 6364136223846793005ull + 1442695040888963407ull; ha[i] = (int32_t)((r >> 33) % (K - 1)); }
  // dimension 0 of image 0: ones, except ±2^60 at cluster 0's first points of sum blocks 0 and 1: per-block
  // double sums lose block 1's ones (absorbed by −2^60), one running sum keeps them: the result tells the order
  for (int i = 0; i < N; i++) hx[i * D] = 1.0f;
  int first0 = 0, first1 = 4096;
  while (ha[first0]) first0++;
  while (ha[first1]) first1++;
  hx[first0 * D] = 0x1p60f;
  hx[first1 * D] = -0x1p60f;
  int64_t xs[3] = {B, N, D}, cs[3] = {B, K, D}, as[2] = {B, N}, ns[2] = {B, K};
  for (int k = 0; k < 2; k++) {
    fz_tensor x, c, a, n;
    CHECK_OK(fz_tensor_alloc(&x, bes[k], FZ_F32, 3, xs, &err), &err);
    CHECK_OK(fz_tensor_alloc(&c, bes[k], FZ_F32, 3, cs, &err), &err);
    CHECK_OK(fz_tensor_alloc(&a, bes[k], FZ_I32, 2, as, &err), &err);
    CHECK_OK(fz_tensor_alloc(&n, bes[k], FZ_I32, 2, ns, &err), &err);
    CHECK_OK(fz_tensor_upload(&x, hx, sizeof(float) * B * N * D, &err), &err);
    CHECK_OK(fz_tensor_upload(&c, hc, sizeof(float) * B * K * D, &err), &err);
    CHECK_OK(fz_tensor_upload(&a, ha, sizeof(int32_t) * B * N, &err), &err);
    CHECK_OK(fz_op_kmeans_update(bes[k], &c, &n, &x, &a, &err), &err);
    CHECK_OK(fz_tensor_download(&c, got[k], sizeof(float) * B * K * D, &err), &err);
    CHECK_OK(fz_tensor_download(&n, gotn[k], sizeof gotn[k], &err), &err);
    if (k == 1) {  // an out-of-range assignment in image 1
      ha[N + 4321] = K + 3;
      CHECK_OK(fz_tensor_upload(&a, ha, sizeof(int32_t) * B * N, &err), &err);
      int rc = fz_op_kmeans_update(bes[k], &c, &n, &x, &a, &err);
      CHECKF(rc == FZ_EINVAL && strstr(err.msg, "assignment[1][4321] = 16"), "rc %d: %s", rc, err.msg);
    }
    fz_tensor_free(&x); fz_tensor_free(&c); fz_tensor_free(&a); fz_tensor_free(&n);
  }
  CHECK(memcmp(gotn[0], gotn[1], sizeof gotn[0]) == 0);
  CHECK(gotn[0][K - 1] == 0 && gotn[0][K + 2] > 0);
  for (int i = 0; i < B * K * D; i++) CHECKF(got[0][i] == got[1][i], "centroid value %d: cpu %.9g cuda %.9g", i, (double)got[0][i], (double)got[1][i]);
  free(hx); free(hc); free(ha); free(got[0]); free(got[1]);
}

// Oracle: the CPU backend's kmeans_init (k-means++ seeding; tested in tests/cases_seq_kmeans.c), which the CUDA
// seeding must reproduce exactly (same f32 distances, same double sums per 4096-point block, same walk): two images
// of 13 000 points (four sum blocks, the last partial) in 5 dimensions with values over a wide range, 19 centroids;
// the chosen indices and the centroid rows must be identical. A third image of identical points checks the
// all-zero-distance fallback (u·N).
TEST(cuda_kmeans_init_bit_identical_to_cpu) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *bes[2] = {fz_backend_cpu(2), fz_backend_cuda(0, &err)};
  CHECKF(bes[1], "%s", err.msg);
  enum { B = 3, N = 13000, D = 5, K = 19 };
  float *hx = (float *)malloc(sizeof(float) * B * N * D);
  float *got[2] = {(float *)malloc(sizeof(float) * B * K * D), (float *)malloc(sizeof(float) * B * K * D)};
  int32_t ch[2][B * K];
  CHECK(hx && got[0] && got[1]);
  uint64_t r = 777;
  for (int i = 0; i < 2 * N * D; i++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    hx[i] = (float)ldexp((r >> 40) / 16777216.0 - 0.5, (int)((r >> 20) % 9) - 4);
  }
  for (int i = 2 * N * D; i < B * N * D; i++) hx[i] = 0.25f;  // image 2: every point the same
  int64_t xs[3] = {B, N, D}, cs[3] = {B, K, D}, ks[2] = {B, K};
  for (int k = 0; k < 2; k++) {
    fz_tensor x, c, idx;
    CHECK_OK(fz_tensor_alloc(&x, bes[k], FZ_F32, 3, xs, &err), &err);
    CHECK_OK(fz_tensor_alloc(&c, bes[k], FZ_F32, 3, cs, &err), &err);
    CHECK_OK(fz_tensor_alloc(&idx, bes[k], FZ_I32, 2, ks, &err), &err);
    CHECK_OK(fz_tensor_upload(&x, hx, sizeof(float) * B * N * D, &err), &err);
    CHECK_OK(fz_op_kmeans_init(bes[k], &c, &idx, &x, 42, 3, &err), &err);
    CHECK_OK(fz_tensor_download(&c, got[k], sizeof(float) * B * K * D, &err), &err);
    CHECK_OK(fz_tensor_download(&idx, ch[k], sizeof ch[k], &err), &err);
    fz_tensor_free(&x); fz_tensor_free(&c); fz_tensor_free(&idx);
  }
  for (int i = 0; i < B * K; i++) CHECKF(ch[0][i] == ch[1][i], "image %d centroid %d: cpu chose %d, cuda %d", i / K, i % K, ch[0][i], ch[1][i]);
  CHECK(memcmp(got[0], got[1], sizeof(float) * B * K * D) == 0);
  int spread = 0;  // the choices of image 0 reach past the first sum block
  for (int i = 0; i < K; i++) spread |= ch[0][i] >= 4096;
  CHECK(spread);
  free(hx); free(got[0]); free(got[1]);
}

// Oracle: the CPU backend on the same inputs (each of its ops is tested against double loops): a chain of
// reflect-padded 3×3 conv → GroupNorm + SiLU → strided depthwise conv → 1×1 conv + GELU → softmax over
// channels → layer norm, run through both backends; fp32 outputs agree within 1e-5 (mixed abs/rel).
TEST(cuda_op_chain_matches_cpu) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *bes[2] = {fz_backend_cpu(2), fz_backend_cuda(0, &err)};
  CHECKF(bes[1], "%s", err.msg);
  int64_t sx[4] = {2, 8, 19, 23}, sw1[4] = {12, 8, 3, 3}, sw2[4] = {12, 1, 3, 3}, sw3[4] = {16, 12, 1, 1};
  int64_t n_x = 2 * 8 * 19 * 23, n_w1 = 12 * 8 * 9, n_w2 = 12 * 9, n_w3 = 16 * 12;
  float *hx = (float *)malloc(n_x * 4), *hw1 = (float *)malloc(n_w1 * 4), *hw2 = (float *)malloc(n_w2 * 4), *hw3 = (float *)malloc(n_w3 * 4);
  fz_philox_fill_uniform(hx, (uint64_t)n_x, 5, 0, 0);
  fz_philox_fill_uniform(hw1, (uint64_t)n_w1, 5, 1, 0);
  fz_philox_fill_uniform(hw2, (uint64_t)n_w2, 5, 2, 0);
  fz_philox_fill_uniform(hw3, (uint64_t)n_w3, 5, 3, 0);
  for (int64_t i = 0; i < n_w1; i++) hw1[i] -= 0.5f;
  for (int64_t i = 0; i < n_w3; i++) hw3[i] -= 0.5f;
  float *res[2] = {NULL, NULL};
  int64_t n_out = 0;
  for (int b = 0; b < 2; b++) {
    const fz_backend *be = bes[b];
    fz_tensor x, w1, w2, w3, y1, y1g, y2, y3, y4;
    int64_t s1[4] = {2, 12, 19, 23}, s2[4] = {2, 12, 10, 12}, s3[4] = {2, 16, 10, 12};
    fz_conv2d_params c1, c2, c3;
    memset(&c1, 0, sizeof c1); memset(&c2, 0, sizeof c2); memset(&c3, 0, sizeof c3);
    c1.pad_h = c1.pad_w = 1; c1.pad_mode = FZ_PAD_REFLECT;
    c2.pad_h = c2.pad_w = 1; c2.stride_h = c2.stride_w = 2; c2.groups = 12;
    c3.act = FZ_ACT_GELU;
    int rc = fz_tensor_alloc(&x, be, FZ_F32, 4, sx, &err);
    if (!rc) rc = fz_tensor_alloc(&w1, be, FZ_F32, 4, sw1, &err);
    if (!rc) rc = fz_tensor_alloc(&w2, be, FZ_F32, 4, sw2, &err);
    if (!rc) rc = fz_tensor_alloc(&w3, be, FZ_F32, 4, sw3, &err);
    if (!rc) rc = fz_tensor_alloc(&y1, be, FZ_F32, 4, s1, &err);
    if (!rc) rc = fz_tensor_alloc(&y1g, be, FZ_F32, 4, s1, &err);
    if (!rc) rc = fz_tensor_alloc(&y2, be, FZ_F32, 4, s2, &err);
    if (!rc) rc = fz_tensor_alloc(&y3, be, FZ_F32, 4, s3, &err);
    if (!rc) rc = fz_tensor_alloc(&y4, be, FZ_F32, 4, s3, &err);
    CHECKF(rc == 0, "%s", err.msg);
    rc = fz_tensor_upload(&x, hx, n_x * 4, &err);
    if (!rc) rc = fz_tensor_upload(&w1, hw1, n_w1 * 4, &err);
    if (!rc) rc = fz_tensor_upload(&w2, hw2, n_w2 * 4, &err);
    if (!rc) rc = fz_tensor_upload(&w3, hw3, n_w3 * 4, &err);
    if (!rc) rc = fz_op_conv2d(be, &y1, &x, &w1, NULL, &c1, &err);
    if (!rc) rc = fz_op_group_norm(be, &y1g, &y1, 4, NULL, NULL, 1e-5f, FZ_ACT_SILU, 0, &err);
    if (!rc) rc = fz_op_conv2d(be, &y2, &y1g, &w2, NULL, &c2, &err);
    if (!rc) rc = fz_op_conv2d(be, &y3, &y2, &w3, NULL, &c3, &err);
    if (!rc) rc = fz_op_softmax(be, &y4, &y3, 1, &err);
    if (!rc) rc = fz_op_layer_norm(be, &y4, &y4, NULL, NULL, 1e-5f, &err);
    n_out = fz_tensor_numel(&y4);
    res[b] = (float *)malloc((size_t)n_out * 4);
    if (!rc) rc = fz_tensor_download(&y4, res[b], (size_t)n_out * 4, &err);
    fz_tensor_free(&x); fz_tensor_free(&w1); fz_tensor_free(&w2); fz_tensor_free(&w3);
    fz_tensor_free(&y1); fz_tensor_free(&y1g); fz_tensor_free(&y2); fz_tensor_free(&y3); fz_tensor_free(&y4);
    CHECKF(rc == 0, "%s: %s", be->name, err.msg);
  }
  double worst = 0;
  for (int64_t i = 0; i < n_out; i++) {
    double e = fabs((double)res[0][i] - res[1][i]) / (1 + fabs((double)res[0][i]));
    if (!(e <= worst)) worst = e;
  }
  free(hx); free(hw1); free(hw2); free(hw3); free(res[0]); free(res[1]);
  CHECKF(worst <= 1e-5, "cuda vs cpu: max mixed error %.3g", worst);
}

// Oracle: the `fusor devices` format documented in tools/cmd_devices.c — a "cuda:N" line with memory and
// compute capability per device, or a JSON object with "available":true and "compute_capability".
TEST(cuda_list_devices_output) {
  CUT_NEED_DEVICE();
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CHECK(f != NULL);
  fz_cuda_list_devices(f, 0);
  fz_cuda_list_devices(f, 1);
  fclose(f);
  int ok = strstr(buf, "cuda:0  ") && strstr(buf, "compute capability") && strstr(buf, "GiB") &&
           strstr(buf, "\"available\":true") && strstr(buf, "\"compute_capability\":\"");
  CHECKF(ok, "output: %s", buf);
  free(buf);
}

// Runs out = alpha·op(a)·op(b) + beta·out for a [Ba?,·,·], b [Bb?,·,·], out [B,m,n] through the backend's
// gemm (cuBLAS) and through the tiled kernel; returns the worse mixed error of the two against ref.
static double gemm_both_paths(const fz_backend *be, int ta, int tb, int bcast_a, int64_t B, int64_t m, int64_t n, int64_t k,
                              float alpha, float beta, fz_err *err, int *rc) {
  int64_t na = (bcast_a ? 1 : B) * m * k, nb = B * k * n, nc = B * m * n;
  float *ha = (float *)malloc(na * 4), *hb = (float *)malloc(nb * 4), *hc = (float *)malloc(nc * 4), *got = (float *)malloc(nc * 4);
  fz_philox_fill_uniform(ha, (uint64_t)na, 9, 1, 0);
  fz_philox_fill_uniform(hb, (uint64_t)nb, 9, 2, 0);
  fz_philox_fill_uniform(hc, (uint64_t)nc, 9, 3, 0);
  if (beta == 0.0f) for (int64_t i = 0; i < nc; i++) hc[i] = NAN;  // beta = 0 must not read out
  int64_t sa[3] = {bcast_a ? 1 : B, ta ? k : m, ta ? m : k}, sb[3] = {B, tb ? n : k, tb ? k : n}, sc[3] = {B, m, n};
  fz_tensor a, b, c;
  double worst = 0;
  *rc = fz_tensor_alloc(&a, be, FZ_F32, 3, sa, err);
  if (!*rc) *rc = fz_tensor_alloc(&b, be, FZ_F32, 3, sb, err);
  if (!*rc) *rc = fz_tensor_alloc(&c, be, FZ_F32, 3, sc, err);
  if (!*rc) *rc = fz_tensor_upload(&a, ha, na * 4, err);
  if (!*rc) *rc = fz_tensor_upload(&b, hb, nb * 4, err);
  for (int path = 0; path < 2 && !*rc; path++) {
    *rc = fz_tensor_upload(&c, hc, nc * 4, err);
    if (!*rc) *rc = path ? fz_cuda_gemm_batched_tiled(be, &c, &a, &b, B, bcast_a ? 1 : B, B, m, n, k, ta, tb, alpha, beta, err)
                         : fz_op_gemm_batched(be, &c, &a, &b, ta, tb, alpha, beta, err);
    if (!*rc) *rc = fz_tensor_download(&c, got, nc * 4, err);
    for (int64_t z = 0; !*rc && z < B; z++)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
          const float *A = ha + (bcast_a ? 0 : z * m * k), *Bm = hb + z * k * n;
          double s = 0;
          for (int64_t p = 0; p < k; p++) s += (double)(ta ? A[p * m + i] : A[i * k + p]) * (tb ? Bm[j * k + p] : Bm[p * n + j]);
          double ref = alpha * s + (beta == 0.0f ? 0.0 : beta * (double)hc[(z * m + i) * n + j]);
          double e = fabs(got[(z * m + i) * n + j] - ref) / (1 + fabs(ref));
          if (!(e <= worst)) worst = e;
        }
  }
  fz_tensor_free(&a); fz_tensor_free(&b); fz_tensor_free(&c);
  free(ha); free(hb); free(hc); free(got);
  return worst;
}

// Oracle: a double-precision loop of out = alpha·op(a)·op(b) + beta·out (beta = 0 ignores out, which holds
// NaN), for every transposition, a broadcast operand and odd sizes — through cuBLAS (the emulation's shim
// checks the column-major call) and through the hand-written tiled kernel.
TEST(cuda_gemm_cublas_and_tiled_paths) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int bc = 0; bc < 2; bc++) {
        int rc = 0;
        double e = gemm_both_paths(be, ta, tb, bc, 3, 37, 70, 19, bc ? -1.5f : 1.0f, bc ? 0.0f : 0.5f, &err, &rc);
        CHECKF(rc == 0, "ta %d tb %d bcast %d: %s", ta, tb, bc, err.msg);
        CHECKF(e <= 1e-5, "ta %d tb %d bcast %d: error %.3g", ta, tb, bc, e);
      }
}

#ifdef FZ_CUDA_EMULATED
// Oracle: the cuBLAS user guide — C = alpha·op(A)·op(B) + beta·C on column-major matrices with leading
// dimensions (here A 2×3 with lda 4, so A(i,p) = A[i + 4p]); ld smaller than the rows is
// CUBLAS_STATUS_INVALID_VALUE; and (the emulation's extra check) a matrix running past its allocation is
// rejected with a message naming it.
TEST(simt_cublas_shim_semantics) {
  cublasHandle_t h;
  CHECK(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS);
  float hA[12] = {1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0}, hB[3] = {1, 10, 100}, hC[2] = {7, 7}, r[2];
  float *A, *B, *C, one = 1.0f, two = 2.0f;
  CUT_OK(cudaMalloc(&A, sizeof hA));
  CUT_OK(cudaMalloc(&B, sizeof hB));
  CUT_OK(cudaMalloc(&C, sizeof hC));
  CUT_OK(cudaMemcpy(A, hA, sizeof hA, cudaMemcpyHostToDevice));
  CUT_OK(cudaMemcpy(B, hB, sizeof hB, cudaMemcpyHostToDevice));
  CUT_OK(cudaMemcpy(C, hC, sizeof hC, cudaMemcpyHostToDevice));
  // C (2×1) = 1·A(2×3)·B(3×1) + 2·C: rows (1·1 + 3·10 + 5·100, 2·1 + 4·10 + 6·100) + 14 = (545, 656)
  CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 3, &one, A, 4, B, 3, &two, C, 2) == CUBLAS_STATUS_SUCCESS);
  CUT_OK(cudaMemcpy(r, C, sizeof r, cudaMemcpyDeviceToHost));
  CHECKF(r[0] == 545 && r[1] == 656, "got %g %g", (double)r[0], (double)r[1]);
  CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 3, &one, A, 1, B, 3, &two, C, 2) == CUBLAS_STATUS_INVALID_VALUE);
  CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 4, &one, A, 4, B, 4, &two, C, 2) == CUBLAS_STATUS_INVALID_VALUE);
  CHECKF(strstr(fz_simt::last_message(), "matrix A") || strstr(fz_simt::last_message(), "matrix B"), "%s", fz_simt::last_message());
  CHECK(cublasDestroy(h) == CUBLAS_STATUS_SUCCESS);
  CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 3, &one, A, 4, B, 3, &two, C, 2) == CUBLAS_STATUS_NOT_INITIALIZED);
  cudaFree(A); cudaFree(B); cudaFree(C);
}
#endif
