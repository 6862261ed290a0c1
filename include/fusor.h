// fusor.h — the public C API of libfusor: tensors, backends, weights, rasters and (later) models,
// samplers, metrics and batch fusion. Every fallible call returns 0 or an fz_code and fills fz_err.
#ifndef FUSOR_H
#define FUSOR_H
#ifdef __cplusplus
extern "C" {
#endif
#include "../runtime/error.h"
#include "../runtime/log.h"
#include "../runtime/tensor.h"
#include "../runtime/backend.h"
#include "../runtime/arena.h"
#include "../runtime/rng.h"
#include "../runtime/progress.h"
#include "../runtime/weights.h"
#include "../runtime/safetensors.h"
#include "../runtime/pth.h"
#include "../runtime/weights_convert.h"
#include "../runtime/raster.h"
#include "../samplers/sampler.h"
#ifdef __cplusplus
}
#endif
#endif
