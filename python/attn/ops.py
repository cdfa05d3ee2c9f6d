"""attn.attention and attn.linear_attention on torch tensors, as
torch.library custom ops (with fake implementations, so torch.compile keeps
them in its graph). A spec is built from the call (static heads and head
dims, dynamic batch and lengths), compiled once per spec and device type,
and run on the caller's tensors without copies."""
import threading
from typing import List, Optional, Tuple

import torch

from . import _kernel
from . import _lib as L

_ELEMENT = {torch.float32: L.F32, torch.float16: L.F16, torch.bfloat16: L.BF16}
_LAYOUT = {"bhsd": 0, "bshd": 1}
_CAUSAL = {"none": 0, "bottom_right": 1, "top_left": 2}
_ROTARY = {"half_split": 1, "interleaved": 2}
_FEATURE_MAP = {"elu_plus_one": 0, "relu": 1, "favor_plus": 2, "softmax": 3}

_cache = {}
_cache_lock = threading.Lock()


def _kernel_for(spec, device):
    key = (type(spec).__name__, bytes(spec), torch.device(device).type)
    with _cache_lock:
        kernel = _cache.get(key)
    if kernel is None:
        kernel = _kernel.compile_spec(spec, device)
        with _cache_lock:
            kernel = _cache.setdefault(key, kernel)
    return kernel


def _choice(table, value, what):
    if value not in table:
        raise L.AttnError(f"attn: {what} {value!r} is not one of "
                          + ", ".join(repr(k) for k in table))
    return table[value]


def _dims(q, k, v, layout):
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.dim() != 4:
            raise L.AttnError(f"attn: {name} has {t.dim()} dims, not 4 "
                              f"({layout.upper()})")
    heads, length = (1, 2) if layout == "bhsd" else (2, 1)
    d = L.Dims()
    d.batch = d.q_len = d.kv_len = L.DYNAMIC
    d.q_heads, d.kv_heads = q.shape[heads], k.shape[heads]
    d.head_dim, d.value_dim = q.shape[3], v.shape[3]
    return d, heads, length


def _element(q):
    if q.dtype not in _ELEMENT:
        raise L.AttnError(f"attn: q has dtype {q.dtype}; attn takes float32, "
                          "float16 and bfloat16")
    return _ELEMENT[q.dtype]


def _broadcast(t, full):
    """Dims of a [B, H, Lq, Lk] operand that are 1 where the full size is
    not (batch and heads: any 1)."""
    return [int(t.dim() == 4 and t.shape[i] == 1 and (i < 2 or full[i] != 1))
            for i in range(4)]


def attention_spec(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                   global_tokens, causal, window, scale, return_lse, layout,
                   rotary_style=None, rotary_dim=0, rotary_theta=0.0):
    """The AttentionSpec struct of a call and its kernel arguments in
    order."""
    spec = L.AttentionSpec()
    spec.layout = _choice(_LAYOUT, layout, "layout")
    spec.dims, heads, length = _dims(q, k, v, layout)
    spec.element_type = _element(q)
    spec.causal = _choice(_CAUSAL, causal, "causal")
    if scale is not None:
        spec.has_scale, spec.scale = 1, scale
    if window is not None:
        if len(window) != 2:
            raise L.AttnError(f"attn: window {list(window)} is not "
                              "(left, right)")
        spec.has_window = 1
        spec.window_left, spec.window_right = window
    full = (q.shape[0], q.shape[heads], q.shape[length], k.shape[length])
    args = [q, k, v]
    if bias is not None:
        spec.has_bias = 1
        spec.bias_broadcast[:] = _broadcast(bias, full)
        args.append(bias)
    if mask is not None:
        spec.has_mask = 1
        spec.mask_broadcast[:] = _broadcast(mask, full)
        args.append(mask)
    if kv_lengths is not None:
        spec.key_padding = 1
        args.append(kv_lengths)
    if (doc_q is None) != (doc_k is None):
        raise L.AttnError("attn: documents need both doc_q and doc_k")
    if doc_q is not None:
        spec.documents = 1
        args += [doc_q, doc_k]
    if global_tokens is not None:
        spec.global_tokens = 1
        args.append(global_tokens)
    spec.return_lse = int(return_lse)
    if rotary_style is not None:
        spec.rotary = _choice(_ROTARY, rotary_style, "rotary style")
        spec.rotary_dim, spec.rotary_theta = rotary_dim, rotary_theta
    return spec, args


def _attention_impl(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               bias: Optional[torch.Tensor], mask: Optional[torch.Tensor],
               kv_lengths: Optional[torch.Tensor],
               doc_q: Optional[torch.Tensor], doc_k: Optional[torch.Tensor],
               global_tokens: Optional[torch.Tensor], causal: str,
               window: Optional[List[int]], scale: Optional[float],
               return_lse: bool, layout: str, rotary_style: Optional[str],
               rotary_dim: int, rotary_theta: float
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    spec, args = attention_spec(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                                global_tokens, causal, window, scale,
                                return_lse, layout, rotary_style, rotary_dim,
                                rotary_theta)
    # The results' shapes are the fake implementation's; the kernel checks
    # every operand before it runs.
    o, lse = _attention_fake(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                             global_tokens, causal, window, scale, return_lse,
                             layout, rotary_style, rotary_dim, rotary_theta)
    _kernel_for(spec, q.device).run(args, [o, lse] if return_lse else [o])
    return o, lse


# Kernels of eager calls without bias or mask, by what their spec depends
# on: a cached call skips building the spec struct and its key (~4 us of
# ~22 on the CPU). Bounded: cleared past _CALL_MEMO_MAX entries.
_call_memo = {}
_CALL_MEMO_MAX = 4096


def _remembered(key, device, make_spec):
    """The kernel remembered for `key` (None: do not remember), else the
    kernel of make_spec()'s spec, remembered."""
    kernel = _call_memo.get(key) if key is not None else None
    if kernel is None:
        kernel = _kernel_for(make_spec(), device)
        if key is not None:
            with _cache_lock:
                if len(_call_memo) >= _CALL_MEMO_MAX:
                    _call_memo.clear()
                _call_memo[key] = kernel
    return kernel


def _call_key(q, k, v, kv_lengths, doc_q, global_tokens, causal, window,
              scale, layout, rotary):
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        return None  # the spec builder raises the error
    heads = 1 if layout == "bhsd" else 2
    return (q.dtype, q.device.type, layout, q.shape[heads], k.shape[heads],
            q.shape[3], v.shape[3], causal,
            tuple(window) if window is not None else None, scale,
            kv_lengths is not None, doc_q is not None,
            global_tokens is not None, rotary)


def _attention_eager(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                     global_tokens, causal, window, scale, return_lse, layout,
                     rotary_style, rotary_dim, rotary_theta):
    """_attention_impl outside the dispatcher: no placeholder LSE tensor
    when none is asked for (an allocation is a few us on a GPU)."""
    if return_lse:
        return _attention_impl(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                               global_tokens, causal, window, scale, True,
                               layout, rotary_style, rotary_dim, rotary_theta)
    key = None
    if bias is None and mask is None and (doc_q is None) == (doc_k is None):
        key = _call_key(q, k, v, kv_lengths, doc_q, global_tokens, causal,
                        window, scale, layout,
                        (rotary_style, rotary_dim, rotary_theta))
    kernel = _remembered(key, q.device, lambda: attention_spec(
        q, k, v, bias, mask, kv_lengths, doc_q, doc_k, global_tokens, causal,
        window, scale, False, layout, rotary_style, rotary_dim,
        rotary_theta)[0])
    # The arguments in the spec's order (attention_spec's).
    args = [q, k, v]
    for extra in (bias, mask, kv_lengths):
        if extra is not None:
            args.append(extra)
    if doc_q is not None:
        args += [doc_q, doc_k]
    if global_tokens is not None:
        args.append(global_tokens)
    o = q.new_empty(q.shape[:3] + (v.shape[3],))
    kernel.run(args, [o])
    return o, None


_attention = torch.library.custom_op("attn::attention",
                                     mutates_args=())(_attention_impl)


@_attention.register_fake
def _attention_fake(q, k, v, bias, mask, kv_lengths, doc_q, doc_k,
                    global_tokens, causal, window, scale, return_lse, layout,
                    rotary_style, rotary_dim, rotary_theta):
    o = q.new_empty(q.shape[:3] + (v.shape[3],))
    if layout == "bhsd":
        lse_shape = q.shape[:3]
    else:
        lse_shape = (q.shape[0], q.shape[2], q.shape[1])
    lse = q.new_empty(lse_shape if return_lse else (0,), dtype=torch.float32)
    return o, lse


def _no_backward(ctx, *grads):
    raise NotImplementedError("attn: the backward pass is not implemented "
                              "yet (forward only)")


def _keep_nothing(ctx, inputs, output):
    pass


def _eager(*tensors):
    """Whether a call may skip PyTorch's dispatcher (~15 us a call): not
    while torch.compile traces, and not when autograd must record the op
    (its backward is the one that says it is not implemented)."""
    if torch.compiler.is_compiling():
        return False
    return not (torch.is_grad_enabled() and
                any(t is not None and t.requires_grad for t in tensors))


_attention.register_autograd(_no_backward, setup_context=_keep_nothing)


def attention(q, k, v, *, causal=False, window=None, kv_lengths=None,
              documents=None, global_tokens=None, mask=None, bias=None,
              scale=None, return_lse=False, layout="bhsd", rotary=None):
    """Softmax attention, softmax(scale q k^T + bias, masked) v.

    q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv] (layout "bhsd",
    or [B, L, H, D] with "bshd"); Hq a multiple of Hkv (GQA/MQA). causal:
    False, True or "bottom_right" (the last query sees the last key, as
    FlashAttention), or "top_left" (as SDPA's is_causal). window: (left,
    right) keys around the aligned diagonal. kv_lengths: int32 [B];
    documents: (doc_q [B, Lq], doc_k [B, Lk]) int32; global_tokens: bool
    [B, L] (with a window); mask: bool [B|1, H|1, Lq, Lk], True = keep;
    bias: additive, same shape rules. Returns o [like q with Dv], and the
    log-sum-exp [B, Hq, Lq] (float32) too with return_lse. rotary:
    (style, dim, theta) turns q and k inside the kernel (RoPE): style
    "half_split" (LLaMA's rotate_half) or "interleaved" (GPT-J), the first
    dim elements of each row, keys at positions 0 .. Lk - 1 and queries at
    Lk - Lq .. Lk - 1.
    """
    if causal is True:
        causal = "bottom_right"
    elif causal is False or causal is None:
        causal = "none"
    doc_q, doc_k = documents if documents is not None else (None, None)
    style, dim, theta = rotary_args(rotary)
    op = _attention_eager if _eager(q, k, v, bias) else torch.ops.attn.attention
    o, lse = op(q, k, v, bias, mask, kv_lengths, doc_q, doc_k, global_tokens,
                causal, list(window) if window is not None else None,
                float(scale) if scale is not None else None, bool(return_lse),
                layout, style, dim, theta)
    return (o, lse) if return_lse else o


def rotary_args(rotary):
    """(style, dim, theta) of a `rotary=` argument, (None, 0, 0.0) for
    none."""
    if rotary is None:
        return None, 0, 0.0
    if not isinstance(rotary, (tuple, list)) or len(rotary) != 3:
        raise L.AttnError(f"attn: rotary {rotary!r} is not (style, dim, "
                          "theta)")
    style, dim, theta = rotary
    _choice(_ROTARY, style, "rotary style")
    return style, int(dim), float(theta)


def linear_attention_spec(q, k, v, projection, feature_map, causal, eps,
                          kernel_eps, local_heads, local_window, layout):
    """The LinearAttentionSpec struct of a call and its kernel arguments."""
    spec = L.LinearAttentionSpec()
    spec.layout = _choice(_LAYOUT, layout, "layout")
    spec.dims, _, _ = _dims(q, k, v, layout)
    spec.element_type = _element(q)
    spec.feature_map = _choice(_FEATURE_MAP, feature_map, "feature_map")
    spec.causal = int(causal)
    args = [q, k, v]
    if projection is not None:
        if projection.dim() != 2:
            raise L.AttnError(f"attn: the projection has {projection.dim()} "
                              "dims, not 2 ([m, D])")
        spec.num_random_features = projection.shape[0]
        args.append(projection)
    if eps is not None:
        spec.has_eps, spec.eps = 1, eps
    if kernel_eps is not None:
        spec.has_kernel_eps, spec.kernel_eps = 1, kernel_eps
    spec.local_heads, spec.local_window = local_heads, local_window
    return spec, args


def _linear_attention_impl(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                      projection: Optional[torch.Tensor], feature_map: str,
                      causal: bool, eps: Optional[float],
                      kernel_eps: Optional[float], local_heads: int,
                      local_window: int, layout: str) -> torch.Tensor:
    spec, args = linear_attention_spec(q, k, v, projection, feature_map,
                                       causal, eps, kernel_eps, local_heads,
                                       local_window, layout)
    o = _linear_attention_fake(q, k, v, projection, feature_map, causal, eps,
                               kernel_eps, local_heads, local_window, layout)
    _kernel_for(spec, q.device).run(args, [o])
    return o


_linear_attention = torch.library.custom_op(
    "attn::linear_attention", mutates_args=())(_linear_attention_impl)


@_linear_attention.register_fake
def _linear_attention_fake(q, k, v, projection, feature_map, causal, eps,
                           kernel_eps, local_heads, local_window, layout):
    return q.new_empty(q.shape[:3] + (v.shape[3],))


_linear_attention.register_autograd(_no_backward, setup_context=_keep_nothing)


def linear_attention(q, k, v, *, feature_map="elu_plus_one", projection=None,
                     causal=False, eps=None, kernel_eps=None, local_heads=0,
                     local_window=0, layout="bhsd"):
    """Linear attention, phi(q) (sum phi(k)^T v) / (phi(q) sum phi(k) + eps).

    feature_map: "elu_plus_one", "relu", "favor_plus" (Performer; needs
    projection [m, D], e.g. orthogonal random features) or "softmax".
    local_heads / local_window: Performer's mixed heads (the first
    local_heads query heads use causal sliding-window softmax attention).
    """
    op = (_linear_attention_eager if _eager(q, k, v, projection)
          else torch.ops.attn.linear_attention)
    return op(
        q, k, v, projection, feature_map, bool(causal),
        float(eps) if eps is not None else None,
        float(kernel_eps) if kernel_eps is not None else None,
        int(local_heads), int(local_window), layout)


def _linear_attention_eager(q, k, v, projection, feature_map, causal, eps,
                            kernel_eps, local_heads, local_window, layout):
    """_linear_attention_impl with the kernel remembered by the call's
    options (as _attention_eager)."""
    key = None
    if q.dim() == 4 and k.dim() == 4 and v.dim() == 4 and (
            projection is None or projection.dim() == 2):
        heads = 1 if layout == "bhsd" else 2
        key = ("linear", q.dtype, q.device.type, layout, q.shape[heads],
               k.shape[heads], q.shape[3], v.shape[3], feature_map, causal,
               None if projection is None else projection.shape[0], eps,
               kernel_eps, local_heads, local_window)
    kernel = _remembered(key, q.device, lambda: linear_attention_spec(
        q, k, v, projection, feature_map, causal, eps, kernel_eps,
        local_heads, local_window, layout)[0])
    args = [q, k, v] if projection is None else [q, k, v, projection]
    o = q.new_empty(q.shape[:3] + (v.shape[3],))
    kernel.run(args, [o])
    return o
