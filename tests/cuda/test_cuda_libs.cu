// test_cuda_libs.cu — the cuDNN and cuFFT calls fusor makes (kernels/cuda/libs.cu, conv.cu, fft.cu) with their
// documented semantics: the emulation's shims (kernels/cuda/simt/cudnn.h, cufft.h) under `make test-cuda-emu`,
// the real libraries under `make test-gpu`. Oracles: plain double-precision loops of the documented formulas
// (cross-correlation / true convolution with pads, strides, dilations and groups; unnormalised DFTs), written here.
#include "cuda_test_util.h"
#include <math.h>
#include <vector>

// Deterministic values in [-1, 1).
static void fill(std::vector<float> &v, uint32_t seed) {
  for (size_t i = 0; i < v.size(); i++) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = (float)((seed >> 8) * (1.0 / 8388608.0) - 1.0);
  }
}
// A device copy of v.
static float *dev_copy(const std::vector<float> &v) {
  float *d = NULL;
  if (cudaMalloc(&d, v.size() * sizeof(float)) != cudaSuccess) return NULL;
  cudaMemcpy(d, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice);
  return d;
}
// v read back from device memory d.
static std::vector<float> host_copy(const float *d, size_t n) {
  std::vector<float> v(n);
  cudaMemcpy(v.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost);
  return v;
}

#ifdef FZ_CUDA_WITH_CUDNN
#define DNN_OK(call) do { cudnnStatus_t s_ = (call); CHECKF(s_ == CUDNN_STATUS_SUCCESS, "%s: %s %s", #call, cudnnGetErrorString(s_), cut_detail()); } while (0)

// Oracle: y[n,k,p,q] = alpha·Σ_{c<C/g, r, s} w[k,c,r',s']·x[n, g(k)·C/g + c, p·u − pad_h + r·dh, q·v − pad_w + s·dw]
// + beta·y (zero outside x; r' = r, s' = s for CUDNN_CROSS_CORRELATION, R−1−r, S−1−s for CUDNN_CONVOLUTION), in
// double, on a grouped, strided, dilated, asymmetric-kernel case; plus the output-size formula, the workspace
// queries, beta = 0 not reading y (NaN there), and the documented BAD_PARAM cases.
TEST(cudnn_convolution_forward_semantics) {
  CUT_NEED_DEVICE();
  const int N = 2, C = 6, H = 9, W = 11, K = 8, G = 2, R = 3, S = 2, ph = 1, pw = 2, u = 2, v = 1, dh = 2, dw = 1;
  const int P = 1 + (H + 2 * ph - ((R - 1) * dh + 1)) / u, Q = 1 + (W + 2 * pw - ((S - 1) * dw + 1)) / v;
  std::vector<float> x((size_t)N * C * H * W), w((size_t)K * (C / G) * R * S), y0((size_t)N * K * P * Q);
  fill(x, 1); fill(w, 2); fill(y0, 3);
  float *dx = dev_copy(x), *dw_ = dev_copy(w), *dy = dev_copy(y0);
  CHECK(dx && dw_ && dy);
  cudnnHandle_t h;
  cudnnTensorDescriptor_t xd, yd;
  cudnnFilterDescriptor_t wd;
  cudnnConvolutionDescriptor_t cd;
  DNN_OK(cudnnCreate(&h));
  DNN_OK(cudnnCreateTensorDescriptor(&xd));
  DNN_OK(cudnnCreateTensorDescriptor(&yd));
  DNN_OK(cudnnCreateFilterDescriptor(&wd));
  DNN_OK(cudnnCreateConvolutionDescriptor(&cd));
  DNN_OK(cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, C, H, W));
  DNN_OK(cudnnSetFilter4dDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, K, C / G, R, S));
  DNN_OK(cudnnSetConvolutionMathType(cd, CUDNN_FMA_MATH));
  int on, oc, oh, ow;
  for (int mode = 0; mode < 2; mode++) {
    DNN_OK(cudnnSetConvolution2dDescriptor(cd, ph, pw, u, v, dh, dw, mode ? CUDNN_CONVOLUTION : CUDNN_CROSS_CORRELATION,
                                           CUDNN_DATA_FLOAT));
    DNN_OK(cudnnSetConvolutionGroupCount(cd, G));
    DNN_OK(cudnnGetConvolution2dForwardOutputDim(cd, xd, wd, &on, &oc, &oh, &ow));
    CHECKF(on == N && oc == K && oh == P && ow == Q, "output dims %d %d %d %d, expected %d %d %d %d", on, oc, oh, ow, N, K, P, Q);
    DNN_OK(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, K, P, Q));
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int got = 0;
    DNN_OK(cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, 8, &got, perf));
    CHECK(got >= 1);
    int tested = 0;
    for (int a = 0; a < got; a++) {
      if (perf[a].status != CUDNN_STATUS_SUCCESS) continue;
      size_t ws_bytes = 0;
      DNN_OK(cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, perf[a].algo, &ws_bytes));
      void *ws = NULL;
      if (ws_bytes) CUT_OK(cudaMalloc(&ws, ws_bytes));
      CUT_OK(cudaMemcpy(dy, y0.data(), y0.size() * sizeof(float), cudaMemcpyHostToDevice));
      const float alpha = 0.5f, beta = 0.25f;
      DNN_OK(cudnnConvolutionForward(h, &alpha, xd, dx, wd, dw_, cd, perf[a].algo, ws, ws_bytes, &beta, yd, dy));
      std::vector<float> got_y = host_copy(dy, y0.size());
      double maxerr = 0;
      for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
          for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
              double acc = 0;
              int g = k / (K / G);
              for (int c = 0; c < C / G; c++)
                for (int r = 0; r < R; r++)
                  for (int s = 0; s < S; s++) {
                    int iy = p * u - ph + r * dh, ix = q * v - pw + s * dw;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    int rr = mode ? R - 1 - r : r, ss = mode ? S - 1 - s : s;
                    acc += (double)w[(((size_t)k * (C / G) + c) * R + rr) * S + ss] * x[(((size_t)n * C + g * (C / G) + c) * H + iy) * W + ix];
                  }
              size_t o = (((size_t)n * K + k) * P + p) * Q + q;
              maxerr = fmax(maxerr, fabs(0.5 * acc + 0.25 * y0[o] - got_y[o]));
            }
      CHECKF(maxerr <= 1e-5, "mode %d algo %d: max error %.3g vs the double loop", mode, (int)perf[a].algo, maxerr);
      if (ws) cudaFree(ws);
      tested++;
    }
    CHECKF(tested >= 1, "no forward algorithm was usable");
  }
  // beta = 0: y is not read (NaN there stays out of the result).
  {
    std::vector<float> nanv(y0.size(), NAN);
    CUT_OK(cudaMemcpy(dy, nanv.data(), nanv.size() * sizeof(float), cudaMemcpyHostToDevice));
    const float one = 1.0f, zero = 0.0f;
    DNN_OK(cudnnConvolutionForward(h, &one, xd, dx, wd, dw_, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0, &zero, yd, dy));
    std::vector<float> r = host_copy(dy, y0.size());
    for (size_t i = 0; i < r.size(); i++) CHECKF(isfinite(r[i]), "beta = 0 read y: y[%zu] = %g", i, (double)r[i]);
  }
  // Documented errors: an output descriptor of the wrong size, channels that do not match groups·C_filter.
  {
    const float one = 1.0f, zero = 0.0f;
    DNN_OK(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, K, P + 1, Q));
    CHECK(cudnnConvolutionForward(h, &one, xd, dx, wd, dw_, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0, &zero, yd, dy) ==
          CUDNN_STATUS_BAD_PARAM);
    DNN_OK(cudnnSetConvolutionGroupCount(cd, 3));  // 6 channels != 3 groups × 3 per filter
    CHECK(cudnnGetConvolution2dForwardOutputDim(cd, xd, wd, &on, &oc, &oh, &ow) == CUDNN_STATUS_BAD_PARAM);
    CHECK(cudnnSetConvolution2dDescriptor(cd, -1, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT) == CUDNN_STATUS_BAD_PARAM);
#ifdef FZ_CUDA_EMULATED
    // The emulation's own checks: the GEMM algorithm's workspace (im2col) is demanded; host memory is refused.
    DNN_OK(cudnnSetConvolutionGroupCount(cd, G));
    DNN_OK(cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, N, K, P, Q));
    size_t need = 0;
    DNN_OK(cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, &need));
    CHECKF(need == sizeof(float) * (C / G) * R * S * P * Q, "GEMM workspace %zu bytes", need);
    CHECK(cudnnConvolutionForward(h, &one, xd, dx, wd, dw_, cd, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, NULL, 0, &zero, yd, dy) ==
          CUDNN_STATUS_BAD_PARAM);
    CHECK(cudnnConvolutionForward(h, &one, xd, x.data(), wd, dw_, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0, &zero, yd,
                                  dy) == CUDNN_STATUS_BAD_PARAM);
    CHECKF(strstr(fz_simt::last_message(), "x ("), "message: %s", fz_simt::last_message());
#endif
  }
  DNN_OK(cudnnDestroyTensorDescriptor(xd));
  DNN_OK(cudnnDestroyTensorDescriptor(yd));
  DNN_OK(cudnnDestroyFilterDescriptor(wd));
  DNN_OK(cudnnDestroyConvolutionDescriptor(cd));
  DNN_OK(cudnnDestroy(h));
  cudaFree(dx); cudaFree(dw_); cudaFree(dy);
}
#endif

#ifdef FZ_CUDA_WITH_CUFFT
#define FFT_OK(call) do { cufftResult r_ = (call); CHECKF(r_ == CUFFT_SUCCESS, "%s: cuFFT result %d %s", #call, (int)r_, cut_detail()); } while (0)

// Oracle: the unnormalised 2-D DFT in double, X[k1,k2] = Σ x[m1,m2]·e^{sign·2πi(k1·m1/n1 + k2·m2/n2)}, of
// complex input (re, im interleaved) of B planes n1×n2; returns B·n1·n2 complex values.
static std::vector<double> dft2(const std::vector<float> &x, int B, int n1, int n2, int sign) {
  std::vector<double> y((size_t)B * n1 * n2 * 2, 0.0);
  for (int b = 0; b < B; b++)
    for (int k1 = 0; k1 < n1; k1++)
      for (int k2 = 0; k2 < n2; k2++) {
        double re = 0, im = 0;
        for (int m1 = 0; m1 < n1; m1++)
          for (int m2 = 0; m2 < n2; m2++) {
            double a = 2 * M_PI * ((double)(k1 * m1 % n1) / n1 + (double)(k2 * m2 % n2) / n2);
            double c = cos(a), s = sign * sin(a), xr = x[2 * (((size_t)b * n1 + m1) * n2 + m2)], xi = x[2 * (((size_t)b * n1 + m1) * n2 + m2) + 1];
            re += xr * c - xi * s;
            im += xr * s + xi * c;
          }
        y[2 * (((size_t)b * n1 + k1) * n2 + k2)] = re;
        y[2 * (((size_t)b * n1 + k1) * n2 + k2) + 1] = im;
      }
  return y;
}

// Oracle: dft2 above. C2C forward and inverse (unnormalised: inverse∘forward = n1·n2·identity), R2C = the first
// n2/2+1 columns of the C2C of the real input (odd and even n2), C2R of that half spectrum = n1·n2·x, and an
// advanced-layout rank-1 plan over strided columns (fusor's irfft2 column step) = a 1-D DFT down each column.
TEST(cufft_transforms_semantics) {
  CUT_NEED_DEVICE();
  for (int n2 = 6; n2 <= 7; n2++) {
    const int B = 3, n1 = 5, nc = n2 / 2 + 1, n = B * n1 * n2;
    std::vector<float> xr((size_t)n), xc((size_t)2 * n);
    fill(xr, 11 + n2);
    fill(xc, 21 + n2);
    float *dxc = dev_copy(xc), *dxr = dev_copy(xr), *dy = NULL, *dz = NULL;
    CUT_OK(cudaMalloc(&dy, sizeof(float) * 2 * n));
    CUT_OK(cudaMalloc(&dz, sizeof(float) * 2 * n));
    int dims[2] = {n1, n2};
    cufftHandle c2c, r2c, c2r;
    FFT_OK(cufftPlanMany(&c2c, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_C2C, B));
    FFT_OK(cufftPlanMany(&r2c, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_R2C, B));
    FFT_OK(cufftPlanMany(&c2r, 2, dims, NULL, 1, 0, NULL, 1, 0, CUFFT_C2R, B));
    for (int dir = -1; dir <= 1; dir += 2) {
      FFT_OK(cufftExecC2C(c2c, (cufftComplex *)dxc, (cufftComplex *)dy, dir));
      std::vector<float> got = host_copy(dy, 2 * (size_t)n);
      std::vector<double> want = dft2(xc, B, n1, n2, dir);
      double e = 0;
      for (size_t i = 0; i < got.size(); i++) e = fmax(e, fabs(got[i] - want[i]));
      CHECKF(e <= 1e-4, "C2C %s %dx%d: max error %.3g", dir < 0 ? "forward" : "inverse", n1, n2, e);
    }
    // R2C: the non-redundant half of the C2C of the real input.
    std::vector<float> xr_c((size_t)2 * n, 0.0f);
    for (int i = 0; i < n; i++) xr_c[2 * i] = xr[i];
    std::vector<double> full = dft2(xr_c, B, n1, n2, -1);
    FFT_OK(cufftExecR2C(r2c, dxr, (cufftComplex *)dy));
    std::vector<float> half = host_copy(dy, (size_t)2 * B * n1 * nc);
    double e = 0;
    for (int r = 0; r < B * n1; r++)
      for (int k = 0; k < nc; k++)
        for (int z = 0; z < 2; z++) e = fmax(e, fabs(half[2 * ((size_t)r * nc + k) + z] - full[2 * ((size_t)r * n2 + k) + z]));
    CHECKF(e <= 1e-4, "R2C %dx%d: max error %.3g", n1, n2, e);
    // C2R of that spectrum: n1·n2·x (unnormalised).
    FFT_OK(cufftExecC2R(c2r, (cufftComplex *)dy, dz));
    std::vector<float> back = host_copy(dz, (size_t)n);
    e = 0;
    for (int i = 0; i < n; i++) e = fmax(e, fabs(back[i] - (double)n1 * n2 * xr[i]));
    CHECKF(e <= 1e-4, "C2R(R2C(x)) %dx%d: max error %.3g vs n1·n2·x", n1, n2, e);
    // Advanced layout: n1-point transforms down each of the nc columns of one n1×nc complex plane.
    int nn[1] = {n1}, emb[1] = {n1};
    cufftHandle col;
    FFT_OK(cufftPlanMany(&col, 1, nn, emb, nc, 1, emb, nc, 1, CUFFT_C2C, nc));
    FFT_OK(cufftExecC2C(col, (cufftComplex *)dxc, (cufftComplex *)dy, CUFFT_INVERSE));
    std::vector<float> cg = host_copy(dy, (size_t)2 * n1 * nc);
    e = 0;
    for (int k = 0; k < n1; k++)
      for (int l = 0; l < nc; l++) {
        double re = 0, im = 0;
        for (int m = 0; m < n1; m++) {
          double a = 2 * M_PI * (double)(k * m % n1) / n1, xre = xc[2 * (m * nc + l)], xim = xc[2 * (m * nc + l) + 1];
          re += xre * cos(a) - xim * sin(a);
          im += xre * sin(a) + xim * cos(a);
        }
        e = fmax(e, fmax(fabs(cg[2 * (k * nc + l)] - re), fabs(cg[2 * (k * nc + l) + 1] - im)));
      }
    CHECKF(e <= 1e-4, "strided column C2C: max error %.3g", e);
    FFT_OK(cufftDestroy(col));
    FFT_OK(cufftDestroy(c2c));
    FFT_OK(cufftDestroy(r2c));
    FFT_OK(cufftDestroy(c2r));
    CHECK(cufftExecC2C(c2c, (cufftComplex *)dxc, (cufftComplex *)dy, CUFFT_FORWARD) == CUFFT_INVALID_PLAN);
    cudaFree(dxc); cudaFree(dxr); cudaFree(dy); cudaFree(dz);
  }
  cufftHandle p;
  int bad[2] = {0, 4};
  CHECK(cufftPlanMany(&p, 2, bad, NULL, 1, 0, NULL, 1, 0, CUFFT_C2C, 1) == CUFFT_INVALID_SIZE);
}
#endif
