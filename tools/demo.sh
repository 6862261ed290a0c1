#!/usr/bin/env bash
# demo.sh — fusor's main job on real data (run by `make demo`):
#   1. convert the official DLPan FusionNet WorldView-3 checkpoint (.pth) to a fusor safetensors file;
#   2. pansharpen a real WorldView-3 scene at full resolution: georeferenced GeoTIFF + RGB quicklook;
#   3. score it without a reference (D_lambda, D_s, HQNR with the WV3 MTF);
#   4. make a reduced-resolution WorldView-2 test set by Wald's protocol, fuse it, and score it
#      against the ground truth (SAM, ERGAS, SCC, Q2n, ...), next to the plain interpolated LMS.
# Outputs go to demo-out/ (the demo's own folder: it replaces only its own files there).
set -euo pipefail
cd "$(dirname "$0")/.."
F=build/fusor
SHARED=${FUSOR_SHARED:-../shared}
OUT=demo-out
W=$SHARED/weights/dlpan_wv3/fusionnet.pth
WV3=$SHARED/data/pansharpening/zpnn_WV3_example.mat
WV2=$SHARED/data/pansharpening/grip_imgWV2.mat
for f in "$W" "$WV3" "$WV2"; do
  [ -r "$f" ] || { echo "make demo: needs the shared weights and scenes beside the repo; missing $f" >&2; exit 1; }
done
mkdir -p "$OUT"
step() { printf '\n== %s\n' "$*"; }

step "1. convert the official FusionNet WV3 checkpoint"
$F convert "$W" "$OUT/fusionnet_wv3.safetensors" --arch fusionnet --force
$F inspect "$OUT/fusionnet_wv3.safetensors" --no-stats | head -n 8

step "2. pansharpen the real WorldView-3 scene (full resolution)"
$F run -m "$OUT/fusionnet_wv3.safetensors" --ms "$WV3" --pan "$WV3" -o "$OUT/wv3_fused.tif" \
  --preview "$OUT/wv3_fused_rgb.png" --force
$F info "$OUT/wv3_fused.tif"

step "3. no-reference quality (full resolution, WV3 MTF)"
$F eval --fused "$OUT/wv3_fused.tif" --ms "$WV3" --ms-key I_MS_LR --pan "$WV3" --pan-key I_PAN --sensor WV3

step "4. reduced-resolution WorldView-2 set (Wald's protocol), fused and scored against ground truth"
$F simulate "$WV2" -o "$OUT/wv2_rr.h5" --crop 256 --count 1 --force
$F run -m "$OUT/fusionnet_wv3.safetensors" --ms "$OUT/wv2_rr.h5" --pan "$OUT/wv2_rr.h5" --lms "$OUT/wv2_rr.h5" \
  --index 0 -o "$OUT/wv2_rr0_fused.tif" --preview "$OUT/wv2_rr0_fused_rgb.png" --force
echo "-- FusionNet (WV3 weights) on the 256x256 crop:"
$F eval --ref "$OUT/wv2_rr.h5" --fused "$OUT/wv2_rr0_fused.tif" --ratio 4
echo "-- the interpolated LMS alone on the 256x256 crop (the baseline a fusion method must beat):"
$F eval --ref "$OUT/wv2_rr.h5" --fused "$OUT/wv2_rr.h5" --fused-key lms --ratio 4

printf '\nDemo outputs in %s/: %s\n' "$OUT" "$(cd "$OUT" && ls | tr '\n' ' ')"
