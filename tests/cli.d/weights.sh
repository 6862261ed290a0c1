# weights.sh — `fusor inspect` / `fusor convert` end to end: help, refusals with clear messages,
# no partial outputs, and a real conversion when ../shared/weights is present.
# Sourced by tests/cli_test.sh (expect/ok/bad helpers, $FUSOR, $TMP); run from the repository root.
w_absent() { if [ ! -e "$2" ]; then ok "$1"; else bad "$1 ($2 was left behind)"; fi; }

expect inspect-help 0 "usage: fusor inspect FILE" -- "$FUSOR" inspect --help
expect convert-help 0 "usage: fusor convert IN OUT" -- "$FUSOR" convert --help
expect inspect-no-file 2 "usage: fusor inspect" -- "$FUSOR" inspect
expect convert-no-out 2 "usage: fusor convert" -- "$FUSOR" convert in.pth
expect inspect-bad-option 2 "unknown option '--frob'" -- "$FUSOR" inspect --frob x
expect convert-bad-set 2 "expected key=value" -- "$FUSOR" convert a b --set novalue
expect inspect-missing 1 "nonexistent.safetensors: cannot open" -- "$FUSOR" inspect "$TMP/nonexistent.safetensors"

# a safetensors file whose header length exceeds the file
printf '\x40\x00\x00\x00\x00\x00\x00\x00{"a":1}' > "$TMP/badlen.safetensors"
expect inspect-bad-header-length 1 "badlen.safetensors: header length 64 exceeds the file" -- "$FUSOR" inspect "$TMP/badlen.safetensors"
expect convert-bad-header-length 1 "header length 64 exceeds the file" -- "$FUSOR" convert "$TMP/badlen.safetensors" "$TMP/badlen.out.safetensors"
w_absent convert-bad-leaves-no-output "$TMP/badlen.out.safetensors"
# a byte count that does not match dtype x shape
w_hdr='{"w":{"dtype":"F32","shape":[4,8],"data_offsets":[0,96]}}'
printf "$(printf '\\x%02x' ${#w_hdr})\x00\x00\x00\x00\x00\x00\x00%s" "$w_hdr" > "$TMP/count.safetensors"
head -c 96 /dev/zero >> "$TMP/count.safetensors"
expect inspect-byte-count 1 "tensor 'w': data_offsets \[0, 96\] hold 96 bytes, expected 4\*8\*4 = 128 \(F32 \[4,8\]\)" -- "$FUSOR" inspect "$TMP/count.safetensors"
# not a weights file at all
echo "just text" > "$TMP/text.pth"
expect inspect-not-weights 1 "text.pth" -- "$FUSOR" inspect "$TMP/text.pth"
# a hostile checkpoint: data.pkl calls posix.system (seed file written by tests/fuzz/make_seeds.py)
expect inspect-hostile-pickle 1 "refuses pickle global 'posix.system': only state_dict contents are allowed" -- \
  "$FUSOR" inspect tests/fuzz/corpus/pth/evil_posix_system.pth
expect convert-hostile-pickle 1 "refuses pickle global 'posix.system'" -- \
  "$FUSOR" convert tests/fuzz/corpus/pth/evil_posix_system.pth "$TMP/evil.safetensors"
w_absent convert-hostile-leaves-no-output "$TMP/evil.safetensors"

# a small valid checkpoint from the seed corpus: views, aliases, f16 and i64 tensors
expect inspect-tiny-pth 0 "total: 6 tensors, 18 parameters" -- "$FUSOR" inspect tests/fuzz/corpus/pth/tiny.pth
expect convert-tiny-pth 0 "wrote .*tiny.safetensors: 6 tensors" -- \
  "$FUSOR" convert tests/fuzz/corpus/pth/tiny.pth "$TMP/tiny.safetensors" --arch demo --set channels=32 --meta note=seed
expect inspect-tiny-converted 0 'fusor.hparams = \{"channels":32\}' -- "$FUSOR" inspect "$TMP/tiny.safetensors"
expect inspect-json 0 '"dtype":"F16","shape":\[2\],"min":-2,"max":1,"mean":-0.5' -- "$FUSOR" inspect --json "$TMP/tiny.safetensors"
expect convert-refuses-overwrite 1 "exists; refusing to overwrite it \(use --force\)" -- \
  "$FUSOR" convert tests/fuzz/corpus/pth/tiny.pth "$TMP/tiny.safetensors"
expect convert-force-rewrites 0 "wrote" -- "$FUSOR" convert "$TMP/tiny.safetensors" "$TMP/tiny.safetensors" --set scale=2047 --force
expect convert-rewrite-merged-hparams 0 'fusor.hparams = \{"channels":32,"scale":2047\}' -- "$FUSOR" inspect "$TMP/tiny.safetensors"
if [ -w /dev/full ]; then
  expect convert-full-disk 1 "No space left on device" -- "$FUSOR" convert tests/fuzz/corpus/pth/tiny.pth /dev/full --force
fi
w_tmp_left=$(find "$TMP" -name '.*.tmp.*' | head -1)
if [ -z "$w_tmp_left" ]; then ok "convert-leaves-no-temp-files"; else bad "convert-leaves-no-temp-files ($w_tmp_left)"; fi

# real checkpoints (skipped without ../shared)
if [ -f ../shared/weights/cannet_wv3.pth ]; then
  expect convert-cannet 0 "wrote .*cannet.safetensors: 194 tensors, 787426 parameters" -- \
    "$FUSOR" convert ../shared/weights/cannet_wv3.pth "$TMP/cannet.safetensors" --arch cannet \
    --set spectral_num=8 --set channels=32 --set scale=2047
  expect inspect-cannet 0 "fusor.source = cannet_wv3.pth sha256:06566c98f6a228d74e50a5c1314a6f89919832b376e5dd61fced736a7e4ccc0b" -- \
    "$FUSOR" inspect "$TMP/cannet.safetensors"
  expect inspect-fusionnet-pth 0 "total: 36 tensors, 152616 parameters" -- "$FUSOR" inspect --no-stats ../shared/weights/dlpan_wv3/fusionnet.pth
else
  echo "skip cli: weights on real checkpoints (../shared/weights absent)"
fi
