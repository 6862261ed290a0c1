// cuda_runtime.h — the SIMT emulation's stand-in for CUDA's header: with -Ikernels/cuda/simt and
// -DFZ_CUDA_EMULATED, `#include <cuda_runtime.h>` in a .cu source compiled by g++ brings in the emulated
// execution model (simt_device.h), device math (simt_math.h), runtime API (simt_api.h) and launches
// (simt_launch.h). See docs/CUDA.md for how it works and its limits.
#ifndef FZ_SIMT_CUDA_RUNTIME_H
#define FZ_SIMT_CUDA_RUNTIME_H
#ifndef FZ_CUDA_EMULATED
#error "kernels/cuda/simt is the CPU emulation of CUDA: compile with -DFZ_CUDA_EMULATED (nvcc uses the real headers)"
#endif
#include <cstdio>
#include "simt_types.h"
#include "simt_device.h"
#include "simt_math.h"
#include "simt_api.h"
#include "simt_launch.h"
#endif
