// cuda_bf16.h — the SIMT emulation's __nv_bfloat16 / __nv_bfloat162 (simt_half.h), standing in for CUDA's header.
#ifndef FZ_SIMT_CUDA_BF16_H
#define FZ_SIMT_CUDA_BF16_H
#include "cuda_runtime.h"
#include "simt_half.h"
#endif
