"""st_io.py — torch adapters over fusor_ref.safetensors_io (the one numpy safetensors reader/writer).

write(path, tensors, metadata): tensors {name: torch.Tensor} stored as their dtype (F32, F16, I32, ...);
metadata {str: str} goes to __metadata__ (fusor.arch, fusor.hparams as a JSON string).
read(path) -> ({name: float32 (or int32) torch tensor}, metadata).
"""
import numpy as np
import torch

from . import safetensors_io


def write(path, tensors, metadata=None):
    """Writes {name: tensor} (+ string metadata) as a safetensors file (atomically)."""
    safetensors_io.write(path, {k: v.detach().cpu().contiguous().numpy() for k, v in tensors.items()}, metadata)


def read(path):
    """Reads a safetensors file -> ({name: float32/int32 torch tensor}, metadata dict)."""
    arrays, meta = safetensors_io.read(path)
    out = {}
    for name, a in arrays.items():
        out[name] = torch.from_numpy(np.array(a, dtype=np.int32 if a.dtype == np.int32 else np.float32))
    return out, meta
