# selftest.sh — `fusor selftest`: help, and a clear error (exit 1) when this build or machine has no CUDA device.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad). The device run itself is tests/cuda/test_selftest.cu.
expect selftest-help 0 "selective_scan" -- "$FUSOR" selftest --help
expect selftest-cpu 2 "reference itself" -- "$FUSOR" selftest --device cpu
if ! "$FUSOR" devices 2>/dev/null | grep -q '^cuda:'; then
  expect selftest-no-cuda 1 "no usable CUDA device" -- "$FUSOR" selftest --device cuda:0
fi
