// cases_seq_attn.c — op cases for multi-head attention and channel (d×d) attention.
// Oracle: the naive definitions evaluated in double — softmax(scale·q·kᵀ)·v with the full score row,
// and softmax over the d×d Gram matrix for channel attention.
#include "cases_seq.h"

// Naive attention in double for layout 0 ([B,H,N,d]) or 1 ([B,N,H·d]); writes ref in out's layout.
static void ref_attention(const float *q, const float *k, const float *v, const float *vf, double lam, int layout,
                          int64_t B, int64_t H, int64_t Nq, int64_t Nk, int64_t d, int64_t dv, double scale,
                          int causal, double *ref) {
  double *s = malloc(sizeof(double) * (size_t)Nk);
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++)
      for (int64_t i = 0; i < Nq; i++) {
#define AT(base, n, N_, dd, c) ((layout == 0) ? (base)[((b * H + h) * (N_) + (n)) * (dd) + (c)] \
                                              : (base)[((b * (N_) + (n)) * H + h) * (dd) + (c)])
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < Nk; j++) {
          if (causal && j > i) { s[j] = -INFINITY; continue; }
          double acc = 0;
          for (int64_t c = 0; c < d; c++) acc += (double)AT(q, i, Nq, d, c) * AT(k, j, Nk, d, c);
          s[j] = acc * scale;
          if (s[j] > mx) mx = s[j];
        }
        for (int64_t j = 0; j < Nk; j++) { s[j] = s[j] == -INFINITY ? 0 : exp(s[j] - mx); sum += s[j]; }
        for (int64_t c = 0; c < dv; c++) {
          double acc = 0;
          for (int64_t j = 0; j < Nk; j++) {
            double vv = AT(v, j, Nk, dv, c);
            if (vf) vv = lam * vv + (1 - lam) * AT(vf, j, Nk, dv, c);
            acc += s[j] * vv;
          }
          int64_t o = layout == 0 ? ((b * H + h) * Nq + i) * dv + c : ((b * Nq + i) * H + h) * dv + c;
          ref[o] = acc / sum;
        }
#undef AT
      }
  free(s);
}

// Runs one attention configuration and folds its error into res.
static void run_attention(seq_case *c, fz_op_result *res, int layout, int64_t B, int64_t H, int64_t Nq, int64_t Nk,
                          int64_t d, int64_t dv, float scale, int causal, int use_vf, float lam, uint64_t stream0) {
  float *hq = NULL, *hk = NULL, *hv = NULL, *hvf = NULL;
  fz_tensor *q, *k, *v, *vf = NULL, *out;
  if (layout == 0) {
    q = sc_rand(c, 4, SHAPE(B, H, Nq, d), stream0, -2, 2, &hq);
    k = sc_rand(c, 4, SHAPE(B, H, Nk, d), stream0 + 1, -2, 2, &hk);
    v = sc_rand(c, 4, SHAPE(B, H, Nk, dv), stream0 + 2, -2, 2, &hv);
    if (use_vf) vf = sc_rand(c, 4, SHAPE(B, H, Nk, dv), stream0 + 3, -2, 2, &hvf);
    out = sc_new(c, FZ_F32, 4, SHAPE(B, H, Nq, dv), NULL);
  } else {
    q = sc_rand(c, 3, SHAPE(B, Nq, H * d), stream0, -2, 2, &hq);
    k = sc_rand(c, 3, SHAPE(B, Nk, H * d), stream0 + 1, -2, 2, &hk);
    v = sc_rand(c, 3, SHAPE(B, Nk, H * dv), stream0 + 2, -2, 2, &hv);
    if (use_vf) vf = sc_rand(c, 3, SHAPE(B, Nk, H * dv), stream0 + 3, -2, 2, &hvf);
    out = sc_new(c, FZ_F32, 3, SHAPE(B, Nq, H * dv), NULL);
  }
  if (c->rc) return;
  fz_attn_params p = {.heads = (int)H, .layout = layout, .scale = scale, .causal = causal, .v_lambda = lam};
  if (!sc_ok(c, fz_op_attention(c->be, out, q, k, v, vf, &p, c->err))) return;
  float *got = sc_get(c, out);
  int64_t n = B * H * Nq * dv;
  double *ref = sc_mem(c, sizeof(double) * (size_t)n);
  if (!got || !ref) return;
  ref_attention(hq, hk, hv, hvf, lam, layout, B, H, Nq, Nk, d, dv, scale != 0 ? scale : 1.0 / sqrt((double)d),
                causal, ref);
  sc_err(res, got, ref, n);
}

// Awkward token counts (not multiples of the 64-tile), d ≠ dv, batch > 1, default scale.
// Oracle: naive softmax(q·kᵀ/√d)·v in double (ref_attention).
FZ_OP_CASE(seq_attention_bhnd_odd) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_attention(&c, res, 0, 2, 3, 70, 67, 24, 20, 0.0f, 0, 0, 0, 0);
  run_attention(&c, res, 0, 1, 1, 1, 1, 5, 3, 0.0f, 0, 0, 0, 10);  // one query, one key
  res->tol = 2e-5;
  snprintf(res->detail, sizeof res->detail, "[2,3,70|67,24->20], [1,1,1,1,5->3]");
  return sc_done(&c);
}

// Token layout [B,N,H·d] with the causal mask, Nq = Nk = 130 (two full tiles + 2).
// Oracle: naive masked softmax attention in double, mask j <= i (PyTorch is_causal, top-left).
FZ_OP_CASE(seq_attention_tokens_causal) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_attention(&c, res, 1, 2, 2, 130, 130, 16, 16, 0.0f, 1, 0, 0, 0);
  run_attention(&c, res, 0, 1, 2, 9, 75, 8, 8, 0.5f, 1, 0, 0, 10);    // Nq < Nk: top-left aligned mask
  run_attention(&c, res, 0, 1, 1, 300, 300, 8, 8, 0.0f, 1, 0, 0, 20);  // two 256-query tasks
  res->tol = 2e-5;
  snprintf(res->detail, sizeof res->detail, "tokens [2,130,2·16]; [1,2,9|75,8]; [1,1,300,8]; all causal");
  return sc_done(&c);
}

// MMAIF value residual v' = λ·v + (1-λ)·v_first, with d = dv = 1.
// Oracle: naive attention in double on v' = λ·v + (1-λ)·v_first.
FZ_OP_CASE(seq_attention_value_residual) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_attention(&c, res, 0, 2, 1, 33, 40, 1, 1, 0.0f, 0, 1, 0.3f, 0);
  run_attention(&c, res, 1, 1, 3, 65, 65, 12, 12, 0.0f, 0, 1, 0.75f, 10);
  res->tol = 2e-5;
  snprintf(res->detail, sizeof res->detail, "[2,1,33|40,1] λ=0.3; tokens [1,65,3·12] λ=0.75");
  return sc_done(&c);
}

// SSDiff dense spatial attention: the H·W pixels of a 9×7 feature map as tokens, dim_head 16, scale 1/4.
// Oracle: naive softmax(y1·y2ᵀ/4)·x1 in double.
FZ_OP_CASE(seq_attention_ssdiff_spatial) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_attention(&c, res, 1, 1, 2, 63, 63, 16, 16, 0.25f, 0, 0, 0, 0);
  run_attention(&c, res, 1, 2, 2, 1, 1, 16, 16, 0.25f, 0, 0, 0, 10);  // a 1×1 image
  res->tol = 2e-5;
  snprintf(res->detail, sizeof res->detail, "tokens [1,63,2·16] scale 1/4; [2,1,2·16]");
  return sc_done(&c);
}

// Channel attention: runs one configuration (layout 0/1/2) and folds its error into res.
static void run_chattn(seq_case *c, fz_op_result *res, int layout, int64_t B, int64_t H, int64_t N, int64_t d,
                       int normalize, float scale, int use_temp, int transpose, uint64_t stream0) {
  int nd = layout == 1 ? 3 : 4;
  int64_t shp[4];
  if (layout == 0) { shp[0] = B; shp[1] = H; shp[2] = N; shp[3] = d; }
  else if (layout == 1) { shp[0] = B; shp[1] = N; shp[2] = H * d; }
  else { shp[0] = B; shp[1] = H; shp[2] = d; shp[3] = N; }
  float *hq = NULL, *hk = NULL, *hv = NULL, *ht = NULL;
  fz_tensor *q = sc_rand(c, nd, shp, stream0, -1, 1, &hq), *k = sc_rand(c, nd, shp, stream0 + 1, -1, 1, &hk);
  fz_tensor *v = sc_rand(c, nd, shp, stream0 + 2, -2, 2, &hv), *out = sc_new(c, FZ_F32, nd, shp, NULL);
  fz_tensor *t = use_temp ? sc_rand(c, 3, SHAPE(H, 1, 1), stream0 + 3, 0.5f, 2.0f, &ht) : NULL;
  if (c->rc) return;
  fz_chattn_params p = {.heads = (int)H, .layout = layout, .normalize = normalize, .scale = scale,
                        .transpose_attn = transpose};
  if (!sc_ok(c, fz_op_channel_attention(c->be, out, q, k, v, t, &p, c->err))) return;
  float *got = sc_get(c, out);
  int64_t n = B * H * N * d;
  double *ref = sc_mem(c, sizeof(double) * (size_t)n), *A = sc_mem(c, sizeof(double) * (size_t)(d * d));
  if (!got || !ref || !A) return;
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++) {
#define IX(nn, cc) (layout == 0 ? ((b * H + h) * N + (nn)) * d + (cc) \
                  : layout == 1 ? ((b * N + (nn)) * H + h) * d + (cc) : ((b * H + h) * d + (cc)) * N + (nn))
      for (int64_t i = 0; i < d; i++) {
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < d; j++) {
          double g = 0, nq = 0, nk = 0;
          for (int64_t m = 0; m < N; m++) {
            g += (double)hq[IX(m, i)] * hk[IX(m, j)];
            nq += (double)hq[IX(m, i)] * hq[IX(m, i)];
            nk += (double)hk[IX(m, j)] * hk[IX(m, j)];
          }
          if (normalize) g /= fmax(sqrt(nq), 1e-12) * fmax(sqrt(nk), 1e-12);
          g *= (scale != 0 ? scale : 1.0) * (ht ? ht[h] : 1.0);
          A[i * d + j] = g;
          if (g > mx) mx = g;
        }
        for (int64_t j = 0; j < d; j++) { A[i * d + j] = exp(A[i * d + j] - mx); sum += A[i * d + j]; }
        for (int64_t j = 0; j < d; j++) A[i * d + j] /= sum;
      }
      for (int64_t m = 0; m < N; m++)
        for (int64_t i = 0; i < d; i++) {
          double acc = 0;
          for (int64_t j = 0; j < d; j++) acc += (transpose ? A[j * d + i] : A[i * d + j]) * hv[IX(m, j)];
          ref[IX(m, i)] = acc;
        }
#undef IX
    }
  sc_err(res, got, ref, n);
}

// Restormer MDTA: channels-first [B, heads, d, H·W], L2-normalised q, k, temperature per head.
// Oracle: the d×d Gram matrix, F.normalize and softmax written out in double.
FZ_OP_CASE(seq_channel_attention_restormer) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_chattn(&c, res, 2, 2, 2, 37, 5, 1, 0.0f, 1, 0, 0);
  run_chattn(&c, res, 2, 1, 1, 1, 1, 1, 0.0f, 1, 0, 10);  // 1×1 image, d = 1
  run_chattn(&c, res, 2, 1, 1, 5000, 8, 1, 0.0f, 1, 0, 20);  // 5000 tokens: many CUDA reduction chunks, the last partial
  res->tol = 1e-5;
  snprintf(res->detail, sizeof res->detail, "[2,2,5,37] normalised + temperature; [1,1,1,1]; [1,1,8,5000]");
  return sc_done(&c);
}

// SSDiff spectral map: tokens [B,N,heads·16], S = softmax(x1ᵀx2·scale), out = y1·S; N > the 256-token chunk.
// Oracle: softmax(x1ᵀ·x2·scale) and y1·S written out in double.
FZ_OP_CASE(seq_channel_attention_ssdiff) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_chattn(&c, res, 1, 1, 2, 300, 16, 0, 0.25f / (300.0f / 16.0f), 0, 1, 0);
  run_chattn(&c, res, 0, 2, 1, 19, 3, 0, 0.5f, 0, 1, 10);
  res->tol = 1e-5;
  snprintf(res->detail, sizeof res->detail, "tokens [1,300,2·16] transposed; [2,1,19,3]");
  return sc_done(&c);
}
