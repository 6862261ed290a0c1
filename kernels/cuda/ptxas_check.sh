#!/usr/bin/env bash
# ptxas_check.sh — fails when a kernel marked FZ_HOT spills registers in any nvcc -Xptxas -v report.
# usage: kernels/cuda/ptxas_check.sh PTXAS_DIR SOURCE.cu...
# Hot kernels are the names that follow `FZ_HOT __global__ void [__launch_bounds__(..)]` in the sources.
# Reports (one file per .cu, all architectures) list, per entry function, "N bytes spill stores, M bytes
# spill loads"; both must be 0 for every hot kernel on every architecture, and every hot kernel must appear.
set -u
dir=$1; shift
hot=$(grep -ho 'FZ_HOT __global__ void \(__launch_bounds__([^)]*) \)\?[A-Za-z_][A-Za-z_0-9]*' "$@" | awk '{print $NF}' | sort -u)
[ -n "$hot" ] || { echo "ptxas_check: no FZ_HOT kernels found in $*" >&2; exit 1; }
# One line per compiled entry: "<demangled name> <arch> <registers> <spill stores> <spill loads>".
table=$(cat "$dir"/*.txt | awk '
  /Compiling entry function/ { match($0, /function .[^'"'"']*/); fn = substr($0, RSTART + 10, RLENGTH - 10);
                               match($0, /for .sm_[0-9]+/); arch = substr($0, RSTART + 5, RLENGTH - 5); entry = 1; next }
  entry && /spill stores/ { st = $5; ld = $9; next }
  entry && /Used [0-9]+ registers/ { match($0, /Used [0-9]+ registers/); r = substr($0, RSTART + 5, RLENGTH - 15);
                                     print fn, arch, r, st, ld; entry = 0 }' | while read -r fn arch r st ld; do
  name=$(echo "$fn" | c++filt | sed 's/[(<].*//; s/.* //')
  echo "$name $arch $r $st $ld"
done)
fail=0
for k in $hot; do
  rows=$(echo "$table" | awk -v k="$k" '$1 == k')
  if [ -z "$rows" ]; then echo "ptxas_check: hot kernel $k has no ptxas report (not compiled, or renamed?)"; fail=1; continue; fi
  while read -r name arch r st ld; do
    if [ "$st" != 0 ] || [ "$ld" != 0 ]; then
      echo "ptxas_check: FAIL $name on $arch spills: $st bytes stores, $ld bytes loads ($r registers)"; fail=1
    else
      printf 'ptxas_check: ok   %-24s %-6s %3s registers, no spills\n' "$name" "$arch" "$r"
    fi
  done <<<"$rows"
done
exit $fail
