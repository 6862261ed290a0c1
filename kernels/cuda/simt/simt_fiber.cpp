// simt_fiber.cpp — lightweight threads for the SIMT emulation: one fiber per CUDA thread, switched by a
// hand-written x86-64 context switch (callee-saved registers, MXCSR and x87 control word, stack pointer:
// ~10 ns) or, on other targets or with -DFZ_SIMT_UCONTEXT, by ucontext (slower, one syscall per switch).
// Stacks are mmap'd with a guard page so that a kernel overflowing its fiber stack faults cleanly.
#include "simt_internal.h"
#include <sys/mman.h>
#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#ifdef FZ_SIMT_ASM_SWITCH
// fz_simt_swap(void **save_sp, void *new_sp): pushes the callee-saved state, stores rsp in *save_sp,
// loads new_sp and pops the state saved there. fz_simt_trampoline starts a fresh fiber: r13 = entry,
// r12 = arg (placed by fiber_init), called with a 16-byte aligned stack; entry never returns.
asm(R"(
  .text
  .globl fz_simt_swap
  .type fz_simt_swap, @function
fz_simt_swap:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size fz_simt_swap, .-fz_simt_swap
  .globl fz_simt_trampoline
  .type fz_simt_trampoline, @function
fz_simt_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size fz_simt_trampoline, .-fz_simt_trampoline
)");
extern "C" void fz_simt_swap(void **save_sp, void *new_sp);
extern "C" void fz_simt_trampoline();
#endif

namespace fz_simt {

#ifdef FZ_SIMT_ASM_SWITCH
void fiber_init(fiber_ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)lo + size - 64) & ~(uintptr_t)15;  // 16-aligned, a little headroom
  uint64_t *sp = (uint64_t *)(top - 64);                          // after the pops and ret: rsp = top
  uint32_t mxcsr;
  uint16_t fcw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fcw));
  sp[0] = (uint64_t)mxcsr | ((uint64_t)fcw << 32);  // control words, restored first
  sp[1] = 0;                                        // r15
  sp[2] = 0;                                        // r14
  sp[3] = (uint64_t)(uintptr_t)entry;               // r13
  sp[4] = (uint64_t)(uintptr_t)arg;                 // r12
  sp[5] = 0;                                        // rbx
  sp[6] = 0;                                        // rbp
  sp[7] = (uint64_t)(uintptr_t)&fz_simt_trampoline; // return address of the first switch
  ctx->sp = sp;
}

void fiber_switch(fiber_ctx *from, fiber_ctx *to) { fz_simt_swap(&from->sp, to->sp); }
#else
// makecontext passes int arguments only: the entry and argument pointers travel as 32-bit halves.
static void uc_entry(unsigned e_lo, unsigned e_hi, unsigned a_lo, unsigned a_hi) {
  auto entry = (void (*)(void *))(uintptr_t)(((uint64_t)e_hi << 32) | e_lo);
  void *arg = (void *)(uintptr_t)(((uint64_t)a_hi << 32) | a_lo);
  entry(arg);
  abort();  // fibers never return: they switch back to the scheduler for good
}

void fiber_init(fiber_ctx *ctx, void *lo, size_t size, void (*entry)(void *), void *arg) {
  getcontext(&ctx->uc);
  ctx->uc.uc_stack.ss_sp = lo;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = nullptr;
  uint64_t e = (uint64_t)(uintptr_t)entry, a = (uint64_t)(uintptr_t)arg;
  makecontext(&ctx->uc, (void (*)())uc_entry, 4, (unsigned)e, (unsigned)(e >> 32), (unsigned)a, (unsigned)(a >> 32));
}

void fiber_switch(fiber_ctx *from, fiber_ctx *to) { swapcontext(&from->uc, &to->uc); }
#endif

void *stack_alloc(size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  void *m = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  if (mprotect(m, page, PROT_NONE) != 0) {
    munmap(m, size + page);
    return nullptr;
  }
  return (char *)m + page;
}

void stack_free(void *lo, size_t size) {
  if (!lo) return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  munmap((char *)lo - page, size + page);
}

}  // namespace fz_simt
