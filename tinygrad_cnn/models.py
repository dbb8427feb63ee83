"""Ready-made networks: LeNet-5 as described in the course text, and a small BatchNorm CNN.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.models import get_model
>>> net = get_model("lenet")
>>> net(tg.zeros(2, 1, 32, 32)).shape
(2, 10)
>>> sum(p.numel() for p in net.parameters())
61706
"""

from __future__ import annotations

from tinygrad_cnn import nn

__all__ = ["LeNet5", "BNCNN", "get_model", "MODELS"]


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) exactly as in the course text, with ReLU and max-pooling.

    ======================  =================  =============
    layer                   output             parameters
    ======================  =================  =============
    input                   1 x 32 x 32
    conv 6 @ 5x5, ReLU      6 x 28 x 28        6*25 + 6
    max-pool 2x2, stride 2  6 x 14 x 14
    conv 16 @ 5x5, ReLU     16 x 10 x 10       16*6*25 + 16
    max-pool 2x2, stride 2  16 x 5 x 5
    FC 120, ReLU            120                400*120 + 120
    FC 84, ReLU             84                 120*84 + 84
    FC 10                   10 (class scores)  84*10 + 10
    ======================  =================  =============

    Fashion-MNIST's 28x28 images are zero-padded by 2 pixels to LeNet's 32x32 input
    (``FashionMNIST(padding=2)``).

    >>> import tinygrad_cnn as tg
    >>> net = LeNet5()
    >>> net.features(tg.zeros(2, 1, 32, 32)).shape, net(tg.zeros(2, 1, 32, 32)).shape
    ((2, 16, 5, 5), (2, 10))
    >>> LeNet5(num_classes=3, in_channels=3)(tg.zeros(2, 3, 32, 32)).shape   # e.g. RGB, 3 classes
    (2, 3)
    """

    input_size = (1, 32, 32)

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class BNCNN(nn.Module):
    """A slightly larger CNN: three conv blocks with BatchNorm, then dropout and two FC layers.

    ``conv 3x3 -> BatchNorm -> ReLU -> max-pool`` three times (32, 64 and 64 channels, 32x32 ->
    16x16 -> 8x8 -> 4x4), then ``Dropout -> FC 256 -> BatchNorm -> ReLU -> Dropout -> FC 10``.
    BatchNorm lets it train fast at a high learning rate; dropout limits over-fitting.

    >>> import tinygrad_cnn as tg
    >>> net = BNCNN()
    >>> net.features(tg.zeros(4, 1, 32, 32)).shape, net(tg.zeros(4, 1, 32, 32)).shape
    ((4, 64, 4, 4), (4, 10))
    >>> sum(p.numel() for p in net.parameters())
    321130
    """

    input_size = (1, 32, 32)

    def __init__(self, num_classes: int = 10, in_channels: int = 1, dropout: float = 0.3) -> None:
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(in_channels, 32), nn.MaxPool2d(2),
            *block(32, 64), nn.MaxPool2d(2),
            *block(64, 64), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(64 * 4 * 4, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


MODELS = {"lenet": LeNet5, "bncnn": BNCNN}


def get_model(name: str, **kwargs) -> nn.Module:
    """A new model by registry name: ``"lenet"`` (:class:`LeNet5`) or ``"bncnn"`` (:class:`BNCNN`);
    ``kwargs`` go to its constructor.

    >>> type(get_model("LeNet", num_classes=5)).__name__
    'LeNet5'
    >>> get_model("vgg")
    Traceback (most recent call last):
    ...
    ValueError: unknown model 'vgg'; choose one of lenet, bncnn
    """
    try:
        cls = MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}") from None
    return cls(**kwargs)
