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
