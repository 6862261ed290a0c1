// cufft.h — the SIMT emulation's cuFFT: the calls fusor makes (kernels/cuda/fft.cu), implemented on the CPU with
// their documented semantics (cuFFT library user guide):
//  * plans of rank 1-3 (cufftPlan1d / 2d / Many) for C2C, R2C and C2R in single precision, batch >= 1;
//  * the data layouts: basic (inembed / onembed NULL: contiguous, the real side of R2C / C2R n0·…·n_{r-1} values,
//    the complex side n0·…·(n_{r-1}/2 + 1)) and advanced (element x of batch b at b·dist + stride·(x0·embed1·… +
//    … + x_{r-1}), embed[0] unused, embed[i] >= the logical size of dimension i);
//  * unnormalised transforms: FORWARD X[k] = Σ x[n]·e^{−2πi k·n/N}, INVERSE the same with +i, so an inverse after a
//    forward multiplies by N0·…·N_{r-1};
//  * C2R reads the non-redundant half of a Hermitian spectrum and returns the real result; the emulation evaluates
//    the inverse C2C over the first r−1 dimensions, then the real part of the Hermitian extension along the last
//    (the imaginary parts of the self-conjugate bins of the last dimension do not contribute), which is exact for
//    Hermitian input; cuFFT leaves non-Hermitian input unspecified, so fusor does not rely on it;
//  * an out-of-place C2R overwrites its input (cuFFT documents that it may): the emulation fills the input with NaN
//    afterwards, so code that reuses it fails in tests.
// Stricter than cuFFT: every element a plan touches must lie inside one device allocation (input and output
// checked at exec, messages name the plan and the buffer). Work runs synchronously on the host in double
// (direct DFTs, rounded once to float). Double-precision types (D2Z, Z2D, Z2Z) are CUFFT_INVALID_TYPE here.
#ifndef FZ_SIMT_CUFFT_H
#define FZ_SIMT_CUFFT_H
#include "cuda_runtime.h"

typedef enum cufftResult_t {
  CUFFT_SUCCESS = 0x0,
  CUFFT_INVALID_PLAN = 0x1,
  CUFFT_ALLOC_FAILED = 0x2,
  CUFFT_INVALID_TYPE = 0x3,
  CUFFT_INVALID_VALUE = 0x4,
  CUFFT_INTERNAL_ERROR = 0x5,
  CUFFT_EXEC_FAILED = 0x6,
  CUFFT_SETUP_FAILED = 0x7,
  CUFFT_INVALID_SIZE = 0x8,
  CUFFT_UNALIGNED_DATA = 0x9,
  CUFFT_INVALID_DEVICE = 0xB,
  CUFFT_NOT_IMPLEMENTED = 0xE,
  CUFFT_NOT_SUPPORTED = 0x10
} cufftResult;
typedef float cufftReal;
typedef float2 cufftComplex;
typedef int cufftHandle;
typedef enum cufftType_t { CUFFT_R2C = 0x2a, CUFFT_C2R = 0x2c, CUFFT_C2C = 0x29, CUFFT_D2Z = 0x6a, CUFFT_Z2D = 0x6c, CUFFT_Z2Z = 0x69 } cufftType;
#define CUFFT_FORWARD -1
#define CUFFT_INVERSE 1

cufftResult cufftPlan1d(cufftHandle *plan, int nx, cufftType type, int batch);
cufftResult cufftPlan2d(cufftHandle *plan, int nx, int ny, cufftType type);
cufftResult cufftPlanMany(cufftHandle *plan, int rank, int *n, int *inembed, int istride, int idist, int *onembed, int ostride,
                          int odist, cufftType type, int batch);
cufftResult cufftGetSize(cufftHandle plan, size_t *work_size);
cufftResult cufftSetStream(cufftHandle plan, cudaStream_t stream);
cufftResult cufftDestroy(cufftHandle plan);
cufftResult cufftGetVersion(int *version);
cufftResult cufftExecC2C(cufftHandle plan, cufftComplex *idata, cufftComplex *odata, int direction);
cufftResult cufftExecR2C(cufftHandle plan, cufftReal *idata, cufftComplex *odata);
cufftResult cufftExecC2R(cufftHandle plan, cufftComplex *idata, cufftReal *odata);
// Emulation only: successful cufftExec* calls so far (tests check that the route was taken).
namespace fz_simt {
unsigned long long cufft_exec_calls();
}
#endif
