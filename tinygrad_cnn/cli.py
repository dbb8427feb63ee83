"""The command line: ``python -m tinygrad_cnn <command> ...``.

Commands are registered with :func:`command`: a function that receives its argparse
sub-parser, adds its arguments and sets ``func`` (called with the parsed arguments). To add
a command, write one such function::

    @command("hello", help="print a greeting")
    def _hello(p):
        p.add_argument("name")
        p.set_defaults(func=lambda args: print(f"hello {args.name}"))
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from tinygrad_cnn.models import MODELS

__all__ = ["main", "command", "train", "predict", "build_parser"]

_COMMANDS: dict = {}

DEFAULT_LR = {"sgd": 0.05, "adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3}
CHECKPOINT = "checkpoint.npz"
CURVES = "training_curves.png"


def command(name: str, help: str):  # noqa: A002  (argparse's word)
    """Register ``configure(subparser)`` as the sub-command ``name``."""
    def register(configure):
        _COMMANDS[name] = (help, configure)
        return configure
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_cnn",
        description="tinygrad_cnn: train and use small CNNs (LeNet-5 on Fashion-MNIST).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure) in _COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text))
    from tinygrad_cnn.cli_inspect import add_subcommands  # noqa: PLC0415  (graph, summary)

    add_subcommands(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    args.func(args)
    return 0


# -- train --------------------------------------------------------------------------------
@command("train", help="train a model on Fashion-MNIST, evaluating on the test set each epoch")
def _train_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="lenet", choices=sorted(MODELS))
    p.add_argument("--epochs", type=int, default=5, help="total number of epochs (default 5)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="adam", choices=sorted(DEFAULT_LR))
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: sgd 0.05 with momentum 0.9, adam/adamw 2e-3, rmsprop 1e-3)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--schedule", default="cosine", choices=["cosine", "step", "none"],
                   help="learning-rate schedule over the epochs (default cosine)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--data-root", default=None, help="folder with the Fashion-MNIST IDX files")
    p.add_argument("--out", default=None, help="folder for the checkpoint and curves (default runs/MODEL)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--test-limit", type=int, default=None, help="use only the first N test images")
    p.add_argument("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
                   help=f"continue from a checkpoint (default OUT/{CHECKPOINT})")
    p.add_argument("--stop-after", type=int, default=None, metavar="EPOCH",
                   help="stop after this epoch (continue later with --resume and the same flags)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=train)


def _make_optimizer(name: str, params, lr: float, weight_decay: float):
    from tinygrad_cnn import optim  # noqa: PLC0415

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay or 1e-2)
    return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)


def _make_scheduler(name: str, optimizer, epochs: int):
    from tinygrad_cnn.optim import lr_scheduler  # noqa: PLC0415

    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1)
    return None


def _load_datasets(args):
    from tinygrad_cnn.data import FashionMNIST  # noqa: PLC0415

    kw = dict(root=args.data_root, **FashionMNIST.LENET_PREPROCESS)
    train_set, test_set = FashionMNIST(train=True, **kw), FashionMNIST(train=False, **kw)
    for ds, limit in ((train_set, args.limit), (test_set, args.test_limit)):
        if limit is not None:
            ds.data, ds.targets = ds.data[:limit], ds.targets[:limit]
    return train_set, test_set


def device_option(args):
    """--device as a Device; a bad name or a missing CuPy is a one-line error (every
    subcommand with a --device option goes through here)."""
    import tinygrad_cnn as tg  # noqa: PLC0415

    try:
        return tg.get_device(args.device)
    except (RuntimeError, ValueError) as exc:
        raise SystemExit(f"{args.command}: --device: {str(exc).removeprefix('device: ')}") from None


def evaluate(model, loader) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` over ``loader`` (eval mode, no graph)."""
    import tinygrad_cnn.nn.functional as F  # noqa: PLC0415
    from tinygrad_cnn import no_grad  # noqa: PLC0415

    model.eval()
    total = _DeviceTally()
    with no_grad():
        for x, y in loader:
            out = model(x)
            total.add(F.cross_entropy(out, y, reduction="sum"), out, y, 1)
    return total.mean_loss(), total.accuracy()


class _DeviceTally:
    """Running loss sum and correct count of an epoch, kept where the model runs.

    Reading a GPU number back makes the host wait for the GPU; adding on the device lets it
    run ahead, and the totals are only read for a progress-bar refresh and at the end. The
    loss sum is kept in float64 and added in the same order as ``float(loss) * n`` would be,
    so the figures are the same as reading every step back.
    """

    def __init__(self) -> None:
        self.loss_sum = self.correct = None
        self.seen = 0

    def add(self, loss, out, y, weight: int) -> None:
        """Count a batch: ``loss * weight`` is its summed loss (the batch size for a mean
        loss, 1 for a summed one), ``out`` its logits and ``y`` its labels."""
        step_loss = loss.data.astype("float64") * weight
        hits = (out.data.argmax(1) == y.data).sum()
        self.loss_sum = step_loss if self.loss_sum is None else self.loss_sum + step_loss
        self.correct = hits if self.correct is None else self.correct + hits
        self.seen += len(y)

    def mean_loss(self) -> float:
        return float(self.loss_sum) / self.seen if self.seen else 0.0

    def accuracy(self) -> float:
        return int(self.correct) / self.seen if self.seen else 0.0


def train(args) -> float:
    """The ``train`` command; returns the final test accuracy."""
    import tinygrad_cnn as tg  # noqa: PLC0415
    import tinygrad_cnn.nn.functional as F  # noqa: PLC0415
    from tinygrad_cnn.creation import default_generator  # noqa: PLC0415
    from tinygrad_cnn.data import DataLoader, FashionMNIST  # noqa: PLC0415
    from tinygrad_cnn.models import get_model  # noqa: PLC0415

    tg.manual_seed(args.seed)
    device = device_option(args)
    tg.backend.retain_host_memory()  # reuse freed buffers: fewer page faults per step
    if args.out is None:
        args.out = os.path.join("runs", args.model)  # each model keeps its own checkpoint
    os.makedirs(args.out, exist_ok=True)
    train_set, test_set = _load_datasets(args)
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    model = get_model(args.model).to(device)
    optimizer = _make_optimizer(args.optimizer, model.parameters(), lr, args.weight_decay)
    scheduler = _make_scheduler(args.schedule, optimizer, args.epochs)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed,
                              device=device)
    test_loader = DataLoader(test_set, 1000, device=device)
    history = {"epoch": [], "train_loss": [], "train_acc": [], "test_loss": [], "test_acc": [],
               "seconds": [], "images_per_s": []}
    start_epoch = 0
    if args.resume is not None:
        path = args.resume or os.path.join(args.out, CHECKPOINT)
        ckpt = _load_checkpoint("train --resume", path)
        if ckpt["model_name"] != args.model:
            raise SystemExit(f"--resume: {path} holds a {ckpt['model_name']!r} model, not {args.model!r}")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None and ckpt.get("scheduler") is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        default_generator().bit_generator.state = ckpt["rng"]
        history, start_epoch = ckpt["history"], int(ckpt["epoch"])
        print(f"resumed from {path} after epoch {start_epoch}")

    test_acc = history["test_acc"][-1] if history["test_acc"] else float("nan")
    last = args.epochs if args.stop_after is None else min(args.stop_after, args.epochs)
    for epoch in range(start_epoch, last):
        train_loader.set_epoch(epoch)
        model.train()
        bar = _progress(train_loader, f"epoch {epoch + 1}/{args.epochs}", args.no_progress)
        tally, t0 = _DeviceTally(), time.perf_counter()
        for step, (x, y) in enumerate(train_loader if bar is None else bar):
            out = model(x)
            loss = F.cross_entropy(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tally.add(loss, out, y, len(y))
            if bar is not None and (step % 10 == 0 or tally.seen == len(train_set)):
                bar.set_postfix(loss=f"{tally.mean_loss():.4f}", acc=f"{tally.accuracy():.4f}",
                                img_s=f"{tally.seen / (time.perf_counter() - t0):.0f}", refresh=False)
        train_loss, train_acc, seen = tally.mean_loss(), tally.accuracy(), tally.seen
        seconds = time.perf_counter() - t0
        if scheduler is not None:
            scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader)
        for key, value in (("epoch", epoch + 1), ("train_loss", train_loss),
                           ("train_acc", train_acc), ("test_loss", test_loss),
                           ("test_acc", test_acc), ("seconds", seconds),
                           ("images_per_s", seen / seconds)):
            history[key].append(value)
        _write(bar, f"epoch {epoch + 1}/{args.epochs}: train loss {history['train_loss'][-1]:.4f} "
                    f"acc {history['train_acc'][-1]:.4f} | test loss {test_loss:.4f} acc "
                    f"{test_acc:.4f} | {seconds:.1f}s, {seen / seconds:.0f} images/s")
        tg.save({
            "model_name": args.model, "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch + 1, "rng": default_generator().bit_generator.state,
            "history": history,
            "args": {k: v for k, v in vars(args).items() if k != "func"},
            "preprocess": FashionMNIST.LENET_PREPROCESS,
        }, os.path.join(args.out, CHECKPOINT))
        plot_history(history, os.path.join(args.out, CURVES))
    print(f"saved {os.path.join(args.out, CHECKPOINT)} and {os.path.join(args.out, CURVES)}")
    print(f"test accuracy: {test_acc:.4f}")
    return test_acc


def _progress(loader, desc: str, disabled: bool):
    if disabled:
        return None
    from tqdm import tqdm  # noqa: PLC0415  (only the training command needs it)

    return tqdm(loader, total=len(loader), desc=desc, unit="batch", dynamic_ncols=True,
                file=sys.stderr)


def _write(bar, line: str) -> None:
    if bar is None:
        print(line, flush=True)
    else:
        bar.close()
        bar.write(line, file=sys.stdout)


def plot_history(history: dict, path: str) -> None:
    """Save loss and accuracy per epoch (train and test) as a PNG."""
    import matplotlib  # noqa: PLC0415  (heavy; only needed here)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    from tinygrad_cnn._files import write_atomically  # noqa: PLC0415

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = history["epoch"]
    ax_loss.plot(epochs, history["train_loss"], "o-", label="train")
    ax_loss.plot(epochs, history["test_loss"], "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.plot(epochs, history["train_acc"], "o-", label="train")
    ax_acc.plot(epochs, history["test_acc"], "s-", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    write_atomically(path, lambda f: fig.savefig(f, format="png", dpi=100), suffix=".png")
    plt.close(fig)


# -- predict ------------------------------------------------------------------------------
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@command("predict", help="classify PNG images or IDX samples with a trained checkpoint")
def _predict_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+",
                   help="PNG/JPEG files or IDX image files (.gz or raw), e.g. Debian's "
                        "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    p.add_argument("--checkpoint", "-c", default=os.path.join("runs", "lenet", CHECKPOINT),
                   help="a checkpoint written by `train` (default: %(default)s)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--start", type=int, default=0, help="first sample of an IDX file")
    p.add_argument("--count", type=int, default=10, help="samples to classify per IDX file (default: %(default)s)")
    p.add_argument("--invert", action="store_true",
                   help="invert image files (dark object on a light background)")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    p.set_defaults(func=predict)


def _read_inputs(args) -> list[tuple[str, np.ndarray]]:
    """``(label, uint8 image (28, 28))`` for every requested image."""
    from tinygrad_cnn.data import read_idx  # noqa: PLC0415

    items = []
    for path in args.inputs:
        if path.lower().endswith(IMAGE_EXTENSIONS):
            from PIL import Image  # noqa: PLC0415  (only needed for image files)

            with Image.open(path) as img:
                img = img.convert("L")
                if img.size != (28, 28):
                    img = img.resize((28, 28), Image.BILINEAR)
                arr = np.asarray(img, dtype=np.uint8)
            items.append((path, 255 - arr if args.invert else arr))
            continue
        data = read_idx(path)
        if data.ndim == 2:
            data = data[None]
        if data.ndim != 3:
            raise SystemExit(f"{path}: expected IDX images of shape (N, H, W), got {data.shape}")
        stop = min(args.start + args.count, len(data))
        items.extend((f"{path}[{i}]", data[i]) for i in range(args.start, stop))
    return items


def _load_checkpoint(command: str, path: str) -> dict:
    """Load a checkpoint, or stop with a one-line message (missing, corrupt, foreign file)."""
    import tinygrad_cnn as tg  # noqa: PLC0415
    from tinygrad_cnn.serialization import CheckpointError  # noqa: PLC0415

    if not os.path.exists(path):
        raise SystemExit(f"{command}: checkpoint {path!r} not found; train first "
                         "(python -m tinygrad_cnn train) or pass its path")
    try:
        return tg.load(path)
    except CheckpointError as exc:
        raise SystemExit(f"{command}: {exc}") from exc


def predict(args) -> list:
    """The ``predict`` command; returns ``[(label, class_name, probability), ...]``."""
    import tinygrad_cnn as tg  # noqa: PLC0415
    import tinygrad_cnn.nn.functional as F  # noqa: PLC0415
    from tinygrad_cnn.data import FASHION_MNIST_CLASSES, IDXError, preprocess  # noqa: PLC0415
    from tinygrad_cnn.models import get_model  # noqa: PLC0415
    ckpt = _load_checkpoint("predict", args.checkpoint)
    device = device_option(args)
    model = get_model(ckpt["model_name"])
    model.load_state_dict(ckpt["model"])
    model.to(device).eval()
    try:
        items = _read_inputs(args)
    except (OSError, IDXError) as exc:  # a missing file, an unreadable image, not IDX data
        raise SystemExit(f"predict: cannot read an input: {exc}") from exc
    if not items:
        raise SystemExit("predict: no images to classify")
    pre = ckpt["preprocess"]
    x = preprocess(np.stack([img for _, img in items]), pre["padding"], pre["mean"], pre["std"])
    with tg.no_grad():
        probs = F.softmax(model(tg.Tensor(x, device=device)), dim=1).numpy()
    results = []
    for (label, _), p in zip(items, probs):
        k = int(p.argmax())
        results.append((label, FASHION_MNIST_CLASSES[k], float(p[k])))
        if args.json:
            print(json.dumps({"input": label, "class": FASHION_MNIST_CLASSES[k], "index": k,
                              "probability": round(float(p[k]), 4)}))
        else:
            print(f"{label}: {FASHION_MNIST_CLASSES[k]} ({p[k]:.2f})")
    return results
