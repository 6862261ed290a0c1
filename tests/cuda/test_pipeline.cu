// test_pipeline.cu — stream ordering under the emulation's lazy / race stream modes (simt_api.h,
// set_stream_mode) and the double-buffered transfer pipeline (kernels/cuda/pipeline.cu): a missing
// cudaStreamWaitEvent between an upload stream and a compute stream gives wrong results, the correct
// hand-off does not, and the pipelined run equals the serial one bit for bit.
#include "cuda_test_util.h"
#include <math.h>

__global__ void k_affine(const float *a, float *b, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) b[i] = 2.0f * a[i] + 1.0f;
}

// 3x3 convolution (zero padding) of one h x w image with weights w[0..8] and bias w[9], then leaky ReLU 0.1.
__global__ void k_conv3(const float *in, const float *wt, float *out, int h, int w) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < h * w; i += gridDim.x * blockDim.x) {
    int y = i / w, x = i % w;
    float acc = wt[9];
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) acc += wt[(dy + 1) * 3 + dx + 1] * in[yy * w + xx];
      }
    out[i] = acc > 0.0f ? acc : 0.1f * acc;
  }
}

#ifdef FZ_CUDA_EMULATED
// Sets the emulation's stream mode for one scope and restores the previous one (also on a failed CHECK).
struct stream_mode_scope {
  int prev;
  explicit stream_mode_scope(int m) : prev(fz_simt::stream_mode()) { fz_simt::set_stream_mode(m); }
  ~stream_mode_scope() { fz_simt::set_stream_mode(prev); }
};

// Runs upload (stream up) -> k_affine (stream cs) with or without the event hand-off; fills r. d_a starts 0.
static cudaError_t upload_compute(const float *h_pinned, float *r, int n, int with_wait, unsigned flags) {
  float *d_a = nullptr, *d_b = nullptr;
  cudaStream_t up = nullptr, cs = nullptr;
  cudaEvent_t ev = nullptr;
  cudaError_t e = cudaMalloc(&d_a, n * sizeof(float));
  if (!e) e = cudaMalloc(&d_b, n * sizeof(float));
  if (!e) e = cudaMemset(d_a, 0, n * sizeof(float));
  if (!e) e = cudaStreamCreateWithFlags(&up, flags);
  if (!e) e = cudaStreamCreateWithFlags(&cs, flags);
  if (!e) e = cudaEventCreateWithFlags(&ev, cudaEventDisableTiming);
  if (!e) e = cudaMemcpyAsync(d_a, h_pinned, n * sizeof(float), cudaMemcpyHostToDevice, up);
  if (!e) e = cudaEventRecord(ev, up);
  if (!e && with_wait) e = cudaStreamWaitEvent(cs, ev, 0);
  if (!e) {
    FZ_LAUNCH(k_affine, 2, 64, 0, cs)(d_a, d_b, n);
    e = cudaGetLastError();
  }
  if (!e) e = cudaStreamSynchronize(cs);
  if (!e) e = cudaMemcpy(r, d_b, n * sizeof(float), cudaMemcpyDeviceToHost);
  if (up) cudaStreamSynchronize(up);
  if (ev) cudaEventDestroy(ev);
  if (up) cudaStreamDestroy(up);
  if (cs) cudaStreamDestroy(cs);
  cudaFree(d_a);
  cudaFree(d_b);
  return e;
}

// Oracle: host arithmetic 2x+1 on the uploaded values. With the cudaStreamWaitEvent the compute stream sees
// the upload in every stream mode (immediate, lazy, race with 8 seeds); without it, lazy mode runs the
// kernel before the upload, so it reads the zeros d_a held (result 1.0) and the check that the result is
// wrong must fire — the emulation catches the missing dependency.
TEST(simt_streams_missing_wait_detected) {
  CUT_NEED_DEVICE();
  const int n = 300;
  float *h, r[n];
  CUT_OK(cudaMallocHost((void **)&h, n * sizeof(float)));
  for (int i = 0; i < n; i++) h[i] = 0.5f * (float)i - 7.0f;
  {
    stream_mode_scope m(1);
    CUT_OK(upload_compute(h, r, n, 1, cudaStreamNonBlocking));
    for (int i = 0; i < n; i++) CHECKF(r[i] == 2.0f * h[i] + 1.0f, "lazy, with wait: element %d = %g", i, (double)r[i]);
    CUT_OK(upload_compute(h, r, n, 0, cudaStreamNonBlocking));
    int wrong = 0;
    for (int i = 0; i < n; i++) wrong += r[i] != 2.0f * h[i] + 1.0f;
    CHECKF(wrong > 0, "lazy mode: the missing cudaStreamWaitEvent went unnoticed");
    CHECKF(r[0] == 1.0f, "lazy, no wait: the kernel should have read the zeroed buffer, got %g", (double)r[0]);
  }
  for (uint64_t seed = 1; seed <= 8; seed++) {
    cut_schedule(seed);
    stream_mode_scope m(2);
    CUT_OK(upload_compute(h, r, n, 1, cudaStreamNonBlocking));
    for (int i = 0; i < n; i++) CHECKF(r[i] == 2.0f * h[i] + 1.0f, "race seed %d: element %d = %g", (int)seed, i, (double)r[i]);
  }
  cut_schedule_default();
  CUT_OK(cudaFreeHost(h));
}

// Oracle: the documented legacy default stream semantics and pageable accounting. A blocking stream's queued
// upload + kernel complete before a later cudaMemcpy (legacy default stream), so the result is 2x+1 even
// without any synchronisation; a cudaStreamNonBlocking stream's do not (the result still holds the 0xff
// fill, a NaN). An async copy from pageable memory is counted, one from pinned memory is not.
TEST(simt_streams_default_stream_and_pageable) {
  CUT_NEED_DEVICE();
  stream_mode_scope m(1);
  const int n = 64;
  float *pin, page[n], r[n];
  CUT_OK(cudaMallocHost((void **)&pin, n * sizeof(float)));
  for (int i = 0; i < n; i++) pin[i] = page[i] = (float)i;
  for (int blocking = 1; blocking >= 0; blocking--) {
    float *d_a, *d_b;
    cudaStream_t s;
    CUT_OK(cudaMalloc(&d_a, n * sizeof(float)));
    CUT_OK(cudaMalloc(&d_b, n * sizeof(float)));
    CUT_OK(cudaStreamCreateWithFlags(&s, blocking ? cudaStreamDefault : cudaStreamNonBlocking));
    CUT_OK(cudaMemcpyAsync(d_a, pin, n * sizeof(float), cudaMemcpyHostToDevice, s));
    FZ_LAUNCH(k_affine, 1, 64, 0, s)(d_a, d_b, n);
    CUT_OK(cudaGetLastError());
    CHECKF(fz_simt::pending_stream_ops() == 2, "%zu operations queued, expected 2", fz_simt::pending_stream_ops());
    CUT_OK(cudaMemcpy(r, d_b, n * sizeof(float), cudaMemcpyDeviceToHost));
    if (blocking)
      for (int i = 0; i < n; i++) CHECKF(r[i] == 2.0f * pin[i] + 1.0f, "blocking stream: element %d = %g", i, (double)r[i]);
    else
      CHECKF(isnan(r[0]), "non-blocking stream: cudaMemcpy waited for it (got %g)", (double)r[0]);
    uint64_t pg = fz_simt::pageable_async_copies();
    CUT_OK(cudaMemcpyAsync(d_a, pin, n * sizeof(float), cudaMemcpyHostToDevice, s));
    CHECK(fz_simt::pageable_async_copies() == pg);
    CUT_OK(cudaMemcpyAsync(d_a, page, n * sizeof(float), cudaMemcpyHostToDevice, s));
    CHECK(fz_simt::pageable_async_copies() == pg + 1);
    CUT_OK(cudaStreamDestroy(s));  // completes its work
    CHECK(fz_simt::pending_stream_ops() == 0);
    CUT_OK(cudaFree(d_a));
    CUT_OK(cudaFree(d_b));
  }
  CUT_OK(cudaFreeHost(pin));
}
#endif

// A batch of the pipeline test: one k_conv3 over an h x w image with device weights wt.
struct conv_batch { const float *wt; int h, w; };
static cudaError_t conv_batch_fn(void *ctx, int, const float *d_in, float *d_out, cudaStream_t s) {
  const conv_batch *c = (const conv_batch *)ctx;
  FZ_LAUNCH(k_conv3, 4, 64, 0, s)(d_in, c->wt, d_out, c->h, c->w);
  return cudaGetLastError();
}

// Oracle: a double-precision host loop for the 3x3 convolution + leaky ReLU checks the serial path
// (|err| <= 1e-5 relative); the pipelined path (pinned double buffers, copy + compute streams, events)
// must equal the serial path bit for bit, for 1, 2 and 7 batches, and under the emulation also in lazy
// stream mode and in race mode with 6 seeds. Under the emulation the pipeline with its compute-side
// upload wait removed must differ from the serial result for at least one race seed.
TEST(cuda_pipeline_matches_serial) {
  CUT_NEED_DEVICE();
  const int h = 13, w = 17, hw = h * w, maxb = 7;
  float wt[10], *in = (float *)malloc(sizeof(float) * hw * maxb), *ref = (float *)malloc(sizeof(float) * hw * maxb),
               *got = (float *)malloc(sizeof(float) * hw * maxb);
  CHECK(in && ref && got);
  uint64_t st = 12345;
  auto rnd = [&st]() { st = st * 6364136223846793005ull + 1442695040888963407ull; return (float)((st >> 40) & 0xffff) / 32768.0f - 1.0f; };
  for (int i = 0; i < 10; i++) wt[i] = rnd();
  for (int i = 0; i < hw * maxb; i++) in[i] = rnd();
  float *d_wt;
  CUT_OK(cudaMalloc(&d_wt, sizeof wt));
  CUT_OK(cudaMemcpy(d_wt, wt, sizeof wt, cudaMemcpyHostToDevice));
  conv_batch cb = {d_wt, h, w};
  for (int nb : {1, 2, maxb}) {
    fz_cuda_pipe p = {nb, (size_t)hw, (size_t)hw, in, ref, conv_batch_fn, &cb};
    CUT_OK(fz_cuda_pipeline_run(&p, FZ_CUDA_PIPE_SERIAL));
    for (int b = 0; b < nb; b++)
      for (int i = 0; i < hw; i++) {
        int y = i / w, x = i % w;
        double acc = wt[9];
        for (int dy = -1; dy <= 1; dy++)
          for (int dx = -1; dx <= 1; dx++)
            if (y + dy >= 0 && y + dy < h && x + dx >= 0 && x + dx < w) acc += (double)wt[(dy + 1) * 3 + dx + 1] * in[b * hw + (y + dy) * w + x + dx];
        double want = acc > 0 ? acc : 0.1 * acc;
        CHECKF(fabs(ref[b * hw + i] - want) <= 1e-5 * (1 + fabs(want)), "serial batch %d pixel %d: %g vs %g", b, i, (double)ref[b * hw + i], want);
      }
    p.out = got;
    int modes = 1;
#ifdef FZ_CUDA_EMULATED
    modes = 3;
#endif
    for (int mode = 0; mode < modes; mode++)
      for (uint64_t seed = 1; seed <= (mode == 2 ? 6u : 1u); seed++) {
#ifdef FZ_CUDA_EMULATED
        cut_schedule(seed);
        stream_mode_scope m(mode);
#endif
        memset(got, 0, sizeof(float) * hw * nb);
        CUT_OK(fz_cuda_pipeline_run(&p, 0));
        CHECKF(!memcmp(got, ref, sizeof(float) * hw * nb), "%d batches, stream mode %d, seed %d: pipelined != serial", nb, mode, (int)seed);
      }
  }
#ifdef FZ_CUDA_EMULATED
  {
    fz_cuda_pipe p = {maxb, (size_t)hw, (size_t)hw, in, got, conv_batch_fn, &cb};
    int caught = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
      cut_schedule(seed);
      stream_mode_scope m(2);
      CUT_OK(fz_cuda_pipeline_run(&p, FZ_CUDA_PIPE_OMIT_UPLOAD_WAIT));
      caught += memcmp(got, ref, sizeof(float) * hw * maxb) != 0;
    }
    CHECKF(caught > 0, "race mode never exposed the missing upload wait in 16 seeds");
    printf("    missing upload wait exposed by %d of 16 race seeds\n", caught);
  }
  cut_schedule_default();
#endif
  CUT_OK(cudaFree(d_wt));
  free(in);
  free(ref);
  free(got);
}
