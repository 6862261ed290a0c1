"""safetensors_io.py — a tiny numpy reader/writer for safetensors files (no `safetensors` package needed).

Format (huggingface/safetensors): u64 little-endian header length N, then N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the raw
little-endian tensor bytes (offsets relative to the end of the header).

read(path)                  -> (tensors: dict name -> np.ndarray, metadata: dict str -> str)
write(path, tensors, meta)  writes a file; numpy float32/float16/float64/int*/uint8/uint16/bool arrays.
F16 is read as float16; BF16, F8_E4M3 and F8_E5M2 are widened to float32 (numpy has no such dtypes);
write(..., dtypes={name: "BF16"}) stores a float array as BF16 (round to nearest even).
"""
import json
import os
import struct

import numpy as np

_NP = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8,
    "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8, "BOOL": np.bool_,
}
_SIZE = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}


def _f8_table(exp_bits, man_bits, bias, e4m3):
    """float32[256]: the value of every FP8 byte (E4M3 'fn': no inf, 0x7f/0xff NaN; E5M2: IEEE-like)."""
    t = np.zeros(256, np.float32)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e = (b >> man_bits) & ((1 << exp_bits) - 1)
        m = b & ((1 << man_bits) - 1)
        if e4m3 and e == 15 and m == 7:
            v = np.nan
        elif not e4m3 and e == 31:
            v = np.inf if m == 0 else np.nan
        elif e == 0:
            v = m / (1 << man_bits) * 2.0 ** (1 - bias)
        else:
            v = (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)
        t[b] = s * v
    return t


_F8 = {"F8_E4M3": _f8_table(4, 3, 7, True), "F8_E5M2": _f8_table(5, 2, 15, False)}


def _decode(dtype, raw, shape):
    """np.ndarray of `shape` from the raw little-endian bytes of one tensor."""
    if dtype in _NP:
        return np.frombuffer(raw, dtype=np.dtype(_NP[dtype]).newbyteorder("<")).reshape(shape).copy()
    if dtype == "BF16":
        u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return u.view(np.float32).reshape(shape).copy()
    if dtype in _F8:
        return _F8[dtype][np.frombuffer(raw, dtype=np.uint8)].reshape(shape)
    raise ValueError("unsupported safetensors dtype %r" % dtype)


def read(path):
    """Reads a safetensors file: (dict name -> np.ndarray, dict metadata); raises ValueError naming the problem."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("%s: %d bytes; a safetensors file starts with an 8-byte header length" % (path, len(blob)))
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError("%s: header length %d exceeds the file (%d bytes)" % (path, n, len(blob)))
    hdr = json.loads(blob[8:8 + n].decode("utf-8"))
    body = memoryview(blob)[8 + n:]
    meta = hdr.pop("__metadata__", {}) or {}
    out = {}
    for name, d in hdr.items():
        b, e = d["data_offsets"]
        shape = tuple(int(s) for s in d["shape"])
        count = int(np.prod(shape)) if shape else 1
        size = _SIZE.get(d["dtype"]) or np.dtype(_NP.get(d["dtype"], np.uint8)).itemsize
        if d["dtype"] not in _NP and d["dtype"] not in _SIZE:
            raise ValueError("%s: tensor %r has unsupported dtype %r" % (path, name, d["dtype"]))
        if not (0 <= b <= e <= len(body)) or e - b != count * size:
            raise ValueError("%s: tensor %r: data_offsets %s do not match shape %s dtype %s" % (path, name, [b, e], list(shape), d["dtype"]))
        out[name] = _decode(d["dtype"], bytes(body[b:e]), shape)
    return out, meta


def _np_dtype_name(a):
    for k, v in _NP.items():
        if a.dtype == np.dtype(v):
            return k
    raise ValueError("cannot store numpy dtype %s in safetensors" % a.dtype)


def write(path, tensors, metadata=None, dtypes=None):
    """Writes tensors (dict name -> array-like) and string metadata to path (atomically: tmp file + rename).
    dtypes may map a name to "BF16" to store that float tensor as bfloat16."""
    dtypes = dtypes or {}
    hdr, chunks, off = {}, [], 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        if dtypes.get(name) == "BF16":
            u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
            raw, dt = u.tobytes(), "BF16"
        else:
            dt = _np_dtype_name(a)
            raw = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        hdr[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    if metadata:
        hdr["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(hdr, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)
