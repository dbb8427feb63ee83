"""Fashion-MNIST and MNIST: 28x28 grey images in 10 classes (60 000 train, 10 000 test).

The files are looked for, in order, in ``root`` (and ``root/<name>``), in
``$TINYGRAD_CNN_DATA`` (and its ``<name>`` subfolder), and where Debian's
``dataset-fashion-mnist`` package installs them (``/usr/share/datasets/fashion-mnist``).
Otherwise, with ``download=True``, they are downloaded from the official source into
``root``, ``$TINYGRAD_CNN_DATA`` or ``~/.cache/tinygrad_cnn/<name>`` and checked against their
known MD5 sums.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from types import MappingProxyType

import numpy as np

from tinygrad_cnn._files import write_atomically
from tinygrad_cnn.data.dataset import Dataset
from tinygrad_cnn.data.idx import read_idx

__all__ = ["FashionMNIST", "MNIST", "FASHION_MNIST_CLASSES", "preprocess"]

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


def preprocess(images, padding: int = 0, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """uint8 images ``(N, H, W)`` to float32 ``(N, 1, H + 2*padding, W + 2*padding)``.

    Scaled to [0, 1], zero-padded (the background of these images is 0), then normalised as
    ``(x - mean) / std``.

    >>> preprocess(np.full((1, 2, 2), 255, np.uint8), padding=1)[0, 0].tolist()
    [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    p = int(padding)
    n, h, w = images.shape
    x = np.zeros((n, 1, h + 2 * p, w + 2 * p), dtype=np.float32)
    np.multiply(images, np.float32(1 / 255), out=x[:, 0, p:p + h, p:p + w])
    if mean != 0.0 or std != 1.0:
        x -= np.float32(mean)
        x *= np.float32(1 / std)
    return x


class _MNISTLike(Dataset):
    """Images ``(N, 28, 28)`` uint8 in ``.data``, labels int64 in ``.targets``.

    A sample (and a batch from ``get_batch``) is a float32 image ``(1, 28 + 2*padding, ...)``
    scaled to [0, 1], zero-padded by ``padding`` pixels on each side (LeNet-5 wants 32x32:
    ``padding=2``), then normalised as ``(x - mean) / std``; and its label.
    """

    name = ""
    files = {"train": ("", ""), "test": ("", "")}
    md5 = {}
    mirrors: tuple = ()
    system_dirs: tuple = ()
    classes: tuple = tuple(str(i) for i in range(10))

    def __init__(self, root=None, train: bool = True, download: bool = True, padding: int = 0,
                 mean: float = 0.0, std: float = 1.0) -> None:
        self.root, self.train = root, train
        self.padding, self.mean, self.std = int(padding), float(mean), float(std)
        images, labels = self.files["train" if train else "test"]
        folder = self._find(images, labels)
        if folder is None:
            if not download:
                raise FileNotFoundError(
                    f"{type(self).__name__}: {images} and {labels} not found in "
                    f"{', '.join(self._search_dirs()) or '(nowhere to look)'}; pass download=True, "
                    f"or {self._install_hint()}"
                )
            folder = self._download_dir()
            for fname in (images, labels):
                self._download(fname, folder)
        self.folder = folder
        self.data = read_idx(self._path(folder, images))
        self.targets = read_idx(self._path(folder, labels)).astype(np.int64)
        if self.data.ndim != 3 or len(self.data) != len(self.targets):
            raise ValueError(
                f"{type(self).__name__}: images {self.data.shape} and labels {self.targets.shape} "
                f"in {folder!r} do not match"
            )

    # -- locating ---------------------------------------------------------------------------
    def _search_dirs(self) -> list[str]:
        dirs = []
        for base in (self.root, os.environ.get("TINYGRAD_CNN_DATA")):
            if base:
                dirs += [os.fspath(base), os.path.join(os.fspath(base), self.name)]
        return dirs + list(self.system_dirs)

    @staticmethod
    def _path(folder: str, fname: str):
        for candidate in (fname, fname[:-3] if fname.endswith(".gz") else fname + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _find(self, *fnames):
        for folder in self._search_dirs():
            if all(self._path(folder, f) for f in fnames):
                return folder
        return None

    def _download_dir(self) -> str:
        if self.root:
            return os.fspath(self.root)
        if os.environ.get("TINYGRAD_CNN_DATA"):
            return os.environ["TINYGRAD_CNN_DATA"]
        return os.path.join(os.path.expanduser("~"), ".cache", "tinygrad_cnn", self.name)

    def _install_hint(self) -> str:
        return "put the files into root or $TINYGRAD_CNN_DATA"

    def _download(self, fname: str, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        errors = []
        for mirror in self.mirrors:
            url = mirror + fname
            try:
                with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                    payload = response.read()
            except (urllib.error.URLError, OSError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            digest = hashlib.md5(payload).hexdigest()  # noqa: S324  (a checksum, not security)
            if digest != self.md5[fname]:
                errors.append(f"{url}: checksum mismatch (md5 {digest}, expected {self.md5[fname]})")
                continue
            write_atomically(os.path.join(folder, fname), lambda f, data=payload: f.write(data))
            return
        raise RuntimeError(
            f"{type(self).__name__}: could not download {fname} (offline?):\n  "
            + "\n  ".join(errors) + f"\n{self._install_hint()[0].upper()}{self._install_hint()[1:]}."
        )

    # -- samples ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    def get_batch(self, indices) -> tuple:
        """Images ``indices`` preprocessed as one float32 batch ``(N, 1, H, W)``, and their labels
        (shown in the :class:`FashionMNIST` and :class:`MNIST` examples)."""
        return preprocess(self.data[indices], self.padding, self.mean, self.std), self.targets[indices]

    def __getitem__(self, index: int):
        x, y = self.get_batch(np.array([index]))
        return x[0], y[0]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(split={'train' if self.train else 'test'}, "
                f"samples={len(self)}, folder={self.folder!r})")


class FashionMNIST(_MNISTLike):
    """Zalando's Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): clothing in 10 classes.

    With the real files installed, ``FashionMNIST(train=False, padding=2)[0]`` is a (1, 32, 32)
    image of an ankle boot. Here two blank images stand in for them:

    >>> import os, tempfile
    >>> from tinygrad_cnn.data import write_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> write_idx(os.path.join(tmp.name, "t10k-images-idx3-ubyte.gz"), np.zeros((2, 28, 28), np.uint8))
    >>> write_idx(os.path.join(tmp.name, "t10k-labels-idx1-ubyte.gz"), np.array([9, 0], np.uint8))
    >>> ds = FashionMNIST(root=tmp.name, train=False, download=False, padding=2)
    >>> x, y = ds[0]; x.shape, ds.classes[y]
    ((1, 32, 32), 'Ankle boot')
    >>> images, labels = ds.get_batch([1, 0]); images.shape, images.dtype, labels.tolist()
    ((2, 1, 32, 32), dtype('float32'), [0, 9])
    >>> tmp.cleanup()
    """

    name = "fashion-mnist"
    files = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
    md5 = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    classes = FASHION_MNIST_CLASSES
    # LeNet-5's input: 28x28 padded to 32x32, scaled by the training set's mean and std.
    # Read-only: the train and predict commands share it (checkpoints store it as a dict).
    LENET_PREPROCESS = MappingProxyType({"padding": 2, "mean": 0.2860, "std": 0.3530})

    def _install_hint(self) -> str:
        return ("on Debian install the files with `apt-get install dataset-fashion-mnist`, or put "
                "them into root or $TINYGRAD_CNN_DATA")


class MNIST(_MNISTLike):
    """LeCun's handwritten digits, read from IDX files found as the module docstring says.

    ``train`` picks the 60 000 training or the 10 000 test samples; a sample is a float32 image
    ``(1, 28 + 2*padding, 28 + 2*padding)`` made by :func:`preprocess` and an int64 label. Here
    three blank images stand in for the real files:

    >>> import os, tempfile
    >>> from tinygrad_cnn.data import write_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> write_idx(os.path.join(tmp.name, "t10k-images-idx3-ubyte.gz"), np.zeros((3, 28, 28), np.uint8))
    >>> write_idx(os.path.join(tmp.name, "t10k-labels-idx1-ubyte.gz"), np.array([7, 2, 1], np.uint8))
    >>> ds = MNIST(root=tmp.name, train=False, download=False, padding=2)
    >>> ds
    MNIST(split=test, samples=3, folder='...')
    >>> x, y = ds[0]; x.shape, int(y)
    ((1, 32, 32), 7)
    >>> images, labels = ds.get_batch([2, 0]); images.shape, labels.tolist()
    ((2, 1, 32, 32), [1, 7])
    >>> tmp.cleanup()
    """

    name = "mnist"
    files = FashionMNIST.files
    md5 = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
