// rng.h — Philox4x32-10 (Salmon et al., SC'11) and Box–Muller normals.
// Every number is a pure function of (seed, stream, index): the same on any thread count, batch split
// or tiling, on CPU and GPU. Layout: counter = {block_lo, block_hi, stream_lo, stream_hi},
// key = {seed_lo, seed_hi}; block = index / 4, lane = index % 4.
#ifndef FZ_RNG_H
#define FZ_RNG_H
#include <stdint.h>

#ifdef __CUDACC__
#define FZ_HD __host__ __device__
#else
#define FZ_HD
#endif

// One Philox4x32 bijection with 10 rounds: out = philox(ctr, key).
static inline FZ_HD void fz_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; r++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1; c3 = (uint32_t)p0; c0 = n0; c2 = n2;
    k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// The 4 raw 32-bit words of block `block` of stream `stream` under `seed`.
static inline FZ_HD void fz_philox_block(uint64_t seed, uint64_t stream, uint64_t block, uint32_t out[4]) {
  uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream, (uint32_t)(stream >> 32)};
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  fz_philox4x32_10(ctr, key, out);
}

// Maps a 32-bit word to a uniform in the open interval (0, 1): (u + 0.5) / 2^32.
static inline FZ_HD double fz_u32_to_open01(uint32_t u) { return ((double)u + 0.5) * (1.0 / 4294967296.0); }

// Four standard normals of one Philox block: Box–Muller on words (0,1) and (2,3), computed in double
// and rounded once to float. out[lane] is the normal with index 4*block + lane.
void fz_philox_normal4(uint64_t seed, uint64_t stream, uint64_t block, float out[4]);
// The standard normal number at (seed, stream, index).
float fz_philox_normal(uint64_t seed, uint64_t stream, uint64_t index);
// Fills out[0..n) with normals at indices offset .. offset+n-1 of (seed, stream).
void fz_philox_fill_normal(float *out, uint64_t n, uint64_t seed, uint64_t stream, uint64_t offset);
// Fills out[0..n) with uniforms in (0,1) (as float) at indices offset.. of (seed, stream).
void fz_philox_fill_uniform(float *out, uint64_t n, uint64_t seed, uint64_t stream, uint64_t offset);

#endif
