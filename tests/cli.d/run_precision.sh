# run_precision.sh — `--precision` on the CLI: 16-bit storage exists only on CUDA backends, so bf16 / fp16 on the
# CPU is a clear error (exit 1, nothing written), a wrong name is rejected, fp32 is the default and runs.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad); uses run.sh's fixtures ($MF, $ZM: run.sh is sourced first).
MF=tests/data/models
expect precision-help 0 "--precision P" -- "$FUSOR" run --help
expect precision-cpu-bf16 1 "--precision bf16 needs --device cuda:N" -- \
  "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/p16.tif" --precision bf16
if [ -e "$TMP/p16.tif" ]; then bad "precision-cpu-bf16 left $TMP/p16.tif"; else ok "precision-cpu-bf16-no-output"; fi
expect precision-bad-name 1 "'int8' is not a precision; expected fp32, bf16 or fp16" -- \
  "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/p8.tif" --precision int8
expect precision-fp32 0 "wrote .*/p32.tif" -- \
  "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/p32.tif" --precision fp32
expect precision-sample-cpu-fp16 1 "--precision fp16 needs --device cuda:N" -- \
  "$FUSOR" sample -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/s16.tif" --precision fp16
