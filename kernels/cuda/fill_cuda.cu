// fill_cuda.cu — puts the CUDA kernels of the nn and seq families into a backend table. Entries left NULL
// are ops the CUDA backend does not have yet: their fz_op_* wrappers return FZ_EUNSUP naming the op.
#include "cuda_ops.h"

// Sets the nn-family entries of a CUDA backend table t (all of them).
void fz_cuda_fill_nn(fz_backend *t) {
  t->conv2d = fz_cuda_conv2d;
  t->conv2d_workspace = fz_cuda_conv2d_workspace;
  t->conv_transpose2d = fz_cuda_conv_transpose2d;
  t->conv_transpose2d_workspace = fz_cuda_conv_transpose2d_workspace;
  t->conv1d = fz_cuda_conv1d;
  t->linear = fz_cuda_linear;
  t->gemm_batched = fz_cuda_gemm_batched;
  t->gemm_segmented = fz_cuda_gemm_segmented;
  t->layer_norm = fz_cuda_layer_norm;
  t->layer_norm_channels = fz_cuda_layer_norm_channels;
  t->group_norm = fz_cuda_group_norm;
  t->batch_norm = fz_cuda_batch_norm;
  t->rms_norm = fz_cuda_rms_norm;
  t->modulate = fz_cuda_modulate;
  t->gate_residual = fz_cuda_gate_residual;
  t->act = fz_cuda_act;
  t->glu = fz_cuda_glu;
  t->softmax = fz_cuda_softmax;
  t->clamp = fz_cuda_clamp;
  t->affine = fz_cuda_affine;
  t->binary = fz_cuda_binary;
  t->global_pool = fz_cuda_global_pool;
}

// Sets the seq-family entries implemented so far (data-movement ops). Not yet on CUDA: attention,
// channel_attention, selective_scan, interpolate, grid_sample, the FFT ops, k-means, timestep_embedding;
// the fir family (fir2d, imresize, interp23tap) is not on CUDA either.
void fz_cuda_fill_seq(fz_backend *t) {
  t->permute = fz_cuda_permute;
  t->pixel_shuffle = fz_cuda_pixel_shuffle;
  t->patchify = fz_cuda_patchify;
  t->cross_scan = fz_cuda_cross_scan;
  t->cross_merge = fz_cuda_cross_merge;
  t->window_partition = fz_cuda_window_partition;
}
