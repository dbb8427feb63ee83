"""Train LeNet-5 on Fashion-MNIST with the library directly (no CLI).

    python examples/train_lenet.py                  # CPU, 3 epochs
    python examples/train_lenet.py --device cuda    # the same on a GPU (needs CuPy)

The data comes from Debian's dataset-fashion-mnist package, $TINYGRAD_CNN_DATA, or is
downloaded. Prints the test accuracy after every epoch and saves the weights.
"""

import argparse
import time

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import optim
from tinygrad_cnn.data import DataLoader, FashionMNIST
from tinygrad_cnn.models import LeNet5


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with tg.no_grad():
        for x, y in loader:
            correct += int((model(x).argmax(1) == y).sum().item())
            total += len(y)
    return correct / total


def main(device="cpu", epochs=3, batch_size=64, lr=1e-3, seed=0):
    tg.manual_seed(seed)
    # 28x28 images, zero-padded to LeNet's 32x32 and normalised with the data's mean/std.
    kw = FashionMNIST.LENET_PREPROCESS
    train_loader = DataLoader(FashionMNIST(train=True, **kw), batch_size, shuffle=True,
                              seed=seed, device=device)
    test_loader = DataLoader(FashionMNIST(train=False, **kw), 1000, device=device)

    model = LeNet5().to(device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    print(model)

    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        acc = evaluate(model, test_loader)
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}, test accuracy {acc:.4f}, "
              f"{seconds:.0f}s")

    tg.save({"model_name": "lenet", "model": model.state_dict(),
             "preprocess": FashionMNIST.LENET_PREPROCESS}, "lenet5.npz")
    print(f"test accuracy: {acc:.4f}  (weights saved to lenet5.npz)")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.device, args.epochs, args.batch_size, args.lr, args.seed)
