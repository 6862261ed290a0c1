// fuse.h — whole-scene pansharpening with a loaded model: tiling, batching of tiles, and the merge rules
//   blend      (default) overlapping tiles, each weighted by a separable linear ramp over the overlap and
//              normalised by the summed weights: seam-free; scene edges padded by replication when the
//              model needs sizes it does not have;
//   grid       non-overlapping tiles, scene zero-padded to whole tiles (FusionMamba's test.py rule);
//   patchmerge the PatchMergeModule rule of the family (tile P, stride P/4, mean of the tile centres,
//              border strips from edge tiles, the bottom/right remainder from extra strip and corner tiles),
//              reproduced from the open Python version (GPL, UESTC, Zihan Cao & Xiao Wu, 2023/6/21).
// Scenes are host float buffers, already divided by the model's scale.
#ifndef FZ_FUSE_H
#define FZ_FUSE_H
#include <stdint.h>
#include "model.h"

typedef enum { FZ_MERGE_BLEND = 0, FZ_MERGE_GRID = 1, FZ_MERGE_PATCHMERGE = 2 } fz_merge_mode;

typedef struct fz_fuse_opts {
  int tile;               // PAN-grid tile side; 0 = the whole scene in one forward (models with a fixed tile use it)
  int overlap;            // blend: PAN pixels shared by neighbouring tiles (default 32 when < 0)
  fz_merge_mode merge;
  int batch;              // tiles per forward (>= 1)
  // Called after each forward with the tiles done and the total (may be NULL).
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
} fz_fuse_opts;

// A scene: pan [1, H, W], lms [C, H, W] (may be NULL when the model does not read it), ms [C, H/r, W/r]
// (may be NULL likewise); every buffer row-major planes, normalised.
typedef struct fz_scene {
  int bands, h, w;        // C and the PAN grid size
  const float *ms, *lms, *pan;
} fz_scene;

// Name of a merge mode ("blend", "grid", "patchmerge") and its parser (-1 when unknown).
const char *fz_merge_name(fz_merge_mode m);
int fz_merge_parse(const char *s);

// Number of forwards' tiles fz_fuse_scene will run for this scene and options (for progress / planning).
int fz_fuse_count_tiles(const fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, int64_t *tiles, fz_err *err);
// Fuses scene s with m into out [C, H, W] (host, normalised, not clamped). Checks the scene against the
// model (bands, PAN = ratio x MS) and the options (tile multiple of the model's alignment, ...).
int fz_fuse_scene(fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, float *out, fz_err *err);

// ---- internal (fuse.c <-> patchmerge.c)
// A tile runner: evaluates tiles at PAN positions (ys[i], xs[i]) of size th x tw on a (padded) scene and hands
// each output [C, th, tw] to sink(ctx, i, out). Batches of up to o->batch tiles per forward.
typedef struct fz_tiler fz_tiler;
typedef void (*fz_tile_sink)(void *ctx, int64_t i, const float *tile_out);
int fz_tiler_run(fz_tiler *t, const int64_t *ys, const int64_t *xs, int64_t n, int th, int tw, fz_tile_sink sink,
                 void *ctx, fz_err *err);
// The PatchMergeModule merge over a scene of size H x W already valid for the model (see patchmerge.c).
int fz_patchmerge(fz_tiler *t, int bands, int H, int W, int P, float *out, fz_err *err);
int64_t fz_patchmerge_count(int H, int W, int P);
#endif
