// fill_seq.c — puts the CPU kernels of the seq op family into a backend table.
#include "cpu_seq.h"

// Sets the seq entries of backend table t to the CPU kernels.
void fz_cpu_fill_seq(fz_backend *t) {
  t->attention = fz_cpu_attention;
  t->attention_workspace = fz_cpu_attention_workspace;
  t->channel_attention = fz_cpu_channel_attention;
  t->selective_scan = fz_cpu_selective_scan;
  t->cross_scan = fz_cpu_cross_scan;
  t->cross_merge = fz_cpu_cross_merge;
  t->window_partition = fz_cpu_window_partition;
  t->pixel_shuffle = fz_cpu_pixel_shuffle;
  t->patchify = fz_cpu_patchify;
  t->permute = fz_cpu_permute;
  t->interpolate = fz_cpu_interpolate;
  t->grid_sample = fz_cpu_grid_sample;
  t->fft2 = fz_cpu_fft2;
  t->rfft2 = fz_cpu_rfft2;
  t->irfft2 = fz_cpu_irfft2;
  t->fftshift = fz_cpu_fftshift;
  t->complex_part = fz_cpu_complex_part;
  t->polar = fz_cpu_polar;
  t->kmeans_init = fz_cpu_kmeans_init;
  t->kmeans_assign = fz_cpu_kmeans_assign;
  t->kmeans_update = fz_cpu_kmeans_update;
  t->timestep_embedding = fz_cpu_timestep_embedding;
}
