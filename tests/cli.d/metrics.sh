# metrics.sh — `fusor eval` and `fusor simulate` end to end: values against the toolbox run in Octave
# (tests/data/metrics/cli.csv, sets.csv), output formats, and the bad-input contract (clear error, exit 1,
# no output file). Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
MD=tests/data/metrics
MC=$MD/cli
# metric_close NAME CSV ROW COLUMN KEY RTOL: the CSV cell (row label, column name) matches the oracle KEY of
# ORACLE (default cli.csv) within RTOL relative
metric_close() {
  local name=$1 csv=$2 row=$3 col=$4 key=$5 rtol=$6 oracle=${7:-$MD/cli.csv}
  local got want
  got=$(awk -F, -v r="$row" -v c="$col" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} $1==r && k{print $k}' "$csv")
  want=$(awk -F, -v k="$key" '$1==k{print $2}' "$oracle")
  if [ -z "$got" ] || [ -z "$want" ]; then bad "$name (missing value: got '$got', oracle '$want')"; return; fi
  if awk -v g="$got" -v w="$want" -v t="$rtol" 'BEGIN{d=g-w; if(d<0)d=-d; a=w<0?-w:w; exit !(d<=t*a+1e-12)}'; then ok "$name"
  else bad "$name ($row $col = $got, toolbox $want)"; fi
}

expect eval-help 0 "--ref GT --fused F" -- "$FUSOR" eval --help
expect simulate-help 0 "Wald" -- "$FUSOR" simulate --help

# reduced resolution over two directories paired by name; mean and std against indexes_evaluation.m
"$FUSOR" eval --ref $MC/ref --fused $MC/fused --L 8 --format csv > "$TMP/rr.csv" 2>&1
for m in SAM ERGAS SCC Q2n Q_avg PSNR SSIM; do
  metric_close "eval-rr-dirs-mean-$m" "$TMP/rr.csv" mean $m rr.mean.$m 1e-8
  metric_close "eval-rr-dirs-std-$m" "$TMP/rr.csv" std $m rr.std.$m 1e-6
done
"$FUSOR" eval --fused $MC/fr_fused.png --ms $MC/fr_ms.png --pan $MC/fr_pan.png --sensor WV3 --format csv > "$TMP/fr.csv" 2>&1
for m in D_lambda D_s HQNR; do metric_close "eval-fr-$m" "$TMP/fr.csv" fr_fused.png $m fr.$m 1e-8; done
expect eval-json 0 '"mean":\{"SAM":[0-9.]+' -- "$FUSOR" eval --ref $MC/ref/a.png --fused $MC/fused/a.png --L 8 --format json
expect eval-table 0 "mean ± std" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused --L 8
expect eval-report-file 0 "" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused --L 8 --format csv -o "$TMP/report.csv"
if [ -s "$TMP/report.csv" ] && grep -q '^mean,' "$TMP/report.csv"; then ok "eval-report-file-written"; else bad "eval-report-file-written"; fi
expect eval-report-no-overwrite 1 "exists; pass --force" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused -o "$TMP/report.csv"

# bad input: a clear error naming what differs, exit 1, no report file
expect eval-bad-size 1 "48x48.*40x48" -- "$FUSOR" eval --ref $MC/ref/a.png --fused $MC/fused_40x48.png -o "$TMP/bad1.csv"
[ -e "$TMP/bad1.csv" ] && bad "eval-bad-size left an output file" || ok "eval-bad-size-no-output"
expect eval-bad-bands 1 "3 bands.*1 bands" -- "$FUSOR" eval --ref $MC/ref/a.png --fused $MC/fused_grey.png
expect eval-nan 1 "row 5, column 7\) is NaN" -- "$FUSOR" eval --ref $MC/ref/a.png --fused $MC/fused_nan.tif -o "$TMP/bad2.csv"
[ -e "$TMP/bad2.csv" ] && bad "eval-nan left an output file" || ok "eval-nan-no-output"
expect eval-unpaired 1 "b.png has no image with the same name" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused_unpaired
mkdir -p "$TMP/empty"
expect eval-empty-set 1 "no images in the directory" -- "$FUSOR" eval --ref "$TMP/empty" --fused $MC/fused
expect eval-count-mismatch 1 "holds 2 images but fused" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused/a.png
expect eval-wrong-ratio 1 "not the ratio 2" -- "$FUSOR" eval --fused $MC/fr_fused.png --ms $MC/fr_ms.png --pan $MC/fr_pan.png --sensor WV3 --ratio 2
expect eval-ratio-not-pow2 1 "power of 2" -- "$FUSOR" eval --fused $MC/fr_fused.png --ms $MC/fr_ms.png --pan $MC/fr_pan.png --sensor WV3 --ratio 3
expect eval-fr-needs-sensor 2 "needs --sensor" -- "$FUSOR" eval --fused $MC/fr_fused.png --ms $MC/fr_ms.png --pan $MC/fr_pan.png
expect eval-bad-format 2 "table, csv or json" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused --format xml
expect eval-missing-file 1 "nope.png" -- "$FUSOR" eval --ref $MC/ref/a.png --fused "$TMP/nope.png"

# simulate on the shared scenes (skipped without ../shared), then eval on the sets
SH=${FUSOR_SHARED:-../shared}/data/pansharpening
if [ -r "$SH/grip_imgWV2.mat" ] && ! "$FUSOR" simulate "$SH/grip_imgWV2.mat" -o "$TMP/probe.h5" 2>&1 | grep -q "without matio"; then
  rm -f "$TMP/probe.h5"
  for s in WV2 IK GE1; do
    expect simulate-$s 0 "4 images .* gt 4x[48]x128x128, ms 4x[48]x32x32" -- "$FUSOR" simulate "$SH/grip_img$s.mat" -o "$TMP/sim_$s.h5"
  done
  expect simulate-WV3-needs-sensor 1 "no 'sensor' variable" -- "$FUSOR" simulate "$SH/zpnn_WV3_example.mat" -o "$TMP/sim_WV3.h5"
  [ -e "$TMP/sim_WV3.h5" ] && bad "simulate-WV3 failure left an output file" || ok "simulate-WV3-no-output"
  expect simulate-WV3 0 "1 image .* gt 1x8x32x32, ms 1x8x8x8" -- "$FUSOR" simulate "$SH/zpnn_WV3_example.mat" --sensor WV3 -o "$TMP/sim_WV3.h5"
  expect simulate-no-overwrite 1 "exist" -- "$FUSOR" simulate "$SH/grip_imgIK.mat" -o "$TMP/sim_IK.h5"
  expect simulate-bad-crop 1 "multiple of the ratio 4" -- "$FUSOR" simulate "$SH/grip_imgIK.mat" --crop 30 -o "$TMP/x.h5"
  expect simulate-crop-too-big 1 "largest crop is 320" -- "$FUSOR" simulate "$SH/grip_imgIK.mat" --crop 400 -o "$TMP/x.h5"
  expect simulate-count-too-big 1 "only 9 non-overlapping" -- "$FUSOR" simulate "$SH/grip_imgIK.mat" --crop 96 --count 10 -o "$TMP/x.h5"
  [ -e "$TMP/x.h5" ] && bad "simulate failures left an output file" || ok "simulate-bad-no-output"
  expect simulate-count 0 "2 images .* gt 2x4x64x64" -- "$FUSOR" simulate "$SH/grip_imgIK.mat" --crop 64 --count 2 -o "$TMP/sim_IK2.h5"
  for s in WV2 IK GE1 WV3; do
    L=11; [ $s = GE1 ] && L=8
    "$FUSOR" eval --ref "$TMP/sim_$s.h5" --fused "$TMP/sim_$s.h5" --fused-key lms --L $L --format csv > "$TMP/ev_$s.csv" 2>&1
    for m in SAM ERGAS SCC Q2n Q_avg PSNR SSIM; do
      [ $s = WV3 ] && [ $m = Q_avg ] && continue  # one 32x32 crop: the 32x32 sliding window gives one value
      metric_close "eval-sim-$s-$m" "$TMP/ev_$s.csv" mean $m $s.mean.$m 1e-8 $MD/sets.csv
    done
  done
  "$FUSOR" eval --fused "$TMP/sim_WV2.h5" --fused-key lms --ms "$TMP/sim_WV2.h5" --sensor WV2 --format csv > "$TMP/evfr.csv" 2>&1
  for m in D_lambda D_s HQNR; do metric_close "eval-sim-fr-WV2-$m" "$TMP/evfr.csv" mean $m WV2.fr.mean.$m 1e-8 $MD/sets.csv; done
else
  echo "skip cli: simulate/eval on the shared scenes ($SH absent, set FUSOR_SHARED; or built without matio)"
fi

# hyperspectral set (--hsi): PSNR / SAM / ERGAS / SSIM; with --range 255 they equal the reduced-resolution values
"$FUSOR" eval --hsi --range 255 --ref $MC/ref --fused $MC/fused --format csv > "$TMP/hsi.csv" 2>&1
for m in PSNR SAM ERGAS SSIM; do metric_close "eval-hsi-$m" "$TMP/hsi.csv" mean $m rr.mean.$m 1e-8; done
expect eval-flags-before-options 0 "mean ± std" -- "$FUSOR" eval --th --force --ref $MC/ref --fused $MC/fused --L 8

# image fusion (VIS/IR, MEF, MFF) metrics against CDDFuse's Evaluator.py on the fixtures' grey images
"$FUSOR" eval --fused $MC/fused/a.png --ir $MC/ref/a.png --vis $MC/ref/b.png --format csv > "$TMP/ivf.csv" 2>&1
for m in EN SD SF AG MI SCD VIF Qabf SSIM; do metric_close "eval-ivf-$m" "$TMP/ivf.csv" a.png $m ivf.$m 1e-8; done
expect eval-ivf-needs-both 2 "both sources" -- "$FUSOR" eval --fused $MC/fused/a.png --ir $MC/ref/a.png
expect eval-ivf-size 1 "48x48.*40x48" -- "$FUSOR" eval --fused $MC/fused/a.png --ir $MC/ref/a.png --vis $MC/fused_40x48.png

# FSDS in both argument orders against the authors' FSDS_code.py
"$FUSOR" eval --ref $MC/ref --fused $MC/fused --L 8 --fsds pred-gt --format csv > "$TMP/fsds1.csv" 2>&1
metric_close eval-fsds-pred-gt "$TMP/fsds1.csv" mean FSDS fsds.pred_gt.mean 1e-8
"$FUSOR" eval --ref $MC/ref --fused $MC/fused --L 8 --fsds gt-pred --format csv > "$TMP/fsds2.csv" 2>&1
metric_close eval-fsds-gt-pred "$TMP/fsds2.csv" mean "FSDS_gt_pred" fsds.gt_pred.mean 1e-8
expect eval-fsds-bad-order 2 "pred-gt or gt-pred" -- "$FUSOR" eval --ref $MC/ref --fused $MC/fused --fsds sideways

# directories list in natural order (x_2 before x_10), as the family's output_mulExm_N files need
mkdir -p "$TMP/nat_ref" "$TMP/nat_fus"
cp $MC/ref/a.png "$TMP/nat_ref/x_10.png"; cp $MC/ref/b.png "$TMP/nat_ref/x_2.png"
cp $MC/fused/a.png "$TMP/nat_fus/x_10.png"; cp $MC/fused/b.png "$TMP/nat_fus/x_2.png"
order=$("$FUSOR" eval --ref "$TMP/nat_ref" --fused "$TMP/nat_fus" --L 8 --format csv 2>&1 | awk -F, 'NR>1 && NR<4{printf "%s ", $1}')
[ "$order" = "x_2.png x_10.png " ] && ok "eval-natural-order" || bad "eval-natural-order (got '$order')"
