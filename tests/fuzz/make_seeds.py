#!/usr/bin/env python3
"""Writes the fuzz seed corpus (tests/fuzz/corpus/) with the Python standard library only.

Seeds are tiny valid files of the two formats fusor reads, built by hand the way torch.save and
the safetensors library lay them out, plus one hostile .pth (a `posix system` GLOBAL) that the
CLI tests use to check refusal. Deterministic: running it twice gives identical files.
Usage: python3 tests/fuzz/make_seeds.py   (from the repository root)
"""
import json
import os
import struct
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def st_file(tensors, metadata=None, pretty=False):
    """safetensors bytes: tensors = [(name, dtype, shape, raw bytes)] laid out in order."""
    header, data, off = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, indent=1 if pretty else None, separators=None if pretty else (",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


class P:
    """A pickle written opcode by opcode (protocol 2, as torch.save emits it)."""

    def __init__(self, proto=2):
        self.b = bytearray(b"\x80" + bytes([proto]))
        self.memo = 0

    def op(self, c):
        self.b += c if isinstance(c, bytes) else bytes([c])
        return self

    def put(self):  # BINPUT / LONG_BINPUT the top of stack
        self.b += (b"q" + bytes([self.memo])) if self.memo < 256 else (b"r" + struct.pack("<I", self.memo))
        self.memo += 1
        return self

    def s(self, text):
        raw = text.encode()
        return self.op(b"X" + struct.pack("<I", len(raw)) + raw)

    def i(self, v):
        if 0 <= v < 256:
            return self.op(b"K" + bytes([v]))
        if 0 <= v < 65536:
            return self.op(b"M" + struct.pack("<H", v))
        return self.op(b"J" + struct.pack("<i", v))

    def g(self, mod, name):
        return self.op(b"c" + mod.encode() + b"\n" + name.encode() + b"\n")

    def odict(self):
        return self.g("collections", "OrderedDict").op(b")R")

    def tensor(self, stype, key, numel, off, size, stride):
        self.g("torch._utils", "_rebuild_tensor_v2").op(b"((").s("storage").g("torch", stype).s(key).s("cpu").i(numel).op(b"tQ")
        self.i(off).op(b"(")
        for v in size:
            self.i(v)
        self.op(b"t(")
        for v in stride:
            self.i(v)
        return self.op(b"t\x89").odict().op(b"tR").put()


def zip_bytes(folder, pickle, storages, path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        def add(name, data):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, data)
        add("data.pkl", bytes(pickle))
        add("byteorder", b"little")
        for key, raw in storages.items():
            add(f"data/{key}", raw)
        add("version", b"3\n")


def state_dict_pickle():
    p = P().odict().put().op(b"(")
    p.s("conv.weight").put().tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1])
    p.s("conv.weight_t").put().tensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3])
    p.s("conv.bias").put().tensor("FloatStorage", "1", 2, 0, [2], [1])
    p.s("alias.bias").put().tensor("FloatStorage", "1", 2, 1, [1], [1])
    p.s("half").put().tensor("HalfStorage", "2", 2, 0, [2], [1])
    p.s("steps").put().tensor("LongStorage", "3", 1, 0, [], [])
    p.op(b"u")
    p.op(b"}").put().s("_metadata").odict().put().op(b"(").s("").op(b"}").s("version").i(1).op(b"su").op(b"sb.")
    return p.b


def main():
    os.makedirs(f"{ROOT}/safetensors", exist_ok=True)
    os.makedirs(f"{ROOT}/pth", exist_ok=True)
    f32 = struct.pack("<6f", 1.5, -2.25, 3.0, 0.5, 0.0, -1.0)
    with open(f"{ROOT}/safetensors/tiny.safetensors", "wb") as f:
        f.write(st_file([("w", "F32", [2, 3], f32), ("u", "U8", [3], b"\x00\xff\x11")],
                        {"fusor.arch": "demo", "fusor.hparams": "{\"channels\":32}"}))
    kinds = [("F64", 8), ("I64", 8), ("U64", 8), ("F32", 4), ("I32", 4), ("U32", 4), ("F16", 2), ("BF16", 2),
             ("I16", 2), ("U16", 2), ("I8", 1), ("U8", 1), ("BOOL", 1), ("F8_E4M3", 1), ("F8_E5M2", 1)]
    ts = [(f"t_{d}", d, [1, 2], bytes(range(7, 7 + 2 * sz))) for d, sz in kinds]
    ts += [("scalar", "F32", [], f32[:4]), ("empty", "F32", [0, 4], b"")]
    with open(f"{ROOT}/safetensors/dtypes.safetensors", "wb") as f:
        f.write(st_file(ts, pretty=True))
    storages = {"0": f32, "1": struct.pack("<2f", 0.25, -4.0), "2": struct.pack("<2e", 1.0, -2.0), "3": struct.pack("<q", 1000)}
    sd = state_dict_pickle()
    zip_bytes("archive", sd, storages, f"{ROOT}/pth/tiny.pth")
    with open(f"{ROOT}/pth/state_dict.pkl", "wb") as f:  # raw pickle: fuzz_pth's unpickler mode
        f.write(sd)
    wrap = P().op(b"}").put().op(b"(").s("epoch").i(3).s("state_dict").odict().put().op(b"(")
    wrap.s("w").put().tensor("FloatStorage", "0", 6, 0, [6], [1]).op(b"u").s("opt").op(b"}").i(0).op(b"N").op(b"s").op(b"u.")
    zip_bytes("final", wrap.b, {"0": f32}, f"{ROOT}/pth/nested.pth")
    p4 = bytearray(b"\x80\x04\x95") + struct.pack("<Q", 0)  # protocol 4 framing, MEMOIZE, STACK_GLOBAL
    p4 += b"\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01a\x94"
    tail = P()
    tail.b = bytearray()
    tail.memo = 8  # after the MEMOIZE slots above
    tail.tensor("FloatStorage", "0", 6, 0, [6], [1])
    p4 += tail.b + b"u."
    with open(f"{ROOT}/pth/proto4.pkl", "wb") as f:
        f.write(p4)
    evil = P().g("posix", "system").s("echo pwned").op(b"\x85R.")
    zip_bytes("archive", evil.b, {}, f"{ROOT}/pth/evil_posix_system.pth")


if __name__ == "__main__":
    main()
