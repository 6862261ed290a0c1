// cpu_fir.h — CPU backend entries of the fir op family (fir.c, imresize.c, interp23tap.c).
#ifndef FZ_CPU_FIR_H
#define FZ_CPU_FIR_H
#include "cpu_ops.h"

// fir.c: out[n,c] = imfilter(in[n,c], kernel[c or 0], pad) on f32 NCHW tensors (double accumulation).
int fz_cpu_fir2d(const fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, int pad, fz_err *err);
// imresize.c: out[n,c] = MATLAB imresize(in[n,c]) with scales (sh, sw) to out's size.
int fz_cpu_imresize(const fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw, int method,
                    int antialias, fz_err *err);
// interp23tap.c: out[n,c] = interp23tap(in[n,c], ratio).
int fz_cpu_interp23tap(const fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err);
#endif
