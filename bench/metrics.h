// metrics.h — image-fusion quality metrics with the exact definitions of the field's MATLAB code:
// DLPan-Toolbox (a34f884) Quality_Indices/ and Tools/indexes_evaluation*.m for pansharpening, the
// Efficient-MIF batched drivers (PSNR/SSIM, QB/GF2 sensor mapping), HyRA's FSDS, and the usual
// visible/infrared, multi-exposure and multi-focus fusion metrics. Images are C×H×W doubles
// (band-major, row-major planes) in the units each metric documents (DN for the toolbox metrics).
// Every function validates shapes and values (finite samples) and returns 0 or an fz_code with err set.
#ifndef FZ_METRICS_H
#define FZ_METRICS_H
#include "error.h"

// A read-only view of a C×H×W image: p[c·H·W + y·W + x].
typedef struct fz_mimg {
  int c, h, w;
  const double *p;
} fz_mimg;

// Makes a view of p as c×h×w.
static inline fz_mimg fz_mimg_make(const double *p, int c, int h, int w) {
  fz_mimg m = {c, h, w, p};
  return m;
}
// Checks that img has positive sizes, data, and only finite samples; errors name `what` and the first
// bad sample (band, row, column, 0-based).
int fz_mimg_check(const fz_mimg *img, const char *what, fz_err *err);
// Checks that a and b (named wa, wb) have the same C, H and W; the error names what differs.
int fz_mimg_check_pair(const fz_mimg *a, const char *wa, const fz_mimg *b, const char *wb, fz_err *err);

// ---------------- reduced resolution (with a reference), metrics_rr.c + metrics_q2n.c
// SAM.m: mean spectral angle in degrees over pixels with ‖ref‖·‖fus‖ ≠ 0 (NaN when there are none).
int fz_metric_sam(const fz_mimg *ref, const fz_mimg *fus, double *deg, fz_err *err);
// ERGAS.m: (100/ratio)·sqrt(mean_b mean((ref_b − fus_b)²) / mean(ref_b)²).
int fz_metric_ergas(const fz_mimg *ref, const fz_mimg *fus, double ratio, double *out, fz_err *err);
// SCC.m: cosine similarity of Sobel gradient magnitudes of the images cropped by one pixel (H, W >= 3).
int fz_metric_scc(const fz_mimg *ref, const fz_mimg *fus, double *out, fz_err *err);
// q2n.m: Q2n (Q4 / Q8) on non-overlapping block×block tiles stepped by shift, mirror-padded to whole
// tiles, after the cast to uint16 (round, saturate) and band padding to a power of two. Inputs in DN.
int fz_metric_q2n(const fz_mimg *ref, const fz_mimg *fus, int block, int shift, double *out, fz_err *err);
// Q.m / img_qi.m: mean over bands of the mean UIQI map of block×block sliding windows ('valid');
// NaN when H or W < block.
int fz_metric_q_avg(const fz_mimg *ref, const fz_mimg *fus, int block, double *out, fz_err *err);
// psnr_index.m as quality_assess.m calls it: mean over bands of 10·log10(1 / mean((fus_b − ref_b)/range)²)
// (each image divided by data_range first). per_band (C doubles) may be NULL.
int fz_metric_psnr(const fz_mimg *ref, const fz_mimg *fus, double data_range, double *out, double *per_band, fz_err *err);
// ssim_index.m as quality_assess.m calls it: mean over bands of Wang's SSIM (11×11 Gaussian σ = 1.5,
// K = [0.01 0.03], L = 255, 'valid') of (img/data_range)·255. H, W >= 11. per_band may be NULL.
int fz_metric_ssim(const fz_mimg *ref, const fz_mimg *fus, double data_range, double *out, double *per_band, fz_err *err);

// Options of indexes_evaluation.m plus the data range quality_assess.m divides by.
typedef struct fz_rr_opts {
  int ratio;            // scale ratio (ERGAS), default 4
  int L;                // radiometric resolution in bits, default 11 (th_values clips to 2^L)
  int q_block;          // Qblocks_size, default 32
  int flag_cut_bounds;  // crop dim_cut pixels (1-based dim_cut:end-dim_cut) before the toolbox metrics, default 0
  int dim_cut;          // default 21
  int th_values;        // clip the fused image to [0, 2^L] before the toolbox metrics, default 0
  double data_range;    // PSNR/SSIM divisor ("const"), default 2^L − 1; 1 for data in [0,1]
} fz_rr_opts;
// Fills the family's reduced-resolution settings (ratio 4, L 11, block 32, no cut, no clip, range 2047).
void fz_rr_opts_default(fz_rr_opts *o);

typedef struct fz_rr_scores {
  double sam, ergas, scc, q2n, q_avg, psnr, ssim;
} fz_rr_scores;
// indexes_evaluation.m (Q2n, Q-avg, SAM, ERGAS, SCC after the optional cut / clip) plus PSNR and SSIM
// of the whole images as analysis_ref_batched_images.m computes them.
int fz_metrics_rr(const fz_mimg *ref, const fz_mimg *fus, const fz_rr_opts *o, fz_rr_scores *s, fz_err *err);

// ---------------- full resolution (no reference), metrics_fr.c
// D_lambda_K.m: 1 − Q2n(lms, MTF_sensor(fused)) with S×S blocks; fused, lms C×H×W in DN, H, W multiples of S.
int fz_metric_d_lambda_k(const fz_mimg *fused, const fz_mimg *lms, int ratio, const char *sensor, int S, double *out,
                         fz_err *err);
// D_s.m (flag_orig_paper = 0): (mean_b |Q̄(F_b, PAN) − Q̄(LMS_b, P̃)|^q)^(1/q), P̃ = interp23tap(imresize(PAN, 1/ratio)),
// Q̄ = mean UIQI over non-overlapping S×S blocks. pan is 1×H×W.
int fz_metric_d_s(const fz_mimg *fused, const fz_mimg *lms, const fz_mimg *pan, int ratio, int S, double q, double *out,
                  fz_err *err);

typedef struct fz_fr_scores {
  double d_lambda, d_s, hqnr;
} fz_fr_scores;
// HQNR.m as indexes_evaluation_FS.m calls it (S = 32): D_λ (Khan), D_s and HQNR = (1 − D_λ)(1 − D_s).
// ms (the low-resolution MS) is only checked against lms for size (H = ratio·h); it is not used otherwise.
int fz_metrics_fr(const fz_mimg *fused, const fz_mimg *ms, const fz_mimg *lms, const fz_mimg *pan, const char *sensor,
                  int ratio, int S, fz_fr_scores *s, fz_err *err);
// ---------------------------------------------------------------- hyperspectral fusion, metrics_hsi.c
typedef struct fz_hsi_scores {
  double psnr, sam, ergas, ssim;
} fz_hsi_scores;
// The MHIF set of analysis_ref_batched_images.m / quality_assess.m: mean PSNR over bands (per band into
// psnr_bands, C doubles, when not NULL), SAM (degrees), ERGAS at ratio, SSIM of (x/data_range)·255 (NaN below
// 11×11). data_range is the "const" the images are divided by: 1 for data in [0,1].
int fz_metrics_hsi(const fz_mimg *ref, const fz_mimg *fus, double ratio, double data_range, fz_hsi_scores *s,
                   double *psnr_bands, fz_err *err);
// ---------------------------------------------------------------- VIS/IR, multi-exposure, multi-focus, metrics_ivf.c
// Definitions of MMIF-CDDFuse utils/Evaluator.py (fd8da1f), which produced the family's tables. Images are one
// grey band (1×H×W) in 8-bit units; sources A (e.g. infrared / under-exposed / near focus) and B.
typedef struct fz_ivf_scores {
  double en, sd, sf, ag, mi, scd, vif, qabf, ssim;
} fz_ivf_scores;
typedef struct fz_ivf_opts {
  double ssim_range;  // skimage data_range; default 2: what skimage < 0.21 used for float images (the CDDFuse tables)
} fz_ivf_opts;
void fz_ivf_opts_default(fz_ivf_opts *o);
// Grey image for the metrics from a 1-band (rounded) or RGB (cv2 BGR2GRAY in float32, then np.round) image;
// out holds H×W doubles.
int fz_ivf_grey(const fz_mimg *img, double *out, fz_err *err);
// EN: Shannon entropy (bits) of the 256-bin histogram of round(F). SD: population standard deviation.
int fz_ivf_en(const fz_mimg *f, double *out, fz_err *err);
int fz_ivf_sd(const fz_mimg *f, double *out, fz_err *err);
// SF: sqrt(mean(row differences²) + mean(column differences²)). AG: mean sqrt((Gx² + Gy²)/2) with central
// differences inside and one-sided ones on the border.
int fz_ivf_sf(const fz_mimg *f, double *out, fz_err *err);
int fz_ivf_ag(const fz_mimg *f, double *out, fz_err *err);
// skimage structural_similarity(x, y, data_range): 7×7 uniform window, mirrored border, sample covariance,
// mean over the map without a 3-pixel border.
int fz_ivf_ssim(const fz_mimg *x, const fz_mimg *y, double data_range, double *out, fz_err *err);
// All nine: EN, SD, SF, AG of F; MI = MI(F,A) + MI(F,B) (nats, every distinct value a label); SCD =
// corr(A, F−B) + corr(B, F−A); VIF = VIFF(A,F) + VIFF(B,F); Qabf (Xydeas–Petrović, Sobel by 'same'
// convolution); SSIM = SSIM(F,A) + SSIM(F,B). Images at least 7×7 (VIF needs about 40×40 for its 4 scales).
int fz_metrics_ivf(const fz_mimg *fused, const fz_mimg *a, const fz_mimg *b, const fz_ivf_opts *o, fz_ivf_scores *s,
                   fz_err *err);
// ---------------------------------------------------------------- FSDS, metrics_fr.c
// Frequency Spectrum Distribution Similarity (HyRA, ICML 2024; LPFInISR FSDS_code.py @ 00a4753,
// _FrequencySpectrumDistributionSimilarity(pred, tar)) in dB, higher is better: both images standardised by
// their global mean and unbiased std, rfft2 per band, the two row halves integrated by cumulative sums,
// −10·log10(Σ|S_pred − S_tar|² / Σ|S_tar|²). Not symmetric: the denominator uses tar. The authors' table
// script calls fsds(gt, img), i.e. pred = reference and tar = fused; fusor's CLI defaults to pred = fused,
// tar = reference (the function's documented meaning) and offers --fsds gt-pred for the table's order.
int fz_metric_fsds(const fz_mimg *pred, const fz_mimg *tar, double *out, fz_err *err);
#endif
