"""The same calls on CUDA tensors (skipped without a GPU): the kernels take
device pointers and run on the current stream."""
import pytest
import torch
import torch.nn.functional as F

import attn
from attn.reference import reference_attention, reference_linear_attention
from conftest import close

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device")


def cuda(*tensors):
    return [t.cuda() for t in tensors]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("causal", [False, True])
def test_attention(rand, dtype, causal):
    q, k, v = (rand(2, 8, 1000, 128, dtype=dtype), rand(2, 2, 1000, 128, dtype=dtype),
               rand(2, 2, 1000, 128, dtype=dtype))
    out = attn.attention(*cuda(q, k, v), causal=causal)
    assert out.is_cuda
    close(out.cpu(), reference_attention(q, k, v, causal=causal), dtype)


def test_window_mask_and_lse(rand):
    q, k, v = (rand(1, 4, 333, 64, dtype=torch.bfloat16) for _ in range(3))
    o, lse = attn.attention(*cuda(q, k, v), window=(63, 0), return_lse=True)
    ref, ref_lse = reference_attention(q, k, v, window=(63, 0), return_lse=True)
    close(o.cpu(), ref, torch.bfloat16)
    assert (lse.cpu().double() - ref_lse).abs().max() < 1e-2


def test_linear_attention(rand):
    q, k, v = (rand(2, 4, 4097, 64, dtype=torch.bfloat16) for _ in range(3))
    for causal in (False, True):
        out = attn.linear_attention(*cuda(q, k, v), causal=causal)
        close(out.cpu(), reference_linear_attention(q, k, v, causal=causal),
              torch.bfloat16)


def test_runs_on_the_current_stream(rand):
    q, k, v = cuda(*(rand(2, 8, 512, 64, dtype=torch.bfloat16) for _ in range(3)))
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        out = attn.attention(q, k, v, causal=True)
    stream.synchronize()
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert (out - ref).abs().max().item() < 2e-2


def test_mixed_devices_are_an_error(rand):
    q = rand(1, 2, 8, 64)
    with pytest.raises(attn.AttnError, match="different devices"):
        attn.attention(q.cuda(), q, q)


_NEW_PROCESS = """
import torch, attn
q = torch.randn(1, 3, 50, 64, device="cuda", dtype=torch.bfloat16)
o = attn.attention(q, q, q, causal=True)
ref = torch.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)
assert (o - ref).abs().max().item() < 2e-2
print(attn.num_compilations(), attn.num_disk_cache_hits())
"""


def test_disk_cache_serves_a_second_process(tmp_path):
    import os
    import subprocess
    import sys
    env = dict(os.environ, ATTN_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", _NEW_PROCESS], env=env,
                           capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert [r.stdout.split() for r in runs] == [["1", "0"], ["1", "1"]]
    assert len(list(tmp_path.glob("*.kernel"))) == 1
