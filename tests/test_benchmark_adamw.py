"""benchmarks/adamw_step.py: every implementation it times makes the same update (no timing thresholds)."""
from __future__ import annotations

import pytest
import torch

from script_loader import load_script
from training_helpers import tiny_model


@pytest.fixture(scope="module")
def bench():
    return load_script("adamw_step", folder="benchmarks")


def test_the_three_implementations_make_the_same_update(bench):
    model = tiny_model()
    runs = {name: bench.time_steps(model, options, steps=3) for name, options in bench.IMPLEMENTATIONS.items()}
    assert set(runs) == {"for-loop (default on a CPU)", "foreach", "fused"}
    loop = runs["for-loop (default on a CPU)"][1].state_dict()
    start = model.state_dict()
    assert max(float((loop[k] - start[k]).abs().max()) for k in loop) > 1e-5  # the steps moved the weights
    for name, (seconds, trained) in runs.items():
        assert seconds > 0
        for k, v in trained.state_dict().items():
            torch.testing.assert_close(v, loop[k], rtol=1e-5, atol=1e-6, msg=f"{name}: {k}")
    assert all(torch.equal(v, start[k]) for k, v in model.state_dict().items())  # the model given is untouched

