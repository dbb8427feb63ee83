"""Checkpoints: nested round trips, atomic writes, refusal of pickles and damaged files."""

import os
import pickle
from types import MappingProxyType

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.serialization import CheckpointError


def test_nested_round_trip(tmp_path):
    obj = {
        "model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                  "bn.num_batches_tracked": tg.Tensor(np.array(3, dtype=np.int64))},
        "optimizer": {"state": {0: {"step": 2, "exp_avg": np.ones(3)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False,
                                        "params": [0, 1]}]},
        "epoch": 4, "name": "lenet", "none": None, "inf": float("inf"), "nan": float("nan"),
        "big": 2 ** 100, "np_scalar": np.float32(0.5), "list": [1, "two", [3.0]],
    }
    path = tmp_path / "ckpt.npz"
    tg.save(obj, path)
    back = tg.load(path)
    np.testing.assert_array_equal(back["model"]["0.weight"], obj["model"]["0.weight"])
    assert back["model"]["0.weight"].dtype == np.float32
    assert isinstance(back["model"]["bn.num_batches_tracked"], tg.Tensor)
    assert back["model"]["bn.num_batches_tracked"].item() == 3
    assert list(back["optimizer"]["state"]) == [0]  # int keys stay ints
    assert back["optimizer"]["state"][0]["step"] == 2
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["epoch"] == 4 and back["name"] == "lenet" and back["none"] is None
    assert back["inf"] == float("inf") and np.isnan(back["nan"]) and back["big"] == 2 ** 100
    assert back["np_scalar"] == 0.5 and back["list"] == [1, "two", [3.0]]


def test_read_only_mappings_are_stored_as_dicts(tmp_path):
    """A MappingProxyType (FashionMNIST.LENET_PREPROCESS, say) saves and loads as a dict."""
    path = tmp_path / "ckpt.npz"
    tg.save({"preprocess": MappingProxyType({"padding": 2, "mean": 0.5})}, path)
    back = tg.load(path)["preprocess"]
    assert type(back) is dict and back == {"padding": 2, "mean": 0.5}


def test_model_and_optimizer_state(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    opt = optim.Adam(model.parameters())
    model(tg.randn(4, 2)).sum().backward()
    opt.step()
    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "m.npz")
    ckpt = tg.load(tmp_path / "m.npz")
    other = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    other.load_state_dict(ckpt["model"])
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    opt2 = optim.Adam(other.parameters())
    opt2.load_state_dict(ckpt["optimizer"])
    assert opt2.state[other[0].weight]["step"] == 1


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"v": 1}, path)

    def broken_savez(f, **entries):
        f.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"v": 2}, path)
    monkeypatch.undo()
    assert tg.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_saved_files_get_the_usual_permissions(tmp_path):
    """A new checkpoint gets the mode open() would give it under the umask (the temporary file
    behind the atomic write is owner-only); an existing one keeps its own mode."""
    mask = os.umask(0o022)
    try:
        path = tmp_path / "ckpt.npz"
        tg.save({"v": 1}, path)
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.chmod(path, 0o640)
        tg.save({"v": 2}, path)
        assert os.stat(path).st_mode & 0o777 == 0o640 and tg.load(path) == {"v": 2}
    finally:
        os.umask(mask)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_refuses_pickle(tmp_path):
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": Evil()}))
    with pytest.raises(CheckpointError, match="pickle"):
        tg.load(path)


def test_refuses_object_arrays_inside_npz(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, __structure__=np.array([Evil()], dtype=object))
    with pytest.raises(CheckpointError, match="corrupted|pickle"):
        tg.load(path)


def test_truncated_random_and_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": np.arange(1000.0)}, good)
    raw = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        tg.load(tmp_path / "trunc.npz")
    (tmp_path / "random.npz").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(CheckpointError, match="not a tinygrad_cnn checkpoint"):
        tg.load(tmp_path / "random.npz")
    np.savez(tmp_path / "foreign.npz", x=np.ones(2))
    with pytest.raises(CheckpointError, match="no __structure__"):
        tg.load(tmp_path / "foreign.npz")
    corrupt = bytearray(raw)
    corrupt[len(raw) // 3: len(raw) // 3 + 50] = b"\0" * 50  # inside the array data
    (tmp_path / "corrupt.npz").write_bytes(bytes(corrupt))
    with pytest.raises(CheckpointError):
        tg.load(tmp_path / "corrupt.npz")


def test_save_refuses_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match="cannot store a set"):
        tg.save({"s": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="pickle"):
        tg.save({"a": np.array([object()])}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)
