// fill_cuda.cu — puts the CUDA kernels of the nn and seq families into a backend table (the fir family is
// filled by fir.cu). An entry left NULL would make its fz_op_* wrapper return FZ_EUNSUP naming the op.
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

// Sets the seq-family entries (all of them; the FFTs are direct DFTs until the cuFFT path exists).
void fz_cuda_fill_seq(fz_backend *t) {
  t->attention = fz_cuda_attention;
  t->attention_workspace = fz_cuda_attention_workspace;
  t->channel_attention = fz_cuda_channel_attention;
  t->selective_scan = fz_cuda_selective_scan;
  t->interpolate = fz_cuda_interpolate;
  t->grid_sample = fz_cuda_grid_sample;
  t->timestep_embedding = fz_cuda_timestep_embedding;
  t->kmeans_init = fz_cuda_kmeans_init;
  t->kmeans_assign = fz_cuda_kmeans_assign;
  t->kmeans_update = fz_cuda_kmeans_update;
  t->fft2 = fz_cuda_fft2;
  t->rfft2 = fz_cuda_rfft2;
  t->irfft2 = fz_cuda_irfft2;
  t->fftshift = fz_cuda_fftshift;
  t->complex_part = fz_cuda_complex_part;
  t->polar = fz_cuda_polar;
  t->permute = fz_cuda_permute;
  t->pixel_shuffle = fz_cuda_pixel_shuffle;
  t->patchify = fz_cuda_patchify;
  t->cross_scan = fz_cuda_cross_scan;
  t->cross_merge = fz_cuda_cross_merge;
  t->window_partition = fz_cuda_window_partition;
}
