// mamba_block.c — FusionMamba's Mamba mixer (v2 / v6 / v7; see mamba_block.h) on the backend ops:
// in_proj (linear) -> cross-scan of [x | z] (channels-last tokens) -> per direction causal conv1d + SiLU,
// x_proj and dt_proj as GEMMs on [D, L], selective scan with the SiLU(z) gate -> cross-merge (the adjoint:
// each direction mapped back and summed) / ndir -> LayerNorm -> out_proj.
#include "mamba_block.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

// -exp(x), the S4D-real A from A_log.
static float neg_exp(float x) { return -expf(x); }

// Loads direction k's parameters with suffix sfx ("", "_b", "_c", "_d").
static int load_dir(fz_pan_model *m, fz_mamba *mb, int k, const char *sfx, fz_err *err) {
  char n[192];
  fz_mamba_dir *d = &mb->dir[k];
  int D = mb->d_inner, N = mb->d_state, R = mb->dt_rank;
  int64_t cw[3] = {D, 1, mb->d_conv}, vd[1] = {D}, xp[2] = {R + 2 * N, D}, dw[2] = {D, R}, a[2] = {D, N};
  snprintf(n, sizeof n, "%s.conv1d%s.weight", mb->name, sfx);
  if (fz_param(m, n, 3, cw, &d->conv_w, err)) return err->code;
  snprintf(n, sizeof n, "%s.conv1d%s.bias", mb->name, sfx);
  if (fz_param(m, n, 1, vd, &d->conv_b, err)) return err->code;
  snprintf(n, sizeof n, "%s.x_proj%s.weight", mb->name, sfx);
  if (fz_param(m, n, 2, xp, &d->xproj, err)) return err->code;
  snprintf(n, sizeof n, "%s.dt_proj%s.weight", mb->name, sfx);
  if (fz_param(m, n, 2, dw, &d->dt_w, err)) return err->code;
  snprintf(n, sizeof n, "%s.dt_proj%s.bias", mb->name, sfx);
  if (fz_param(m, n, 1, vd, &d->dt_b, err)) return err->code;
  snprintf(n, sizeof n, "%s.A%s_log", mb->name, sfx);
  if (fz_param_map(m, n, 2, a, neg_exp, &d->A, err)) return err->code;
  snprintf(n, sizeof n, "%s.D%s", mb->name, sfx);
  if (fz_param(m, n, 1, vd, &d->Dskip, err)) return err->code;
  mb->used[k] = 1;
  return FZ_OK;
}

int fz_mamba_load(fz_pan_model *m, fz_mamba *mb, const char *prefix, int d_model, fz_mamba_type type, fz_err *err) {
  char n[192];
  memset(mb, 0, sizeof *mb);
  snprintf(mb->name, sizeof mb->name, "%s", prefix);
  mb->type = type;
  mb->d_model = d_model;
  snprintf(n, sizeof n, "%s.A_log", prefix);
  const fz_wtensor *a = fz_param_info(m, n);
  snprintf(n, sizeof n, "%s.dt_proj.weight", prefix);
  const fz_wtensor *dt = fz_param_info(m, n);
  snprintf(n, sizeof n, "%s.conv1d.weight", prefix);
  const fz_wtensor *cv = fz_param_info(m, n);
  if (!a || a->ndim != 2 || !dt || dt->ndim != 2 || !cv || cv->ndim != 3 || a->shape[0] != dt->shape[0] || cv->shape[2] < 1 ||
      cv->shape[2] > 64)
    return fz_fail(err, FZ_EINVAL, "%s: Mamba mixer %s: A_log [D, N], dt_proj.weight [D, R] or conv1d.weight [D, 1, k] missing or "
                   "inconsistent", m->display, prefix);
  mb->d_inner = (int)a->shape[0];
  mb->d_state = (int)a->shape[1];
  mb->dt_rank = (int)dt->shape[1];
  mb->d_conv = (int)cv->shape[2];
  int D = mb->d_inner, C = d_model;
  int64_t ip[2] = {2 * D, C}, ipb[2] = {D, C}, vd[1] = {D}, op[2] = {C, D};
  snprintf(n, sizeof n, "%s.in_proj.weight", prefix);
  if (fz_param(m, n, 2, ip, &mb->in_proj, err)) return err->code;
  if (type == FZ_MAMBA_V7) {
    snprintf(n, sizeof n, "%s.in_proj_b.weight", prefix);
    if (fz_param(m, n, 2, ipb, &mb->in_proj_b, err)) return err->code;
  }
  snprintf(n, sizeof n, "%s.norm.weight", prefix);
  if (fz_param(m, n, 1, vd, &mb->norm_w, err)) return err->code;
  snprintf(n, sizeof n, "%s.norm.bias", prefix);
  if (fz_param(m, n, 1, vd, &mb->norm_b, err)) return err->code;
  snprintf(n, sizeof n, "%s.out_proj.weight", prefix);
  if (fz_param(m, n, 2, op, &mb->out_proj, err)) return err->code;
  snprintf(n, sizeof n, "%s.out_proj.bias", prefix);
  if (fz_param_info(m, n)) {
    int64_t ob[1] = {C};
    if (fz_param(m, n, 1, ob, &mb->out_proj_b, err)) return err->code;
  }
  if (load_dir(m, mb, 0, "", err) || load_dir(m, mb, 2, "_b", err)) return err->code;
  if (type != FZ_MAMBA_V2 && (load_dir(m, mb, 1, "_c", err) || load_dir(m, mb, 3, "_d", err))) return err->code;
  return FZ_OK;
}

// A header over `numel` f32 values at element offset off of t, shaped [ndim dims].
static fz_tensor view(const fz_tensor *t, int64_t off, int ndim, const int64_t *shape) {
  fz_tensor v = {0};
  v.dtype = FZ_F32;
  v.ndim = ndim;
  for (int i = 0; i < ndim; i++) v.shape[i] = shape[i];
  v.data = (char *)t->data + off * (int64_t)sizeof(float);
  v.be = t->be;
  return v;
}

int fz_mamba_forward(fz_pan_model *m, const fz_mamba *mb, const fz_tensor *x, const fz_tensor *extra, int64_t h, int64_t w,
                     fz_tensor *out, int slot0, fz_err *err) {
  const fz_backend *be = m->be;
  int64_t L = h * w, D = mb->d_inner, N = mb->d_state, R = mb->dt_rank;
  fz_tensor xz, xs, e, es, ys, xc, dbl, delta, merged;
  int64_t s_xz[2] = {L, 2 * D}, s_xs[4] = {1, 4, 2 * D, L}, s_e[2] = {L, D}, s_es[4] = {1, 4, D, L};
  int64_t s_dl[3] = {1, D, L}, s_dbl[2] = {R + 2 * N, L}, s_dd[2] = {D, L}, s_m[4] = {1, h, w, D};
  // [x | z] for every direction: tokens [L, 2D] seen as [1, h, w, 2D] -> [1, 4, 2D, L]
  if (fz_tmp(m, slot0, 2, s_xz, &xz, err) || fz_tmp(m, slot0 + 1, 4, s_xs, &xs, err) || fz_tmp(m, slot0 + 4, 4, s_es, &ys, err) ||
      fz_tmp(m, slot0 + 5, 3, s_dl, &xc, err) || fz_tmp(m, slot0 + 6, 2, s_dbl, &dbl, err) ||
      fz_tmp(m, slot0 + 7, 2, s_dd, &delta, err) || fz_tmp(m, slot0 + 8, 4, s_m, &merged, err))
    return err->code;
  if (fz_op_linear(be, &xz, x, mb->in_proj, NULL, FZ_ACT_NONE, 0, 0, err)) return fz_wrap(err, "%s in_proj", mb->name);
  int64_t s_img[4] = {1, h, w, 2 * D};
  fz_tensor xz4 = view(&xz, 0, 4, s_img);
  if (fz_op_cross_scan(be, &xs, &xz4, 1, err)) return fz_wrap(err, "%s cross-scan", mb->name);
  if (mb->type == FZ_MAMBA_V7) {
    if (!extra) return fz_fail(err, FZ_EINTERNAL, "%s: v7 needs the extra input", mb->name);
    if (fz_tmp(m, slot0 + 2, 2, s_e, &e, err) || fz_tmp(m, slot0 + 3, 4, s_es, &es, err)) return err->code;
    if (fz_op_linear(be, &e, extra, mb->in_proj_b, NULL, FZ_ACT_NONE, 0, 0, err)) return fz_wrap(err, "%s in_proj_b", mb->name);
    int64_t s_e4[4] = {1, h, w, D};
    fz_tensor e4 = view(&e, 0, 4, s_e4);
    if (fz_op_cross_scan(be, &es, &e4, 1, err)) return err->code;
  }
  float zero = 0;
  for (int k = 0; k < 4; k++) {
    fz_tensor yk = view(&ys, (int64_t)k * D * L, 3, s_dl);
    if (!mb->used[k]) {  // v2: directions 1 and 3 contribute nothing to the merge
      if (fz_op_lincomb(be, &yk, 0, &zero, NULL, err)) return err->code;
      continue;
    }
    const fz_mamba_dir *d = &mb->dir[k];
    fz_tensor xk = view(&xs, (int64_t)k * 2 * D * L, 3, s_dl), zk = view(&xs, ((int64_t)k * 2 + 1) * D * L, 3, s_dl);
    fz_conv1d_params cp = {.pad_left = mb->d_conv - 1, .pad_right = 0, .groups = (int)D, .act = FZ_ACT_SILU};
    if (fz_op_conv1d(be, &xc, &xk, d->conv_w, d->conv_b, &cp, err)) return fz_wrap(err, "%s conv1d (direction %d)", mb->name, k);
    fz_tensor src = mb->type == FZ_MAMBA_V7 ? view(&es, (int64_t)k * D * L, 2, s_dd) : view(&xc, 0, 2, s_dd);
    if (fz_op_gemm(be, &dbl, d->xproj, &src, 0, 0, 1.0f, 0.0f, err)) return fz_wrap(err, "%s x_proj", mb->name);
    int64_t s_r[2] = {R, L}, s_bc[3] = {1, N, L};
    fz_tensor dtin = view(&dbl, 0, 2, s_r), Bm = view(&dbl, R * L, 3, s_bc), Cm = view(&dbl, (R + N) * L, 3, s_bc);
    if (fz_op_gemm(be, &delta, d->dt_w, &dtin, 0, 0, 1.0f, 0.0f, err)) return fz_wrap(err, "%s dt_proj", mb->name);
    fz_tensor dl = view(&delta, 0, 3, s_dl);
    fz_scan_inputs in = {&xc, &dl, d->A, &Bm, &Cm, d->Dskip, &zk, d->dt_b, NULL, 1};
    if (fz_op_selective_scan(be, &yk, NULL, &in, err)) return fz_wrap(err, "%s selective scan (direction %d)", mb->name, k);
  }
  if (fz_op_cross_merge(be, &merged, &ys, 1, err)) return fz_wrap(err, "%s cross-merge", mb->name);
  fz_tensor mt = view(&merged, 0, 2, s_dd);
  mt.shape[0] = L;
  mt.shape[1] = D;
  float inv = mb->type == FZ_MAMBA_V2 ? 0.5f : 0.25f;  // if_devide_out: mean over the directions
  if (fz_op_affine(be, &mt, &mt, inv, 0, err)) return err->code;
  if (fz_op_layer_norm(be, &mt, &mt, mb->norm_w, mb->norm_b, 1e-5f, err)) return fz_wrap(err, "%s norm", mb->name);
  if (fz_op_linear(be, out, &mt, mb->out_proj, mb->out_proj_b, FZ_ACT_NONE, 0, 0, err)) return fz_wrap(err, "%s out_proj", mb->name);
  return FZ_OK;
}
