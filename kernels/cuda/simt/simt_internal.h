// simt_internal.h — what the emulation's implementation files share: fibers (simt_fiber.cpp), the
// scheduler (simt_sched.cpp) and the runtime API state (simt_api.cpp). Not for .cu sources.
#ifndef FZ_SIMT_INTERNAL_H
#define FZ_SIMT_INTERNAL_H
#include <cstddef>
#include <cstdint>
#include "simt_api.h"
#if defined(__x86_64__) && !defined(FZ_SIMT_UCONTEXT)
#define FZ_SIMT_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_SIMT_ASAN 1
#endif
#endif

namespace fz_simt {
// ---- fibers (simt_fiber.cpp) -------------------------------------------------------------------------
// A saved execution context: a stack pointer (x86-64 assembly switch) or a ucontext (other targets).
struct fiber_ctx {
#ifdef FZ_SIMT_ASM_SWITCH
  void *sp;
#else
  ucontext_t uc;
#endif
};
// Prepares ctx to run entry(arg) on the stack [lo, lo + size) when it is first switched to.
void fiber_init(fiber_ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg);
// Saves the running context in from and resumes to.
void fiber_switch(fiber_ctx *from, fiber_ctx *to);
// A stack of size bytes with a PROT_NONE guard page below it (overflow faults instead of corrupting).
void *stack_alloc(size_t size);
void stack_free(void *lo, size_t size);

// ---- runtime state shared with the scheduler (simt_api.cpp) --------------------------------------------
// Records e as the calling thread's last error (and the device's sticky error when sticky), with the
// printf-formatted detail for last_message(). Returns e.
cudaError_t api_record(cudaError_t e, bool sticky, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Records the printf-formatted detail for last_message() without touching the CUDA error state (cuBLAS /
// cuDNN / cuFFT failures report through their own status codes).
void api_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// The device's sticky error (cudaSuccess when none).
cudaError_t api_sticky();
// 1 when s is the legacy / per-thread default stream or a live created stream.
bool api_stream_ok(cudaStream_t s);
// Dynamic shared memory bytes func may use (48 KiB unless raised by cudaFuncSetAttribute).
size_t api_max_dyn_smem(const void *func);
// Opt-in maximum of dynamic shared memory per block of the emulated device.
size_t api_smem_optin();
// 1 when [p, p + bytes) lies inside one live device allocation (bytes > 0).
bool api_device_extent_ok(const void *p, size_t bytes);
// Configuration (environment defaults, see simt_api.h).
uint64_t cfg_seed();
// Index of this launch since the schedule seed was last set (mixed into the launch's schedule).
uint64_t cfg_next_schedule_launch();
unsigned cfg_preempt();
int cfg_workers();
size_t cfg_stack_bytes();
}  // namespace fz_simt
#endif
