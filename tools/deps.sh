#!/usr/bin/env bash
# Installs the Debian packages fusor builds against; prints the one command to run when not root.
set -eu
PKGS="pkg-config libopenblas-dev libhdf5-dev libstb-dev libcjson-dev libzip-dev libmatio-dev
      libgdal-dev libfftw3-dev libopenmpi-dev openmpi-bin clang libclang-rt-14-dev libonnx-testdata g++"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "fusor: missing Debian packages:$missing" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
echo "fusor: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends $missing >&2
