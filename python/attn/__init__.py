"""attn: attention kernels compiled from one spec, on PyTorch tensors.

    import attn
    o = attn.attention(q, k, v, causal=True)

attn.attention / attn.linear_attention build a spec from the call, compile
it once (per spec and device type) with attn's MLIR pipelines and run it on
the tensors in place; attn.compile takes a spec written in the attn dialect.
Forward only: backward raises NotImplementedError.
"""
from ._kernel import Kernel, num_compilations, num_disk_cache_hits
from ._kernel import compile_text as _compile_text
from ._lib import AttnError
from .ops import attention, linear_attention


def compile(spec_text, device="cpu", func_name=None, cpu=None):
    """Compiles MLIR text holding an attn spec for `device`'s target ("cpu"
    or a CUDA device). cpu: an LLVM CPU name for the CPU target (e.g.
    "x86-64-v3"), default the host. Returns a Kernel: call it with the
    function's arguments."""
    return _compile_text(spec_text, device, func_name, cpu)


__all__ = ["AttnError", "Kernel", "attention", "compile", "linear_attention",
           "num_compilations", "num_disk_cache_hits"]
