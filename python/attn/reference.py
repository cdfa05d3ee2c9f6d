"""attn's fp64 reference (lib/Reference, the one every kernel is checked
against) on torch tensors, for tests: the same arguments as
attn.attention / attn.linear_attention, float64 results on the CPU."""
import ctypes

import torch

from . import _lib as L
from . import ops


def _ref_tensors(args):
    doubles = [a.detach().to("cpu", torch.float64).contiguous() for a in args]
    array = (L.RefTensor * len(doubles))()
    keep = []
    for i, t in enumerate(doubles):
        shape = (ctypes.c_int64 * t.dim())(*t.shape)
        keep.append(shape)
        array[i].data = ctypes.cast(t.data_ptr(), ctypes.POINTER(ctypes.c_double))
        array[i].rank = t.dim()
        array[i].shape = shape
    return array, (doubles, keep)


def _out_shape(q, v):
    return tuple(q.shape[:3]) + (v.shape[3],)


def reference_attention(q, k, v, *, causal=False, window=None,
                        kv_lengths=None, documents=None, global_tokens=None,
                        mask=None, bias=None, scale=None, return_lse=False,
                        layout="bhsd", rotary=None):
    causal = {True: "bottom_right", False: "none", None: "none"}.get(causal,
                                                                     causal)
    doc_q, doc_k = documents if documents is not None else (None, None)
    spec, args = ops.attention_spec(q, k, v, bias, mask, kv_lengths, doc_q,
                                    doc_k, global_tokens, causal, window,
                                    scale, return_lse, layout,
                                    *ops.rotary_args(rotary))
    array, keep = _ref_tensors(args)
    out = torch.empty(_out_shape(q, v), dtype=torch.float64)
    heads, length = (1, 2) if layout == "bhsd" else (2, 1)
    lse = torch.empty((q.shape[0], q.shape[heads], q.shape[length]),
                      dtype=torch.float64)
    error = ctypes.c_void_p()
    L.check_status(L.lib.attn_reference_attention(
        ctypes.byref(spec), array, len(args),
        ctypes.cast(out.data_ptr(), ctypes.POINTER(ctypes.c_double)),
        out.numel(),
        ctypes.cast(lse.data_ptr(), ctypes.POINTER(ctypes.c_double)),
        lse.numel(), ctypes.byref(error)), error)
    del keep
    return (out, lse) if return_lse else out


def reference_linear_attention(q, k, v, *, feature_map="elu_plus_one",
                               projection=None, causal=False, eps=None,
                               kernel_eps=None, local_heads=0, local_window=0,
                               layout="bhsd"):
    spec, args = ops.linear_attention_spec(q, k, v, projection, feature_map,
                                           causal, eps, kernel_eps,
                                           local_heads, local_window, layout)
    array, keep = _ref_tensors(args)
    out = torch.empty(_out_shape(q, v), dtype=torch.float64)
    error = ctypes.c_void_p()
    L.check_status(L.lib.attn_reference_linear_attention(
        ctypes.byref(spec), array, len(args),
        ctypes.cast(out.data_ptr(), ctypes.POINTER(ctypes.c_double)),
        out.numel(), ctypes.byref(error)), error)
    del keep
    return out
