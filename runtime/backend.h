// backend.h — the backend table: memory functions plus one function pointer per op.
// The CPU backend (kernels/cpu) fills every entry; the CUDA backend fills the same table.
// An op entry left NULL means "not implemented by this backend": callers get FZ_EUNSUP, not a crash.
#ifndef FZ_BACKEND_H
#define FZ_BACKEND_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tensor.h"

typedef struct fz_backend fz_backend;

struct fz_backend {
  const char *name;     // "cpu", "cuda:0"
  void *ctx;            // backend-private state (thread count, stream, handles)
  // memory
  void *(*alloc)(const fz_backend *be, size_t nbytes, fz_err *err);           // NULL + err on failure
  void (*free)(const fz_backend *be, void *p);
  int (*upload)(const fz_backend *be, void *dst, const void *host_src, size_t nbytes, fz_err *err);
  int (*download)(const fz_backend *be, void *host_dst, const void *src, size_t nbytes, fz_err *err);
  int (*sync)(const fz_backend *be, fz_err *err);
  // optional: page-locked host memory for staging transfers (uploads from it return at once and overlap the host's
  // next work; models/fuse.c double-buffers tiles in it). NULL: the caller uses malloc.
  void *(*host_alloc)(const fz_backend *be, size_t nbytes, fz_err *err);
  void (*host_free)(const fz_backend *be, void *p);
  // ops (f32 unless stated). Shapes are checked by the fz_op_* wrappers in backend.c.
  // out = sum_i coef[i] * xs[i]; all n tensors share out's numel. out may alias any xs[i].
  int (*lincomb)(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err);
  // out[i] = standard normal number fz_philox_normal(seed, stream, offset + i) for i < numel(out).
  int (*randn)(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err);
  // out[n,c,y,x] = normal(seed, stream = stream_base + n*C + c, index = (y0+y)*global_w + (x0+x)):
  // noise as a function of the global pixel position, for tiles of a larger image.
  int (*randn_image)(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base,
                     int64_t y0, int64_t x0, int64_t global_w, fz_err *err);
  // Op families, one member list per file (each file is owned by one kernel family):
#include "backend_ops_nn.inc"     // conv, GEMM, norms, activations, softmax, elementwise, pooling
#include "backend_ops_seq.inc"    // attention, selective scan, layout ops, resampling, FFT, k-means, embeddings
#include "backend_ops_fir.inc"    // MATLAB-compatible imresize, interp23tap, FIR (MTF) filtering
};

// Returns the CPU backend with nthreads threads (0 = all cores). The pointer stays valid for the process.
const fz_backend *fz_backend_cpu(int nthreads);
// Looks up a backend by device string "cpu" or "cuda:N"; fails with a clear message for a malformed string or a
// CUDA device number beyond the machine's; when CUDA cannot run at all (no driver, no GPU, built without CUDA)
// it logs a warning saying why and returns the CPU backend.
const fz_backend *fz_backend_get(const char *device, int nthreads, fz_err *err);

// Checked wrappers: validate dtype/shapes, then call the backend entry (FZ_EUNSUP when NULL).
int fz_op_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err);
int fz_op_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err);
int fz_op_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base,
                      int64_t y0, int64_t x0, int64_t global_w, fz_err *err);
#include "ops_nn.h"
#include "ops_seq.h"
#include "ops_fir.h"

// Copies a host buffer into / out of a backend tensor of the same byte size.
int fz_tensor_upload(fz_tensor *dst, const void *host, size_t nbytes, fz_err *err);
int fz_tensor_download(const fz_tensor *src, void *host, size_t nbytes, fz_err *err);

#endif
