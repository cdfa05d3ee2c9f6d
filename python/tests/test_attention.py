"""attn.attention against the fp64 reference and SDPA, on the CPU and the
GPU (the `device` fixture)."""
import pytest
import torch
import torch.nn.functional as F

import attn
from attn.reference import reference_attention
from conftest import close, on

AWKWARD = [(1, 1), (63, 65), (65, 63), (100, 257), (4, 300)]


def check(q, k, v, device, **kw):
    out = on("cpu", attn.attention(*on(device, (q, k, v)),
                                   **{n: on(device, a) for n, a in kw.items()}))
    ref = reference_attention(q, k, v, **kw)
    if kw.get("return_lse"):
        close(out[0], ref[0], q.dtype)
        o_lse, r_lse = out[1], ref[1]
        finite = torch.isfinite(r_lse)
        assert torch.equal(torch.isfinite(o_lse), finite)
        assert (o_lse.double()[finite] - r_lse[finite]).abs().max() < 1e-3
    else:
        close(out, ref, q.dtype)
    return out


@pytest.mark.parametrize("lq,lk", AWKWARD)
@pytest.mark.parametrize("causal", [False, "bottom_right", "top_left"])
def test_plain_and_causal(rand, device, lq, lk, causal):
    q, k, v = rand(2, 3, lq, 64), rand(2, 3, lk, 64), rand(2, 3, lk, 64)
    check(q, k, v, device, causal=causal)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_gqa_lse(rand, device, dtype):
    q, k, v = (rand(2, 8, 65, 64, dtype=dtype), rand(2, 2, 63, 64, dtype=dtype),
               rand(2, 2, 63, 64, dtype=dtype))
    check(q, k, v, device, causal=True, return_lse=True)


def test_window_bshd_and_scale(rand, device):
    q, k, v = rand(2, 100, 4, 32), rand(2, 100, 2, 32), rand(2, 100, 2, 48)
    check(q, k, v, device, window=(7, 0), layout="bshd", scale=0.3)


def test_key_padding_documents_global_tokens(rand, device):
    B, H, L = 3, 2, 70
    q, k, v = rand(B, H, L, 64), rand(B, H, L, 64), rand(B, H, L, 64)
    check(q, k, v, device, kv_lengths=torch.tensor([70, 1, 33], dtype=torch.int32))
    docs = torch.sort(torch.randint(0, 4, (B, L), dtype=torch.int32))[0]
    check(q, k, v, device, documents=(docs, docs), causal=True)
    glob = torch.zeros(B, L, dtype=torch.bool)
    glob[:, 0] = True
    glob[1, 37] = True
    check(q, k, v, device, window=(4, 4), global_tokens=glob)


def test_repeated_calls_with_other_options(rand, device):
    # Eager calls remember their kernel by what the spec depends on: the
    # same tensors with another option must get another kernel.
    q, k, v = rand(1, 2, 40, 32), rand(1, 2, 40, 32), rand(1, 2, 40, 32)
    lengths = torch.tensor([17], dtype=torch.int32)
    for kw in ({}, {"causal": True}, {"causal": "top_left"}, {"scale": 0.5},
               {"window": (3, 0)}, {"window": (3, 2)}, {"kv_lengths": lengths},
               {"causal": True, "kv_lengths": lengths}, {}):
        check(q, k, v, device, **kw)
    check(q.half(), k.half(), v.half(), device, causal=True)


def test_mask_with_fully_masked_rows_and_bias(rand, device):
    q, k, v = rand(2, 4, 33, 64), rand(2, 4, 47, 64), rand(2, 4, 47, 64)
    mask = torch.rand(2, 1, 33, 47) > 0.5
    mask[:, :, 5] = False  # a row with no key: zeros, LSE -inf
    out = check(q, k, v, device, mask=mask, return_lse=True)
    assert (out[0][:, :, 5] == 0).all()
    check(q, k, v, device, bias=rand(1, 4, 33, 47))


def test_against_sdpa(rand, device):
    q, k, v = rand(2, 8, 129, 64), rand(2, 2, 129, 64), rand(2, 2, 129, 64)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                         enable_gqa=True)
    out = attn.attention(*on(device, (q, k, v)), causal="top_left").cpu()
    assert (out - ref).abs().max() < 1e-4
    mask = torch.rand(2, 8, 129, 129) > 0.3
    mask[..., 0] = True
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.2,
                                         enable_gqa=True)
    out = attn.attention(*on(device, (q, k, v)), mask=mask.to(device), scale=0.2)
    assert (out.cpu() - ref).abs().max() < 1e-4


def test_strided_inputs_no_copies(rand, device):
    # q, k, v as views of one packed [B, L, 3, H, D] buffer (nanoGPT's c_attn).
    qkv = rand(2, 50, 3, 4, 64)
    q, k, v = qkv.unbind(2)  # [B, L, H, D] views with outer strides
    check(q, k, v, device, layout="bshd", causal=True)


def test_kernels_are_cached_per_spec(rand, device):
    q, k, v = rand(1, 2, 10, 16), rand(1, 2, 10, 16), rand(1, 2, 10, 16)
    attn.attention(*on(device, (q, k, v)))
    before = attn.num_compilations()
    for L in (1, 7, 300):  # dynamic batch and lengths: the same kernel
        q, k, v = rand(3, 2, L, 16), rand(3, 2, L, 16), rand(3, 2, L, 16)
        check(q, k, v, device)
    assert attn.num_compilations() == before


@pytest.mark.parametrize("style", ["half_split", "interleaved"])
@pytest.mark.parametrize("lq,lk", [(65, 63), (3, 100)])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_rotary(rand, device, style, lq, lk, dtype):
    # Partial rotary (32 of 64), GQA, causal, a KV-cache offset (lq < lk)
    # and negative query positions (lq > lk). The kernels store turned q
    # and k in the input type (as RoPE in bf16 does), so the LSE is checked
    # in f32 only.
    q, k, v = (rand(2, 8, lq, 64, dtype=dtype), rand(2, 2, lk, 64, dtype=dtype),
               rand(2, 2, lk, 64, dtype=dtype))
    check(q, k, v, device, causal=True, rotary=(style, 32, 10000.0),
          return_lse=dtype == torch.float32)


def test_rotary_against_llama_rope_and_sdpa(rand, device):
    # transformers' LLaMA: apply_rotary_pos_emb (rotate_half) on q and k,
    # then SDPA; here in float64 against attn's fused rotary in float32.
    B, H, L, D, theta = 2, 4, 77, 64, 500000.0
    q, k, v = rand(B, H, L, D), rand(B, H, L, D), rand(B, H, L, D)
    inv = 1.0 / theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D)
    emb = torch.outer(torch.arange(L, dtype=torch.float64), inv)
    emb = torch.cat((emb, emb), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def rotate_half(x):
        return torch.cat((-x[..., D // 2:], x[..., :D // 2]), dim=-1)

    qr, kr = (x.double() * cos + rotate_half(x.double()) * sin for x in (q, k))
    ref = F.scaled_dot_product_attention(qr, kr, v.double(), is_causal=True)
    out = attn.attention(*on(device, (q, k, v)), causal=True,
                         rotary=("half_split", D, theta)).cpu()
    assert (out.double() - ref).abs().max() < 1e-4
