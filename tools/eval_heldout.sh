#!/usr/bin/env bash
# eval_heldout.sh MODEL OUTDIR SAMPLER STEPS [SEED] — the held-out evaluation of gen_common.md for any generative
# model file: samples the held-out crops 15..24 of wv2_crops64 and wv3_scene with
# fusor sample, scores each with fusor eval, prints the mean over the 10 WV2 crops and the WV3 line.
# SAMPLER "lms" scores the LMS baseline instead (MODEL, STEPS ignored).
# FUSOR (default build/fusor) and DATA (default /work/data, the sets of tools/make_pan_sets.sh) come from the environment.
set -u
[ $# -ge 4 ] || { sed -n 2,6p "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
F=${FUSOR:-build/fusor}; DATA=${DATA:-/work/data}; M=$1; O=$2; S=$3; N=$4; SEED=${5:-0}
C=$DATA/wv2_crops64.h5; W3=$DATA/wv3_scene.h5
for f in "$C" "$W3"; do [ -f "$f" ] || { echo "eval_heldout.sh: $f is missing (make it with tools/make_pan_sets.sh $DATA)" >&2; exit 1; }; done
mkdir -p "$O"
for i in 15 16 17 18 19 20 21 22 23 24; do
  if [ "$S" = lms ]; then
    $F eval --ref $C --index $i --fused $C --fused-key lms --format csv | sed -n 2p | cut -d, -f2- | sed "s/^/$i,/"
  else
    $F sample -m "$M" --ms $C --pan $C --lms $C --index $i --sampler $S --steps $N --seed $SEED --tile 64 --merge blend --threads 1 --force -o "$O/${S}${N}_$i.tif" >/dev/null || exit 1
    $F eval --ref $C --index $i --fused "$O/${S}${N}_$i.tif" --format csv | sed -n 2p | cut -d, -f2- | sed "s/^/$i,/"
  fi
done > "$O/${S}${N}.csv"
if [ "$S" = lms ]; then W3F="$W3 --fused-key lms"; else
  $F sample -m "$M" --ms $W3 --pan $W3 --lms $W3 --sampler $S --steps $N --seed $SEED --tile 32 --merge blend --threads 1 --force -o "$O/${S}${N}_wv3.tif" >/dev/null || exit 1
  W3F="$O/${S}${N}_wv3.tif"; fi
awk -F, -v tag="$S $N" '{for(j=2;j<=NF;j++) s[j]+=$j; n++; nf=NF} END {printf "%-14s WV2 held-out mean (%d crops)  SAM %.4f ERGAS %.4f SCC %.4f Q2n %.4f Q_avg %.4f PSNR %.3f SSIM %.4f\n", tag, n, s[2]/n, s[3]/n, s[4]/n, s[5]/n, s[6]/n, s[7]/n, s[8]/n}' "$O/${S}${N}.csv"
$F eval --ref $W3 --fused $W3F --format csv | sed -n 2p | awk -F, -v tag="$S $N" '{printf "%-14s WV3 scene                     SAM %.4f ERGAS %.4f SCC %.4f Q2n %.4f Q_avg %.4f PSNR %.3f SSIM %.4f\n", tag, $2, $3, $4, $5, $6, $7, $8}'
