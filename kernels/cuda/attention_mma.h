// attention_mma.h — the tensor-core (wmma) flash attention for 16-bit storage: the fast path of the 16-bit
// attention in precision.cu, compiled by nvcc only (the SIMT emulation has no warp matrix unit) and used on a
// device only after precision.cu's gate has checked it there against the portable kernel (its emulated twin).
#ifndef FZ_CUDA_ATTENTION_MMA_H
#define FZ_CUDA_ATTENTION_MMA_H
#include "fz_cuda.h"

// One 16-bit attention: q [.., Nq, d], k [.., Nk, d], v [.., Nk, dv] as __nv_bfloat16 (bf16 = 1) or __half,
// channel stride 1, element strides per batch / head / token; out f32 [.., Nq, dv] (values rounded to the 16-bit
// type, as every 16-bit op stores). No value residual.
struct fz_attn_mma {
  const void *q, *k, *v;
  float *out;
  int64_t B, H, Nq, Nk, d, dv;
  int64_t qsb, qsh, qsn, ksb, ksh, ksn, vsb, vsh, vsn, osb, osh, osn;
  float scale;
  int causal, bf16;
};

// 1 when this build has the kernel and it takes g's shape (d, dv <= 128), else 0.
int fz_cuda_attn_mma_supported(const fz_attn_mma *g);
// Issues the kernel on s (dynamic shared memory opted in once per device). cudaErrorNotSupported when not compiled.
cudaError_t fz_cuda_attn_mma_launch(const fz_attn_mma *g, cudaStream_t s);
#endif
