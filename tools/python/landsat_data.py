#!/usr/bin/env python3
"""landsat_data.py — the Landsat demo/training data: unpacks Debian's r-cran-satellite package (public-domain USGS
Landsat crops of path 195 row 25) and turns its GeoTIFFs into Wald's-protocol reduced-resolution sets with fusor's
own `fusor simulate`, so that training (Python) and evaluation (C) see the same degraded data.

Scenes (extdata/, each 41x41 MS pixels at 30 m and 82x82 PAN pixels at 15 m, UTM 32N):
  L8: LC08_L1TP_195025_20130707 (Landsat 8 OLI, 16-bit scaled DN): MS B2,B3,B4,B5 (blue, green, red, NIR), PAN B8
  L7: LE07_L1TP_195025_20010730 (Landsat 7 ETM+, 8-bit DN):         MS B1,B2,B3,B4 (blue, green, red, NIR), PAN B8
The MS grid centre of pixel j lies on PAN pixel 2j+1 (geotransforms: MS origin x 483285, PAN 483277.5 = 7.5 m = half a
PAN pixel to the west, and likewise north), which is the sample phase interp23tap.m uses for ratio 2 (it puts MS sample
j at 0-based position 2j+1 of the upsampled grid): no resampling shift is needed (docs/DEMO.md).

Usage as a module: extdata = unpack(deb, dest); sets = simulate(fusor, extdata, work_dir) -> dict of numpy sets.
Usage as a script: landsat_data.py --deb FILE.deb --fusor build/fusor --work DIR   (prints the sets' shapes)
"""
import argparse
import os
import subprocess
import sys

import numpy as np

PREFIX = {"L8": "LC08_L1TP_195025_20130707_20170503_01_T1", "L7": "LE07_L1TP_195025_20010730_20170204_01_T1"}
MS_BANDS = {"L8": ["B2", "B3", "B4", "B5"], "L7": ["B1", "B2", "B3", "B4"]}
SCALE = {"L8": 65535.0, "L7": 255.0}  # normalisation: OLI L1 DN are 16-bit scaled, ETM+ L1 DN 8-bit
RATIO = 2
HOLDOUT = 3  # index of the held-out crop in the L8 --crop 20 set: the bottom-right quadrant (reduced-resolution rows/cols 20..39)


def unpack(deb, dest):
    """Extracts the .deb into dest with dpkg-deb -x; returns the satellite/extdata folder."""
    ext = os.path.join(dest, "usr/lib/R/site-library/satellite/extdata")
    if not os.path.isdir(ext):
        os.makedirs(dest, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", deb, dest], check=True)
    if not os.path.isdir(ext):
        sys.exit("%s: no usr/lib/R/site-library/satellite/extdata inside; expected Debian's r-cran-satellite" % deb)
    return ext


def band_files(extdata, sensor):
    """(MS band list 'a.TIF,b.TIF,...', PAN file) of a scene."""
    p = os.path.join(extdata, PREFIX[sensor])
    return ",".join("%s_%s.TIF" % (p, b) for b in MS_BANDS[sensor]), "%s_B8.TIF" % p


def run_simulate(fusor, extdata, sensor, out, crop):
    """fusor simulate of a whole scene (trimmed to 40x40 MS) into out with crop x crop tiles."""
    ms, pan = band_files(extdata, sensor)
    subprocess.run([fusor, "simulate", "--ms", ms, "--pan", pan, "--sensor", sensor, "--ratio", str(RATIO), "--trim",
                    "--crop", str(crop), "-o", out, "--force"], check=True, stdout=subprocess.DEVNULL)


def read_set(path):
    """dict gt/ms/lms/pan -> float64 N x C x H x W arrays of a PanCollection HDF5 file."""
    import h5py
    with h5py.File(path, "r") as f:
        return {k: np.array(f[k], dtype=np.float64) for k in ("gt", "ms", "lms", "pan")}


def simulate(fusor, extdata, work):
    """Whole-scene reduced-resolution sets of L7 and L8 (40x40 gt) plus the L8 quadrant set whose crop HOLDOUT is the
    evaluation region. Returns {"L7": set, "L8": set, "L8q": set} and writes the .h5 files into work."""
    os.makedirs(work, exist_ok=True)
    out = {}
    for name, sensor, crop in (("L7", "L7", 40), ("L8", "L8", 40), ("L8q", "L8", 20)):
        path = os.path.join(work, "%s_rr.h5" % name)
        run_simulate(fusor, extdata, sensor, path, crop)
        out[name] = read_set(path)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", required=True)
    ap.add_argument("--fusor", default="build/fusor")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    ext = unpack(a.deb, os.path.join(a.work, "deb"))
    for k, v in simulate(a.fusor, ext, a.work).items():
        print(k, {n: x.shape for n, x in v.items()})


if __name__ == "__main__":
    main()
