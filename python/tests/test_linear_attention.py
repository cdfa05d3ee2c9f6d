"""attn.linear_attention against the fp64 reference, on the CPU and the
GPU (the `device` fixture)."""
import pytest
import torch

import attn
from attn.reference import reference_linear_attention
from conftest import close, on


def check(q, k, v, device, **kw):
    out = on("cpu", attn.linear_attention(
        *on(device, (q, k, v)), **{n: on(device, a) for n, a in kw.items()}))
    close(out, reference_linear_attention(q, k, v, **kw), q.dtype)


@pytest.mark.parametrize("feature_map", ["elu_plus_one", "relu", "softmax"])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("lq,lk", [(1, 1), (63, 65), (1000, 1000)])
def test_feature_maps(rand, device, feature_map, causal, lq, lk):
    q, k, v = rand(2, 4, lq, 32), rand(2, 2, lk, 32), rand(2, 2, lk, 32)
    check(q, k, v, device, feature_map=feature_map, causal=causal)


@pytest.mark.parametrize("causal", [False, True])
def test_projected_maps(rand, device, causal):
    q, k, v = rand(2, 2, 65, 32), rand(2, 2, 65, 32), rand(2, 2, 65, 32)
    proj = rand(48, 32) / 32 ** 0.5
    check(q * 0.5, k * 0.5, v, device, feature_map="favor_plus", projection=proj,
          causal=causal)
    check(q, k, v, device, feature_map="relu", projection=proj, causal=causal)


def test_bf16_bshd_and_mixed_heads(rand, device):
    q, k, v = (rand(2, 63, 6, 64, dtype=torch.bfloat16),
               rand(2, 63, 6, 64, dtype=torch.bfloat16),
               rand(2, 63, 6, 64, dtype=torch.bfloat16))
    check(q, k, v, device, layout="bshd", causal=True, local_heads=2, local_window=9)


def test_repeated_calls_with_other_options(rand, device):
    # Eager calls remember their kernel by what the spec depends on: the
    # same tensors with another option must get another kernel.
    q, k, v = rand(1, 2, 40, 32), rand(1, 2, 40, 32), rand(1, 2, 40, 32)
    proj, proj2 = rand(16, 32) / 32 ** 0.5, rand(24, 32) / 32 ** 0.5
    for kw in ({}, {"causal": True}, {"feature_map": "relu"},
               {"feature_map": "relu", "kernel_eps": 0.25}, {"eps": 0.5},
               {"feature_map": "relu", "projection": proj},
               {"feature_map": "relu", "projection": proj2},
               {"local_heads": 1, "local_window": 5}, {}):
        check(q, k, v, device, **kw)
