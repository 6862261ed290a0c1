// selftest.h — `fusor selftest`: the heavy ops on a device against the CPU backend, with achieved rates.
#ifndef FZ_SELFTEST_H
#define FZ_SELFTEST_H
#include <stdio.h>
#include "backend.h"

// Runs each self-test op (conv2d, linear, attention, selective_scan, layer_norm, act, binary) on dev and on the
// CPU backend with the same random inputs and prints per op: max |dev − cpu| / (1 + |cpu|) against its tolerance,
// the median time of `reps` runs on dev (small: shapes about 8x smaller per dim, for the CPU emulation), and the achieved GB/s and GFLOP/s (bytes and FLOPs counted from the
// executed call, bench/count_backend.h). label is printed with the rates ("emulated" under the SIMT emulation:
// its times say nothing about a GPU). Returns 0 when every op is within tolerance, else FZ_EINTERNAL with err
// naming the first op that is not.
int fz_selftest_run(const fz_backend *dev, const char *label, int reps, int small, FILE *out, fz_err *err);
#endif
