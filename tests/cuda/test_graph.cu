// test_graph.cu — CUDA Graph capture (kernels/cuda/graph.cu; emulated by kernels/cuda/simt/simt_graph.cpp):
// ops issued while capturing do not run; one graph launch replays them.
// Oracle: the same ops issued directly on the same inputs (bitwise equal: the same kernels on the same data),
// and, for the model, the CPU backend's forward (tests/test_models.c checks it against the official code).
#include "cuda_test_util.h"
extern "C" {
#include "../../models/model.h"
}
#include <math.h>

#include "cuda_graph.h"

// y = gelu(x·w1ᵀ + b1) then z = y·w2ᵀ (linear + act + cuBLAS batched GEMM path + a copy): a small network call.
static int net(const fz_backend *be, fz_tensor *z, const fz_tensor *x, const fz_tensor *w1, const fz_tensor *b1, fz_tensor *y,
               const fz_tensor *w2, fz_err *err) {
  int rc = fz_op_linear(be, y, x, w1, b1, FZ_ACT_GELU, 0, 0, err);
  if (!rc) rc = fz_op_linear(be, z, y, w2, NULL, FZ_ACT_NONE, 0, 0, err);
  return rc;
}

TEST(cuda_graph_capture_replay_ops) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  fz_tensor x, w1, b1, w2, y, z;
  int64_t xs[2] = {33, 40}, w1s[2] = {48, 40}, b1s[1] = {48}, w2s[2] = {24, 48}, ys[2] = {33, 48}, zs[2] = {33, 24};
  CHECK_OK(fz_case_rand(be, &x, 2, xs, 3, 1, -1, 1, NULL, &err), &err);
  CHECK_OK(fz_case_rand(be, &w1, 2, w1s, 3, 2, -1, 1, NULL, &err), &err);
  CHECK_OK(fz_case_rand(be, &b1, 1, b1s, 3, 3, -1, 1, NULL, &err), &err);
  CHECK_OK(fz_case_rand(be, &w2, 2, w2s, 3, 4, -1, 1, NULL, &err), &err);
  CHECK_OK(fz_tensor_alloc(&y, be, FZ_F32, 2, ys, &err), &err);
  CHECK_OK(fz_tensor_alloc(&z, be, FZ_F32, 2, zs, &err), &err);
  float zero[33 * 24] = {0};
  CHECK_OK(fz_tensor_upload(&z, zero, sizeof zero, &err), &err);
  // Capture: nothing runs, z stays zero.
  fz_cuda_graph *g = NULL;
  CHECK_OK(fz_cuda_graph_begin(be, &err), &err);
  int rc = net(be, &z, &x, &w1, &b1, &y, &w2, &err);
  int rc2 = fz_cuda_graph_end(be, &g, &err);
  CHECKF(!rc && !rc2 && g, "capture: %s", err.msg);
  float *h = fz_case_download(&z, &err);
  int untouched = 1;
  for (int i = 0; i < 33 * 24; i++) untouched &= h[i] == 0.0f;
  free(h);
  CHECKF(untouched, "ops ran while being captured");
  // New inputs in the same buffers, then one launch vs the direct ops.
  for (int round = 0; round < 2; round++) {
    float *hx = NULL;
    fz_tensor x2;
    CHECK_OK(fz_case_rand(be, &x2, 2, xs, 10 + round, 1, -2, 2, &hx, &err), &err);
    CHECK_OK(fz_tensor_upload(&x, hx, sizeof(float) * 33 * 40, &err), &err);
    fz_tensor_free(&x2);
    free(hx);
    CHECK_OK(fz_cuda_graph_launch(be, g, &err), &err);
    float *got = fz_case_download(&z, &err);
    CHECK_OK(net(be, &z, &x, &w1, &b1, &y, &w2, &err), &err);
    float *want = fz_case_download(&z, &err);
    CHECKF(got && want && !memcmp(got, want, sizeof(float) * 33 * 24), "round %d: graph replay differs from the direct ops", round);
    double mx = 0;
    for (int i = 0; i < 33 * 24; i++) mx = fmax(mx, fabs(want[i]));
    CHECK(mx > 0.1);  // (a real result, not zeros)
    free(got);
    free(want);
  }
  // A synchronising call inside a capture fails and invalidates it, with a message.
  CHECK_OK(fz_cuda_graph_begin(be, &err), &err);
  float tmp[4];
  CHECK(be->download(be, tmp, z.data, sizeof tmp, &err) != 0);
  fz_cuda_graph *bad = NULL;
  CHECK(fz_cuda_graph_end(be, &bad, &err) != 0 && bad == NULL);
  CHECKF(strstr(err.msg, "cudaStreamEndCapture"), "%s", err.msg);
  cudaGetLastError();
  fz_cuda_graph_free(g);
  fz_tensor *all[] = {&x, &w1, &b1, &w2, &y, &z};
  for (fz_tensor *t : all) fz_tensor_free(t);
}

// A whole FusionNet forward as one graph launch (after one direct forward sized its scratch pool), at 8×8 (every
// conv on the hand-written kernels) and at 64×64 (its dense convs through cuDNN: the emulated shim records each
// cudnnConvolutionForward as a graph node, as cuDNN's kernels are captured on a GPU). Oracles: the direct forward
// (bitwise) and the CPU backend (1e-5); under the emulation, no cuDNN call runs during the capture and the replay
// runs them.
static void graph_forward_case(fz_tctx *t_, int64_t H) {
  CUT_NEED_DEVICE();
  const char *path = fz_test_shared("weights/dlpan_wv3/fusionnet.pth");
  if (!path) SKIP("../shared/weights/dlpan_wv3/fusionnet.pth absent");
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  fz_pan_model *m = NULL;
  CHECK_OK(fz_model_load(path, NULL, be, &m, &err), &err);
  const fz_model_info *I = fz_model_get_info(m);
  const int64_t C = I->bands;
  fz_tensor ms, lms, pan, out;
  int64_t mss[4] = {1, C, H / 4, H / 4}, lmss[4] = {1, C, H, H}, pans[4] = {1, 1, H, H};
  float *hms = NULL, *hlms = NULL, *hpan = NULL;
  CHECK_OK(fz_case_rand(be, &ms, 4, mss, 5, 1, 0, 1, &hms, &err), &err);
  CHECK_OK(fz_case_rand(be, &lms, 4, lmss, 5, 2, 0, 1, &hlms, &err), &err);
  CHECK_OK(fz_case_rand(be, &pan, 4, pans, 5, 3, 0, 1, &hpan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, lmss, &err), &err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  CHECK_OK(fz_model_forward(m, &in, &out, &err), &err);  // warm-up: the scratch pool is sized
  float *direct = fz_case_download(&out, &err);
  CHECKF(direct, "%s", err.msg);
#ifdef FZ_CUDA_EMULATED
  const uint64_t cap0 = fz_simt::graph_nodes_captured(), dnn0 = fz_simt::cudnn_forward_calls();
#endif
  fz_cuda_graph *g = NULL;
  CHECK_OK(fz_cuda_graph_begin(be, &err), &err);
  int rc = fz_model_forward(m, &in, &out, &err);
  int rc2 = fz_cuda_graph_end(be, &g, &err);
  CHECKF(!rc && !rc2 && g, "capture of the forward: %s", err.msg);
#ifdef FZ_CUDA_EMULATED
  const uint64_t dnn1 = fz_simt::cudnn_forward_calls();
  CHECKF(dnn1 == dnn0, "%llu cuDNN convolutions ran during the capture", (unsigned long long)(dnn1 - dnn0));
#endif
  CHECK_OK(fz_cuda_graph_launch(be, g, &err), &err);
#ifdef FZ_CUDA_EMULATED
  const uint64_t dnn2 = fz_simt::cudnn_forward_calls();
  if (H >= 64) CHECKF(dnn2 > dnn1, "the replay ran no cuDNN convolution at %lldx%lld", (long long)H, (long long)H);
#endif
  float *got = fz_case_download(&out, &err);
  CHECKF(got && !memcmp(got, direct, fz_tensor_nbytes(&out)), "graph replay of the forward differs from the direct forward");
#ifdef FZ_CUDA_EMULATED
  printf("     fusionnet %lldx%lld forward: %llu captured nodes (%llu cuDNN), replayed as one graph launch\n", (long long)H,
         (long long)H, (unsigned long long)(fz_simt::graph_nodes_captured() - cap0), (unsigned long long)(dnn2 - dnn1));
#endif
  // Against the CPU backend (1e-5 relative to the largest output).
  fz_pan_model *mc = NULL;
  CHECK_OK(fz_model_load(path, NULL, fz_backend_cpu(0), &mc, &err), &err);
  fz_tensor cms, clms, cpan, cout_;
  CHECK_OK(fz_tensor_alloc(&cms, fz_backend_cpu(0), FZ_F32, 4, mss, &err), &err);
  CHECK_OK(fz_tensor_alloc(&clms, fz_backend_cpu(0), FZ_F32, 4, lmss, &err), &err);
  CHECK_OK(fz_tensor_alloc(&cpan, fz_backend_cpu(0), FZ_F32, 4, pans, &err), &err);
  CHECK_OK(fz_tensor_alloc(&cout_, fz_backend_cpu(0), FZ_F32, 4, lmss, &err), &err);
  memcpy(cms.data, hms, fz_tensor_nbytes(&cms));
  memcpy(clms.data, hlms, fz_tensor_nbytes(&clms));
  memcpy(cpan.data, hpan, fz_tensor_nbytes(&cpan));
  fz_pan_inputs cin = {&cms, &clms, &cpan};
  CHECK_OK(fz_model_forward(mc, &cin, &cout_, &err), &err);
  const float *ref = (const float *)cout_.data;
  double md = 0, mr = 0;
  for (int64_t i = 0; i < fz_tensor_numel(&out); i++) {
    md = fmax(md, fabs((double)got[i] - ref[i]));
    mr = fmax(mr, fabs((double)ref[i]));
  }
  CHECKF(md <= 1e-5 * mr, "graph forward vs cpu: %.3g (max |cpu| %.3g)", md, mr);
  free(got); free(direct); free(hms); free(hlms); free(hpan);
  fz_cuda_graph_free(g);
  fz_tensor *all[] = {&ms, &lms, &pan, &out, &cms, &clms, &cpan, &cout_};
  for (fz_tensor *t : all) fz_tensor_free(t);
  fz_model_free(m);
  fz_model_free(mc);
}
TEST(cuda_graph_model_forward) { graph_forward_case(t_, 8); }
TEST(cuda_graph_model_forward_cudnn) { graph_forward_case(t_, 64); }

// rfft2 and irfft2 through cuFFT captured into a graph (the emulated shim records each exec as a node) and replayed
// with new input values in the same buffer. Oracle: the same ops run directly on the refilled input (bitwise), and
// under the emulation no cuFFT exec runs during the capture while the replay runs them.
TEST(cuda_graph_capture_cufft) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  if (!fz_cuda_libs_enabled(be, FZ_CUDA_LIB_CUFFT)) SKIP("cuFFT is not routed on %s (this build has no cufft.h)", be->name);
  int64_t xs[3] = {2, 16, 12}, fs[4] = {2, 16, 7, 2};
  fz_tensor x, f, y;
  float *hx = NULL;
  CHECK_OK(fz_case_rand(be, &x, 3, xs, 9, 1, -1, 1, &hx, &err), &err);
  CHECK_OK(fz_tensor_alloc(&f, be, FZ_F32, 4, fs, &err), &err);
  CHECK_OK(fz_tensor_alloc(&y, be, FZ_F32, 3, xs, &err), &err);
  CHECK_OK(fz_op_rfft2(be, &f, &x, &err), &err);  // warm-up: plans are made outside the capture
  CHECK_OK(fz_op_irfft2(be, &y, &f, &err), &err);
#ifdef FZ_CUDA_EMULATED
  const uint64_t e0 = fz_simt::cufft_exec_calls();
#endif
  fz_cuda_graph *g = NULL;
  CHECK_OK(fz_cuda_graph_begin(be, &err), &err);
  int rc = fz_op_rfft2(be, &f, &x, &err);
  if (!rc) rc = fz_op_irfft2(be, &y, &f, &err);
  int rc2 = fz_cuda_graph_end(be, &g, &err);
  CHECKF(!rc && !rc2 && g, "capture of rfft2 + irfft2: %s", err.msg);
#ifdef FZ_CUDA_EMULATED
  const uint64_t e1 = fz_simt::cufft_exec_calls();
  CHECKF(e1 == e0, "%llu cuFFT execs ran during the capture", (unsigned long long)(e1 - e0));
#endif
  const size_t n = (size_t)fz_tensor_numel(&x);
  for (size_t i = 0; i < n; i++) hx[i] = 0.5f * hx[i] + 0.25f;  // new values, same buffer
  CHECK_OK(fz_tensor_upload(&x, hx, n * sizeof(float), &err), &err);
  CHECK_OK(fz_cuda_graph_launch(be, g, &err), &err);
#ifdef FZ_CUDA_EMULATED
  CHECKF(fz_simt::cufft_exec_calls() > e1, "the replay ran no cuFFT exec");
#endif
  float *gf = fz_case_download(&f, &err), *gy = fz_case_download(&y, &err);
  CHECKF(gf && gy, "%s", err.msg);
  CHECK_OK(fz_op_rfft2(be, &f, &x, &err), &err);
  CHECK_OK(fz_op_irfft2(be, &y, &f, &err), &err);
  float *df = fz_case_download(&f, &err), *dy = fz_case_download(&y, &err);
  CHECKF(df && dy, "%s", err.msg);
  CHECK(!memcmp(gf, df, fz_tensor_nbytes(&f)) && !memcmp(gy, dy, fz_tensor_nbytes(&y)));
  double md = 0;  // irfft2(rfft2(x)) is x again (up to fp32 rounding): the replay really used the new values
  for (size_t i = 0; i < n; i++) md = fmax(md, fabs((double)gy[i] - hx[i]));
  CHECKF(md < 1e-5, "irfft2(rfft2(x)) - x = %.3g", md);
  free(hx); free(gf); free(gy); free(df); free(dy);
  fz_cuda_graph_free(g);
  fz_tensor_free(&x); fz_tensor_free(&f); fz_tensor_free(&y);
}
