// count_backend.h — a backend table that records every op call of a real run (bytes moved, FLOPs) and
// forwards it to a base backend: the numbers of bench/bench_roofline.c come from the op shapes a forward
// actually executes, not from hand-typed layer lists.
// Bytes: the sum of the byte sizes of every tensor argument (inputs read once, outputs written once: the
// traffic of an ideal kernel that keeps its working set on chip). FLOPs: 2·MACs for conv / GEMM / attention
// (2·(Nq·Nk·d + Nq·Nk·dv) per head), 9·N per element for the selective scan, 5·N·log2 N for FFTs, a small
// per-element constant for elementwise ops and norms (act 4, softmax 5, norms 6-8, others 1).
#ifndef FZ_COUNT_BACKEND_H
#define FZ_COUNT_BACKEND_H
#include <stdint.h>
#include "backend.h"

#define FZ_COUNT_MAX_OPS 64
typedef struct fz_count_row {
  const char *op;   // backend entry name ("conv2d")
  int64_t calls;
  double bytes, flops;
  double t_fp32, t_bf16;  // sum over calls of max(bytes / bw, flops / peak) (bf16: bytes / 2, peak16); 0 unless set
  double t_meas;          // measured seconds of the calls (base synced before and after each) when measure is set
} fz_count_row;

typedef struct fz_count_backend {
  fz_backend tab;   // first member: the table handed out
  const fz_backend *base;
  fz_count_row rows[FZ_COUNT_MAX_OPS];
  int nrows;
  double bw, peak_fp32, peak_bf16;  // roofline of the target device (bytes/s, FLOP/s); 0 = no time estimates
  int measure;      // 1: time every call (sync the base before and after it: a per-kernel profile, slower overall)
  int cur;          // (row of the call being timed, -1 none)
  double t0;        // (its start, seconds)
} fz_count_backend;

// Makes c a counting wrapper of base (memory functions and ctx are base's).
void fz_count_backend_init(fz_count_backend *c, const fz_backend *base);
// Clears the counters.
void fz_count_backend_reset(fz_count_backend *c);
#endif
