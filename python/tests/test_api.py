"""Errors, written specs, torch.compile and the Kernel object."""
import pathlib

import pytest
import torch

import attn
from attn.reference import reference_linear_attention
from conftest import close

# CPU tensors throughout: skipped where libattn_c has only the CUDA target.
pytestmark = pytest.mark.skipif("not __import__('conftest').cpu_target_built()",
                                reason="libattn_c without the CPU target")

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_bad_calls_raise_with_the_verifiers_message(rand):
    q, k, v = rand(1, 4, 8, 64), rand(1, 4, 8, 64), rand(1, 4, 8, 64)
    with pytest.raises(attn.AttnError, match=r"shape \[1, 4, 8, 32\]"):
        attn.attention(q, k[..., :32], v)
    with pytest.raises(attn.AttnError, match="dtype torch.float64"):
        attn.attention(q.double(), k.double(), v.double())
    with pytest.raises(attn.AttnError, match="causal 'diagonal'"):
        attn.attention(q, k, v, causal="diagonal")
    with pytest.raises(attn.AttnError, match="3 dims"):
        attn.attention(q[0], k, v)
    with pytest.raises(attn.AttnError, match="divisible|multiple|group"):
        attn.attention(q, rand(1, 3, 8, 64), rand(1, 3, 8, 64))
    with pytest.raises(attn.AttnError, match="window"):
        attn.attention(q, k, v, global_tokens=torch.ones(1, 8, dtype=torch.bool))
    with pytest.raises(attn.AttnError, match="rotary style 'neox'"):
        attn.attention(q, k, v, rotary=("neox", 64, 1e4))
    with pytest.raises(attn.AttnError, match="rotary dim = 96"):
        attn.attention(q, k, v, rotary=("half_split", 96, 1e4))
    with pytest.raises(attn.AttnError, match=r"\(style, dim, theta\)"):
        attn.attention(q, k, v, rotary="half_split")


def test_backward_is_not_implemented_yet(rand):
    q = rand(1, 2, 8, 16).requires_grad_()
    o = attn.attention(q, rand(1, 2, 8, 16), rand(1, 2, 8, 16))
    with pytest.raises(NotImplementedError, match="backward"):
        o.sum().backward()


def test_compile_a_written_spec_and_run_into_poisoned_results(rand):
    kernel = attn.compile((EXAMPLES / "linear_elu.mlir").read_text())
    q, k, v = rand(2, 8, 77, 64), rand(2, 8, 77, 64), rand(2, 8, 77, 64)
    out = torch.full((2, 8, 77, 64), float("nan"))
    kernel.run([q, k, v], [out])
    close(out, reference_linear_attention(q, k, v, causal=True), torch.float32)
    with pytest.raises(attn.AttnError, match="expected 3 arguments|3 arguments|argument"):
        kernel(q, k)
    with pytest.raises(attn.AttnError):
        attn.compile("func.func @f() { return }")


def test_torch_compile_keeps_the_op_in_one_graph(rand):
    q, k, v = rand(2, 4, 40, 32), rand(2, 4, 40, 32), rand(2, 4, 40, 32)

    def layer(q, k, v):
        o = attn.attention(q * 2, k, v, causal=True)
        return attn.linear_attention(o, k, v) + 1

    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(q, k, v), layer(q, k, v))


def _in_new_process(code, cache_dir):
    import os
    import subprocess
    import sys
    env = dict(os.environ, ATTN_CACHE_DIR=str(cache_dir))
    return subprocess.Popen([sys.executable, "-c", code], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


_SECOND_PROCESS = """
import time, torch, attn
q = torch.randn(1, 3, 50, 48)
t = time.perf_counter()
o = attn.attention(q, q, q, causal=True, scale=0.31)
ms = (time.perf_counter() - t) * 1e3
ref = attn.reference.reference_attention(q, q, q, causal=True, scale=0.31)
assert (o.double() - ref).abs().max() < 1e-4
print(attn.num_compilations(), attn.num_disk_cache_hits(), ms)
"""


def test_disk_cache_serves_a_second_process(tmp_path):
    import attn.reference  # noqa: F401 (the subprocess imports it too)
    # Two processes compiling the same spec at once: both work, and one
    # entry is left whole.
    runs = [_in_new_process(_SECOND_PROCESS.replace("import time",
                                                    "import attn.reference, time"),
                            tmp_path) for _ in range(2)]
    for p in runs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert len(list(tmp_path.glob("*.kernel"))) == 1
    # The next process loads it instead of compiling.
    p = _in_new_process(_SECOND_PROCESS.replace("import time",
                                                "import attn.reference, time"),
                        tmp_path)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    compiled, hits, ms = out.split()
    assert (int(compiled), int(hits)) == (1, 1)
