# landsat.sh — ratio 2 end to end (docs/DEMO.md). Always on: a tiny synthetic ratio-2 set made by `fusor simulate
# --trim` from the tests/data/models fixtures, a zero-weight ratio-2 FusionNet built here byte by byte (its output is
# exactly its LMS input: the oracle), run / simulate / eval at ratio 2 and their bad-input messages. With the Landsat
# package on disk (never fetched here: $FUSOR_LANDSAT_DEB, or the demo's cache build/landsat/*.deb), the shipped
# weights must beat their LMS input on SAM, ERGAS, Q2n and SCC of the held-out Landsat 8 quadrant, measured by eval.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
LS_MF=tests/data/models

# mk_zero_fusionnet OUT HPARAMS_JSON_ESCAPED: a 4-band FusionNet safetensors file whose tensors are all zero.
mk_zero_fusionnet() {
  local out=$1 hp=$2 off=0 n i hdr names=() shapes=()
  names+=(conv1.weight conv1.bias); shapes+=("32,4,3,3" "32")
  for i in 1 2 3 4; do
    names+=(res$i.conv20.weight res$i.conv20.bias res$i.conv21.weight res$i.conv21.bias)
    shapes+=("32,32,3,3" "32" "32,32,3,3" "32")
  done
  names+=(conv3.weight conv3.bias); shapes+=("4,32,3,3" "4")
  hdr="{\"__metadata__\":{\"fusor.arch\":\"fusionnet\",\"fusor.hparams\":\"$hp\"}"
  for i in "${!names[@]}"; do
    n=$(( $(tr ',' '*' <<<"${shapes[$i]}") * 4 ))
    hdr+=",\"${names[$i]}\":{\"dtype\":\"F32\",\"shape\":[${shapes[$i]}],\"data_offsets\":[$off,$((off + n))]}"
    off=$((off + n))
  done
  hdr+='}'
  while [ $(( ${#hdr} % 8 )) != 0 ]; do hdr+=' '; done
  n=${#hdr}
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((n & 255)) $(((n >> 8) & 255)) $(((n >> 16) & 255)) $(((n >> 24) & 255)))" > "$out"
  printf '%s' "$hdr" >> "$out"
  head -c $off /dev/zero >> "$out"
}
LS_Z=$TMP/zero_fusionnet_r2.safetensors
mk_zero_fusionnet "$LS_Z" '{\"ratio\":2,\"scale\":65535,\"sensor\":\"L8\",\"spectral_num\":4}'
LS_Z3=$TMP/zero_fusionnet_r3.safetensors
mk_zero_fusionnet "$LS_Z3" '{\"ratio\":3,\"scale\":65535}'

# the synthetic ratio-2 set: MS 16x16 (4 bands) and the top-left 32x32 of the 64x64 PAN
expect ls-simulate-r2 0 "1 image .*ratio 2.*gt 1x4x16x16, ms 1x4x8x8, lms 1x4x16x16, pan 1x1x16x16" -- \
  "$FUSOR" simulate --ms $LS_MF/ms4.tif --pan $LS_MF/pan.tif --sensor L8 --ratio 2 --trim --crop 16 -o "$TMP/r2.h5"
expect ls-simulate-no-trim 1 "PAN is 64x64, expected 32x32" -- \
  "$FUSOR" simulate --ms $LS_MF/ms4.tif --pan $LS_MF/pan.tif --sensor L8 --ratio 2 -o "$TMP/r2b.h5"
[ -e "$TMP/r2b.h5" ] && bad "ls-simulate-no-trim left an output" || ok "ls-simulate-no-trim-no-output"
expect ls-simulate-needs-sensor 2 "need --sensor" -- "$FUSOR" simulate --ms $LS_MF/ms4.tif --pan $LS_MF/pan.tif -o "$TMP/r2c.h5"

# the zero FusionNet returns its LMS: with the set's lms, and with the LMS run computes itself (interp23tap, ratio 2)
expect ls-run-r2 0 "wrote .*z_lms.tif: 4 bands 16x16 \(f32\), fusionnet L8" -- "$FUSOR" run -m "$LS_Z" --ms "$TMP/r2.h5" \
  --pan "$TMP/r2.h5" --lms "$TMP/r2.h5" -o "$TMP/z_lms.tif" --dtype f32 --no-clamp --compare "$TMP/z_cmp.png"  # 16 px high: x16, (16+8+16)x16 = 640 wide
expect ls-run-compare-png 0 "size: +256 x 640 \(H x W\), 3 bands" -- "$FUSOR" info "$TMP/z_cmp.png"
expect ls-zero-is-lms 0 "z_lms.tif +0\.00000[0-9] +0\.00000[0-9] " -- "$FUSOR" eval --ref "$TMP/r2.h5" --ref-key lms --fused "$TMP/z_lms.tif" --ratio 2 --L 16
expect ls-run-r2-own-lms 0 "wrote" -- "$FUSOR" run -m "$LS_Z" --ms "$TMP/r2.h5" --pan "$TMP/r2.h5" -o "$TMP/z_own.tif" --dtype f32 --no-clamp
expect ls-own-lms-is-interp23tap 0 "z_own.tif +0\.00000[0-9] +0\.00000[0-9] " -- "$FUSOR" eval --ref "$TMP/r2.h5" --ref-key lms --fused "$TMP/z_own.tif" --ratio 2 --L 16
# eval at ratio 2: --index picks one image of both HDF5 sets; the LMS against gt is a positive error
expect ls-eval-index 0 "r2.h5\[lms 0\]" -- "$FUSOR" eval --ref "$TMP/r2.h5" --fused "$TMP/r2.h5" --fused-key lms --index 0 --ratio 2 --L 16
expect ls-eval-index-range 1 "--index 3: reference .*r2.h5 has fewer images" -- "$FUSOR" eval --ref "$TMP/r2.h5" --fused "$TMP/z_lms.tif" --index 3 --ratio 2
expect ls-eval-fr-r2 0 "HQNR" -- "$FUSOR" eval --fused "$TMP/z_own.tif" --ms "$TMP/r2.h5" --pan "$TMP/r2.h5" --sensor L8 --ratio 2 --block 8

# bad input: a ratio-2 model on a ratio-4 pair, a ratio that is no power of 2, a mismatched band list
expect ls-run-wrong-ratio 1 "needs PAN = 2 x MS \(32x32\)" -- "$FUSOR" run -m "$LS_Z" --ms $LS_MF/ms4.tif --pan $LS_MF/pan.tif -o "$TMP/bad_r.tif"
[ -e "$TMP/bad_r.tif" ] && bad "ls-run-wrong-ratio left an output" || ok "ls-run-wrong-ratio-no-output"
expect ls-run-ratio3 1 "'ratio' is 3; expected a PAN/MS ratio that is a power of 2" -- \
  "$FUSOR" run -m "$LS_Z3" --ms $LS_MF/ms4.tif --pan $LS_MF/pan.tif -o "$TMP/bad_r3.tif"
expect ls-run-bad-list 1 "band list: .*pan.tif is 64x64 but .*ms4.tif is 16x16" -- \
  "$FUSOR" run -m "$LS_Z" --ms $LS_MF/ms4.tif,$LS_MF/pan.tif --pan $LS_MF/pan.tif -o "$TMP/bad_l.tif"

# the shipped weights on the real Landsat data, when the package is already on disk
LS_DEB=${FUSOR_LANDSAT_DEB:-$(ls build/landsat/r-cran-satellite_*.deb 2>/dev/null | head -n 1)}
LS_W=weights/fusionnet_landsat_r2.safetensors
if [ -n "$LS_DEB" ] && [ -r "$LS_DEB" ] && [ -r "$LS_W" ] && command -v dpkg-deb >/dev/null; then
  dpkg-deb -x "$LS_DEB" "$TMP/deb"
  E=$TMP/deb/usr/lib/R/site-library/satellite/extdata/LC08_L1TP_195025_20130707_20170503_01_T1
  LS_MS=${E}_B2.TIF,${E}_B3.TIF,${E}_B4.TIF,${E}_B5.TIF
  expect ls-l8-simulate 0 "4 images" -- "$FUSOR" simulate --ms "$LS_MS" --pan "${E}_B8.TIF" --sensor L8 --ratio 2 --trim --crop 20 -o "$TMP/l8q.h5"
  expect ls-l8-run-heldout 0 "wrote" -- "$FUSOR" run -m "$LS_W" --ms "$TMP/l8q.h5" --pan "$TMP/l8q.h5" --lms "$TMP/l8q.h5" --index 3 -o "$TMP/l8_ho.tif"
  fz=$("$FUSOR" eval --ref "$TMP/l8q.h5" --index 3 --fused "$TMP/l8_ho.tif" --ratio 2 --L 16 --format csv | sed -n 2p)
  lm=$("$FUSOR" eval --ref "$TMP/l8q.h5" --index 3 --fused "$TMP/l8q.h5" --fused-key lms --ratio 2 --L 16 --format csv | sed -n 2p)
  # csv: image,SAM,ERGAS,SCC,Q2n,...: lower SAM/ERGAS and higher SCC/Q2n than the LMS
  if awk -F, -v a="$fz" -v b="$lm" 'BEGIN{split(a,f,",");split(b,l,","); exit !(f[2]<l[2] && f[3]<l[3] && f[4]>l[4] && f[5]>l[5])}'; then
    ok "ls-l8-heldout-beats-lms ($fz vs $lm)"
  else bad "ls-l8-heldout-beats-lms: fused $fz, lms $lm"; fi
  expect ls-l8-run-full 0 "wrote .*l8.tif: 4 bands 82x82 \(u16\), fusionnet L8" -- "$FUSOR" run -m "$LS_W" --ms "$LS_MS" --pan "${E}_B8.TIF" -o "$TMP/l8.tif"
  expect ls-l8-georef 0 "origin \(483277.5, 5628517.5\), pixel \(15, -15\)" -- "$FUSOR" info "$TMP/l8.tif"
  expect ls-l8-hqnr 0 "HQNR" -- "$FUSOR" eval --fused "$TMP/l8.tif" --ms "$LS_MS" --pan "${E}_B8.TIF" --sensor L8 --ratio 2 --block 41 --L 16
else
  echo "skip cli: Landsat checks (no r-cran-satellite .deb on disk: set FUSOR_LANDSAT_DEB or run make demo once; needs $LS_W and dpkg-deb)"
fi
