# run.sh — `fusor run` end to end: a georeferenced GeoTIFF and a quicklook out of tiny synthetic fixtures
# (tests/data/models, made with fusor's raster writer) and a zero-weight DiCNN built here byte by byte (its
# output is exactly the LMS), then the bad-input contract (clear error naming file / field / expectation,
# exit 1, nothing left at -o); with ../shared, real checkpoints on a real WV3 scene.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
MF=tests/data/models

# mk_zero_dicnn OUT: an 8-band DiCNN safetensors file whose weights and biases are all zero.
mk_zero_dicnn() {
  local out=$1 off=0 n i hdr
  local names=(conv1.weight conv1.bias conv2.weight conv2.bias conv3.weight conv3.bias)
  local shapes=("64,9,3,3" "64" "64,64,3,3" "64" "8,64,3,3" "8")
  hdr='{"__metadata__":{"fusor.arch":"dicnn","fusor.hparams":"{\"scale\":2047,\"sensor\":\"WV3\",\"spectral_num\":8}"}'
  for i in 0 1 2 3 4 5; do
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
ZM=$TMP/zero_dicnn.safetensors
mk_zero_dicnn "$ZM"

expect run-help 0 "--merge M" -- "$FUSOR" run --help
expect run-missing-args 2 "required" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif
expect run-bad-merge 2 "expected blend, grid or patchmerge" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/x.tif" --merge avg
expect run-model-missing 1 "nope.safetensors" -- "$FUSOR" run -m "$TMP/nope.safetensors" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/x.tif"

# a real run: tiles smaller than the scene, batch of 2, GeoTIFF + quicklook
expect run-tif 0 "wrote .*/out.tif: 8 bands 64x64 \(u16\), dicnn WV3, 9 tiles \(blend\)" -- \
  "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/out.tif" --tile 32 --overlap 8 --batch 2 --preview "$TMP/ql.png"
expect run-out-georeferenced 0 "EPSG:32633" -- "$FUSOR" info "$TMP/out.tif"
expect run-out-pan-grid 0 "pixel \(0.5, -0.5\)" -- "$FUSOR" info "$TMP/out.tif"
expect run-quicklook 0 "3 bands" -- "$FUSOR" info "$TMP/ql.png"
expect run-json 0 '"event":"result".*"tiles":1' -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/out.h5" --tile 0 --json
expect run-mat-out 0 "wrote .*out.mat" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/out.mat" --merge patchmerge --tile 32

# bad input: exit 1, a message naming what is wrong, and no output file
expect run-exists 1 "out.tif: output exists" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/out.tif"
expect run-force 0 "wrote" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/out.tif" --overwrite
run_bad() {  # run_bad NAME REGEX ARGS...: exit 1, message matches, no output written
  local name=$1 pat=$2; shift 2
  rm -f "$TMP/bad.tif" "$TMP/bad.png"
  expect "$name" 1 "$pat" -- "$FUSOR" run -m "$ZM" -o "$TMP/bad.tif" --preview "$TMP/bad.png" "$@"
  if [ -e "$TMP/bad.tif" ] || [ -e "$TMP/bad.png" ]; then bad "$name left an output"; else ok "$name-no-output"; fi
  if ls "$TMP" | grep -q '^\.\?bad\.tif\.'; then bad "$name left a temporary file"; fi
}
run_bad run-bad-bands "MS .*ms4.tif has 4 bands; model .* takes 8" --ms $MF/ms4.tif --pan $MF/pan.tif
run_bad run-bad-ratio "PAN .*pan60.tif is 60x64 and MS .*ms8.tif is 16x16: dicnn needs PAN = 4 x MS \(64x64\)" --ms $MF/ms8.tif --pan $MF/pan60.tif
run_bad run-ms-larger "larger than PAN.*swapped" --ms $MF/pan.tif --pan $MF/ms8.tif
run_bad run-nan "ms8_nan.tif.*band 2, row 3, column 5" --ms $MF/ms8_nan.tif --pan $MF/pan.tif
run_bad run-bad-tile "--tile 30" --ms $MF/ms8.tif --pan $MF/pan.tif --merge patchmerge --tile 30
cp "$ZM" "$TMP/other_arch.safetensors" && sed -i 's/"fusor.arch":"dicnn"/"fusor.arch":"pnn"  /' "$TMP/other_arch.safetensors"
expect run-other-arch 1 "conv1.weight' has shape \[64, 9, 3, 3\]; pnn expects \[64, 9, 9, 9\]" -- \
  "$FUSOR" run -m "$TMP/other_arch.safetensors" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/bad.tif"
[ -e "$TMP/bad.tif" ] && bad "run-other-arch left an output" || ok "run-other-arch-no-output"

# real checkpoints on the real WV3 crop of ../shared (skipped without it)
SH=${FUSOR_SHARED:-../shared}
if [ -r "$SH/weights/dlpan_wv3/pannet.pth" ] && [ -r "$SH/data/pansharpening/zpnn_WV3_example.mat" ]; then
  expect run-convert-pannet 0 "wrote" -- "$FUSOR" convert "$SH/weights/dlpan_wv3/pannet.pth" "$TMP/pannet.safetensors" --arch pannet --set scale=2047 --set sensor=WV3
  expect run-real-pannet 0 "8 bands 128x128 \(u16\), pannet WV3" -- "$FUSOR" run -m "$TMP/pannet.safetensors" \
    --ms "$SH/data/pansharpening/zpnn_WV3_example.mat" --pan "$SH/data/pansharpening/zpnn_WV3_example.mat" -o "$TMP/wv3.tif" --tile 64
  expect run-real-pth-direct 0 "fusionmamba WV3, 1 tiles \(grid\)" -- "$FUSOR" run -m "$SH/weights/fusionmamba_wv3.pth" \
    --ms "$SH/data/pansharpening/zpnn_WV3_example.mat" --pan "$SH/data/pansharpening/zpnn_WV3_example.mat" -o "$TMP/wv3fm.tif" --merge grid
else
  echo "skip cli: run-real-*: needs $SH/weights and $SH/data (official checkpoints, real scenes)"
fi
expect run-png-too-many-bands 1 "PNG/JPEG hold at most 4 bands and dicnn makes 8" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/o8.png"
expect run-unknown-ext 1 "unknown output extension" -- "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/o8.xyz"
# fusor sample takes generative models only: a regression net is pointed to `fusor run`.
expect sample-regression-model 1 "regression network: run it with .fusor run." -- "$FUSOR" sample -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/s.tif"
