#!/usr/bin/env python3
"""split_crops.py — copies images [first, last) of a PanCollection HDF5 set (every dataset's first axis: gt, ms,
lms, pan) into a new HDF5 file, e.g. the held-out crops 15..24 of wv2_crops64.h5 for `fusor sample --index` and
`fusor eval --ref`:

  /usr/bin/python3 tools/python/split_crops.py /work/data/wv2_crops64.h5 15 25 /tmp/heldout.h5
"""
import sys

import h5py


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: split_crops.py IN.h5 FIRST LAST OUT.h5  (images FIRST..LAST-1)")
    src, a, b, dst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with h5py.File(src, "r") as f:
        n = {k: f[k].shape[0] for k in f if isinstance(f[k], h5py.Dataset)}
        if not n:
            sys.exit("%s: no datasets" % src)
        if not (0 <= a < b <= min(n.values())):
            sys.exit("%s: images [%d, %d) outside 0..%d (datasets %s)" % (src, a, b, min(n.values()), n))
        with h5py.File(dst, "w") as o:
            for k in n:
                o.create_dataset(k, data=f[k][a:b])
    print("%s: images %d..%d of %s (%s)" % (dst, a, b - 1, src, ", ".join(sorted(n))))


if __name__ == "__main__":
    main()
