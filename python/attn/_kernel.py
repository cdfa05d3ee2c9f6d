"""Compiled kernels on torch tensors: the JIT handle, Kernel, and the
tensor descriptions handed to libattn_c."""
import array
import atexit
import ctypes
import threading
import weakref

import torch

from . import _lib as L

TO_ATTN = {torch.float32: L.F32, torch.float16: L.F16, torch.bfloat16: L.BF16,
           torch.int32: L.I32, torch.int64: L.I64, torch.bool: L.BOOL}
FROM_ATTN = {v: k for k, v in TO_ATTN.items()}

_lock = threading.Lock()
_jit = None
_kernels = weakref.WeakSet()


def _shutdown():
    # Kernels first, then the JIT: their ExecutionEngines must go before
    # LLVM's globals do, i.e. before the interpreter unloads the library.
    global _jit
    for kernel in list(_kernels):
        kernel.close()
    if _jit:
        L.lib.attn_jit_destroy(_jit)
        _jit = None


def jit():
    """The process's JIT (created on first use, destroyed at exit)."""
    global _jit
    with _lock:
        if _jit is None:
            _jit = L.lib.attn_jit_create()
            atexit.register(_shutdown)
        return _jit


def num_compilations():
    """How many kernels this process compiled (cache misses)."""
    return L.lib.attn_jit_num_compilations(jit())


def num_disk_cache_hits():
    """How many of those an earlier process had compiled (the disk cache:
    $ATTN_CACHE_DIR, else ~/.cache/attn; "off" disables it)."""
    return L.lib.attn_jit_num_disk_cache_hits(jit())


class _Described:
    """attn_tensor structs for some tensors, with the arrays they point to
    kept alive."""

    def __init__(self, tensors, what):
        self.array = (L.Tensor * len(tensors))()
        self._keep = []
        for i, t in enumerate(tensors):
            if not isinstance(t, torch.Tensor):
                raise L.AttnError(f"attn: {what} {i} is a {type(t).__name__}, "
                                  "not a torch.Tensor")
            if t.dtype not in TO_ATTN:
                raise L.AttnError(f"attn: {what} {i} has dtype {t.dtype}, "
                                  "which attn kernels do not take")
            shape = (ctypes.c_int64 * t.dim())(*t.shape)
            strides = (ctypes.c_int64 * t.dim())(*t.stride())
            self._keep += [shape, strides]
            d = self.array[i]
            d.data = t.data_ptr() or None
            d.memory = L.DEVICE if t.is_cuda else L.HOST
            d.dtype = TO_ATTN[t.dtype]
            d.rank = t.dim()
            d.shape = shape
            d.strides = strides


class Kernel:
    """A compiled spec. Call it with its arguments (torch tensors, in the
    function's argument order); it returns its result, or a tuple of them,
    in new tensors on the arguments' device."""

    def __init__(self, handle, target):
        self._handle = handle
        self.target = target
        _kernels.add(self)

    def close(self):
        if self._handle:
            L.lib.attn_kernel_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.close()

    @property
    def num_arguments(self):
        return L.lib.attn_kernel_num_arguments(self._handle)

    @property
    def num_results(self):
        return L.lib.attn_kernel_num_results(self._handle)

    def result_dtypes(self):
        return [FROM_ATTN[L.lib.attn_kernel_result_dtype(self._handle, i)]
                for i in range(self.num_results)]

    def result_shapes(self, args):
        """The results' shapes for these arguments (checked against the
        spec, as the verifier would with these sizes)."""
        described = _Described(args, "argument")
        ranks = [L.lib.attn_kernel_result_rank(self._handle, i)
                 for i in range(self.num_results)]
        shapes = (ctypes.c_int64 * max(1, sum(ranks)))()
        error = ctypes.c_void_p()
        L.check_status(L.lib.attn_kernel_result_shapes(
            self._handle, described.array, len(args), shapes,
            ctypes.byref(error)), error)
        out, at = [], 0
        for r in ranks:
            out.append(tuple(shapes[at:at + r]))
            at += r
        return out

    def run(self, args, results):
        """Runs on `args`, writing the tensors in `results` (checked by the
        kernel first: shapes, dtypes, strides)."""
        device = self._device(list(args) + list(results))
        # One packed int64 array (attn_kernel_run_packed): a ctypes struct
        # per tensor cost ~2.5 us each.
        packed = []
        for i, t in enumerate(list(args) + list(results)):
            if not isinstance(t, torch.Tensor) or t.dtype not in TO_ATTN:
                what = ("argument %d" % i if i < len(args)
                        else "result %d" % (i - len(args)))
                raise L.AttnError(f"attn: {what} is not a tensor of a dtype "
                                  f"attn kernels take ({_describe_type(t)})")
            packed += (t.data_ptr(), t.is_cuda, TO_ATTN[t.dtype], t.dim())
            packed += t.shape
            packed += t.stride()
        words = array.array("q", packed)
        stream = None
        if device.type == "cuda":
            stream = _current_stream(device.index)
        address, count = words.buffer_info()
        error = ctypes.c_void_p()
        L.check_status(L.lib.attn_kernel_run_packed(
            self._handle, address, count, len(args), len(results), stream,
            ctypes.byref(error)), error)

    def __call__(self, *args):
        device = self._device(args)
        results = [torch.empty(shape, dtype=dtype, device=device)
                   for shape, dtype in zip(self.result_shapes(args),
                                           self.result_dtypes())]
        self.run(args, results)
        return results[0] if len(results) == 1 else tuple(results)

    def _device(self, tensors):
        devices = {t.device for t in tensors if isinstance(t, torch.Tensor)}
        if len(devices) > 1:
            raise L.AttnError("attn: the tensors are on different devices: "
                              + ", ".join(sorted(map(str, devices))))
        device = devices.pop() if devices else torch.device("cpu")
        want = "cuda" if self.target == "cuda" else "cpu"
        if device.type != want:
            raise L.AttnError(f"attn: a kernel compiled for {self.target} "
                              f"got tensors on {device}")
        if device.type == "cuda" and device.index not in (0, None):
            # libattn_c loads kernels into the first GPU's primary context.
            raise L.AttnError(f"attn: tensors on {device}; attn kernels run "
                              "on cuda:0 only for now")
        return device


def _current_stream(index):
    """The raw cudaStream_t of PyTorch's current stream on GPU `index`
    (the private binding is ~10x quicker than torch.cuda.current_stream,
    which builds a Stream object)."""
    raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)
    if raw is not None:
        return raw(index or 0)
    return torch.cuda.current_stream(index).cuda_stream


def _describe_type(t):
    return str(t.dtype) if isinstance(t, torch.Tensor) else type(t).__name__


def _target_of(device):
    return "cuda" if torch.device(device).type == "cuda" else "cpu"


def compile_text(text, device="cpu", func_name=None, cpu=None):
    """Compiles MLIR text holding an attn spec (a func.func with one attn
    op) for `device`'s target."""
    target = _target_of(device)
    error = ctypes.c_void_p()
    handle = L.check_pointer(L.lib.attn_jit_compile(
        jit(), text.encode(), (func_name or "").encode(), target.encode(),
        (cpu or "").encode(), ctypes.byref(error)), error)
    return Kernel(handle, target)


def compile_spec(spec, device="cpu", cpu=None):
    """Compiles an AttentionSpec or LinearAttentionSpec struct."""
    target = _target_of(device)
    error = ctypes.c_void_p()
    fn = (L.lib.attn_jit_compile_attention
          if isinstance(spec, L.AttentionSpec)
          else L.lib.attn_jit_compile_linear_attention)
    handle = L.check_pointer(fn(jit(), ctypes.byref(spec), target.encode(),
                                (cpu or "").encode(), ctypes.byref(error)),
                             error)
    return Kernel(handle, target)
