"""How long is one AdamW step for the course's encoder? torch's three implementations, timed in one run.

    python benchmarks/adamw_step.py            # all-MiniLM-L6-v2 + a 2-class head (22.7 M weights)

On a CPU, ``torch.optim.AdamW(...)`` with no implementation named runs the per-tensor loop ("for-loop");
``foreach=True`` batches the tensors; ``fused=True`` is one kernel (what ``Trainer``'s default optimizer
``adamw_torch_fused`` uses, and what ``course_utils.training.fine_tune`` uses on a CPU or GPU). Prints the median
milliseconds per step of each, its speed-up over the for-loop, and how far its weights are from the for-loop's after
the same steps on the same gradients (the same update up to float rounding). Not run in CI: timings depend on the
machine; compare the ratios of one run.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

IMPLEMENTATIONS = {"for-loop (default on a CPU)": {"foreach": False}, "foreach": {"foreach": True},
                   "fused": {"fused": True}}


def time_steps(model: torch.nn.Module, options: dict, steps: int, seed: int = 1) -> tuple[float, torch.nn.Module]:
    """Median seconds of ``steps`` AdamW steps on fixed random gradients, and the model after them."""
    from course_utils.optim import weight_decay_groups

    model = copy.deepcopy(model)
    opt = torch.optim.AdamW(weight_decay_groups(model, 0.01), lr=1e-4, weight_decay=0.01, **options)
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=g) * 1e-3
    opt.step()  # warm-up: creates the state
    seconds = []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.step()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), model


def main(argv=None) -> None:
    import course_utils as cu

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args(argv)
    model = cu.load_classifier("encoder", num_labels=2, profile="cpu")
    n = sum(q.numel() for q in model.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {n / 1e6:.1f} M weights; median of "
          f"{args.steps} steps")
    results = {name: time_steps(model, options, args.steps) for name, options in IMPLEMENTATIONS.items()}
    base_s, base_model = results["for-loop (default on a CPU)"]
    for name, (s, m) in results.items():
        diff = max(float((a - b).abs().max()) for a, b in zip(base_model.state_dict().values(), m.state_dict().values()))
        print(f"{name:28} {s * 1000:7.1f} ms/step  {base_s / s:5.2f}x  max |weight - for-loop's| {diff:.1e}")


if __name__ == "__main__":
    main()
