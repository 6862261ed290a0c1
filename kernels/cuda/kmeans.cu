// kmeans.cu — the three k-means steps of CANConv on the GPU, with the CPU backend's exact arithmetic so that
// both pick the same points and assignments: squared distances Σ_d (x_d − c_d)² in f32 in dimension order
// without fused multiply-adds (__fmul_rn / __fadd_rn), ties to the lowest centroid, sums in double over
// blocks of 4096 points combined in block order (runtime/ops_seq.h documents the seeding).
//  * init (k-means++): two launches per centroid (below): distances and per-4096-point block sums over a grid of
//    blocks, then one block per image walks the sums to the sampled point (a sequential choice by definition);
//  * assign: one thread per point, counting changed entries with an atomic;
//  * update: a stable counting sort of the points by cluster, then one thread per (image, cluster, dimension)
//    sums its cluster's coordinates in point order (below).
// Roofline: assign reads N·D + K·D floats and does 3·N·K·D FLOPs: compute bound for CANConv's K; init is
// K rounds of N·D work (2K launches); update reads the points once per dimension.
#include "cuda_ops.h"
#include "device_util.cuh"

#define KM_PBLK 4096
#define KM_THREADS 256

// Squared L2 distance of two D-vectors, f32, in dimension order, no contraction into FMA.
__device__ __forceinline__ float fz_km_dist2(const float *a, const float *b, int64_t D) {
  float s = 0.0f;
  for (int64_t d = 0; d < D; d++) {
    float t = __fsub_rn(a[d], b[d]);
    s = __fadd_rn(s, __fmul_rn(t, t));
  }
  return s;
}

// The f32 uniform of index j of (seed, stream), as fz_philox_fill_uniform computes it.
__device__ __forceinline__ float fz_km_uniform(uint64_t seed, uint64_t stream, uint64_t j) {
  uint32_t w[4];
  fz_philox_block(seed, stream, j >> 2, w);
  float u = (float)fz_u32_to_open01(w[j & 3]);
  return u >= 1.0f ? 0x1.fffffep-1f : u;
}

// k-means++ seeding, one round per centroid j, two launches per round (host loop, all on the backend's stream):
//  k_km_init_d2   grid (4096-point block, image): d2[i] = dist2(x_i, c_{j-1}) (first round) or the min with it, then
//                 one thread sums the block's d2 in point order in double (bs) and notes its last positive index;
//  k_km_init_pick one block per image: the total of the block sums in order, target = u_j·total, the walk over the
//                 blocks (whole blocks by their sums, the target block point by point from shared memory) to the
//                 chosen point, whose row becomes centroid j.
// The arithmetic and the walk are the CPU backend's (kernels/cpu/kmeans.c), so the choices are identical.

// d2 update with centroid j of every image and the per-block sums / last positive indices. Grid (nblk, Bt).
__global__ void k_km_init_d2(const float *x, const float *cent, float *d2_all, double *bs_all, int64_t *last_all, int64_t N,
                             int64_t D, int64_t K, int64_t j) {
  __shared__ float v[KM_PBLK];
  const int64_t b = blockIdx.y, blk = blockIdx.x, nblk = gridDim.x, i0 = blk * KM_PBLK;
  const int64_t n = N - i0 < KM_PBLK ? N - i0 : KM_PBLK;
  const float *xb = x + b * N * D, *c = cent + (b * K + j) * D;
  float *d2 = d2_all + b * N;
  for (int64_t t = threadIdx.x; t < n; t += blockDim.x) {
    const int64_t i = i0 + t;
    float dv = fz_km_dist2(xb + i * D, c, D);
    if (j > 0 && !(dv < d2[i])) dv = d2[i];
    d2[i] = dv;
    v[t] = dv;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double s = 0.0;
    int64_t last = -1;
    for (int64_t t = 0; t < n; t++) {
      s += v[t];
      if (v[t] > 0) last = i0 + t;
    }
    bs_all[b * nblk + blk] = s;
    last_all[b * nblk + blk] = last;
  }
}

// Chooses centroid j of image blockIdx.x (k-means++ rule of the CPU backend) and copies its row.
__global__ void k_km_init_pick(float *cent, int32_t *chosen, const float *x, const float *d2_all, const double *bs_all,
                               const int64_t *last_all, int64_t N, int64_t D, int64_t K, int64_t nblk, int64_t j, uint64_t seed,
                               uint64_t stream) {
  __shared__ float v[KM_PBLK];
  __shared__ double s_acc, s_target;
  __shared__ int64_t s_k, s_idx, s_last;
  __shared__ int s_walk;
  const int64_t b = blockIdx.x;
  const float u = fz_km_uniform(seed, stream + (uint64_t)b, (uint64_t)j);
  const double *bs = bs_all + b * nblk;
  const int64_t *last = last_all + b * nblk;
  const float *d2 = d2_all + b * N, *xb = x + b * N * D;
  if (threadIdx.x == 0) {
    s_idx = -1; s_last = -1; s_k = 0; s_walk = 0;
    if (j > 0) {
      double total = 0.0;
      for (int64_t k = 0; k < nblk; k++) total += bs[k];
      if (total > 0) { s_walk = 1; s_target = (double)u * total; s_acc = 0.0; }
    }
  }
  __syncthreads();
  while (s_walk) {
    if (threadIdx.x == 0) {  // skip the blocks the target lies beyond
      int64_t k = s_k;
      while (k < nblk && s_acc + bs[k] <= s_target) {
        s_acc += bs[k];
        if (last[k] >= 0) s_last = last[k];
        k++;
      }
      s_k = k;
    }
    __syncthreads();
    if (s_k >= nblk) break;
    const int64_t i0 = s_k * KM_PBLK, n = N - i0 < KM_PBLK ? N - i0 : KM_PBLK;
    for (int64_t t = threadIdx.x; t < n; t += blockDim.x) v[t] = d2[i0 + t];
    __syncthreads();
    if (threadIdx.x == 0) {  // point by point through this block, in order
      double acc = s_acc;
      for (int64_t t = 0; t < n; t++) {
        if (v[t] > 0) s_last = i0 + t;
        acc += v[t];
        if (acc > s_target && v[t] > 0) { s_idx = i0 + t; break; }
      }
      s_acc = acc;
      s_k++;
      if (s_idx >= 0) s_walk = 0;
    }
    __syncthreads();
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int64_t idx = s_idx;
    if (idx < 0 && j > 0) idx = s_last;  // (the target was not exceeded: the last point with d2 > 0)
    if (idx < 0) {  // first centroid, or every point coincides with a chosen centroid
      idx = (int64_t)((double)u * (double)N);
      if (idx > N - 1) idx = N - 1;
    }
    s_idx = idx;
    if (chosen) chosen[b * K + j] = (int32_t)idx;
  }
  __syncthreads();
  const int64_t idx = s_idx;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) cent[(b * K + j) * D + d] = xb[idx * D + d];
}

// assign[b, i] = nearest centroid (ties: lowest index); *changed += entries that differ from before.
__global__ void k_kmeans_assign(int32_t *assign, const float *x, const float *cent, int64_t Bt, int64_t N, int64_t D,
                                int64_t K, unsigned long long *changed) {
  int64_t total = Bt * N, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t b = t / N;
    const float *xi = x + t * D, *cb = cent + b * K * D;
    float best = INFINITY;
    int32_t bi = 0;
    for (int64_t k = 0; k < K; k++) {
      float v = fz_km_dist2(xi, cb + k * D, D);
      if (v < best) { best = v; bi = (int32_t)k; }
    }
    if (changed && assign[t] != bi) atomicAdd(changed, 1ull);
    assign[t] = bi;
  }
}

// The update runs in four kernels so that each (image, cluster, dimension) sum reads only its cluster's points
// (O(N·D) in all, not O(K·N·D)) yet adds them in point order, as the CPU backend does:
//  hist     per 1024-point chunk, the count of each cluster (shared-memory atomics; order-free);
//  offsets  per image, one block turns the counts into exclusive offsets in (cluster, chunk) order;
//  scatter  per chunk, each point's rank among the earlier points of its chunk in the same cluster gives its
//           slot: perm lists every cluster's points in increasing point index (a stable counting sort);
//  sums     one thread per (image, cluster, 4096-point block, dimension) sums that block's points of the cluster
//           in point order, in double; one thread per (image, cluster, dimension) then adds the blocks in order
//           (the CPU backend's exact arithmetic).
#define KM_CHUNK 1024
static_assert(KM_PBLK % KM_CHUNK == 0, "a sum block is a whole number of sort chunks");

// hist[b, k, ch] = points of chunk ch of image b assigned to k; an assignment outside [0, K) records the smallest
// such flat index b·N + i in *flag. Grid (nchunk, Bt), dynamic shared memory K ints.
__global__ void k_km_hist(int32_t *hist, const int32_t *assign, int64_t N, int64_t K, int64_t nchunk, int *flag) {
  FZ_DYNAMIC_SHARED(int32_t, km_h);
  const int64_t b = blockIdx.y, ch = blockIdx.x, i0 = ch * KM_CHUNK, i1 = i0 + KM_CHUNK < N ? i0 + KM_CHUNK : N;
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) km_h[k] = 0;
  __syncthreads();
  const int32_t *ab = assign + b * N;
  for (int64_t i = i0 + threadIdx.x; i < i1; i += blockDim.x) {
    int32_t a = ab[i];
    if (a < 0 || a >= K) { atomicMin(flag, (int)(b * N + i < 0x7f7f7f7f ? b * N + i : 0x7f7f7f7e)); continue; }
    atomicAdd(&km_h[a], 1);
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) hist[(b * K + k) * nchunk + ch] = km_h[k];
}

// Per image b (one block each): hist [Bt, K, nchunk] becomes exclusive offsets in (cluster, chunk) order;
// start[b, k] and cnt[b, k] are each cluster's first slot and size. Dynamic shared memory K ints.
__global__ void k_km_offsets(int32_t *hist, int32_t *start, int32_t *cnt, int64_t K, int64_t nchunk) {
  FZ_DYNAMIC_SHARED(int32_t, tot);
  const int64_t b = blockIdx.x;
  int32_t *hb = hist + b * K * nchunk;
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    int32_t t = 0;
    for (int64_t ch = 0; ch < nchunk; ch++) t += hb[k * nchunk + ch];
    tot[k] = t;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int32_t acc = 0;
    for (int64_t k = 0; k < K; k++) { int32_t v = tot[k]; tot[k] = acc; acc += v; }
  }
  __syncthreads();
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    int32_t acc = tot[k];
    start[b * K + k] = acc;
    for (int64_t ch = 0; ch < nchunk; ch++) {
      int32_t v = hb[k * nchunk + ch];
      hb[k * nchunk + ch] = acc;
      acc += v;
    }
    cnt[b * K + k] = acc - tot[k];
  }
}

// perm[b, slot] = point index: each point of chunk ch goes to its cluster's chunk offset plus the number of
// earlier points of the chunk in the same cluster. Grid (nchunk, Bt).
__global__ void k_km_scatter(int32_t *perm, const int32_t *hist, const int32_t *assign, int64_t N, int64_t K, int64_t nchunk) {
  __shared__ int32_t a_s[KM_CHUNK];
  const int64_t b = blockIdx.y, ch = blockIdx.x, i0 = ch * KM_CHUNK, n = i0 + KM_CHUNK < N ? KM_CHUNK : N - i0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) a_s[i] = assign[b * N + i0 + i];
  __syncthreads();
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int32_t a = a_s[i];
    if (a < 0 || a >= K) continue;
    int32_t r = 0;
    for (int64_t j = 0; j < i; j++) r += a_s[j] == a;
    perm[b * N + hist[(b * K + a) * nchunk + ch] + r] = (int32_t)(i0 + i);
  }
}

// partial[b, c, blk, d] = Σ x[i, d] over cluster c's points i of 4096-point block blk, in point order, in double.
// offs is hist after k_km_offsets: a block starts at chunk blk·(KM_PBLK / KM_CHUNK).
__global__ void k_km_block_sums(double *partial, const float *x, const int32_t *perm, const int32_t *offs, const int32_t *start,
                                const int32_t *cnt, int64_t Bt, int64_t N, int64_t D, int64_t K, int64_t nchunk, int64_t nblk) {
  const int64_t cpb = KM_PBLK / KM_CHUNK, total = Bt * K * nblk * D, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t d = t % D, blk = (t / D) % nblk, c = (t / (D * nblk)) % K, b = t / (D * nblk * K);
    const int32_t *oc = offs + (b * K + c) * nchunk;
    const int64_t lo = oc[blk * cpb], hi = (blk + 1) * cpb < nchunk ? oc[(blk + 1) * cpb] : start[b * K + c] + cnt[b * K + c];
    const int32_t *pb = perm + b * N;
    const float *xb = x + b * N * D;
    double s = 0.0;
    for (int64_t j = lo; j < hi; j++) s += xb[(int64_t)pb[j] * D + d];
    partial[t] = s;
  }
}

// cent[b, c, d] = (Σ over blocks in order of partial[b, c, blk, d]) / cnt[b, c]; empty clusters keep theirs.
__global__ void k_km_combine(float *cent, const double *partial, const int32_t *cnt, int64_t Bt, int64_t D, int64_t K, int64_t nblk) {
  int64_t total = Bt * K * D, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t d = t % D, bc = t / D, n = cnt[bc];
    if (n == 0) continue;
    double sum = 0.0;
    for (int64_t blk = 0; blk < nblk; blk++) sum += partial[(bc * nblk + blk) * D + d];
    cent[t] = (float)(sum / (double)n);
  }
}

int fz_cuda_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, int64_t Bt,
                        int64_t N, int64_t D, int64_t K, uint64_t seed, uint64_t stream, fz_err *err) {
  if (Bt == 0 || K == 0) return FZ_OK;
  if (Bt > 65535) return fz_fail(err, FZ_EUNSUP, "%s: kmeans_init of %lld images at once", be->name, (long long)Bt);
  const int64_t nblk = (N + KM_PBLK - 1) / KM_PBLK;
  const size_t nb = (size_t)(Bt * nblk), d2_bytes = ((size_t)(Bt * N) * sizeof(float) + 15) & ~(size_t)15;
  char *scratch = (char *)fz_cuda_scratch(be, nb * (sizeof(double) + sizeof(int64_t)) + d2_bytes, err);
  if (!scratch) return err ? (int)err->code : FZ_ENOMEM;
  double *bs = (double *)scratch;
  int64_t *last = (int64_t *)(bs + nb);
  float *d2 = (float *)(last + nb);
  cudaStream_t s = fz_cuda_stream(be);
  float *cent = (float *)centroids->data;
  int32_t *ch = chosen ? (int32_t *)chosen->data : NULL;
  const float *xp = (const float *)x->data;
  for (int64_t j = 0; j < K; j++) {
    if (j > 0) {  // distances to centroid j - 1 and the block sums the choice of j walks
      FZ_LAUNCH(k_km_init_d2, dim3((unsigned)nblk, (unsigned)Bt), KM_THREADS, 0, s)(xp, cent, d2, bs, last, N, D, K, j - 1);
      int rc = fz_cuda_check_launch(be, "kmeans_init distance kernel", err);
      if (rc) return rc;
    }
    FZ_LAUNCH(k_km_init_pick, (unsigned)Bt, KM_THREADS, 0, s)(cent, ch, xp, d2, bs, last, N, D, K, nblk, j, seed, stream);
    int rc = fz_cuda_check_launch(be, "kmeans_init choice kernel", err);
    if (rc) return rc;
  }
  return FZ_OK;
}

int fz_cuda_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids, int64_t Bt,
                          int64_t N, int64_t D, int64_t K, int64_t *changed, fz_err *err) {
  if (Bt * N == 0) { if (changed) *changed = 0; return FZ_OK; }
  fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  fz_cuda_stream(be);  // (makes the device current)
  unsigned long long *cnt = NULL;
  if (changed) {
    cnt = (unsigned long long *)fz_cuda_scratch(be, sizeof *cnt, err);
    if (!cnt) return err ? (int)err->code : FZ_ENOMEM;
    cudaError_t e = cudaMemsetAsync(cnt, 0, sizeof *cnt, c->stream);
    if (e != cudaSuccess) return fz_cuda_fail(be, e, "kmeans_assign counter reset", err);
  }
  FZ_LAUNCH(k_kmeans_assign, fz_cuda_blocks(Bt * N, KM_THREADS, FZ_EW_MAX_BLOCKS), KM_THREADS, 0, c->stream)(
      (int32_t *)assign->data, (const float *)x->data, (const float *)centroids->data, Bt, N, D, K, cnt);
  int rc = fz_cuda_check_launch(be, "kmeans_assign kernel", err);
  if (rc || !changed) return rc;
  unsigned long long h = 0;
  cudaError_t e = cudaMemcpyAsync(&h, cnt, sizeof h, cudaMemcpyDeviceToHost, c->stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
  if (e != cudaSuccess) return fz_cuda_fail(be, e, "kmeans_assign changed count", err);
  *changed = (int64_t)h;
  return FZ_OK;
}

int fz_cuda_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                          const fz_tensor *assign, int64_t Bt, int64_t N, int64_t D, int64_t K, fz_err *err) {
  if (Bt * K * D == 0) return FZ_OK;
  if (Bt > 65535 || N > INT32_MAX || Bt * N > INT32_MAX)
    return fz_fail(err, FZ_EUNSUP, "%s: kmeans_update of %lld images of %lld points at once", be->name, (long long)Bt, (long long)N);
  fz_cuda_ctx *c = fz_cuda_ctx_of(be);
  const int64_t nchunk = (N + KM_CHUNK - 1) / KM_CHUNK, nblk = (N + KM_PBLK - 1) / KM_PBLK;
  const size_t nh = (size_t)(Bt * K * nchunk), nk = (size_t)(Bt * K), np = (size_t)(Bt * N), nps = (size_t)(Bt * K * nblk * D);
  double *partial = (double *)fz_cuda_scratch(be, nps * sizeof(double) + (nh + 2 * nk + np) * sizeof(int32_t), err);
  if (!partial) return err ? (int)err->code : FZ_ENOMEM;
  int32_t *hist = (int32_t *)(partial + nps), *start = hist + nh, *cnt = start + nk, *perm = cnt + nk;
  cudaError_t e = cudaMemsetAsync(c->flag, 0x7f, sizeof(int), c->stream);  // 0x7f7f7f7f: no bad assignment
  if (e != cudaSuccess) return fz_cuda_fail(be, e, "kmeans_update flag reset", err);
  const int32_t *a = (const int32_t *)assign->data;
  FZ_LAUNCH(k_km_hist, dim3((unsigned)nchunk, (unsigned)Bt), KM_THREADS, (size_t)K * sizeof(int32_t), c->stream)(hist, a, N, K, nchunk, c->flag);
  int rc = fz_cuda_check_launch(be, "kmeans_update histogram kernel", err);
  if (rc) return rc;
  int bad = 0;
  if ((e = cudaMemcpyAsync(&bad, c->flag, sizeof bad, cudaMemcpyDeviceToHost, c->stream)) != cudaSuccess ||
      (e = cudaStreamSynchronize(c->stream)) != cudaSuccess)
    return fz_cuda_fail(be, e, "kmeans_update assignment check", err);
  if (bad != 0x7f7f7f7f) {
    int32_t v = 0;
    if ((e = cudaMemcpy(&v, a + bad, sizeof v, cudaMemcpyDeviceToHost)) != cudaSuccess)
      return fz_cuda_fail(be, e, "kmeans_update assignment check", err);
    return fz_fail(err, FZ_EINVAL, "kmeans_update: assignment[%lld][%lld] = %d is outside [0, %lld)", (long long)(bad / N),
                   (long long)(bad % N), v, (long long)K);
  }
  FZ_LAUNCH(k_km_offsets, (unsigned)Bt, KM_THREADS, (size_t)K * sizeof(int32_t), c->stream)(hist, start, cnt, K, nchunk);
  if ((rc = fz_cuda_check_launch(be, "kmeans_update offsets kernel", err))) return rc;
  FZ_LAUNCH(k_km_scatter, dim3((unsigned)nchunk, (unsigned)Bt), KM_THREADS, 0, c->stream)(perm, hist, a, N, K, nchunk);
  if ((rc = fz_cuda_check_launch(be, "kmeans_update scatter kernel", err))) return rc;
  FZ_LAUNCH(k_km_block_sums, fz_cuda_blocks((int64_t)nps, KM_THREADS, FZ_EW_MAX_BLOCKS), KM_THREADS, 0, c->stream)(
      partial, (const float *)x->data, perm, hist, start, cnt, Bt, N, D, K, nchunk, nblk);
  if ((rc = fz_cuda_check_launch(be, "kmeans_update block sums kernel", err))) return rc;
  FZ_LAUNCH(k_km_combine, fz_cuda_blocks(Bt * K * D, KM_THREADS, FZ_EW_MAX_BLOCKS), KM_THREADS, 0, c->stream)(
      (float *)centroids->data, partial, cnt, Bt, D, K, nblk);
  if ((rc = fz_cuda_check_launch(be, "kmeans_update kernel", err))) return rc;
  if (counts && (e = cudaMemcpyAsync(counts->data, cnt, nk * sizeof(int32_t), cudaMemcpyDeviceToDevice, c->stream)) != cudaSuccess)
    return fz_cuda_fail(be, e, "kmeans_update counts copy", err);
  return FZ_OK;
}
