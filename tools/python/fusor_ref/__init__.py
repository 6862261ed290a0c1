"""fusor_ref — fusor's own PyTorch reference implementations (for goldens and training; never needed at run time).

safetensors_io: numpy safetensors reader/writer.  ssnet: SSDiff's SSNet and its improved-diffusion sampler.
Other modules (otfm, condunet, sb, ...): the PAN-OTFM and Schrödinger-bridge references (their own docstrings).
"""
