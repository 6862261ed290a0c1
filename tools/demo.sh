#!/usr/bin/env bash
# demo.sh — fusor's main job on real data (run by `make demo`).
# Part A, on any machine (docs/DEMO.md): Landsat 8 with weights fusor trained itself (weights/, tools/python/
#   train_landsat.py). Downloads Debian's r-cran-satellite package once with `apt-get download` into
#   build/landsat/ (public-domain USGS Landsat crops; reused on reruns), unpacks it, then
#   A1. pansharpens the full Landsat 8 scene (OLI B2,B3,B4,B5 at 30 m + B8 PAN at 15 m, ratio 2): a GeoTIFF
#      georeferenced from the PAN, a quicklook and a before/after quicklook (LMS | fused);
#   A2. scores the held-out region at reduced resolution (Wald's protocol by `fusor simulate`; SAM, ERGAS, SCC, Q2n)
#      next to the plain interpolated LMS, and the full scene without a reference (D_lambda, D_s, HQNR).
# Part B, when ../shared is present (FUSOR_SHARED), the official DLPan FusionNet on WorldView:
#   B1. convert the official DLPan FusionNet WorldView-3 checkpoint (.pth) to a fusor safetensors file;
#   B2. pansharpen a real WorldView-3 scene at full resolution: georeferenced GeoTIFF + RGB quicklook;
#   B3. score it without a reference (D_lambda, D_s, HQNR with the WV3 MTF);
#   B4. make a reduced-resolution WorldView-2 test set by Wald's protocol, fuse it, and score it
#      against the ground truth (SAM, ERGAS, SCC, Q2n, ...), next to the plain interpolated LMS.
# Outputs go to demo-out/ (the demo's own folder: it replaces only its own files there).
set -euo pipefail
cd "$(dirname "$0")/.."
F=${FUSOR_BIN:-build/fusor}
SHARED=${FUSOR_SHARED:-../shared}
OUT=demo-out
CACHE=${FUSOR_LANDSAT_CACHE:-build/landsat}
[ -x "$F" ] || { echo "make demo: $F is missing; run make first" >&2; exit 1; }
mkdir -p "$OUT" "$CACHE"
step() { printf '\n== %s\n' "$*"; }

# ---- Part A: Landsat 8, ratio 2, shipped weights
LW=weights/fusionnet_landsat_r2.safetensors
[ -r "$LW" ] || { echo "make demo: the shipped Landsat weights $LW are missing (see weights/PROVENANCE.md)" >&2; exit 1; }
DEB=${FUSOR_LANDSAT_DEB:-$(ls "$CACHE"/r-cran-satellite_*.deb 2>/dev/null | head -n 1 || true)}
if [ -z "$DEB" ] || [ ! -r "$DEB" ]; then
  step "A0. download the public-domain USGS Landsat crops (Debian package r-cran-satellite) into $CACHE/"
  if ! (cd "$CACHE" && apt-get download r-cran-satellite); then
    echo "make demo: 'apt-get download r-cran-satellite' failed (offline, or no Debian package lists: run apt-get update)." >&2
    echo "  Put the .deb in $CACHE/ by hand or point FUSOR_LANDSAT_DEB at it, then rerun." >&2
    exit 1
  fi
  DEB=$(ls "$CACHE"/r-cran-satellite_*.deb | head -n 1)
fi
command -v dpkg-deb >/dev/null || { echo "make demo: dpkg-deb is needed to unpack $DEB" >&2; exit 1; }
EXT=$CACHE/deb/usr/lib/R/site-library/satellite/extdata
if [ ! -d "$EXT" ] || [ "$DEB" -nt "$EXT" ]; then rm -rf "$CACHE/deb"; dpkg-deb -x "$DEB" "$CACHE/deb"; fi
L8=$EXT/LC08_L1TP_195025_20130707_20170503_01_T1
MS=${L8}_B2.TIF,${L8}_B3.TIF,${L8}_B4.TIF,${L8}_B5.TIF
PAN=${L8}_B8.TIF
for f in ${MS//,/ } "$PAN"; do [ -r "$f" ] || { echo "make demo: $DEB lacks $(basename "$f") (expected r-cran-satellite 1.0.x)" >&2; exit 1; }; done

step "A1. pansharpen the full Landsat 8 scene (41x41 MS at 30 m, 82x82 PAN at 15 m) with the shipped weights"
$F inspect "$LW" --no-stats | head -n 6
$F run -m "$LW" --ms "$MS" --pan "$PAN" -o "$OUT/landsat8_fused.tif" --preview "$OUT/landsat8_fused_rgb.png" \
  --compare "$OUT/landsat8_lms_vs_fused.png" --force
$F info "$OUT/landsat8_fused.tif" | sed -n '3p;7,8p'

step "A2. reduced resolution (Wald's protocol, ratio 2): the held-out bottom-right quadrant, fused vs plain LMS"
$F simulate --ms "$MS" --pan "$PAN" --sensor L8 --ratio 2 --trim --crop 20 -o "$OUT/landsat8_rr.h5" --force
$F run -m "$LW" --ms "$OUT/landsat8_rr.h5" --pan "$OUT/landsat8_rr.h5" --lms "$OUT/landsat8_rr.h5" --index 3 \
  -o "$OUT/landsat8_heldout_fused.tif" --force > /dev/null
echo "-- FusionNet trained by fusor on Landsat (weights/), held-out region (20x20 at reduced resolution):"
$F eval --ref "$OUT/landsat8_rr.h5" --index 3 --fused "$OUT/landsat8_heldout_fused.tif" --ratio 2 --L 16
$F eval --ref "$OUT/landsat8_rr.h5" --index 3 --fused "$OUT/landsat8_heldout_fused.tif" --ratio 2 --L 16 --format csv \
  -o "$OUT/landsat8_heldout_fused.csv" --force
echo "-- the interpolated LMS alone on the same region (the baseline):"
$F eval --ref "$OUT/landsat8_rr.h5" --index 3 --fused "$OUT/landsat8_rr.h5" --fused-key lms --ratio 2 --L 16
$F eval --ref "$OUT/landsat8_rr.h5" --index 3 --fused "$OUT/landsat8_rr.h5" --fused-key lms --ratio 2 --L 16 --format csv \
  -o "$OUT/landsat8_heldout_lms.csv" --force

step "A3. full resolution, no reference (D_lambda, D_s, HQNR; Landsat MTF, 41x41 blocks)"
$F eval --fused "$OUT/landsat8_fused.tif" --ms "$MS" --pan "$PAN" --sensor L8 --ratio 2 --block 41 --L 16
$F eval --fused "$OUT/landsat8_fused.tif" --ms "$MS" --pan "$PAN" --sensor L8 --ratio 2 --block 41 --L 16 --format csv \
  -o "$OUT/landsat8_fr.csv" --force

printf '\nLandsat outputs:\n'
printf '  %-36s %s\n' "$OUT/landsat8_fused.tif" "fused 4-band GeoTIFF (B,G,R,NIR; 15 m, the PAN's georeferencing)" \
  "$OUT/landsat8_lms_vs_fused.png" "before/after quicklook: interpolated MS (LMS) | fused" \
  "$OUT/landsat8_fused_rgb.png" "quicklook of the fused image" \
  "$OUT/landsat8_heldout_fused.csv" "reduced-resolution metrics, held-out region (fused)" \
  "$OUT/landsat8_heldout_lms.csv" "the same for the plain LMS" \
  "$OUT/landsat8_fr.csv" "full-resolution D_lambda, D_s, HQNR" \
  "$OUT/landsat8_rr.h5" "the reduced-resolution set (gt/ms/lms/pan, 4 quadrants; index 3 is held out)"

# ---- Part B: WorldView with the official checkpoint (needs ../shared)
W=$SHARED/weights/dlpan_wv3/fusionnet.pth
WV3=$SHARED/data/pansharpening/zpnn_WV3_example.mat
WV2=$SHARED/data/pansharpening/grip_imgWV2.mat
for f in "$W" "$WV3" "$WV2"; do
  if [ ! -r "$f" ]; then
    printf '\n(WorldView part skipped: it needs the shared weights and scenes beside the repo; missing %s)\n' "$f"
    printf '\nDemo outputs in %s/: %s\n' "$OUT" "$(cd "$OUT" && ls | tr '\n' ' ')"
    exit 0
  fi
done

step "B1. convert the official FusionNet WV3 checkpoint"
$F convert "$W" "$OUT/fusionnet_wv3.safetensors" --arch fusionnet --force
$F inspect "$OUT/fusionnet_wv3.safetensors" --no-stats | head -n 8

step "B2. pansharpen the real WorldView-3 scene (full resolution)"
$F run -m "$OUT/fusionnet_wv3.safetensors" --ms "$WV3" --pan "$WV3" -o "$OUT/wv3_fused.tif" \
  --preview "$OUT/wv3_fused_rgb.png" --force
$F info "$OUT/wv3_fused.tif"

step "B3. no-reference quality (full resolution, WV3 MTF)"
$F eval --fused "$OUT/wv3_fused.tif" --ms "$WV3" --ms-key I_MS_LR --pan "$WV3" --pan-key I_PAN --sensor WV3

step "B4. reduced-resolution WorldView-2 set (Wald's protocol), fused and scored against ground truth"
$F simulate "$WV2" -o "$OUT/wv2_rr.h5" --crop 256 --count 1 --force
$F run -m "$OUT/fusionnet_wv3.safetensors" --ms "$OUT/wv2_rr.h5" --pan "$OUT/wv2_rr.h5" --lms "$OUT/wv2_rr.h5" \
  --index 0 -o "$OUT/wv2_rr0_fused.tif" --preview "$OUT/wv2_rr0_fused_rgb.png" --force
echo "-- FusionNet (WV3 weights) on the 256x256 crop:"
$F eval --ref "$OUT/wv2_rr.h5" --fused "$OUT/wv2_rr0_fused.tif" --ratio 4
echo "-- the interpolated LMS alone on the 256x256 crop (the baseline a fusion method must beat):"
$F eval --ref "$OUT/wv2_rr.h5" --fused "$OUT/wv2_rr.h5" --fused-key lms --ratio 4

printf '\nDemo outputs in %s/: %s\n' "$OUT" "$(cd "$OUT" && ls | tr '\n' ' ')"
