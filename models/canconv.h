// canconv.h — the CANConv layer of CANNet (Duanyll/CANConv 0b7cc6f canconv/layers/canconv.py, CVPR 2024):
// content-adaptive non-local 3x3 convolution. Per image: unfold 3x3 patches p (9·Cin, zero padding); when no
// cluster map is given, k-means (k-means++ from a seed, tolerance 0.01 of reassigned points) on the per-channel
// 3x3 patch means, then clusters of at most floor(0.005·HW) pixels go to an extra cluster K; centroids are
// the mean patch of each cluster (0 for an empty one) and centroid K the mean of all patches; a low-rank
// kernel generator (sigmoid(to_cin) ⊗ sigmoid(to_area) ⊗ sigmoid(to_cout) of an MLP of the centroid, times
// the learned kernels [Cin, 9, Cout]) and a bias MLP give one kernel per cluster; y = p · W_k + b_k.
#ifndef FZ_CANCONV_H
#define FZ_CANCONV_H
#include "model_internal.h"

// Scratch slots CANConv uses (the network keeps its own below CC_SLOT0).
enum { CC_SLOT0 = 16 };

typedef struct fz_canconv {
  int cin, cout, K;            // K clusters (+1 for the filtered / global cluster)
  float threshold;             // filter_threshold (clusters of <= floor(threshold·HW) pixels merge)
  fz_tensor *kernels;          // [Cin, 9, Cout]
  fz_tensor *kh0_w, *kh0_b, *kh2_w, *kh2_b;           // kernel_head: 9Cin -> 16 -> 16
  fz_tensor *area_w, *area_b, *cin_w, *cin_b, *cout_w, *cout_b;
  fz_tensor *cb0_w, *cb0_b, *cb2_w, *cb2_b, *cb4_w, *cb4_b;  // centroid_to_bias: 9Cin -> 16 -> 16 -> Cout
  const fz_tensor *unfold_k;   // [9·Cin, 1, 3, 3] one-hot (im2col as a depthwise conv; exact)
  const fz_tensor *box_k;      // [Cin, 1, 3, 3] of 1/9 (the per-channel patch mean)
  char name[32];
} fz_canconv;

// k-means settings shared by the layers.
typedef struct fz_canconv_km {
  uint64_t seed;
  double tol;
  int max_iter;
} fz_canconv_km;

// Loads <prefix>.{kernels, kernel_head.*, to_area, to_cin, to_cout, centroid_to_bias.*} for c -> c channels.
int fz_canconv_load(fz_pan_model *m, fz_canconv *l, const char *prefix, int c, int K, float threshold, const fz_tensor *unfold_k,
                    const fz_tensor *box_k, fz_err *err);
// One image: x [1, Cin, H, W] -> y [1, Cout, H, W] (a view the caller owns). idx [H·W] i32: when cluster is
// nonzero the k-means + filter run and write idx; otherwise idx is read as given (values in [0, K]).
int fz_canconv_forward(fz_pan_model *m, const fz_canconv *l, const fz_tensor *x, fz_tensor *y, fz_tensor *idx, int cluster,
                       const fz_canconv_km *km, fz_err *err);
#endif
