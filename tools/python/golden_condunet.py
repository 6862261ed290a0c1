"""golden_condunet.py — makes tests/golden/condunet_random.safetensors (a random-weight PAN-OTFM / condunet
model, arch pan_otfm) and tests/golden/otfm_parity.safetensors (inputs and reference outputs) from fusor's own
PyTorch reference (fusor_ref/condunet.py, fusor_ref/otfm.py). Synthetic inputs only (nothing from ../shared).

Run from the repository root:  /usr/bin/python3 tools/python/golden_condunet.py
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusor_ref import st_io  # noqa: E402
from fusor_ref.otfm import PanOTFM, sample  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden")


def main():
    torch.manual_seed(0)
    C = 4
    model = PanOTFM(C, width=8, levels=3, blocks=2, groups=4, attn=1, heads=2, ch_mult=[1, 2, 2], source_noise=0.02)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:  # GroupNorm affine away from (1, 0) so the test sees it
                p.copy_((1 + 0.2 * torch.randn(p.shape, generator=g)) if name.endswith("weight") else 0.1 * torch.randn(p.shape, generator=g))
        model.net.out_conv.weight.mul_(0.5)
        for p in model.parameters():  # exact in f16: stored as F16, run as these values
            p.copy_(p.half().float())
    model.eval()
    g = torch.Generator().manual_seed(2)
    H = W = 32
    ms = 0.15 + 0.7 * F.avg_pool2d(torch.rand(1, C, 2 * H // 4, 2 * W // 4, generator=g), 2)
    lms = (F.interpolate(ms, scale_factor=4, mode="bicubic", align_corners=False) + 0.02 * torch.randn(1, C, H, W, generator=g)).clamp(0, 1)
    pan = (lms.mean(1, keepdim=True) + 0.1 * torch.randn(1, 1, H, W, generator=g)).clamp(0, 1)
    ms, lms, pan = ms.half().float(), lms.half().float(), pan.half().float()
    # batch of two: image 1 = image 0 mirrored left-right
    b2 = lambda t: torch.cat([t, t.flip(-1)], 0)
    x_t = torch.randn(2, C, H, W, generator=g).half().float()
    s = torch.tensor([0.0, 0.3705])
    with torch.no_grad():
        fwd = model(x_t, b2(lms), b2(pan), s)
        x0 = model.source(lms, torch.randn(1, C, H, W, generator=g))  # an injected start state (lms + noise)
        e4 = sample(model, x0, lms, pan, steps=4, method="euler")
        o1 = sample(model, x0, lms, pan, steps=1, method="euler")
    sd = {k: v.half() for k, v in model.state_dict().items()}
    hp = model.hparams(scale=2047)
    st_io.write(os.path.join(OUT, "condunet_random.safetensors"), sd,
                {"fusor.arch": "pan_otfm", "fusor.hparams": json.dumps(hp, separators=(",", ":"))})
    st_io.write(os.path.join(OUT, "otfm_parity.safetensors"),
                {"ms": ms, "lms": lms, "pan": pan, "fwd.x_t": x_t, "fwd.s": s, "fwd.out": fwd,
                 "start.x0": x0, "euler4.out": e4, "onestep.out": o1})
    print("params", sum(p.numel() for p in model.parameters()), "hparams", hp)
    print("fwd |out| max %.3g, euler4 range %.3g..%.3g" % (fwd.abs().max(), e4.min(), e4.max()))


if __name__ == "__main__":
    main()
