# ssdiff.sh — `fusor sample -m SSDIFF` end to end on the tiny synthetic 4-band fixtures (tests/data/models) with
# the random-weight SSDiff parity model (tests/golden/ssdiff_random.safetensors; a random network, so only the
# contract is checked here: output file, georeferencing, seeds, sampler options, bad input). Parity with the
# official code is tests/test_ssdiff.c. Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
SSM=tests/golden/ssdiff_random.safetensors
MF=tests/data/models
if [ -f "$SSM" ]; then
  # the released sampler (DDIM, 10 steps, seed 42) on one 64x64 tile
  expect ssdiff-sample-ddim10 0 "wrote .*ss.tif: 4 bands 64x64 \(u16\), ssdiff ddim 10 steps, seed 42, 1 tiles \(blend\)" -- \
    "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler ddim --steps 10 --seed 42 --merge blend --threads 1 -o "$TMP/ss.tif"
  expect ssdiff-out-georeferenced 0 "EPSG:32633" -- "$FUSOR" info "$TMP/ss.tif"
  expect ssdiff-out-range 0 "range: +[0-9]+ \.\. [0-9]+" -- "$FUSOR" info "$TMP/ss.tif"
  # same seed, same file; another seed, another file (2 steps keep it short)
  "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --steps 2 --seed 7 --merge blend --threads 1 -o "$TMP/s7a.tif" >/dev/null 2>&1
  "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --steps 2 --seed 7 --merge blend --threads 1 -o "$TMP/s7b.tif" >/dev/null 2>&1
  "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --steps 2 --seed 8 --merge blend --threads 1 -o "$TMP/s8.tif" >/dev/null 2>&1
  if [ -f "$TMP/s7a.tif" ] && cmp -s "$TMP/s7a.tif" "$TMP/s7b.tif"; then ok "ssdiff-same-seed-same-output"; else bad "ssdiff-same-seed-same-output"; fi
  if [ -f "$TMP/s8.tif" ] && ! cmp -s "$TMP/s7a.tif" "$TMP/s8.tif"; then ok "ssdiff-other-seed-other-output"; else bad "ssdiff-other-seed-other-output"; fi
  expect ssdiff-json-nfe 0 '"sampler":"heun","steps":2.*"network_evaluations":3' -- \
    "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler heun --steps 2 --merge blend --threads 1 --json -o "$TMP/heun.h5"
  # bad input: nothing written, clear messages
  expect ssdiff-no-overwrite 1 "output exists" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif -o "$TMP/ss.tif"
  expect ssdiff-bands 1 "ms8.tif has 8 bands; model .* takes 4" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/b.tif"
  expect ssdiff-pan-size 1 "needs PAN = 4 x MS" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan60.tif -o "$TMP/b.tif"
  expect ssdiff-needs-inputs 2 "are required" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif -o "$TMP/b.tif"
  expect ssdiff-flow-process 1 "trained on the vp process" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --process flow -o "$TMP/b.tif"
  expect ssdiff-flow-sampler 1 "runs on the flow process; model .* was trained on the vp process" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_euler -o "$TMP/b.tif"
  expect ssdiff-not-a-model 1 "match no known architecture" -- "$FUSOR" sample -m tests/golden/pnn.safetensors --ms $MF/ms4.tif --pan $MF/pan.tif -o "$TMP/b.tif"
  expect ssdiff-bad-merge 2 "expected patchmerge, blend or grid" -- "$FUSOR" sample -m "$SSM" --ms $MF/ms4.tif --pan $MF/pan.tif --merge avg -o "$TMP/b.tif"
  if [ ! -e "$TMP/b.tif" ]; then ok "ssdiff-no-partial-output"; else bad "ssdiff-no-partial-output"; fi
else
  ok "ssdiff-cli (skipped: $SSM missing)"
fi
