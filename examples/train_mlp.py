"""Train a small MLP on a synthetic two-spirals task, on every available plugtensor device.

Run: .venv/bin/python examples/train_mlp.py [--device cpu] [--steps 200]
The same program runs unchanged on any device type an installed backend serves.
"""
from __future__ import annotations

import argparse
import math
import time

import plugtensor as pt
import plugtensor.nn as nn
import plugtensor.nn.functional as F


def spirals(n: int, device) -> tuple[pt.Tensor, pt.Tensor]:
    """Two interleaved spirals: a task a linear model cannot solve."""
    t = pt.linspace(0.25, 3 * math.pi, n, device=device)
    x0 = pt.stack([t * t.cos(), t * t.sin()], 1) / 10
    x = pt.cat([x0, -x0]) + 0.02 * pt.randn(2 * n, 2, device=device)
    y = pt.cat([pt.zeros(n, dtype=pt.long, device=device), pt.ones(n, dtype=pt.long, device=device)])
    return x, y


def train(device: str, steps: int) -> tuple[float, float, float]:
    pt.manual_seed(0)
    x, y = spirals(256, device)
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)).to(device)
    opt = pt.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    return first, loss.item(), accuracy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", action="append", help="device(s) to train on (default: every available one)")
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    devices = args.device or [row["device"] for row in pt.devices() if row["status"] == "ok"]
    for dev in devices:
        t0 = time.perf_counter()
        first, last, acc = train(dev, args.steps)
        print(f"{dev:10s} loss {first:.3f} -> {last:.3f}  accuracy {acc:.1%}  ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
