"""Measured chapter run times on a GPU: the numbers that replace the gpu profile's *estimated* times.

``cu.setup`` calls ``start_gpu_run_timer(env)``. On a CUDA device inside Jupyter it records, after every cell, the
time since the setup cell as one row of the results store (``experiment="chapter_run_time"``, ``metric="seconds"``,
the GPU's name as ``model``), so when a learner or maintainer runs a chapter on a GPU its measured time is kept
next to the estimate (``scripts/estimate_gpu_times.py``). On a CPU, or outside Jupyter, it does nothing.
"""
from __future__ import annotations

import time
from typing import Any, Callable

_ACTIVE: dict[str, Any] = {}  # the callback registered by the last setup(), so a re-run replaces it


def start_gpu_run_timer(env, shell=None, device_name: str | None = None) -> Callable[..., None] | None:
    """Register the post-cell recorder for ``env`` (a ``CourseEnv``) when it runs on CUDA in an IPython shell.

    ``shell`` / ``device_name``: for tests (default: the running IPython shell and ``torch.cuda`` device name).
    Returns the registered callback, or ``None`` when nothing was registered.
    """
    if getattr(env.device, "type", str(env.device)) != "cuda" and device_name is None:
        return None
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
    if shell is None:
        return None
    if device_name is None:
        import torch

        device_name = torch.cuda.get_device_name(0)
    start = time.perf_counter()

    def record_run_time(result=None) -> None:
        from .results import record_result

        record_result(chapter=env.chapter, experiment="chapter_run_time", model=device_name, dataset="-",
                      split="-", metric="seconds", value=time.perf_counter() - start, profile=env.profile.name,
                      notes="measured: from the setup cell to the end of the last cell run")

    previous = _ACTIVE.pop("callback", None)
    if previous is not None:
        try:
            _ACTIVE.pop("shell", shell).events.unregister("post_run_cell", previous)
        except ValueError:
            pass
    shell.events.register("post_run_cell", record_run_time)
    _ACTIVE.update(callback=record_run_time, shell=shell)
    return record_run_time
