"""ctypes bindings of libattn_c.so (include/attn-c/attn.h).

ctypes rather than a compiled extension: the library has a plain C ABI, so
one build serves every Python and PyTorch version, with nothing to compile
against Python's or PyTorch's headers and no binding library to install.
The structs below mirror attn.h field for field (ATTN_C_API_VERSION 2).
"""
import ctypes
import os
import pathlib

API_VERSION = 2
DYNAMIC = -(2 ** 63)

F32, F16, BF16, I32, I64, BOOL = range(6)
HOST, DEVICE = 0, 1


class AttnError(RuntimeError):
    """A spec, tensor or call the kernel cannot take; the message is the
    verifier's or the runtime's."""


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("memory", ctypes.c_int32),
                ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64))]


class RefTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_double)),
                ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64))]


class Dims(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int64) for name in
                ("batch", "q_heads", "kv_heads", "q_len", "kv_len",
                 "head_dim", "value_dim")]


class AttentionSpec(ctypes.Structure):
    _fields_ = [("dims", Dims), ("element_type", ctypes.c_int32),
                ("layout", ctypes.c_int32), ("causal", ctypes.c_int32),
                ("has_scale", ctypes.c_int32), ("scale", ctypes.c_double),
                ("has_window", ctypes.c_int32),
                ("window_left", ctypes.c_int64),
                ("window_right", ctypes.c_int64),
                ("has_bias", ctypes.c_int32),
                ("bias_broadcast", ctypes.c_uint8 * 4),
                ("has_mask", ctypes.c_int32),
                ("mask_broadcast", ctypes.c_uint8 * 4),
                ("key_padding", ctypes.c_int32),
                ("documents", ctypes.c_int32),
                ("global_tokens", ctypes.c_int32),
                ("return_lse", ctypes.c_int32),
                ("rotary", ctypes.c_int32),
                ("rotary_dim", ctypes.c_int64),
                ("rotary_theta", ctypes.c_double)]


class LinearAttentionSpec(ctypes.Structure):
    _fields_ = [("dims", Dims), ("element_type", ctypes.c_int32),
                ("layout", ctypes.c_int32), ("feature_map", ctypes.c_int32),
                ("causal", ctypes.c_int32),
                ("num_random_features", ctypes.c_int64),
                ("has_eps", ctypes.c_int32), ("eps", ctypes.c_double),
                ("has_kernel_eps", ctypes.c_int32),
                ("kernel_eps", ctypes.c_double),
                ("local_heads", ctypes.c_int64),
                ("local_window", ctypes.c_int64)]


def _candidates():
    env = os.environ.get("ATTN_LIBRARY")
    if env:
        yield pathlib.Path(env)
        return
    here = pathlib.Path(__file__).resolve().parent
    yield here / "libattn_c.so"  # an installed package
    # The repository's build (python/attn/ -> build/lib/).
    yield here.parent.parent / "build" / "lib" / "libattn_c.so"


def _load():
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.exists():
            return ctypes.CDLL(str(path))
    raise ImportError("attn: libattn_c.so not found (tried " + ", ".join(tried)
                      + "); build the project (scripts/test.sh or ninja -C "
                      "build AttnCAPI) or set ATTN_LIBRARY")


lib = _load()
_c = ctypes
_err = _c.POINTER(_c.c_char_p)


def _sig(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_sig("attn_c_api_version", _c.c_int32)
_sig("attn_string_free", None, _c.c_void_p)
_sig("attn_jit_create", _c.c_void_p)
_sig("attn_jit_destroy", None, _c.c_void_p)
_sig("attn_jit_num_compilations", _c.c_int64, _c.c_void_p)
_sig("attn_jit_num_disk_cache_hits", _c.c_int64, _c.c_void_p)
_sig("attn_jit_compile", _c.c_void_p, _c.c_void_p, _c.c_char_p, _c.c_char_p,
     _c.c_char_p, _c.c_char_p, _c.POINTER(_c.c_void_p))
_sig("attn_jit_compile_attention", _c.c_void_p, _c.c_void_p,
     _c.POINTER(AttentionSpec), _c.c_char_p, _c.c_char_p,
     _c.POINTER(_c.c_void_p))
_sig("attn_jit_compile_linear_attention", _c.c_void_p, _c.c_void_p,
     _c.POINTER(LinearAttentionSpec), _c.c_char_p, _c.c_char_p,
     _c.POINTER(_c.c_void_p))
_sig("attn_attention_spec_text", _c.c_void_p, _c.POINTER(AttentionSpec),
     _c.POINTER(_c.c_void_p))
_sig("attn_kernel_destroy", None, _c.c_void_p)
for _name in ("attn_kernel_num_arguments", "attn_kernel_num_results"):
    _sig(_name, _c.c_int32, _c.c_void_p)
for _name in ("attn_kernel_argument_dtype", "attn_kernel_argument_rank",
              "attn_kernel_result_dtype", "attn_kernel_result_rank"):
    _sig(_name, _c.c_int32, _c.c_void_p, _c.c_int32)
_sig("attn_kernel_result_shapes", _c.c_int32, _c.c_void_p,
     _c.POINTER(Tensor), _c.c_int32, _c.POINTER(_c.c_int64),
     _c.POINTER(_c.c_void_p))
_sig("attn_kernel_run", _c.c_int32, _c.c_void_p, _c.POINTER(Tensor),
     _c.c_int32, _c.POINTER(Tensor), _c.c_int32, _c.c_void_p,
     _c.POINTER(_c.c_void_p))

_sig("attn_kernel_run_packed", _c.c_int32, _c.c_void_p, _c.c_void_p,
     _c.c_int64, _c.c_int32, _c.c_int32, _c.c_void_p, _c.POINTER(_c.c_void_p))
_sig("attn_reference_attention", _c.c_int32, _c.POINTER(AttentionSpec),
     _c.POINTER(RefTensor), _c.c_int32, _c.POINTER(_c.c_double), _c.c_int64,
     _c.POINTER(_c.c_double), _c.c_int64, _c.POINTER(_c.c_void_p))
_sig("attn_reference_linear_attention", _c.c_int32,
     _c.POINTER(LinearAttentionSpec), _c.POINTER(RefTensor), _c.c_int32,
     _c.POINTER(_c.c_double), _c.c_int64, _c.POINTER(_c.c_void_p))

if lib.attn_c_api_version() != API_VERSION:
    raise ImportError(f"attn: libattn_c.so has C API version "
                      f"{lib.attn_c_api_version()}, this package wants "
                      f"{API_VERSION}")


def take_string(ptr):
    """The text of a char* the library allocated, which is then freed."""
    if not ptr:
        return ""
    text = _c.string_at(ptr).decode("utf-8", "replace")
    lib.attn_string_free(ptr)
    return text


def check_pointer(ptr, error):
    """ptr, or AttnError with the library's message if it is NULL."""
    if not ptr:
        raise AttnError(take_string(error.value) or "attn: the call failed")
    return ptr


def check_status(status, error):
    """AttnError with the library's message if status is non-zero."""
    if status != 0:
        raise AttnError(take_string(error.value) or "attn: the call failed")
