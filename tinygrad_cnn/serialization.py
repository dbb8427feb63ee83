"""Checkpoints: ``save(obj, path)`` and ``load(path)`` without pickle.

A checkpoint is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays). Every array in ``obj``
(NumPy, CuPy or a Tensor's data) becomes one entry ``a0, a1, ...``; the nesting of dicts
(other mappings are stored as dicts), lists, tuples, numbers, strings, booleans and ``None``
is kept as JSON in an entry named ``__structure__``. Loading uses ``allow_pickle=False``, so a
checkpoint can never run code, and anything that is not such an archive is refused with a
clear error.

Writes are atomic: the archive is written to a temporary file in the target's directory and
renamed over the target only when complete, so a crash never leaves half a checkpoint.

>>> import os, tempfile, numpy as np
>>> import tinygrad_cnn as tg
>>> tmp = tempfile.TemporaryDirectory()
>>> path = os.path.join(tmp.name, "ckpt.npz")
>>> tg.save({"step": 3, "w": tg.ones(2), "groups": [{"lr": 0.1, "betas": (0.9, 0.99)}]}, path)
>>> ckpt = tg.load(path)
>>> ckpt["step"], ckpt["w"].tolist(), ckpt["groups"][0]["betas"]
(3, [1.0, 1.0], (0.9, 0.99))
>>> tmp.cleanup()
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections.abc import Mapping

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn._files import write_atomically
from tinygrad_cnn.tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

_FORMAT = "tinygrad_cnn.checkpoint"
_VERSION = 1
_STRUCTURE = "__structure__"


class CheckpointError(ValueError):
    """The file is not a readable tinygrad_cnn checkpoint."""


def _encode(obj, arrays: list):
    """``obj`` as JSON-ready data; arrays are appended to ``arrays`` and referenced by index."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(obj, Tensor):
        arrays.append(backend.to_numpy(obj.data))
        return {"__tensor__": len(arrays) - 1}
    if backend._is_array(obj):
        arr = backend.to_numpy(obj)
        if arr.dtype.hasobject:
            raise TypeError("save: arrays of Python objects cannot be stored (they need pickle)")
        arrays.append(arr)
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Mapping):  # dicts, and read-only views of them (stored as dicts)
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} ({k!r})")
            items.append([k, _encode(v, arrays)])
        return {"__dict__": items}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    raise TypeError(
        f"save: cannot store a {type(obj).__name__}; checkpoints hold dicts, lists, tuples, "
        "numbers, strings, None, arrays and Tensors"
    )


def _decode(data, arrays):
    if isinstance(data, list):
        return [_decode(v, arrays) for v in data]
    if not isinstance(data, dict):
        return data
    if "__dict__" in data:
        return {k: _decode(v, arrays) for k, v in data["__dict__"]}
    if "__tuple__" in data:
        return tuple(_decode(v, arrays) for v in data["__tuple__"])
    if "__array__" in data:
        return arrays(data["__array__"])
    if "__tensor__" in data:
        return Tensor(arrays(data["__tensor__"]))
    if "__float__" in data:
        return float(data["__float__"])
    raise CheckpointError(f"unknown entry in the checkpoint structure: {sorted(data)}")


def save(obj, path) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of numbers, strings, arrays, Tensors) to ``path``.

    The file is complete or absent: it is written to a temporary file first, then renamed.
    Objects of other types raise ``TypeError``.

    >>> import os, tempfile
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "model.npz")
    >>> tg.save({"epoch": 2, "model": nn.Linear(2, 1).state_dict()}, path)
    >>> sorted(tg.load(path)["model"])
    ['bias', 'weight']
    >>> tmp.cleanup()
    """
    path = os.fspath(path)
    arrays: list = []
    structure = {"format": _FORMAT, "version": _VERSION, "obj": _encode(obj, arrays)}
    entries = {f"a{i}": a for i, a in enumerate(arrays)}
    entries[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode("utf-8"), dtype=np.uint8)
    write_atomically(path, lambda f: np.savez(f, **entries), suffix=".npz")


def load(path):
    """Read a checkpoint written by :func:`save`; arrays come back as NumPy arrays, Tensors
    as CPU Tensors. Raises :class:`CheckpointError` for truncated, corrupted or foreign files.

    >>> import os, tempfile
    >>> import tinygrad_cnn as tg
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "ckpt.npz")
    >>> tg.save({"w": tg.Tensor([1.0, 2.0]), "mean": np.zeros(2), "name": "run1"}, path)
    >>> ckpt = tg.load(path)
    >>> type(ckpt["w"]).__name__, ckpt["w"].tolist(), type(ckpt["mean"]).__name__, ckpt["name"]
    ('Tensor', [1.0, 2.0], 'ndarray', 'run1')
    >>> tmp.cleanup()
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    what = f"{path!r} is not a tinygrad_cnn checkpoint"
    if not raw.startswith(b"PK"):
        hint = " (it looks like a pickle; such files are never loaded)" if raw[:1] == b"\x80" else ""
        raise CheckpointError(f"{what}: not an .npz (zip) archive{hint}")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            if _STRUCTURE not in archive.files:
                raise CheckpointError(f"{what}: the archive has no {_STRUCTURE} entry")
            structure = json.loads(archive[_STRUCTURE].tobytes().decode("utf-8"))
            if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
                raise CheckpointError(f"{what}: unknown format marker")
            if structure.get("version", 0) > _VERSION:
                raise CheckpointError(
                    f"{path!r} was written by a newer tinygrad_cnn (checkpoint version "
                    f"{structure['version']}, this one reads up to {_VERSION})"
                )
            cache: dict = {}

            def array(i):
                if i not in cache:
                    cache[i] = archive[f"a{i}"]
                return cache[i]

            return _decode(structure["obj"], array)
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, UnicodeDecodeError,
            zipfile.LargeZipFile) as exc:
        raise CheckpointError(f"{path!r} is truncated or corrupted: {exc}") from exc
