// fill_fir.c — puts the CPU kernels of the fir op family into a backend table.
#include "cpu_ops.h"

void fz_cpu_fill_fir(fz_backend *t) { (void)t; }
