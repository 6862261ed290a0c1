// test_simt_warp.cu — warp-level primitives against their definitions in the CUDA C++ Programming Guide
// ("Warp Shuffle Functions", "Warp Vote Functions", "Warp Match Functions", "Warp Reduce Functions"):
// __shfl_sync / _up / _down / _xor for every width, several deltas / lane masks and 4- and 8-byte types,
// ballot / any / all with full and partial (divergent) masks, match_any, reduce_add / min / max, and a
// butterfly warp sum. The host loops below are the oracles, written from the guide's wording.
#include "cuda_test_util.h"

__global__ void k_shfl(const int *src, const float *val, float *o_idx, float *o_up, float *o_down, float *o_xor, int width,
                       unsigned delta, int lane_mask) {
  int t = threadIdx.x;
  float v = val[t];
  o_idx[t] = __shfl_sync(0xffffffffu, v, src[t], width);
  o_up[t] = __shfl_up_sync(0xffffffffu, v, delta, width);
  o_down[t] = __shfl_down_sync(0xffffffffu, v, delta, width);
  o_xor[t] = __shfl_xor_sync(0xffffffffu, v, lane_mask, width);
}

// Oracle (guide): lanes form groups of `width`; __shfl_sync reads lane srcLane % width of the caller's group;
// _up reads lane - delta unless that leaves the group (then the caller's own value); _down reads
// lane + delta likewise; _xor reads lane ^ laneMask unless that lies in a later group (own value).
TEST(simt_shuffles_match_their_definitions) {
  CUT_NEED_DEVICE();
  const int n = 64;
  int hsrc[n];
  float hval[n], r[4][n];
  for (int t = 0; t < n; t++) { hsrc[t] = (int)((t * 2654435761u) >> 7) % 64; hval[t] = 1.5f * (float)t + 0.25f; }
  int *dsrc;
  float *dval, *dout;
  CUT_OK(cudaMalloc(&dsrc, sizeof hsrc));
  CUT_OK(cudaMalloc(&dval, sizeof hval));
  CUT_OK(cudaMalloc(&dout, sizeof r));
  CUT_OK(cudaMemcpy(dsrc, hsrc, sizeof hsrc, cudaMemcpyHostToDevice));
  CUT_OK(cudaMemcpy(dval, hval, sizeof hval, cudaMemcpyHostToDevice));
  const unsigned deltas[4] = {0, 1, 3, 16};
  const int masks[4] = {1, 5, 16, 31};
  for (int width = 1; width <= 32; width *= 2)
    for (int k = 0; k < 4; k++) {
      cut_schedule((uint64_t)(width * 4 + k));
      FZ_LAUNCH(k_shfl, 1, n, 0, 0)(dsrc, dval, dout, dout + n, dout + 2 * n, dout + 3 * n, width, deltas[k], masks[k]);
      CUT_OK(cudaGetLastError());
      CUT_OK(cudaMemcpy(r, dout, sizeof r, cudaMemcpyDeviceToHost));
      for (int t = 0; t < n; t++) {
        int lane = t % 32, base = t - lane, grp = lane / width * width;
        float e_idx = hval[base + grp + hsrc[t] % width];
        float e_up = lane - grp >= (int)deltas[k] ? hval[t - (int)deltas[k]] : hval[t];
        float e_down = lane - grp + (int)deltas[k] < width ? hval[t + (int)deltas[k]] : hval[t];
        int j = lane ^ masks[k];
        float e_xor = j / width > lane / width ? hval[t] : hval[base + j];
        CHECKF(r[0][t] == e_idx, "__shfl_sync width %d thread %d: %g, expected %g", width, t, (double)r[0][t], (double)e_idx);
        CHECKF(r[1][t] == e_up, "__shfl_up_sync width %d delta %u thread %d: %g, expected %g", width, deltas[k], t, (double)r[1][t], (double)e_up);
        CHECKF(r[2][t] == e_down, "__shfl_down_sync width %d delta %u thread %d: %g, expected %g", width, deltas[k], t, (double)r[2][t], (double)e_down);
        CHECKF(r[3][t] == e_xor, "__shfl_xor_sync width %d mask %d thread %d: %g, expected %g", width, masks[k], t, (double)r[3][t], (double)e_xor);
      }
    }
  cut_schedule_default();
  cudaFree(dsrc); cudaFree(dval); cudaFree(dout);
}

// 8-byte shuffles keep every bit: out[t] = value of lane (lane + 7) % 32.
__global__ void k_shfl64(const double *d, const long long *l, double *od, long long *ol) {
  int t = threadIdx.x, src = (t + 7) % 32;
  od[t] = __shfl_sync(0xffffffffu, d[t], src);
  ol[t] = __shfl_sync(0xffffffffu, l[t], src);
}

// Oracle: the guide — shuffles move the full 8-byte value (bit patterns compared).
TEST(simt_shuffle_8_byte_types) {
  CUT_NEED_DEVICE();
  double hd[32], rd[32];
  long long hl[32], rl[32];
  for (int t = 0; t < 32; t++) { hd[t] = 1.0 / (t + 3) + 1e-300 * t; hl[t] = (long long)0x0123456789abcdefLL * (t + 1); }
  double *dd, *od;
  long long *dl, *ol;
  CUT_OK(cudaMalloc(&dd, sizeof hd)); CUT_OK(cudaMalloc(&od, sizeof hd));
  CUT_OK(cudaMalloc(&dl, sizeof hl)); CUT_OK(cudaMalloc(&ol, sizeof hl));
  CUT_OK(cudaMemcpy(dd, hd, sizeof hd, cudaMemcpyHostToDevice));
  CUT_OK(cudaMemcpy(dl, hl, sizeof hl, cudaMemcpyHostToDevice));
  FZ_LAUNCH(k_shfl64, 1, 32, 0, 0)(dd, dl, od, ol);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(rd, od, sizeof rd, cudaMemcpyDeviceToHost));
  CUT_OK(cudaMemcpy(rl, ol, sizeof rl, cudaMemcpyDeviceToHost));
  cudaFree(dd); cudaFree(od); cudaFree(dl); cudaFree(ol);
  for (int t = 0; t < 32; t++) {
    CHECKF(memcmp(&rd[t], &hd[(t + 7) % 32], 8) == 0, "double lane %d", t);
    CHECKF(rl[t] == hl[(t + 7) % 32], "long long lane %d", t);
  }
}

// r[t·8 + k]: ballot, any, all (full mask), even-lane ballot and shuffle (mask 0x55555555, divergent
// branch), match_any of lane % 5, reduce_add / max of pred·lane.
__global__ void k_votes(const int *pred, unsigned *r) {
  int t = threadIdx.x, lane = t % 32, p = pred[t];
  unsigned *o = r + t * 8;
  o[0] = __ballot_sync(0xffffffffu, p);
  o[1] = (unsigned)__any_sync(0xffffffffu, p);
  o[2] = (unsigned)__all_sync(0xffffffffu, p);
  if (lane % 2 == 0) {
    o[3] = __ballot_sync(0x55555555u, p);
    o[4] = (unsigned)__shfl_sync(0x55555555u, lane * 10, (lane + 2) % 32);
  } else {
    o[3] = o[4] = 0xdeadbeefu;
  }
  o[5] = __match_any_sync(0xffffffffu, lane % 5);
  o[6] = __reduce_add_sync(0xffffffffu, (unsigned)(p * lane));
  o[7] = __reduce_max_sync(0xffffffffu, (unsigned)(p * lane));
}

// Oracle (guide): ballot has bit l set when lane l is in the mask and its predicate is non-zero; any / all
// over the mask's lanes; match_any is the mask of lanes holding the same value; reduce_* combine the
// values of the mask's lanes. Computed here with host loops over each warp's 32 predicates.
TEST(simt_votes_match_reduce) {
  CUT_NEED_DEVICE();
  const int n = 64;
  int hp[n];
  for (int t = 0; t < n; t++) hp[t] = ((t * 40503u) >> 3) % 3 == 0;
  hp[40] = 0;
  for (int t = 32; t < 64; t++) hp[t] = t != 40;  // warp 1: all but one lane true
  int *dp;
  unsigned *dr, r[n * 8];
  CUT_OK(cudaMalloc(&dp, sizeof hp));
  CUT_OK(cudaMalloc(&dr, sizeof r));
  CUT_OK(cudaMemcpy(dp, hp, sizeof hp, cudaMemcpyHostToDevice));
  for (uint64_t seed = 0; seed < 3; seed++) {
    cut_schedule(seed);
    FZ_LAUNCH(k_votes, 1, n, 0, 0)(dp, dr);
    CUT_OK(cudaGetLastError());
    CUT_OK(cudaMemcpy(r, dr, sizeof r, cudaMemcpyDeviceToHost));
    for (int t = 0; t < n; t++) {
      int w = t / 32, lane = t % 32;
      unsigned ballot = 0, even = 0, match = 0, sum = 0, mx = 0;
      for (int l = 0; l < 32; l++) {
        int pl = hp[w * 32 + l];
        if (pl) ballot |= 1u << l;
        if (pl && l % 2 == 0) even |= 1u << l;
        if (l % 5 == lane % 5) match |= 1u << l;
        sum += (unsigned)(pl * l);
        if ((unsigned)(pl * l) > mx) mx = (unsigned)(pl * l);
      }
      const unsigned *o = r + t * 8;
      CHECKF(o[0] == ballot, "ballot thread %d: %08x vs %08x", t, o[0], ballot);
      CHECKF(o[1] == (ballot != 0) && o[2] == (ballot == 0xffffffffu), "any/all thread %d", t);
      if (lane % 2 == 0) {
        CHECKF(o[3] == even, "partial ballot thread %d: %08x vs %08x", t, o[3], even);
        CHECKF(o[4] == (unsigned)(((lane + 2) % 32) * 10), "partial shuffle thread %d: %u", t, o[4]);
      }
      CHECKF(o[5] == match, "match_any thread %d: %08x vs %08x", t, o[5], match);
      CHECKF(o[6] == sum && o[7] == mx, "reduce thread %d: %u %u vs %u %u", t, o[6], o[7], sum, mx);
    }
  }
  cut_schedule_default();
  cudaFree(dp); cudaFree(dr);
}

// Butterfly warp sum of integer-valued floats (exact), one result per warp.
__global__ void k_warp_sum(const float *x, float *out) {
  float v = x[blockIdx.x * blockDim.x + threadIdx.x];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) out[(blockIdx.x * blockDim.x + threadIdx.x) / 32] = v;
}

// Oracle: the plain sum of each warp's 32 integer values (exact in float).
TEST(simt_warp_butterfly_sum) {
  CUT_NEED_DEVICE();
  const int n = 8 * 128;
  float h[n], r[n / 32];
  for (int i = 0; i < n; i++) h[i] = (float)((i * 7919) % 201 - 100);
  float *dx, *dr;
  CUT_OK(cudaMalloc(&dx, sizeof h));
  CUT_OK(cudaMalloc(&dr, sizeof r));
  CUT_OK(cudaMemcpy(dx, h, sizeof h, cudaMemcpyHostToDevice));
  FZ_LAUNCH(k_warp_sum, 8, 128, 0, 0)(dx, dr);
  CUT_OK(cudaGetLastError());
  CUT_OK(cudaMemcpy(r, dr, sizeof r, cudaMemcpyDeviceToHost));
  cudaFree(dx); cudaFree(dr);
  for (int w = 0; w < n / 32; w++) {
    float s = 0;
    for (int l = 0; l < 32; l++) s += h[w * 32 + l];
    CHECKF(r[w] == s, "warp %d: %g vs %g", w, (double)r[w], (double)s);
  }
}
