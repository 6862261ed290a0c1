#!/usr/bin/env bash
# models_table.sh — the quality table of docs/MODELS.md: every pretrained pansharpening model fusor runs, on
# reduced-resolution sets made by `fusor simulate` (Wald's protocol) from the real WorldView-2 / WorldView-3
# scenes of ../shared, scored by `fusor eval` (SAM, ERGAS, Q2n, SCC against the original MS), and at full
# resolution (HQNR = (1 - D_lambda)(1 - D_s), bench_models_fr) on the whole scenes. Only fusor's own programs are used.
# usage: bash bench/models_table.sh [BUILD_DIR] [WORK_DIR]      (needs ../shared or FUSOR_SHARED)
set -euo pipefail
B=${1:-build}
FUSOR=$B/fusor
W=${2:-$(mktemp -d)}
SH=${FUSOR_SHARED:-../shared}
D=$SH/data/pansharpening
[ -x "$FUSOR" ] && [ -x "$B/bench_models_fr" ] || { echo "models_table: $FUSOR / $B/bench_models_fr not found (make BUILD=$B all)" >&2; exit 2; }
[ -r "$D/grip_imgWV2.mat" ] || { echo "models_table: needs $SH (weights and real scenes)" >&2; exit 2; }
mkdir -p "$W"
log() { echo "models_table: $*" >&2; }

# 1. the checkpoints, converted with their architecture and normalisation
declare -A CK=([pnn]=dlpan_wv3/pnn.pth [pannet]=dlpan_wv3/pannet.pth [dicnn]=dlpan_wv3/dicnn1.pth
               [msdcnn]=dlpan_wv3/msdcnn.pth [fusionnet]=dlpan_wv3/fusionnet.pth [drpnn]=dlpan_wv3/drpnn.pth
               [cannet]=cannet_wv3.pth [fusionmamba]=fusionmamba_wv3.pth)
MODELS=(pnn pannet dicnn msdcnn fusionnet drpnn cannet fusionmamba)
for m in "${MODELS[@]}"; do
  [ -s "$W/$m.safetensors" ] || "$FUSOR" convert "$SH/weights/${CK[$m]}" "$W/$m.safetensors" --arch "$m" \
      --set sensor=WV3 --set scale=2047 >&2
done

# 2. reduced-resolution sets (gt = the original MS; PAN 128x128 crops for WV2, the whole 32x32 scene for WV3)
[ -s "$W/wv2_rr.h5" ] || "$FUSOR" simulate "$D/grip_imgWV2.mat" -o "$W/wv2_rr.h5" --sensor WV2 --crop 128 >&2
[ -s "$W/wv3_rr.h5" ] || "$FUSOR" simulate "$D/zpnn_WV3_example.mat" -o "$W/wv3_rr.h5" --sensor WV3 --crop 32 \
    --ms-var I_MS_LR >&2

# count N of images in an HDF5 set (from fusor info's variable listing: "gt  N x C x H x W")
count() { "$FUSOR" info "$1" | awk '$1=="gt" {split($2, a, "x"); print a[1]; exit}'; }

# metric VALUE from a CSV report of fusor eval: the "mean" row (or the file's row), column NAME
col() { awk -F, -v c="$2" -v r="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} NR>1 && ($1==r || r=="") && k{print $k; exit}' "$1"; }

printf "| model | WV2 RR SAM | ERGAS | Q2n | SCC | WV3 RR SAM | ERGAS | Q2n | SCC | WV2 FR HQNR | WV3 FR HQNR |\n"
printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
for m in lms "${MODELS[@]}"; do
  row="| $m"
  for s in wv2 wv3; do
    n=$(count "$W/${s}_rr.h5"); n=${n:-1}
    if [ "$m" = lms ]; then  # the upsampled MS itself: the baseline every model must beat
      "$FUSOR" eval --ref "$W/${s}_rr.h5" --fused "$W/${s}_rr.h5" --fused-key lms --format csv -o "$W/$m.$s.rr.csv" --force >&2
    else
      mkdir -p "$W/$m.$s"
      for ((i = 0; i < n; i++)); do
        [ -s "$W/$m.$s/$i.tif" ] || "$FUSOR" run -m "$W/$m.safetensors" --ms "$W/${s}_rr.h5" --ms-key ms --pan "$W/${s}_rr.h5" \
            --pan-key pan --lms "$W/${s}_rr.h5" --lms-key lms --index $i -o "$W/$m.$s/$i.tif" --dtype f32 >&2
      done
      "$FUSOR" eval --ref "$W/${s}_rr.h5" --fused "$W/$m.$s" --format csv -o "$W/$m.$s.rr.csv" --force >&2
    fi
    for k in SAM ERGAS Q2n SCC; do row+=" | $(col "$W/$m.$s.rr.csv" $k mean)"; done
  done
  for s in wv2:grip_imgWV2:WV2:I_MS wv3:zpnn_WV3_example:WV3:I_MS_LR; do
    IFS=: read -r tag scene sensor mskey <<<"$s"
    if [ "$m" = lms ]; then row+=" | —"; continue; fi
    [ -s "$W/$m.$tag.fr.tif" ] || "$FUSOR" run -m "$W/$m.safetensors" --ms "$D/$scene.mat" --pan "$D/$scene.mat" \
        -o "$W/$m.$tag.fr.tif" --dtype f32 >&2
    hq=$("$B/bench_models_fr" "$W/$m.$tag.fr.tif" "$D/$scene.mat" $mskey "$D/$scene.mat" I_PAN "$sensor" | awk '{print $3}')
    row+=" | $hq"
  done
  echo "$row |"
  log "$m done"
done
