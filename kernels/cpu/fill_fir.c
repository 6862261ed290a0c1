// fill_fir.c — puts the CPU kernels of the fir op family into a backend table.
#include "cpu_fir.h"

// Sets the fir2d / imresize / interp23tap entries of a CPU backend table t.
void fz_cpu_fill_fir(fz_backend *t) {
  t->fir2d = fz_cpu_fir2d;
  t->imresize = fz_cpu_imresize;
  t->interp23tap = fz_cpu_interp23tap;
}
