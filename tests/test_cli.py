"""The command line end to end on a tiny synthetic Fashion-MNIST: progress, checkpoint, curves
PNG, exact resume, predict on IDX and PNG files."""

import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.cli import main
from tinygrad_cnn.data import write_idx


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """Images whose class is the row of a bright bar: learnable in a few steps."""
    root = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    for prefix, n, gz in (("train", 96, ".gz"), ("t10k", 32, "")):
        y = np.arange(n) % 10
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(y):
            x[i, 2 * k + 4: 2 * k + 8, 4:24] = 220
        write_idx(root / f"{prefix}-images-idx3-ubyte{gz}", x)
        write_idx(root / f"{prefix}-labels-idx1-ubyte{gz}", y.astype(np.uint8))
    return root


def _train(root, out, *extra):
    return ["train", "--data-root", str(root), "--out", str(out), "--epochs", "2",
            "--batch-size", "16", "--optimizer", "sgd", "--seed", "1", *extra]


def test_train_progress_checkpoint_curves_and_resume(data_root, tmp_path, capsys):
    full = tmp_path / "full"
    assert main(_train(data_root, full)) == 0
    captured = capsys.readouterr()
    assert "img_s=" in captured.err and "loss=" in captured.err  # the tqdm bar
    assert "epoch 2/2: train loss" in captured.out
    final = [line for line in captured.out.splitlines() if line.startswith("test accuracy: ")]
    assert len(final) == 1 and len(final[0]) == len("test accuracy: 0.xxxx")
    assert (full / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ckpt = tg.load(full / "checkpoint.npz")
    assert ckpt["epoch"] == 2 and ckpt["model_name"] == "lenet"
    assert len(ckpt["history"]["test_acc"]) == 2 and "rng" in ckpt

    split = tmp_path / "split"
    main(_train(data_root, split, "--stop-after", "1", "--no-progress"))
    assert tg.load(split / "checkpoint.npz")["epoch"] == 1
    main(_train(data_root, split, "--resume", "--no-progress"))
    out = capsys.readouterr().out
    assert "resumed from" in out and out.strip().endswith(final[0])
    resumed = tg.load(split / "checkpoint.npz")
    for key, value in ckpt["model"].items():
        np.testing.assert_array_equal(resumed["model"][key], value, err_msg=key)
    assert resumed["history"]["test_loss"] == ckpt["history"]["test_loss"]


def test_bncnn_adam_limit(data_root, tmp_path, capsys):
    main(["train", "--data-root", str(data_root), "--out", str(tmp_path), "--model", "bncnn",
          "--epochs", "1", "--limit", "32", "--test-limit", "16", "--batch-size", "16",
          "--no-progress"])
    out = capsys.readouterr().out
    assert "test accuracy: " in out
    assert tg.load(tmp_path / "checkpoint.npz")["history"]["images_per_s"][0] > 0


def test_predict_idx_and_png(data_root, tmp_path, capsys):
    from PIL import Image

    main(_train(data_root, tmp_path, "--no-progress", "--epochs", "1"))
    capsys.readouterr()
    img = np.zeros((28, 28), np.uint8)
    img[2 * 9 + 4: 2 * 9 + 8, 4:24] = 220
    Image.fromarray(img).save(tmp_path / "bar.png")
    ckpt = str(tmp_path / "checkpoint.npz")
    main(["predict", "-c", ckpt, "--count", "3", str(data_root / "t10k-images-idx3-ubyte"),
          str(tmp_path / "bar.png")])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith(f"{data_root / 't10k-images-idx3-ubyte'}[0]: ")
    names = set(tg.data.FASHION_MNIST_CLASSES)
    assert all(line.split(": ", 1)[1].rsplit(" (", 1)[0] in names for line in lines)
    assert lines[3].startswith(str(tmp_path / "bar.png"))


def test_module_entry_point_and_light_import():
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    help_text = subprocess.run([sys.executable, "-m", "tinygrad_cnn", "--help"], env=env,
                               capture_output=True, text=True, check=True).stdout
    assert "train" in help_text and "predict" in help_text
    code = ("import sys, tinygrad_cnn, tinygrad_cnn.cli, tinygrad_cnn.data, tinygrad_cnn.models; "
            "print(sorted(m for m in ('tqdm', 'matplotlib', 'PIL') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_predict_errors_are_one_line_messages(tmp_path):
    from tinygrad_cnn import cli

    with pytest.raises(SystemExit, match="checkpoint .* not found; train first"):
        cli.main(["predict", "--checkpoint", str(tmp_path / "none.npz"), "x.png"])


@pytest.mark.parametrize("device, match", [
    ("gpu", r"train: --device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    pytest.param("cuda", "train: --device: device 'cuda' needs CuPy", marks=pytest.mark.skipif(
        tg.cuda_is_available(), reason="CuPy and a GPU are here")),
])
def test_bad_device_is_a_one_line_message(data_root, tmp_path, device, match):
    with pytest.raises(SystemExit, match=match):
        main(_train(data_root, tmp_path, "--device", device))


def test_summary_bad_device_is_a_one_line_message():
    with pytest.raises(SystemExit, match=r"summary: --device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"):
        main(["summary", "--model", "lenet", "--device", "gpu"])


def test_graph_without_the_graphviz_package_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(SystemExit, match=r"graph: draw_graph needs the graphviz Python package: "
                                         r"`pip install graphviz`"):
        main(["graph", "--model", "lenet", "--out", str(tmp_path / "g.svg")])


def test_epoch_tally_stays_on_the_device_and_matches_reading_every_step():
    """The training loop's running loss and accuracy are added where the model runs (on a GPU
    a read-back per step would stall it); the totals equal those of reading each step back."""
    import tinygrad_cnn.nn.functional as F
    from tinygrad_cnn.cli import _DeviceTally

    rng = np.random.default_rng(3)
    tally, loss_sum, correct, seen = _DeviceTally(), 0.0, 0, 0
    for n in (5, 7, 3):
        out = tg.Tensor(rng.standard_normal((n, 10)).astype(np.float32), device="strict")
        y = tg.Tensor(rng.integers(0, 10, n), device="strict")
        loss = F.cross_entropy(out, y)
        tally.add(loss, out, y, n)
        loss_sum += float(loss.item()) * n
        correct += int((out.numpy().argmax(1) == y.numpy()).sum())
        seen += n
    assert type(tally.loss_sum) is type(out.data) and type(tally.correct) is type(out.data)
    assert tally.mean_loss() == loss_sum / seen
    assert tally.accuracy() == correct / seen
