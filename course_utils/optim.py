"""Optimizer parameter groups with the one weight-decay rule of the course.

Weight decay pulls weight matrices towards zero; biases and LayerNorm gains and shifts are left alone (BERT's
original recipe). A parameter is decayed when it has 2 or more dimensions and its name has no "norm" in it.

>>> groups = weight_decay_groups(model, weight_decay=0.01)               # for torch.optim.AdamW(groups, lr=...)
>>> groups = weight_decay_groups(model.head, 0.01, lr=1e-3)              # extra keys go into every group
"""
from __future__ import annotations

from typing import Any


def decays(name: str, param) -> bool:
    """Whether the parameter ``name`` gets weight decay: weight matrices yes, biases and LayerNorm no."""
    return param.ndim >= 2 and "norm" not in name.lower()


def weight_decay_groups(module, weight_decay: float, **extra: Any) -> list[dict[str, Any]]:
    """The trainable parameters of ``module`` in (at most) two groups: decayed and not (see ``decays``).

    ``extra`` (e.g. ``lr=1e-3``) is added to each group; empty groups are left out.
    """
    decay, no_decay = [], []
    for name, p in module.named_parameters():
        if p.requires_grad:
            (decay if decays(name, p) else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay, **extra},
              {"params": no_decay, "weight_decay": 0.0, **extra}]
    return [g for g in groups if g["params"]]
