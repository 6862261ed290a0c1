// pipeline.cu — the double-buffered transfer pipeline of the CUDA backend (fz_cuda.h, fz_cuda_pipeline_run):
// host batches are staged through pinned buffers; the copy stream uploads batch b+1 and downloads batch b-1
// while the compute stream runs batch b. Two slots of every buffer; events hand each slot over:
//   up[k]   upload into d_in[k] done          (compute waits on it; the host waits before refilling h_in[k])
//   done[k] compute of the slot's batch done  (the download waits on it; the next upload into d_in[k] too)
//   down[k] download from d_out[k] done       (the host waits before reading h_out[k]; the next compute
//                                              into d_out[k] waits on it)
#include "fz_cuda.h"
#include <string.h>

namespace {
// Everything one run holds (NULL members were not made).
struct pipe_res {
  float *h_in[2] = {}, *h_out[2] = {}, *d_in[2] = {}, *d_out[2] = {};
  cudaStream_t copy = nullptr, compute = nullptr;
  cudaEvent_t up[2] = {}, done[2] = {}, down[2] = {};
};

// Waits for both streams, then frees r's buffers, events and streams.
void pipe_release(pipe_res &r) {
  if (r.copy) cudaStreamSynchronize(r.copy);
  if (r.compute) cudaStreamSynchronize(r.compute);
  for (int k = 0; k < 2; k++) {
    cudaFreeHost(r.h_in[k]);
    cudaFreeHost(r.h_out[k]);
    cudaFree(r.d_in[k]);
    cudaFree(r.d_out[k]);
    if (r.up[k]) cudaEventDestroy(r.up[k]);
    if (r.done[k]) cudaEventDestroy(r.done[k]);
    if (r.down[k]) cudaEventDestroy(r.down[k]);
  }
  if (r.copy) cudaStreamDestroy(r.copy);
  if (r.compute) cudaStreamDestroy(r.compute);
}

// The reference schedule: per batch, upload from pageable memory, compute, download, on one stream.
cudaError_t pipe_serial(const fz_cuda_pipe *p) {
  size_t ib = p->in_floats * sizeof(float), ob = p->out_floats * sizeof(float);
  float *d_in = nullptr, *d_out = nullptr;
  cudaStream_t s = nullptr;
  cudaError_t e = cudaMalloc((void **)&d_in, ib);
  if (!e) e = cudaMalloc((void **)&d_out, ob);
  if (!e) e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  for (int b = 0; !e && b < p->nbatch; b++) {
    e = cudaMemcpyAsync(d_in, p->in + (size_t)b * p->in_floats, ib, cudaMemcpyHostToDevice, s);
    if (!e) e = p->fn(p->ctx, b, d_in, d_out, s);
    if (!e) e = cudaMemcpyAsync(p->out + (size_t)b * p->out_floats, d_out, ob, cudaMemcpyDeviceToHost, s);
    if (!e) e = cudaStreamSynchronize(s);
  }
  if (s) cudaStreamSynchronize(s);
  cudaFree(d_in);
  cudaFree(d_out);
  if (s) cudaStreamDestroy(s);
  return e;
}
}  // namespace

cudaError_t fz_cuda_pipeline_run(const fz_cuda_pipe *p, unsigned flags) {
  if (!p || !p->fn || p->nbatch < 0 || (p->nbatch && (!p->in || !p->out || !p->in_floats || !p->out_floats)))
    return cudaErrorInvalidValue;
  if (p->nbatch == 0) return cudaSuccess;
  if (flags & FZ_CUDA_PIPE_SERIAL) return pipe_serial(p);
  const size_t ib = p->in_floats * sizeof(float), ob = p->out_floats * sizeof(float);
  pipe_res r;
  cudaError_t e = cudaStreamCreateWithFlags(&r.copy, cudaStreamNonBlocking);
  if (!e) e = cudaStreamCreateWithFlags(&r.compute, cudaStreamNonBlocking);
  for (int k = 0; !e && k < 2; k++) {
    e = cudaMallocHost((void **)&r.h_in[k], ib);
    if (!e) e = cudaMallocHost((void **)&r.h_out[k], ob);
    if (!e) e = cudaMalloc((void **)&r.d_in[k], ib);
    if (!e) e = cudaMalloc((void **)&r.d_out[k], ob);
    if (!e) e = cudaEventCreateWithFlags(&r.up[k], cudaEventDisableTiming);
    if (!e) e = cudaEventCreateWithFlags(&r.done[k], cudaEventDisableTiming);
    if (!e) e = cudaEventCreateWithFlags(&r.down[k], cudaEventDisableTiming);
  }
  // Host: stage batch b into h_in[b&1] and queue its upload on the copy stream.
  auto upload = [&](int b) -> cudaError_t {
    int k = b & 1;
    cudaError_t x = cudaEventSynchronize(r.up[k]);  // the upload of batch b-2 has read h_in[k]
    if (x) return x;
    memcpy(r.h_in[k], p->in + (size_t)b * p->in_floats, ib);
    if (b >= 2 && (x = cudaStreamWaitEvent(r.copy, r.done[k], 0))) return x;  // compute b-2 has read d_in[k]
    if ((x = cudaMemcpyAsync(r.d_in[k], r.h_in[k], ib, cudaMemcpyHostToDevice, r.copy))) return x;
    return cudaEventRecord(r.up[k], r.copy);
  };
  // Host: wait for the download of batch b and copy it out of h_out[b&1].
  auto drain = [&](int b) -> cudaError_t {
    cudaError_t x = cudaEventSynchronize(r.down[b & 1]);
    if (!x) memcpy(p->out + (size_t)b * p->out_floats, r.h_out[b & 1], ob);
    return x;
  };
  if (!e) e = upload(0);
  for (int b = 0; !e && b < p->nbatch; b++) {
    int k = b & 1;
    if (b + 1 < p->nbatch && (e = upload(b + 1))) break;  // overlaps the compute of batch b
    if (!(flags & FZ_CUDA_PIPE_OMIT_UPLOAD_WAIT) && (e = cudaStreamWaitEvent(r.compute, r.up[k], 0))) break;
    if (b >= 2 && (e = cudaStreamWaitEvent(r.compute, r.down[k], 0))) break;  // d_out[k] downloaded
    if ((e = p->fn(p->ctx, b, r.d_in[k], r.d_out[k], r.compute))) break;
    if ((e = cudaEventRecord(r.done[k], r.compute))) break;
    if (b >= 2 && (e = drain(b - 2))) break;  // h_out[k] is free again
    if ((e = cudaStreamWaitEvent(r.copy, r.done[k], 0))) break;
    if ((e = cudaMemcpyAsync(r.h_out[k], r.d_out[k], ob, cudaMemcpyDeviceToHost, r.copy))) break;
    e = cudaEventRecord(r.down[k], r.copy);
  }
  for (int b = p->nbatch >= 2 ? p->nbatch - 2 : 0; !e && b < p->nbatch; b++) e = drain(b);
  pipe_release(r);
  return e;
}
