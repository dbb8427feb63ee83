"""Array backends: NumPy on the CPU, CuPy on NVIDIA GPUs.

This is the only module that imports CuPy, and it does so lazily: importing tinygrad_cnn never
needs CuPy, and asking for ``"cuda"`` without it raises an error that says how to install it.

A :class:`Device` pairs a name (``"cpu"``, ``"cuda:0"``) with the array module ``xp`` that
computes on it. A tensor's device is always derived from the type of its array
(:func:`device_of`), so it can never drift from where the data really lives.

Other array types can be registered with :func:`register_array_type`; the test suite uses
this for a strict CPU backend that refuses implicit host conversions the way CuPy does.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tinygrad_cnn import _recycle, _threads

__all__ = [
    "Device",
    "get_device",
    "device_of",
    "to_device",
    "to_numpy",
    "cuda_is_available",
    "register_array_type",
    "scatter_add",
    "l2_norm",
    "retain_host_memory",
    "release_cached_memory",
]


class Device:
    """Where a tensor lives: a name plus the array module ``xp`` that computes there.

    >>> d = get_device("cpu")
    >>> d.name, d.type, d.xp.__name__
    ('cpu', 'cpu', 'numpy')
    """

    __slots__ = ("type", "index", "xp")

    def __init__(self, type: str, index: int | None, xp) -> None:
        self.type = type
        self.index = index
        self.xp = xp

    @property
    def name(self) -> str:
        """The device as a string: ``"cpu"``, or ``"cuda:N"`` for GPU N (also what ``str()`` gives).

        >>> get_device("cpu").name
        'cpu'
        """
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (
            f", index={self.index})" if self.index is not None else ")"
        )

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = get_device(other)
        return (
            isinstance(other, Device) and self.type == other.type and self.index == other.index
        )

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def send(self, array):
        """Return ``array`` (NumPy, CuPy, list or scalar) as an array on this device (the same
        object when it is already there).

        >>> get_device("cpu").send([1.5, 2.5])
        array([1.5, 2.5])
        """
        return to_device(array, self)


CPU = Device("cpu", None, np)

_cupy = None  # the cupy module, once imported
_CUPY_HINT = (
    "install CuPy for your CUDA version, e.g. `pip install cupy-cuda12x` "
    "(or `pip install tinygrad_cnn[cuda]`), on a machine with an NVIDIA GPU"
)

# Extra array types: type -> function(array) -> Device, and device type -> factory(index).
_extra_types: dict[type, object] = {}
_extra_devices: dict[str, object] = {}


def register_array_type(array_type: type, device_type: str, make_device) -> None:
    """Teach the backend a new array type.

    ``make_device(index)`` returns the :class:`Device` for ``device_type[:index]``; arrays of
    ``array_type`` are then reported as living on ``make_device(None)``; :func:`to_numpy` copies
    them with their ``to_host()`` method when they have one. The test suite's strict device
    registers itself this way:

    >>> from tinygrad_cnn import testing
    >>> testing.enable_strict_device()   # register_array_type(StrictArray, "strict", ...)
    >>> device_of(testing.StrictArray(np.zeros(2))).name, get_device("strict").name
    ('strict', 'strict')
    """
    _extra_types[array_type] = make_device
    _extra_devices[device_type] = make_device


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: PLC0415  (optional dependency, imported on first use)
        except ImportError as exc:
            raise RuntimeError(f"device 'cuda' needs CuPy, which is not installed: {_CUPY_HINT}") from exc
        _cupy = cupy
    return _cupy


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU.

    >>> isinstance(cuda_is_available(), bool)
    True
    """
    try:
        cp = _import_cupy()
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001  (any failure means: no usable GPU)
        return False


@functools.cache
def _cuda_devices(index: int) -> Device:
    """One Device object per GPU: device_of() runs once per op input."""
    return Device("cuda", index, _cupy)


def _cuda_device(index: int | None) -> Device:
    cp = _import_cupy()
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:  # noqa: BLE001
        raise RuntimeError(f"device 'cuda' asked for, but CuPy finds no usable GPU ({exc}); {_CUPY_HINT}") from exc
    index = cp.cuda.Device().id if index is None else index
    if not 0 <= index < count:
        raise RuntimeError(f"device 'cuda:{index}' asked for, but only {count} GPU(s) are visible")
    return _cuda_devices(index)


def get_device(device=None) -> Device:
    """Parse ``None``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a :class:`Device` into a Device.

    >>> get_device(None).name
    'cpu'
    >>> get_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'
    """
    if device is None:
        return CPU
    if isinstance(device, Device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device: expected a str or Device, got {type(device).__name__}")
    kind, _, idx = device.partition(":")
    index = None
    if idx:
        if not idx.isdigit():
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        index = int(idx)
    if kind == "cpu" and index in (None, 0):
        return CPU
    if kind == "cuda":
        return _cuda_device(index)
    if kind in _extra_devices:
        return _extra_devices[kind](index)
    raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def device_of(array) -> Device:
    """The device an array lives on, read from its type.

    >>> device_of(np.zeros(2))
    device(type='cpu')
    """
    if type(array) is np.ndarray:
        return CPU
    for array_type, make_device in _extra_types.items():
        if isinstance(array, array_type):
            return make_device(None)
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cuda_devices(array.device.id)
    if isinstance(array, np.ndarray):
        return CPU
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def to_device(array, device) -> object:
    """Copy ``array`` to ``device`` explicitly (a no-op when it is already there).

    >>> to_device([1.0, 2.0], "cpu")
    array([1., 2.])
    """
    device = get_device(device)
    src = device_of(array) if _is_array(array) else None
    if src == device:
        return array
    if device.type == "cuda":
        with device.xp.cuda.Device(device.index):
            return device.xp.asarray(to_numpy(array) if src is not None and src.type != "cpu" else array)
    if device.type == "cpu":
        return to_numpy(array)
    return device.xp.asarray(to_numpy(array) if src is not None else array)


@functools.lru_cache(maxsize=256)
def placed(build, args: tuple, dtype, device):
    """``build(*args)``, a host array, as a read-only contiguous array of ``dtype`` on
    ``device``, made once per distinct call: the resizing and pooling ops ask for the same few
    matrices, indices and divisors call after call, and a fresh cast (on CUDA, a host-to-device
    copy) each time cost more than the arithmetic on small inputs.

    >>> m = placed(np.eye, (2,), np.dtype(np.float32), get_device("cpu"))
    >>> m.dtype, m.flags.writeable, m is placed(np.eye, (2,), np.dtype(np.float32), get_device("cpu"))
    (dtype('float32'), False, True)
    """
    m = to_device(np.ascontiguousarray(build(*args), dtype=dtype), device)
    if isinstance(m, np.ndarray):
        m.flags.writeable = False  # shared by every call through the cache
    return m


def to_numpy(array) -> np.ndarray:
    """A host (NumPy) copy or view of any supported array.

    >>> a = np.arange(3)
    >>> to_numpy(a) is a          # a NumPy array comes back as it is
    True
    """
    if type(array) is np.ndarray:
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    host = getattr(array, "to_host", None)  # registered array types provide an explicit copy
    if host is not None:
        return host()
    return np.asarray(array)


def l2_norm(array) -> float:
    """The Euclidean norm of a raw array as a Python float, summed in float64 on the array's
    own device (one number comes back to the host, not the array).

    >>> l2_norm(np.array([3.0, 4.0], dtype=np.float32))
    5.0
    """
    squares = array.astype("float64")
    squares *= squares
    return math.sqrt(float(squares.sum()))


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` where repeated indices add up (NumPy's ``add.at``).

    >>> target = np.zeros(3)
    >>> scatter_add(target, np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]))
    >>> target
    array([3., 0., 5.])
    """
    if _cupy is not None and isinstance(target, _cupy.ndarray):
        import cupyx  # noqa: PLC0415

        cupyx.scatter_add(target, index, values)
    elif isinstance(target, np.ndarray) and type(target) is np.ndarray:
        np.add.at(target, index, values)
    else:
        device_of(target).xp.add.at(target, index, values)


def retain_host_memory(limit_bytes: int = 1 << 30) -> bool:
    """Ask the C allocator (glibc) to keep freed blocks up to ``limit_bytes`` for reuse instead
    of handing them back to the operating system.

    Every fresh page costs a page fault on first touch. A training loop frees and allocates
    the same large arrays every step; on the 2-core machine this project is measured on,
    keeping them cut a LeNet-5 training step by about a third, until the ops learnt to
    recycle their own results and scratch arrays (now a step makes a few page faults either
    way). It still helps arrays made outside the ops (data loading, your own code).
    The setting is process-wide and lasts, so it is opt-in: the ``train`` command calls it.
    Returns True when the allocator accepted it, False elsewhere (not Linux/glibc).
    """
    import ctypes  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim_threshold, mmap_threshold = -1, -3  # M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        return bool(libc.mallopt(trim_threshold, int(limit_bytes))) and bool(
            libc.mallopt(mmap_threshold, int(limit_bytes)))
    except (OSError, AttributeError):
        return False


def release_cached_memory() -> None:
    """Give up the host buffers the ops keep for reuse in the calling thread: scratch arrays
    and the memory of results no longer in use (at most 256 MiB each), and arrays of zeros
    (up to 8, of at most 32 MiB each). Results still in use are untouched. The helper threads
    that share a convolution's work (one fewer than the BLAS's threads) end too, and with them
    the scratch arrays each keeps for itself. The pools fill up again as ops run.

    >>> import tinygrad_cnn as tg
    >>> y = tg.randn(64, 6, 28, 28).relu()    # its memory comes from the results pool
    >>> tg.backend.release_cached_memory()
    >>> y.shape                               # live results stay valid
    (64, 6, 28, 28)
    """
    _recycle.release()
    _threads.stop_helpers()


def memory_owner(array):
    """The array (or buffer object) that owns ``array``'s memory: views share their owner."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def writable_alone(array) -> bool:
    """Whether writing into ``array`` changes only its own values: not read-only, and not a
    broadcast (a stride of 0 makes many elements one memory cell)."""
    if not getattr(array.flags, "writeable", True):
        return False
    # A stride of 0 on an axis of one element (x[:, None]) shares nothing.
    return not any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape))


def _is_array(obj) -> bool:
    if isinstance(obj, np.ndarray) or any(isinstance(obj, t) for t in _extra_types):
        return True
    return _cupy is not None and isinstance(obj, _cupy.ndarray)
