#!/usr/bin/env python3
"""Independent reference for Inkwell's trainer: two AdamW steps on the tiny GPT-2 fixture in PyTorch.

float64 autograd on the GPT-2 of tests/fixtures/torch_reference.py (no `transformers`), then
torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW (decay on matrices only), the setup
Inkwell's trainer implements by hand. Writes train-reference.json beside this file, which is
committed: the unit test compares without Python. Re-run after changing the tiny fixture:

    /usr/bin/python3 tests/unit/train/reference/torch_train_reference.py
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
from torch_reference import GPT2, read_safetensors  # noqa: E402

MODEL = os.path.join(ROOT, "tests", "fixtures", "models", "tiny")
OUT = os.path.join(HERE, "train-reference.json")
# Two micro-batches of 2 rows × 9 tokens (8 inputs + the shifted target).
BATCHES = [
    [[464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290], [15496, 11, 995, 0, 464, 2068, 7586, 13, 50256]],
    [[(i * 7919 + 13) % 50257 for i in range(9)], [262, 16931, 3290, 13, 15496, 11, 995, 0, 464]],
]
LR, BETAS, EPS, WD, CLIP = 1e-2, (0.9, 0.95), 1e-8, 0.1, 1.0
SHOWN = 4


def loss_of(model, rows):
    total = 0.0
    n = 0
    for row in rows:
        ids = torch.tensor(row)
        logp = model.forward(ids[:-1]).log_softmax(-1)
        total = total - logp[torch.arange(len(row) - 1), ids[1:]].sum()
        n += len(row) - 1
    return total / n


def main():
    with open(os.path.join(MODEL, "config.json")) as f:
        cfg = json.load(f)
    w = read_safetensors(os.path.join(MODEL, "model.safetensors"))
    for t in w.values():
        t.requires_grad_(True)
    model = GPT2(cfg, w)
    decay = [t for t in w.values() if t.dim() >= 2]
    no_decay = [t for t in w.values() if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=BETAS, eps=EPS)
    steps = []
    for rows in BATCHES:
        opt.zero_grad()
        loss = loss_of(model, rows)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(w.values()), CLIP)
        opt.step()
        steps.append({"loss": loss.item(), "gradNorm": norm.item()})
    params = {
        name: {"sum": t.detach().sum().item(), "head": t.detach().flatten()[:SHOWN].tolist()}
        for name, t in w.items()
    }
    doc = {
        "about": "tests/unit/train/reference/torch_train_reference.py: float64 PyTorch, 2 AdamW steps on models/tiny",
        "torch": torch.__version__,
        "batches": BATCHES,
        "lr": LR, "betas": BETAS, "eps": EPS, "weightDecay": WD, "clipNorm": CLIP,
        "steps": steps,
        "params": params,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
