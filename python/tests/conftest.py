import functools

import pytest
import torch


def pytest_configure(config):
    torch.manual_seed(0)


def close(out, ref, dtype):
    """The kernel's output against the fp64 reference: the largest error
    relative to the reference's largest magnitude (at least 1)."""
    tol = 1e-4 if dtype == torch.float32 else 1.5e-2
    assert out.dtype == dtype
    assert out.shape == ref.shape
    assert torch.isfinite(out).all()
    err = (out.double() - ref).abs().max().item()
    scale = max(1.0, ref.abs().max().item())
    assert err <= tol * scale, f"error {err:.3g} > {tol * scale:.3g}"


@pytest.fixture
def rand():
    gen = torch.Generator().manual_seed(1)

    def make(*shape, dtype=torch.float32):
        return torch.randn(*shape, generator=gen).to(dtype)
    return make


@functools.lru_cache(None)
def cpu_target_built():
    """Whether libattn_c has the CPU target (the GPU hosts' static build
    has only CUDA)."""
    import attn
    try:
        attn.compile("""
func.func @f(%q: tensor<?x1x?x8xf32>) -> tensor<?x1x?x8xf32> {
  %o = attn.attention %q, %q, %q : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>,
      tensor<?x1x?x8xf32> -> tensor<?x1x?x8xf32>
  return %o : tensor<?x1x?x8xf32>
}""")
    except attn.AttnError as e:
        if "not built" in str(e):
            return False
        raise
    return True


def _devices():
    return [pytest.param("cpu", marks=pytest.mark.skipif(
                "not __import__('conftest').cpu_target_built()",
                reason="libattn_c without the CPU target")),
            pytest.param("cuda", marks=pytest.mark.skipif(
                not torch.cuda.is_available(), reason="no CUDA device"))]


@pytest.fixture(params=_devices())
def device(request):
    """Each test of the variant suites runs on the CPU and, where there is
    one, on the GPU (its inputs moved there, results compared on the CPU)."""
    return request.param


def on(device, x):
    """x (a tensor, or a tuple or list of them, or anything else) on
    `device`."""
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, (tuple, list)):
        return type(x)(on(device, y) for y in x)
    return x
