"""The IDX file format of MNIST and Fashion-MNIST: read and write, raw or gzip-compressed.

An IDX file is: two zero bytes, a type code, the number of dimensions, each dimension as a
big-endian int32, then the values in row-major order, big-endian.

>>> import os, tempfile, numpy as np
>>> tmp = tempfile.TemporaryDirectory()
>>> path = os.path.join(tmp.name, "x-idx3-ubyte.gz")
>>> write_idx(path, np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
>>> read_idx(path).shape
(2, 3, 4)
>>> tmp.cleanup()
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from tinygrad_cnn._files import write_atomically

__all__ = ["read_idx", "write_idx", "IDXError"]

# type code -> big-endian dtype
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("=").str[1:]: k for k, v in _TYPES.items()}


class IDXError(ValueError):
    """The file is not a valid IDX file (bad header, truncated data); a ``ValueError``.

    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "bad-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"hello")
    >>> read_idx(path)
    Traceback (most recent call last):
    ...
    tinygrad_cnn.data.idx.IDXError: '...bad-idx1-ubyte' is not an IDX file (bad magic number 68656c6c)
    >>> tmp.cleanup()
    """


def _read_bytes(path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IDXError(f"{os.fspath(path)!r}: corrupted or truncated gzip data ({exc})") from exc
    return raw


def read_idx(path) -> np.ndarray:
    """The array stored in an IDX file, in native byte order; gzip compression is detected from
    the content, whatever the file's name. Raises :class:`IDXError` for a bad or truncated file.

    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "labels-idx1-ubyte.gz")
    >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    >>> labels = read_idx(path)
    >>> labels.tolist(), labels.dtype
    ([7, 2, 1], dtype('uint8'))
    >>> tmp.cleanup()
    """
    raw = _read_bytes(path)
    name = os.fspath(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise IDXError(f"{name!r} is not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{name!r}: truncated header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise IDXError(
            f"{name!r}: expected {expected} bytes for shape {shape} of {dtype.name}, found "
            f"{len(raw)} (truncated or corrupted file)"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress: bool | None = None) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) to ``path`` as IDX,
    gzip-compressed if ``compress`` (by default: if the path ends in ``.gz``). Atomic: the file
    is complete or absent.

    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "x-idx2-short")
    >>> write_idx(path, np.array([[1, 2], [3, 4]], dtype=np.int16))
    >>> with open(path, "rb") as f:
    ...     f.read(4).hex()     # two zero bytes, type code 0x0b (int16), 2 dimensions
    '00000b02'
    >>> read_idx(path).tolist()
    [[1, 2], [3, 4]]
    >>> tmp.cleanup()
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.str[1:])
    if code is None:
        raise TypeError(f"IDX stores uint8, int8, int16, int32, float32 or float64, not {array.dtype}")
    if array.ndim > 255:
        raise ValueError("IDX supports at most 255 dimensions")
    payload = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
               + array.astype(np.dtype(_TYPES[code]), copy=False).tobytes())
    name = os.fspath(path)
    if compress if compress is not None else name.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    write_atomically(name, lambda f: f.write(payload))
