"""Optimisers against their published update rules (computed here in NumPy), schedulers,
state dicts, and a falling loss for every optimiser."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.optim import lr_scheduler

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.3, 0.2, 1.0]), np.array([1.5, 0.1, -0.7])]
P0 = np.array([1.0, -2.0, 0.5])


def _run(make, device="cpu"):
    """Three steps with fixed gradients; returns the parameter after each step."""
    p = nn.Parameter(P0.copy())
    p.data = tg.get_device(device).send(p.data)
    opt = make([p])
    out = []
    for g in GRADS:
        p.grad = tg.Tensor(g, device=device)
        opt.step()
        out.append(p.numpy())
    return out


def _sgd_ref(lr, momentum=0.0, dampening=0.0, wd=0.0, nesterov=False):
    p, buf, out = P0.copy(), None, []
    for g in GRADS:
        g = g + wd * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def _adam_ref(lr, b1, b2, eps, wd=0.0, decoupled=False, amsgrad=False):
    p, m, v, vmax, out = P0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        mhat, vhat = m / (1 - b1 ** t), (vmax if amsgrad else v) / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(p)
    return out


def _rmsprop_ref(lr, alpha, eps, wd=0.0, momentum=0.0, centered=False):
    p, v, ga, buf, out = P0.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS:
        g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            ga = alpha * ga + (1 - alpha) * g
            avg = np.sqrt(v - ga * ga) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        out.append(p)
    return out


CASES = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), lambda: _sgd_ref(0.1)),
    "sgd_momentum_dampening_wd": (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
        lambda: _sgd_ref(0.1, 0.9, 0.1, 0.01)),
    "sgd_nesterov": (lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
                     lambda: _sgd_ref(0.05, 0.8, nesterov=True)),
    "adam": (lambda ps: optim.Adam(ps, lr=0.01), lambda: _adam_ref(0.01, 0.9, 0.999, 1e-8)),
    "adam_wd_amsgrad": (
        lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True),
        lambda: _adam_ref(0.01, 0.8, 0.9, 1e-8, wd=0.1, amsgrad=True)),
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
              lambda: _adam_ref(0.01, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True)),
    "rmsprop": (lambda ps: optim.RMSprop(ps, lr=0.01), lambda: _rmsprop_ref(0.01, 0.99, 1e-8)),
    "rmsprop_centered_momentum_wd": (
        lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                 weight_decay=0.1),
        lambda: _rmsprop_ref(0.01, 0.9, 1e-8, wd=0.1, momentum=0.5, centered=True)),
}


@pytest.mark.parametrize("name", CASES)
def test_updates_follow_the_formulas(name):
    make, ref = CASES[name]
    for got, want in zip(_run(make), ref()):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd_momentum_dampening_wd", "adam_wd_amsgrad",
                                  "rmsprop_centered_momentum_wd"])
def test_updates_on_device(name, device):
    make, ref = CASES[name]
    for got, want in zip(_run(make, device), ref()):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "adam": lambda ps: optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01),
}


def _toy_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + 2 * (x[:, 2] > 0.5)
    return tg.Tensor(x), tg.Tensor(y)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_loss_falls_on_a_tiny_problem(name):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = OPTIMIZERS[name](model.parameters())
    x, y = _toy_problem()
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(60):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_resume_equals_uninterrupted(name, tmp_path):
    x, y = _toy_problem()

    def make():
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
        return model, OPTIMIZERS[name](model.parameters())

    def steps(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(x), y).backward()
            opt.step()

    model_a, opt_a = make()
    steps(model_a, opt_a, 6)
    model_b, opt_b = make()
    steps(model_b, opt_b, 3)
    tg.save({"model": model_b.state_dict(), "opt": opt_b.state_dict()}, tmp_path / "c.npz")
    model_c, opt_c = make()
    ckpt = tg.load(tmp_path / "c.npz")
    model_c.load_state_dict(ckpt["model"])
    opt_c.load_state_dict(ckpt["opt"])
    assert opt_c.param_groups[0].keys() == opt_a.param_groups[0].keys()
    steps(model_c, opt_c, 3)
    for (k, a), c in zip(model_a.state_dict().items(), model_c.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), c.numpy(), err_msg=k)


def test_param_groups_and_zero_grad():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    a.grad, b.grad = tg.Tensor(np.ones(2)), tg.Tensor(np.ones(2))
    opt.step()
    assert a.numpy().tolist() == [0.9, 0.9] and b.numpy().tolist() == [0.5, 0.5]
    opt.zero_grad()
    assert a.grad is None and b.grad is None
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="params: expected at least one parameter, got an empty list"):
        optim.Adam([])


def test_step_between_graphs_keeps_version_checks_happy():
    w = nn.Parameter(np.ones(3))
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    (w * w).sum().backward()  # a graph built after the step is fine
    stale = (w * w).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()  # ... one built before it is refused, as in PyTorch


def test_step_does_not_modify_shared_gradient_arrays():
    p = nn.Parameter(np.ones(2))
    g = np.array([1.0, 2.0])
    p.grad = tg.Tensor(g)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    opt.step()
    opt.step()
    assert g.tolist() == [1.0, 2.0]


def test_schedulers():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    want = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, want)
    assert sched.get_last_lr() == [lrs[-1]]
    opt2 = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=4, eta_min=0.1)
    sched2.load_state_dict(tg.load(_save_tmp(sched.state_dict())))
    sched2.step()
    sched.step()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    opt3 = optim.Adam([nn.Parameter(np.zeros(1))], lr=0.1)
    step = lr_scheduler.StepLR(opt3, step_size=2, gamma=0.5)
    seen = []
    for _ in range(6):
        seen.append(opt3.param_groups[0]["lr"])
        step.step()
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def _save_tmp(obj):
    import os
    import tempfile

    path = os.path.join(tempfile.mkdtemp(), "s.npz")
    tg.save(obj, path)
    return path
