// fill_nn.c — puts the CPU kernels of the nn op family into a backend table.
#include "cpu_ops.h"

void fz_cpu_fill_nn(fz_backend *t) { (void)t; }
