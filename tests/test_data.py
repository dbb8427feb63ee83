"""Data: IDX files, datasets, the DataLoader, and Fashion-MNIST/MNIST lookup and download."""

import gzip
import hashlib
import os

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.data import (
    MNIST,
    DataLoader,
    Dataset,
    FashionMNIST,
    IDXError,
    TensorDataset,
    read_idx,
    write_idx,
)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["x.idx", "x.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    arr = (np.arange(60) - 20).astype(dtype).reshape(3, 4, 5)
    write_idx(tmp_path / name, arr)
    back = read_idx(tmp_path / name)
    assert back.dtype == dtype and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, arr)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\0\0")


def test_idx_header_layout(tmp_path):
    write_idx(tmp_path / "l.idx", np.array([7, 2], dtype=np.uint8))
    assert (tmp_path / "l.idx").read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 2])


def test_idx_errors(tmp_path):
    write_idx(tmp_path / "x.idx", np.zeros((4, 5), np.uint8))
    raw = (tmp_path / "x.idx").read_bytes()
    (tmp_path / "t.idx").write_bytes(raw[:-3])
    with pytest.raises(IDXError, match="truncated"):
        read_idx(tmp_path / "t.idx")
    (tmp_path / "m.idx").write_bytes(b"\x01\x02\x03\x04" + raw[4:])
    with pytest.raises(IDXError, match="not an IDX file"):
        read_idx(tmp_path / "m.idx")
    (tmp_path / "g.gz").write_bytes(gzip.compress(raw)[:-10])
    with pytest.raises(IDXError, match="gzip"):
        read_idx(tmp_path / "g.gz")


def test_dataloader_batches_and_drop_last():
    ds = TensorDataset(np.arange(10, dtype=np.float32)[:, None], np.arange(10))
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    batches = [y.tolist() for _, y in loader]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, _ = next(iter(loader))
    assert isinstance(x, tg.Tensor) and x.shape == (4, 1) and not x.requires_grad
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]


def test_shuffle_is_seeded_per_epoch_and_resumable():
    ds = TensorDataset(np.arange(50))
    a = DataLoader(ds, batch_size=50, shuffle=True, seed=3)
    e0, e1 = [next(iter(a))[0].tolist() for _ in range(2)]
    assert sorted(e0) == list(range(50)) and e0 != e1 and e0 != list(range(50))
    b = DataLoader(ds, batch_size=50, shuffle=True, seed=3)
    b.set_epoch(1)
    assert next(iter(b))[0].tolist() == e1
    tg.manual_seed(5)
    c = [next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist()]
    tg.manual_seed(5)
    assert next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist() == c[0]


def test_generic_dataset_and_device(device):
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.float32(i), i * i

    x, y = next(iter(DataLoader(Squares(), batch_size=5, device=device)))
    assert y.tolist() == [0, 1, 4, 9, 16] and x.device == tg.get_device(device)


def _write_fashion(folder, n_train=20, n_test=8, gz=True):
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"),
                  rng.integers(0, 256, (n, 28, 28)).astype(np.uint8))
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"),
                  (np.arange(n) % 10).astype(np.uint8))


@pytest.fixture
def no_system(monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_root(tmp_path, no_system, gz):
    _write_fashion(tmp_path, gz=gz)
    train = FashionMNIST(tmp_path, train=True, download=False)
    test = FashionMNIST(tmp_path, train=False, download=False, padding=2, mean=0.5, std=0.25)
    assert len(train) == 20 and len(test) == 8
    x, y = train[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y == 3
    np.testing.assert_allclose(x[0], train.data[3] / 255, rtol=1e-6)
    xb, yb = test.get_batch(np.array([0, 1]))
    assert xb.shape == (2, 1, 32, 32) and yb.tolist() == [0, 1]
    np.testing.assert_allclose(xb[0, 0, 0, 0], (0 - 0.5) / 0.25)
    np.testing.assert_allclose(xb[0, 0, 2:30, 2:30], (test.data[0] / 255 - 0.5) / 0.25, atol=1e-5)
    assert test.classes[9] == "Ankle boot"


def test_lenet_preprocess_is_read_only():
    """The train and predict commands share LeNet-5's preprocessing; nobody can change it."""
    with pytest.raises(TypeError):
        FashionMNIST.LENET_PREPROCESS["mean"] = 0.0
    assert dict(FashionMNIST.LENET_PREPROCESS) == {"padding": 2, "mean": 0.2860, "std": 0.3530}


def test_fashion_mnist_env_var_and_errors(tmp_path, no_system, monkeypatch):
    _write_fashion(tmp_path / "fashion-mnist")
    monkeypatch.setenv("TINYGRAD_CNN_DATA", str(tmp_path))
    assert len(FashionMNIST(train=False, download=False)) == 8
    monkeypatch.delenv("TINYGRAD_CNN_DATA")
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        FashionMNIST(tmp_path / "empty", download=False)


def test_download_with_checksum(tmp_path, monkeypatch, no_system):
    mirror = tmp_path / "mirror"
    _write_fashion(mirror)
    files = FashionMNIST.files["train"] + FashionMNIST.files["test"]
    md5 = {f: hashlib.md5((mirror / f).read_bytes()).hexdigest() for f in files}
    monkeypatch.setattr(FashionMNIST, "mirrors", ("file:///nonexistent/", mirror.as_uri() + "/"))
    monkeypatch.setattr(FashionMNIST, "md5", md5)
    ds = FashionMNIST(tmp_path / "dl", train=True)
    assert len(ds) == 20 and sorted(os.listdir(tmp_path / "dl")) == sorted(FashionMNIST.files["train"])
    monkeypatch.setattr(FashionMNIST, "md5", {f: "0" * 32 for f in files})
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        FashionMNIST(tmp_path / "dl2", train=False)
    monkeypatch.setattr(FashionMNIST, "mirrors", ("http://127.0.0.1:9/",))
    with pytest.raises(RuntimeError, match="could not download .*offline"):
        FashionMNIST(tmp_path / "dl3", train=False)


def test_mnist_uses_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)
    _write_fashion(tmp_path / "mnist")
    assert len(MNIST(tmp_path, train=False, download=False)) == 8


@pytest.mark.skipif(not os.path.exists("/usr/share/datasets/fashion-mnist"),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_package_location(monkeypatch):
    monkeypatch.delenv("TINYGRAD_CNN_DATA", raising=False)
    ds = FashionMNIST(train=False, download=False)
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28)
    assert ds.classes[int(ds.targets[0])] == "Ankle boot"


def test_plain_sequence_and_dataset_subclass_batch_alike():
    """Any object with __len__/__getitem__ loads like a Dataset subclass, list samples too."""
    from tinygrad_cnn.data import Dataset

    class Plain:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return [np.full(2, float(i)), i]

    class Sub(Plain, Dataset):
        pass

    for ds in (Plain(), Sub()):
        x, y = next(iter(DataLoader(ds, 2)))
        assert x.shape == (2, 2) and y.tolist() == [0, 1]


def test_batches_are_copies_of_the_dataset():
    x = np.arange(6, dtype=np.float32).reshape(6, 1)
    for shuffle in (False, True):
        for xb, _ in DataLoader(TensorDataset(x, np.arange(6)), batch_size=3, shuffle=shuffle, seed=0):
            xb.mul_(10)
    assert x.ravel().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_samples_are_collated_in_their_own_structure():
    class Lone(Dataset):  # one array per sample: one Tensor per batch, not a 1-tuple
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.full(2, float(i), np.float32)

    class Mixed(Lone):  # Tensors inside tuples, dicts
        def __getitem__(self, i):
            return {"x": tg.Tensor([float(i), 1.0]), "pair": (i, np.float32(i) / 2)}

    batch = next(iter(DataLoader(Lone(), batch_size=2)))
    assert isinstance(batch, tg.Tensor) and batch.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    batch = next(iter(DataLoader(Mixed(), batch_size=2)))
    assert batch["x"].dtype == np.float32 and batch["x"].tolist() == [[0.0, 1.0], [1.0, 1.0]]
    assert batch["pair"][0].tolist() == [0, 1] and batch["pair"][1].tolist() == [0.0, 0.5]


def test_unseeded_shuffle_follows_manual_seed_each_epoch():
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=20, shuffle=True)
    tg.manual_seed(0)
    first, other = ([y.tolist() for (y,) in loader] for _ in range(2))
    tg.manual_seed(0)  # as torch.manual_seed before an epoch: that epoch's order again
    again = [y.tolist() for (y,) in loader]
    assert first == again and first != other


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t, u = tg.tensor(a), tg.Tensor(a)
    a[0] = 99.0
    assert t.tolist() == [1.0, 2.0] and u.tolist() == [99.0, 2.0]  # Tensor(array) keeps it
    src = tg.Tensor([1.0, 2.0])
    copy = tg.tensor(src)
    src.add_(1)
    assert copy.tolist() == [1.0, 2.0]


def test_a_custom_get_batch_may_return_lists_of_numbers():
    class Lists:
        def __len__(self):
            return 2

        def get_batch(self, indices):
            return [0.0, 1.0], [0, 1]

    x, y = next(iter(DataLoader(Lists(), 2)))
    assert x.tolist() == [0.0, 1.0] and y.tolist() == [0, 1]


def test_subset_and_random_split():
    from tinygrad_cnn.data import Subset, random_split

    ds = TensorDataset(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10))
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and int(sub[1][1]) == 2
    x, y = next(iter(DataLoader(sub, batch_size=3)))
    assert y.tolist() == [7, 2, 5] and x.tolist()[0] == [14.0, 15.0]
    with pytest.raises(IndexError, match=r"Subset: indices: expected values in \[-10, 9\]"):
        Subset(ds, [10])
    # PyTorch's rounding: floor each fraction, the rest one each to the first subsets.
    assert [len(s) for s in random_split(ds, [0.5, 0.3, 0.2], generator=0)] == [5, 3, 2]
    assert [len(s) for s in random_split(TensorDataset(np.arange(5)), [0.3, 0.3, 0.4])] == [2, 1, 2]
    parts = random_split(ds, [7, 3], generator=1)
    seen = sorted(int(p[i][1]) for p in parts for i in range(len(p)))
    assert seen == list(range(10))  # a partition
    again = random_split(ds, [7, 3], generator=1)
    assert [int(again[1][i][1]) for i in range(3)] == [int(parts[1][i][1]) for i in range(3)]
    with pytest.raises(ValueError, match="adding up to the dataset's size 10"):
        random_split(ds, [4, 4])
    for bad in ("abc", 1.5, True):
        with pytest.raises(TypeError, match=rf"random_split: generator: expected a numpy.random.Generator "
                                            rf"or a seed.* got {type(bad).__name__} "):
            random_split(ds, [7, 3], generator=bad)
    with pytest.raises(ValueError, match=r"random_split: generator: expected a seed >= 0, got -1"):
        random_split(ds, [7, 3], generator=-1)
    first = [int(s[i][1]) for s in parts for i in range(len(s))]
    for seed in (np.int64(1), np.random.SeedSequence(1), np.random.PCG64(1)):  # the seeds NumPy takes
        assert [int(s[i][1]) for s in random_split(ds, [7, 3], generator=seed) for i in range(len(s))] == first


class _Mixed(Dataset):
    """Samples of every kind the loader converts or leaves alone; it records the indices asked for."""

    def __init__(self, n=5):
        self.n, self.asked = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.asked.append(i)
        return (np.full(2, i, np.float32), np.int64(i), i, "s", [i, 2.5], {"a": np.float32(i) / 2})

    def get_batch(self, indices):
        raise AssertionError("collate_fn and batch_size=None fetch samples one by one")


def test_collate_fn_gets_the_samples_and_its_result_is_yielded_as_is():
    ds = _Mixed()
    seen = []

    def collate_fn(samples):
        seen.append(samples)
        return [s[2] for s in samples]

    loader = DataLoader(ds, batch_size=2, collate_fn=collate_fn)
    assert list(loader) == [[0, 1], [2, 3], [4]] and len(loader) == 3
    assert [type(i) for i in ds.asked] == [int] * 5  # plain ints, as PyTorch's samplers give
    assert isinstance(seen[0], list) and seen[0][1][0].tolist() == [1.0, 1.0]
    assert list(DataLoader(ds, batch_size=2, drop_last=True, collate_fn=collate_fn)) == [[0, 1], [2, 3]]
    # Shuffled with a seed: the same order as the default batches.
    plain = TensorDataset(np.arange(7))
    ours = list(DataLoader(plain, 3, shuffle=True, seed=4, collate_fn=lambda s: [int(x) for (x,) in s]))
    assert ours == [y.tolist() for (y,) in DataLoader(plain, 3, shuffle=True, seed=4)]


def test_generator_drives_the_shuffle_order():
    ds = TensorDataset(np.arange(30))
    loader = DataLoader(ds, batch_size=30, shuffle=True, generator=np.random.default_rng(7))
    e0, e1 = (next(iter(loader))[0].tolist() for _ in range(2))
    assert sorted(e0) == list(range(30)) and e0 != e1 and e0 != list(range(30))
    again = DataLoader(ds, batch_size=30, shuffle=True, generator=np.random.default_rng(7))
    again.set_epoch(5)  # set_epoch only chooses seed= orders
    assert [next(iter(again))[0].tolist() for _ in range(2)] == [e0, e1]
    # The library's own generator is a NumPy Generator, and works as one.
    tg.manual_seed(3)
    a = next(iter(DataLoader(ds, batch_size=30, shuffle=True, generator=tg.creation.default_generator())))[0].tolist()
    assert a == np.random.default_rng(3).permutation(30).tolist()
    # Without shuffle the order stays sequential and the generator is not drawn from.
    gen = np.random.default_rng(0)
    state = gen.bit_generator.state
    assert next(iter(DataLoader(ds, batch_size=30, generator=gen)))[0].tolist() == list(range(30))
    assert gen.bit_generator.state == state


def test_batch_size_none_yields_converted_samples(device):
    ds = _Mixed(3)
    loader = DataLoader(ds, batch_size=None, device=device)
    assert len(loader) == 3
    samples = list(loader)
    x, label, i, s, pair, d = samples[1]
    assert isinstance(x, tg.Tensor) and x.tolist() == [1.0, 1.0] and x.dtype == np.float32
    assert x.device == tg.get_device(device)
    assert isinstance(label, tg.Tensor) and label.shape == () and label.item() == 1
    assert (i, s, pair[0], pair[1]) == (1, "s", 1, 2.5) and type(i) is int and type(pair) is list
    assert isinstance(d["a"], tg.Tensor) and d["a"].item() == 0.5
    # Each sample is a copy: changing it leaves the dataset alone.
    arrays = TensorDataset(np.arange(4, dtype=np.float32).reshape(2, 2))
    for (row,) in DataLoader(arrays, batch_size=None):
        row.mul_(10)
    assert arrays.arrays[0].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    # Shuffled, and passed one by one to a collate_fn.
    order = [int(v) for (v,) in DataLoader(TensorDataset(np.arange(20)), batch_size=None, shuffle=True, seed=1)]
    assert sorted(order) == list(range(20)) and order != list(range(20))
    assert list(DataLoader(_Mixed(3), batch_size=None, collate_fn=lambda s: s[2])) == [0, 1, 2]


def test_batch_size_none_keeps_named_tuples_and_tensor_samples_are_copied():
    from collections import namedtuple

    Pair = namedtuple("Pair", "x y")
    t = tg.Tensor([1.0, 2.0])
    sample = next(iter(DataLoader([Pair(t, 3)], batch_size=None)))
    assert type(sample) is Pair and sample.y == 3
    sample.x.add_(1)
    assert t.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"collate_fn": 3}, TypeError, r"DataLoader: collate_fn: expected a callable taking a list of samples, got int 3"),
    ({"generator": 0}, TypeError,
     r"DataLoader: generator: expected a numpy.random.Generator .*got int 0; for an int seed, pass seed=0"),
    ({"generator": np.random.RandomState(0)}, TypeError, r"DataLoader: generator: .*got RandomState"),
    ({"generator": np.random.default_rng(0), "seed": 1}, ValueError,
     r"DataLoader: seed and generator: expected at most one, got seed=1"),
    ({"collate_fn": list, "device": "cpu"}, ValueError, r"DataLoader: device: collate_fn's result is yielded as it is"),
    ({"batch_size": None, "drop_last": True}, ValueError,
     r"DataLoader: drop_last: batch_size=None .*expected drop_last=False, got True"),
    ({"batch_size": 0}, ValueError, r"DataLoader: batch_size: expected an int >= 1, got 0"),
    ({"batch_size": -2}, ValueError, r"DataLoader: batch_size: expected an int >= 1, got -2"),
    ({"batch_size": True}, TypeError, r"DataLoader: batch_size: expected an int, got bool True"),
])
def test_loader_arguments_are_checked_where_the_loader_is_built(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(TensorDataset(np.arange(4)), **kwargs)


def test_collate_fn_and_batch_size_none_match_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader

    def describe(value):  # a comparable picture of a (possibly nested) yielded value
        if isinstance(value, dict):
            return {k: describe(v) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            return [describe(v) for v in value]  # PyTorch turns tuples into lists here
        if isinstance(value, (tg.Tensor, torch.Tensor)):
            return ("tensor", tuple(value.shape), value.tolist())
        return (type(value).__name__, value)

    for kwargs in ({"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}):
        for collate_fn in (lambda s: [x[2] for x in s] if isinstance(s, list) else s[2], None):
            if collate_fn is None and kwargs["batch_size"] is not None:
                continue  # the batched default path is compared elsewhere
            ours_ds, theirs_ds = _Mixed(), _Mixed()
            ours = list(DataLoader(ours_ds, collate_fn=collate_fn, **kwargs))
            theirs = list(TorchLoader(theirs_ds, collate_fn=collate_fn, **kwargs))
            assert describe(ours) == describe(theirs), (kwargs, collate_fn)
            assert ours_ds.asked == theirs_ds.asked
            assert len(DataLoader(_Mixed(), **kwargs)) == len(TorchLoader(_Mixed(), **kwargs))
    # Both shuffle samples when batching is off, and both refuse drop_last then.
    for loader in (DataLoader, TorchLoader):
        order = [int(v) for v in loader(range(20), batch_size=None, shuffle=True)]
        assert sorted(order) == list(range(20)) and order != list(range(20))
        with pytest.raises(ValueError):
            loader(range(4), batch_size=None, drop_last=True)
        for bad in (0, -1, True):
            with pytest.raises((TypeError, ValueError)):
                loader(range(4), batch_size=bad)
    # A generator: a fresh one seeded alike repeats the orders of successive passes, in both.
    for loader, make in ((DataLoader, np.random.default_rng), (TorchLoader, torch.Generator().manual_seed)):
        orders = [[list(map(int, b)) for b in loader(range(9), batch_size=9, shuffle=True, generator=make(2))]
                  for _ in range(2)]
        assert orders[0] == orders[1]
        passes = loader(range(9), batch_size=9, shuffle=True, generator=make(2))
        assert [list(map(int, next(iter(passes)))) for _ in range(2)][1] != orders[0][0]


def test_namedtuple_samples_give_namedtuple_batches_as_in_pytorch():
    from collections import namedtuple  # noqa: PLC0415

    Pair = namedtuple("Pair", ["image", "label"])

    class Pairs:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return Pair(np.full((2,), float(i), np.float32), i)

    batches = list(DataLoader(Pairs(), batch_size=2))
    assert [type(b) for b in batches] == [Pair] * 3
    assert batches[0].image.shape == (2, 2) and batches[2].label.tolist() == [4]
    torch = pytest.importorskip("torch")
    theirs = next(iter(torch.utils.data.DataLoader(Pairs(), batch_size=2)))
    assert type(theirs) is Pair and tuple(theirs.image.shape) == batches[0].image.shape
