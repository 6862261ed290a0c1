// cuda_fp16.h — the SIMT emulation's __half / __half2 (simt_half.h), standing in for CUDA's header.
#ifndef FZ_SIMT_CUDA_FP16_H
#define FZ_SIMT_CUDA_FP16_H
#include "cuda_runtime.h"
#include "simt_half.h"
#endif
