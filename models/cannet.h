// cannet.h — CANNet specifics beyond the generic model API: injecting and reading the per-image cluster maps
// of the three clustering layers (rb1.conv1 at H x W, rb2.conv1 at H/2 x W/2, rb3.conv1 at H/4 x W/4).
#ifndef FZ_CANNET_H
#define FZ_CANNET_H
#include "model.h"

// Uses idx[level] (N·h·w cluster numbers in [0, cluster_num], batch-major, row-major) instead of k-means in
// the following forwards; n[level] is checked against each forward's N·h·w. idx == NULL clears the injection.
// Used for exact parity with a reference run whose clusters came from another k-means (kmcuda).
int fz_cannet_set_clusters(fz_pan_model *m, const int32_t *const idx[3], const int64_t n[3], fz_err *err);
// Copies the cluster maps of the last forward into new malloc'd arrays idx[level] (n[level] values each).
int fz_cannet_get_clusters(fz_pan_model *m, int32_t *idx[3], int64_t n[3], fz_err *err);
#endif
