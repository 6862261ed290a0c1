// metrics_hsi.c — hyperspectral / multispectral-image fusion (MHIF) metrics as the family's batched
// MATLAB driver computes them (Efficient-MIF analysis_ref_batched_images.m with const = 1, data in
// [0,1]): PSNR per band and its mean, SAM, ERGAS at the scale ratio, and SSIM on ×255 values.
#include "metrics.h"
#include <math.h>
#include <stddef.h>

int fz_metrics_hsi(const fz_mimg *ref, const fz_mimg *fus, double ratio, double data_range, fz_hsi_scores *s,
                   double *psnr_bands, fz_err *err) {
  int rc = fz_mimg_check_pair(ref, "reference", fus, "fused", err);
  if (rc) return rc;
  if (!(data_range > 0) || !isfinite(data_range))
    return fz_fail(err, FZ_EINVAL, "HSI metrics: data range %g, expected a positive number (1 for data in [0,1])", data_range);
  rc = fz_metric_psnr(ref, fus, data_range, &s->psnr, psnr_bands, err);
  if (!rc) rc = fz_metric_sam(ref, fus, &s->sam, err);
  if (!rc) rc = fz_metric_ergas(ref, fus, ratio, &s->ergas, err);
  if (!rc) {
    if (ref->h >= 11 && ref->w >= 11) rc = fz_metric_ssim(ref, fus, data_range, &s->ssim, NULL, err);
    else s->ssim = NAN;
  }
  return rc;
}
