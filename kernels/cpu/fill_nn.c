// fill_nn.c — puts the CPU kernels of the nn op family into a backend table.
#include "cpu_nn.h"

void fz_cpu_fill_nn(fz_backend *t) {
  fz_cpu_blas_init();  // OpenBLAS single-threaded: the nn kernels thread with OpenMP themselves
  t->conv2d = fz_cpu_conv2d;
  t->conv2d_workspace = fz_cpu_conv2d_workspace;
  t->conv_transpose2d = fz_cpu_conv_transpose2d;
  t->conv_transpose2d_workspace = fz_cpu_conv_transpose2d_workspace;
  t->conv1d = fz_cpu_conv1d;
  t->linear = fz_cpu_linear;
  t->gemm_batched = fz_cpu_gemm_batched;
  t->gemm_segmented = fz_cpu_gemm_segmented;
  t->layer_norm = fz_cpu_layer_norm;
  t->layer_norm_channels = fz_cpu_layer_norm_channels;
  t->group_norm = fz_cpu_group_norm;
  t->batch_norm = fz_cpu_batch_norm;
  t->rms_norm = fz_cpu_rms_norm;
  t->modulate = fz_cpu_modulate;
  t->gate_residual = fz_cpu_gate_residual;
  t->act = fz_cpu_act;
  t->glu = fz_cpu_glu;
  t->softmax = fz_cpu_softmax;
  t->clamp = fz_cpu_clamp;
  t->affine = fz_cpu_affine;
  t->binary = fz_cpu_binary;
  t->global_pool = fz_cpu_global_pool;
}
