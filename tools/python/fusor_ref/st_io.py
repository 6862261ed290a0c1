"""st_io.py — minimal safetensors writer/reader for fusor's Python tools (no `safetensors` package needed).

write(path, tensors, metadata): tensors {name: torch.Tensor} stored as their dtype (float32 -> F32,
float16 -> F16); metadata {str: str} goes to __metadata__ (fusor.arch, fusor.hparams as a JSON string).
The header is padded with spaces to a multiple of 8 bytes, tensors are laid out in name order.
"""
import json
import struct

import numpy as np
import torch

_DT = {torch.float32: ("F32", np.float32), torch.float16: ("F16", np.float16), torch.int32: ("I32", np.int32)}
_RD = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "F64": np.float64}


def write(path, tensors, metadata=None):
    """Writes {name: tensor} (+ string metadata) as a safetensors file."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        code, npdt = _DT[t.dtype]
        b = t.numpy().astype(npdt, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    """Reads a safetensors file -> ({name: float32/int32 torch tensor}, metadata dict)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, d in header.items():
        a, b = d["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=_RD[d["dtype"]]).reshape(d["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32 if d["dtype"] != "I32" else np.int32))
    return out, meta
