// simt_cufft.cpp — the emulated cuFFT calls of cufft.h: plans (rank 1-3, basic and advanced layouts), streams,
// and C2C / R2C / C2R executed on the host as direct DFTs in double.
#include "cufft.h"
#include "simt_internal.h"
#include "simt_graph.h"
#include <cmath>
#include <complex>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <atomic>
#include <mutex>
#include <vector>

namespace {
typedef std::complex<double> cd;

struct fft_plan {
  int rank, batch;
  int n[3];             // logical transform sizes
  int li[3], lo[3];     // logical input / output sizes (the complex side of R2C / C2R has n_last/2 + 1)
  int ie[3], oe[3];     // embeds (basic layout: the logical sizes)
  int is, id, os, od;   // strides and distances in elements
  cufftType type;
  cudaStream_t stream;
};

std::atomic<unsigned long long> g_calls{0};
std::mutex g_mu;
std::map<int, fft_plan> &plans() {
  static std::map<int, fft_plan> p;
  return p;
}
int g_next = 1;

// Records the emulation's message for a failing call and returns r.
cufftResult fail(cufftResult r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cufftResult fail(cufftResult r, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fz_simt::api_note("%s", msg);
  return r;
}
// Copies the plan `h` into *p; false when h is not a live plan.
bool get(cufftHandle h, fft_plan *p) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = plans().find(h);
  if (it == plans().end()) return false;
  *p = it->second;
  return true;
}
// Offset (elements) of logical index x[rank] of batch b in a layout with embed e, stride s, distance d.
long long offset(const fft_plan &p, const int *x, const int *e, int s, int d, int b) {
  long long lin = 0;
  for (int i = 0; i < p.rank; i++) lin = lin * (i ? e[i] : 1) + x[i];
  return (long long)b * d + (long long)s * lin;
}
// Highest element offset a layout touches (its logical sizes l), over all batches.
long long max_offset(const fft_plan &p, const int *l, const int *e, int s, int d) {
  int x[3];
  for (int i = 0; i < p.rank; i++) x[i] = l[i] - 1;
  long long a = offset(p, x, e, s, d, p.batch - 1), z = offset(p, x, e, s, d, 0);
  return a > z ? a : z;
}
// Elements of a dense array with sizes l[rank].
size_t dense_count(int rank, const int *l) {
  size_t n = 1;
  for (int i = 0; i < rank; i++) n *= (size_t)l[i];
  return n;
}
// In-place DFT along dimension dim of the dense array a with sizes l[rank]: sign −1 forward, +1 inverse (unscaled).
void dft_dim(std::vector<cd> &a, int rank, const int *l, int dim, int sign) {
  const int N = l[dim];
  size_t inner = 1, outer = 1;
  for (int i = dim + 1; i < rank; i++) inner *= (size_t)l[i];
  for (int i = 0; i < dim; i++) outer *= (size_t)l[i];
  std::vector<cd> tw(N), line(N);
  for (int j = 0; j < N; j++) {
    double ang = 6.283185307179586476925286766559 * (double)j / (double)N;
    tw[j] = cd(cos(ang), sign * sin(ang));
  }
  for (size_t o = 0; o < outer; o++)
    for (size_t in = 0; in < inner; in++) {
      cd *base = a.data() + o * (size_t)N * inner + in;
      for (int k = 0; k < N; k++) {
        cd acc = 0;
        for (int m = 0; m < N; m++) acc += base[(size_t)m * inner] * tw[(size_t)k * m % N];
        line[k] = acc;
      }
      for (int k = 0; k < N; k++) base[(size_t)k * inner] = line[k];
    }
}
// Creates a plan from validated arguments (see cufftPlanMany).
cufftResult make_plan(const char *fn, cufftHandle *h, int rank, const int *n, const int *inembed, int istride, int idist,
                      const int *onembed, int ostride, int odist, cufftType type, int batch) {
  if (!h) return fail(CUFFT_INVALID_VALUE, "%s: plan pointer is NULL", fn);
  if (type != CUFFT_C2C && type != CUFFT_R2C && type != CUFFT_C2R) {
    if (type == CUFFT_Z2Z || type == CUFFT_D2Z || type == CUFFT_Z2D)
      return fail(CUFFT_INVALID_TYPE, "%s: double-precision transforms are not emulated", fn);
    return fail(CUFFT_INVALID_TYPE, "%s: type 0x%x", fn, (unsigned)type);
  }
  if (rank < 1 || rank > 3 || !n) return fail(CUFFT_INVALID_VALUE, "%s: rank %d (1 to 3, with n given)", fn, rank);
  if (batch < 1) return fail(CUFFT_INVALID_SIZE, "%s: batch %d must be >= 1", fn, batch);
  fft_plan p;
  memset(&p, 0, sizeof p);
  p.rank = rank; p.batch = batch; p.type = type;
  for (int i = 0; i < rank; i++) {
    if (n[i] < 1) return fail(CUFFT_INVALID_SIZE, "%s: n[%d] = %d must be >= 1", fn, i, n[i]);
    p.n[i] = p.li[i] = p.lo[i] = n[i];
  }
  int half = n[rank - 1] / 2 + 1;
  if (type == CUFFT_R2C) p.lo[rank - 1] = half;
  if (type == CUFFT_C2R) p.li[rank - 1] = half;
  const int *emb[2] = {inembed, onembed}, *lg[2] = {p.li, p.lo};
  int *dst[2] = {p.ie, p.oe}, st[2] = {istride, ostride}, ds[2] = {idist, odist}, *ps[2] = {&p.is, &p.os}, *pd[2] = {&p.id, &p.od};
  for (int s = 0; s < 2; s++) {
    if (!emb[s]) {  // basic layout: strides / distances ignored
      for (int i = 0; i < rank; i++) dst[s][i] = lg[s][i];
      *ps[s] = 1;
      *pd[s] = (int)dense_count(rank, lg[s]);
      continue;
    }
    for (int i = 0; i < rank; i++) {
      dst[s][i] = emb[s][i];
      if (i && emb[s][i] < lg[s][i])
        return fail(CUFFT_INVALID_VALUE, "%s: %s[%d] = %d is smaller than the logical size %d", fn, s ? "onembed" : "inembed", i,
                    emb[s][i], lg[s][i]);
    }
    if (st[s] < 1 || ds[s] < 0)
      return fail(CUFFT_INVALID_VALUE, "%s: %s stride %d (>= 1) / distance %d (>= 0)", fn, s ? "output" : "input", st[s], ds[s]);
    *ps[s] = st[s];
    *pd[s] = ds[s];
  }
  int cnt = 0;
  if (cudaGetDeviceCount(&cnt) != cudaSuccess || cnt < 1) {
    cudaGetLastError();
    return fail(CUFFT_SETUP_FAILED, "%s: no CUDA device", fn);
  }
  std::lock_guard<std::mutex> lk(g_mu);
  *h = g_next++;
  plans()[*h] = p;
  return CUFFT_SUCCESS;
}

// Executes plan h on idata -> odata; in_elem / out_elem are the floats per element (1 real, 2 complex).
cufftResult exec(const char *fn, cufftHandle h, cufftType want, const float *in, float *out, int direction) {
  fft_plan p;
  if (!get(h, &p)) return fail(CUFFT_INVALID_PLAN, "%s: plan %d is not live", fn, h);
  if (p.type != want) return fail(CUFFT_INVALID_TYPE, "%s: plan %d is of type 0x%x", fn, h, (unsigned)p.type);
  if (want == CUFFT_C2C && direction != CUFFT_FORWARD && direction != CUFFT_INVERSE)
    return fail(CUFFT_INVALID_VALUE, "%s: direction %d (CUFFT_FORWARD or CUFFT_INVERSE)", fn, direction);
  const int ie = want == CUFFT_R2C ? 1 : 2, oe = want == CUFFT_C2R ? 1 : 2;
  long long mi = max_offset(p, p.li, p.ie, p.is, p.id), mo = max_offset(p, p.lo, p.oe, p.os, p.od);
  if (!in || !fz_simt::api_device_extent_ok(in, (size_t)(mi + 1) * ie * sizeof(float)))
    return fail(CUFFT_INVALID_VALUE, "%s: plan %d reads %lld elements from %p: not inside one device allocation", fn, h, mi + 1, (const void *)in);
  if (!out || !fz_simt::api_device_extent_ok(out, (size_t)(mo + 1) * oe * sizeof(float)))
    return fail(CUFFT_INVALID_VALUE, "%s: plan %d writes %lld elements from %p: not inside one device allocation", fn, h, mo + 1, (void *)out);
  if (fz_simt::api_sticky()) return CUFFT_EXEC_FAILED;
  // The transform runs now, or later as a node of the stream's capture (simt_graph.h; p is a copy of the plan).
  auto run = [=]() -> cudaError_t {
    const int r = p.rank, last = r - 1, N = p.n[last], half = N / 2 + 1;
    const size_t ni = dense_count(r, p.li), no = dense_count(r, p.lo);
    std::vector<std::vector<double>> res((size_t)p.batch);  // every batch computed before anything is written (in place)
    std::vector<cd> a;
    int x[3];
    for (int b = 0; b < p.batch; b++) {
      // Gather the logical input into a dense complex array.
      int full[3] = {p.n[0], p.n[1], p.n[2]};
      const int *dims = want == CUFFT_C2R ? p.li : full;
      a.assign(dense_count(r, dims), cd(0, 0));
      for (size_t t = 0; t < ni; t++) {
        size_t rem = t;
        for (int i = last; i >= 0; i--) { x[i] = (int)(rem % (size_t)p.li[i]); rem /= (size_t)p.li[i]; }
        long long o = offset(p, x, p.ie, p.is, p.id, b);
        a[t] = ie == 1 ? cd(in[o], 0.0) : cd(in[2 * o], in[2 * o + 1]);
      }
      std::vector<double> &y = res[(size_t)b];
      y.assign(no * oe, 0.0);
      if (want == CUFFT_C2R) {
        for (int d = 0; d < last; d++) dft_dim(a, r, p.li, d, +1);
        size_t lines = ni / (size_t)half;
        for (size_t ln = 0; ln < lines; ln++)
          for (int m = 0; m < N; m++) {
            double acc = 0;
            for (int l = 0; l < half; l++) {
              double ang = 6.283185307179586476925286766559 * (double)((long long)l * m % N) / (double)N;
              double re = a[ln * half + l].real() * cos(ang) - a[ln * half + l].imag() * sin(ang);
              acc += (l == 0 || (N % 2 == 0 && l == N / 2)) ? re : 2.0 * re;  // real part of the Hermitian extension
            }
            y[ln * (size_t)N + m] = acc;
          }
      } else {
        int sign = want == CUFFT_R2C ? -1 : direction;
        for (int d = 0; d < r; d++) dft_dim(a, r, full, d, sign);
        size_t lines = dense_count(r, full) / (size_t)N, ow = (size_t)p.lo[last];
        for (size_t ln = 0; ln < lines; ln++)
          for (size_t k = 0; k < ow; k++) {
            y[2 * (ln * ow + k)] = a[ln * (size_t)N + k].real();
            y[2 * (ln * ow + k) + 1] = a[ln * (size_t)N + k].imag();
          }
      }
    }
    for (int b = 0; b < p.batch; b++)
      for (size_t t = 0; t < no; t++) {
        size_t rem = t;
        for (int i = last; i >= 0; i--) { x[i] = (int)(rem % (size_t)p.lo[i]); rem /= (size_t)p.lo[i]; }
        long long o = offset(p, x, p.oe, p.os, p.od, b);
        for (int e = 0; e < oe; e++) out[o * oe + e] = (float)res[(size_t)b][t * oe + e];
      }
    // An out-of-place C2R may overwrite its input (cuFFT guide): poison what was read so reuse shows.
    if (want == CUFFT_C2R && (const void *)in != (const void *)out) {
      float nan = std::numeric_limits<float>::quiet_NaN();
      float *w = const_cast<float *>(in);
      for (int b = 0; b < p.batch; b++)
        for (size_t t = 0; t < ni; t++) {
          size_t rem = t;
          for (int i = last; i >= 0; i--) { x[i] = (int)(rem % (size_t)p.li[i]); rem /= (size_t)p.li[i]; }
          long long o = offset(p, x, p.ie, p.is, p.id, b);
          w[2 * o] = w[2 * o + 1] = nan;
        }
    }
    g_calls++;
    return cudaSuccess;
  };
  if (fz_simt::capturing(p.stream)) fz_simt::capture_node(p.stream, run, fn);
  else run();
  return CUFFT_SUCCESS;
}
}  // namespace

unsigned long long fz_simt::cufft_exec_calls() { return g_calls.load(); }

cufftResult cufftPlan1d(cufftHandle *plan, int nx, cufftType type, int batch) {
  int n[1] = {nx};
  return make_plan("cufftPlan1d", plan, 1, n, NULL, 1, 0, NULL, 1, 0, type, batch);
}
cufftResult cufftPlan2d(cufftHandle *plan, int nx, int ny, cufftType type) {
  int n[2] = {nx, ny};
  return make_plan("cufftPlan2d", plan, 2, n, NULL, 1, 0, NULL, 1, 0, type, 1);
}
cufftResult cufftPlanMany(cufftHandle *plan, int rank, int *n, int *inembed, int istride, int idist, int *onembed, int ostride,
                          int odist, cufftType type, int batch) {
  if ((inembed == NULL) != (onembed == NULL))
    return fail(CUFFT_INVALID_VALUE, "cufftPlanMany: inembed and onembed must both be NULL (basic layout) or both given");
  return make_plan("cufftPlanMany", plan, rank, n, inembed, istride, idist, onembed, ostride, odist, type, batch);
}
cufftResult cufftGetSize(cufftHandle plan, size_t *work_size) {
  fft_plan p;
  if (!get(plan, &p)) return fail(CUFFT_INVALID_PLAN, "cufftGetSize: plan %d is not live", plan);
  if (!work_size) return CUFFT_INVALID_VALUE;
  *work_size = 0;  // the emulation needs no work area
  return CUFFT_SUCCESS;
}
cufftResult cufftSetStream(cufftHandle plan, cudaStream_t stream) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = plans().find(plan);
  if (it == plans().end()) return fail(CUFFT_INVALID_PLAN, "cufftSetStream: plan %d is not live", plan);
  if (!fz_simt::api_stream_ok(stream)) return fail(CUFFT_INVALID_VALUE, "cufftSetStream: stream %p is not live", (void *)stream);
  it->second.stream = stream;
  return CUFFT_SUCCESS;
}
cufftResult cufftDestroy(cufftHandle plan) {
  std::lock_guard<std::mutex> lk(g_mu);
  if (!plans().erase(plan)) return fail(CUFFT_INVALID_PLAN, "cufftDestroy: plan %d is not live", plan);
  return CUFFT_SUCCESS;
}
cufftResult cufftGetVersion(int *version) {
  if (!version) return CUFFT_INVALID_VALUE;
  *version = 11000;
  return CUFFT_SUCCESS;
}
cufftResult cufftExecC2C(cufftHandle plan, cufftComplex *idata, cufftComplex *odata, int direction) {
  return exec("cufftExecC2C", plan, CUFFT_C2C, (const float *)idata, (float *)odata, direction);
}
cufftResult cufftExecR2C(cufftHandle plan, cufftReal *idata, cufftComplex *odata) {
  return exec("cufftExecR2C", plan, CUFFT_R2C, idata, (float *)odata, CUFFT_FORWARD);
}
cufftResult cufftExecC2R(cufftHandle plan, cufftComplex *idata, cufftReal *odata) {
  return exec("cufftExecC2R", plan, CUFFT_C2R, (const float *)idata, odata, CUFFT_INVERSE);
}
