// mamba_block.h — the Mamba mixer of FusionMamba's patched mamba_simple.py (PSRben/FusionMamba 6bd5cbd
// Mamba-block/mamba_simple.py, from hustvl/Vim b9cf48f): expand 1, causal depthwise conv1d (k = d_conv) + SiLU,
// x_proj -> (dt, B, C), dt_proj, selective scan with D skip, SiLU(z) gate, per scan direction its own
// conv1d / x_proj / dt_proj / A / D; the directions' outputs are mapped back, averaged (if_devide_out),
// LayerNorm'd (use_norm) and projected by out_proj.
//   v6: four cross-scan directions of an h x w grid (row, row reversed, column, column reversed), one input;
//   v7: the same, but dt, B, C come from x_proj(in_proj_b(extra)) (no conv, no activation on extra);
//   v2: two directions (forward, reversed) of a plain sequence (SpeAttention over the bands).
#ifndef FZ_MAMBA_BLOCK_H
#define FZ_MAMBA_BLOCK_H
#include "model_internal.h"

typedef enum { FZ_MAMBA_V2 = 2, FZ_MAMBA_V6 = 6, FZ_MAMBA_V7 = 7 } fz_mamba_type;

// One scan direction's parameters. Index = cross-scan k: 0 row-major, 1 column-major, 2 row reversed,
// 3 column reversed (official suffixes "", "_c", "_b", "_d").
typedef struct fz_mamba_dir {
  fz_tensor *conv_w, *conv_b;   // [D, 1, d_conv], [D]
  fz_tensor *xproj;             // [R + 2N, D]
  fz_tensor *dt_w, *dt_b;       // [D, R], [D]
  fz_tensor *A;                 // [D, N] = -exp(A_log)
  fz_tensor *Dskip;             // [D]
} fz_mamba_dir;

typedef struct fz_mamba {
  fz_mamba_type type;
  int d_model, d_inner, d_state, dt_rank, d_conv;
  fz_tensor *in_proj, *in_proj_b;   // [2D, C], [D, C] (v7)
  fz_tensor *norm_w, *norm_b;       // [D]
  fz_tensor *out_proj, *out_proj_b; // [C, D], bias [C] or NULL
  fz_mamba_dir dir[4];
  int used[4];                      // directions present (v2: 0 and 2)
  char name[96];
} fz_mamba;

// Loads the mixer <prefix>.{in_proj, conv1d*, x_proj*, dt_proj*, A*_log, D*, norm, out_proj} for d_model
// channels; d_state, dt_rank, d_conv are read from the tensor shapes.
int fz_mamba_load(fz_pan_model *m, fz_mamba *mb, const char *prefix, int d_model, fz_mamba_type type, fz_err *err);
// One image: x [L, C] tokens of an h x w grid (row-major; v2: h = 1, w = L), extra [L, C] for v7 (else NULL)
// -> out [L, C]. Uses pool slots slot0 .. slot0 + 8.
int fz_mamba_forward(fz_pan_model *m, const fz_mamba *mb, const fz_tensor *x, const fz_tensor *extra, int64_t h, int64_t w,
                     fz_tensor *out, int slot0, fz_err *err);
#endif
