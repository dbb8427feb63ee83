"""Every examples/seed_*.py runs (with small settings) and writes valid pictures."""

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _have_fashion_mnist() -> bool:
    from tinygrad_cnn.data import FashionMNIST

    try:
        FashionMNIST(train=False, download=False)
        return True
    except FileNotFoundError:
        return False


def run(name, argv):
    if str(EXAMPLES) not in sys.path:  # as for `python examples/NAME.py`: its helpers import
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


CASES = [
    ("seed_kernels", ["--image", "hopper"], ["seed_kernels.png"]),
    ("seed_flight_average", [], ["seed_flight_average.png"]),
    ("seed_toeplitz", ["--size", "5"], ["seed_toeplitz.png"]),
    ("seed_graph", ["--batch-size", "2"],
     ["seed_graph.svg", "seed_graph.png", "seed_graph_layers.png"]),
    pytest.param("seed_filters", ["--steps", "3", "--batch-size", "8"],
                 ["seed_filters.png", "seed_feature_maps.png"],
                 marks=pytest.mark.skipif(not _have_fashion_mnist(),
                                          reason="Fashion-MNIST not installed")),
]


@pytest.mark.parametrize("name, argv, files", CASES)
def test_example_writes_valid_pictures(name, argv, files, tmp_path):
    paths = run(name, [*argv, "--out", str(tmp_path)])
    assert sorted(p.name for p in paths) == sorted(files)
    for f in files:
        path = tmp_path / f
        if f.endswith(".svg"):
            assert ET.parse(path).getroot().tag.endswith("svg")
        else:
            with Image.open(path) as im:
                im.verify()
                assert im.format == "PNG" and im.size[0] > 100 and im.size[1] > 50


def test_kernels_on_fashion_mnist_keep_the_size(tmp_path):
    if not _have_fashion_mnist():
        pytest.skip("Fashion-MNIST not installed")
    (path,) = run("seed_kernels", ["--image", "fashion", "--out", str(tmp_path)])
    assert path.exists()
