#!/bin/sh
# eval_otfm.sh — scores a trained PAN-OTFM model on the held-out test set of the generative-model split
# (crops 15..24 of wv2_crops64.h5 and the WV3 scene) with `fusor sample` + `fusor eval`, for the one-step sampler
# and the multi-step ODE samplers (flow_euler / flow_heun / flow_midpoint, 2, 4, 8 steps), next to the LMS.
# Usage: tools/eval_otfm.sh MODEL.safetensors OUTDIR [FUSOR] [DATA_DIR]
# Writes OUTDIR/per_crop.csv (config,image,SAM,ERGAS,SCC,Q2n,Q_avg,PSNR,SSIM) and prints the means per config.
set -eu
MODEL=$1
OUT=$2
FUSOR=${3:-build/fusor}
DATA=${4:-/work/data}
CROPS=$DATA/wv2_crops64.h5
WV3=$DATA/wv3_scene.h5
for f in "$MODEL" "$CROPS" "$WV3"; do [ -f "$f" ] || { echo "eval_otfm: $f is missing" >&2; exit 1; }; done
mkdir -p "$OUT"
CSV=$OUT/per_crop.csv
echo "config,image,SAM,ERGAS,SCC,Q2n,Q_avg,PSNR,SSIM" > "$CSV"
# one row per image: config, then the metrics line of `fusor eval --format csv`
row() { "$FUSOR" eval "$@" --format csv | sed -n 2p | cut -d, -f2-; }
for k in 15 16 17 18 19 20 21 22 23 24; do
  echo "lms,wv2_crop$k,$(row --ref "$CROPS" --fused "$CROPS" --fused-key lms --index "$k")" >> "$CSV"
done
echo "lms,wv3_scene,$(row --ref "$WV3" --fused "$WV3" --fused-key lms)" >> "$CSV"
for cfg in onestep:1 flow_euler:2 flow_euler:4 flow_euler:8 flow_heun:2 flow_heun:4 flow_heun:8 flow_midpoint:2 flow_midpoint:4 flow_midpoint:8; do
  s=${cfg%%:*}
  n=${cfg##*:}
  name=${s}_$n
  for k in 15 16 17 18 19 20 21 22 23 24; do
    o=$OUT/${name}_crop$k.tif
    "$FUSOR" sample -m "$MODEL" --ms "$CROPS" --pan "$CROPS" --lms "$CROPS" --index "$k" --sampler "$s" --steps "$n" \
      --merge blend --seed 0 --threads 1 --force -o "$o" > /dev/null 2>&1
    echo "$name,wv2_crop$k,$(row --ref "$CROPS" --index "$k" --fused "$o")" >> "$CSV"
  done
  o=$OUT/${name}_wv3.tif
  "$FUSOR" sample -m "$MODEL" --ms "$WV3" --pan "$WV3" --lms "$WV3" --sampler "$s" --steps "$n" --tile 32 --merge blend --seed 0 --threads 1 \
    --force -o "$o" > /dev/null 2>&1
  echo "$name,wv3_scene,$(row --ref "$WV3" --fused "$o")" >> "$CSV"
done
# means over the ten held-out WV2 crops, and the WV3 scene, per config
awk -F, 'NR > 1 && $2 ~ /wv2_crop/ { n[$1]++; for (i = 3; i <= 9; i++) s[$1, i] += $i; if (!($1 in seen)) { seen[$1] = 1; ord[++m] = $1 } }
         NR > 1 && $2 == "wv3_scene" { w[$1] = $3 "," $4 "," $5 "," $6 }
         END { printf "config,SAM,ERGAS,SCC,Q2n,Q_avg,PSNR,SSIM (mean of wv2 crops 15..24) | wv3 SAM,ERGAS,SCC,Q2n\n";
               for (j = 1; j <= m; j++) { c = ord[j]; printf "%s", c; for (i = 3; i <= 9; i++) printf ",%.4f", s[c, i] / n[c]; printf " | %s\n", w[c] } }' "$CSV" | tee "$OUT/means.csv"
