"""What a model costs (chapter 06): parameters, size on disk, latency, peak memory, int8 quantisation, the Pareto front.

>>> cost = measure_cost(model, batch_sizes=(1, 32), seq_len=128)   # params, MB fp32/fp16, latency, peak memory
>>> small = quantize_dynamic_int8(model); quantized_size_mb(small)
>>> pareto_front([(cost_a, acc_a), (cost_b, acc_b), ...])          # indices no other point beats

The models come from ``variants.build_model`` (real architecture, random weights: costs do not depend on the
values) or from fine-tuning. Parameters are counted by ``models.count_parameters``.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
import warnings
from typing import Any, Sequence

import numpy as np

from .models import count_parameters


def size_on_disk_mb(model, dtype: str = "fp32") -> float:
    """Megabytes (1e6 bytes) of the model saved as a safetensors file in ``dtype`` (``fp32`` or ``fp16``).

    The file is really written (to a temporary folder) and then deleted: this is what a download costs.
    """
    import torch
    from safetensors.torch import save_file

    if dtype not in ("fp32", "fp16"):
        raise ValueError(f"dtype must be 'fp32' or 'fp16', got {dtype!r}")
    target = torch.float32 if dtype == "fp32" else torch.float16
    seen: dict[int, str] = {}
    tensors = {}
    for name, t in model.state_dict().items():
        if t.data_ptr() in seen and t.numel() > 0:  # tied/shared weights are stored once, as save_pretrained does
            continue
        seen[t.data_ptr()] = name
        tensors[name] = (t.to(target) if t.is_floating_point() else t).contiguous().cpu()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        save_file(tensors, path)
        return os.path.getsize(path) / 1e6


def _model_config(model):
    """The transformers config of ``model``, or of the encoder inside a course ``EncoderWithHead``."""
    for candidate in (model, getattr(model, "encoder", None)):
        config = getattr(candidate, "config", None)
        if getattr(config, "vocab_size", None):
            return config
    raise ValueError(f"model: cannot tell its vocabulary size; pass a transformers model (it has .config) or a "
                     f"course_utils EncoderWithHead, got {type(model).__name__}")


def dummy_batch(model, batch_size: int, seq_len: int, seed: int = 0) -> dict[str, Any]:
    """Random token ids of shape (batch_size, seq_len) within the model's vocabulary, plus a full attention mask.

    ``model``: a transformers model, or an ``EncoderWithHead`` (the vocabulary is its encoder's).
    """
    import torch

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(seq_len, int) or seq_len < 2:
        raise ValueError(f"seq_len must be an integer >= 2, got {seq_len!r}")
    config = _model_config(model)
    max_pos = getattr(config, "max_position_embeddings", 512)
    if seq_len > max_pos:
        raise ValueError(f"seq_len={seq_len} exceeds the model's max_position_embeddings={max_pos}")
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, config.vocab_size, (batch_size, seq_len), generator=g)  # (batch, seq_len)
    dev = next(model.parameters()).device
    return {"input_ids": ids.to(dev), "attention_mask": torch.ones_like(ids).to(dev)}


def _sync(device) -> None:
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        torch.cuda.synchronize()


def measure_latency(model, batch_size: int = 1, seq_len: int = 128, repeats: int = 3, warmup: int = 1) -> dict[str, float]:
    """Seconds per forward pass (inference mode) on the model's device: ``{"median_s", "min_s", "repeats", "times_s"}``.

    Uses the current ``torch.get_num_threads()`` on CPU; input is random ids of shape (batch_size, seq_len).
    """
    import torch

    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative integer, got {warmup!r}")
    batch = dummy_batch(model, batch_size, seq_len)
    device = batch["input_ids"].device
    model.eval()
    times = []
    with torch.inference_mode():
        for i in range(warmup + repeats):
            _sync(device)
            start = time.perf_counter()
            model(**batch)
            _sync(device)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return {"median_s": float(np.median(times)), "min_s": float(np.min(times)), "repeats": repeats, "times_s": times}


def _release_free_memory() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), so that RSS growth shows new allocations."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows): the measurement is then a lower bound
        pass


def _rss_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _cuda_forward_bytes(model, batch) -> tuple[int, float]:
    """Bytes allocated at the peak of one forward pass beyond what was allocated before (exact), and its seconds."""
    import torch

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    start = time.perf_counter()
    with torch.inference_mode():
        model(**batch)
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base, time.perf_counter() - start


def _cpu_forward_bytes(model, batch) -> tuple[int, float]:
    """Growth of the process's resident memory during one forward pass, sampled every 2 ms, and its seconds."""
    import gc

    import torch

    gc.collect()
    _release_free_memory()
    base = _rss_bytes()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        with torch.inference_mode():
            model(**batch)
    finally:
        seconds = time.perf_counter() - start
        stop.set()
        thread.join()
    return max(0, peak[0] - base), seconds


def measure_peak_memory_mb(model, batch_size: int = 32, seq_len: int = 128) -> dict[str, float]:
    """Peak memory of one forward pass, in MB: ``{"weights_mb", "activations_mb", "peak_mb", "seconds", "method"}``.

    CUDA: exact, from ``torch.cuda.max_memory_allocated``. CPU: the process's resident memory sampled every
    2 ms during the pass, minus the value before it, after handing freed heap memory back to the OS (an
    approximation: short peaks between samples, or memory the allocator still holds, are missed).
    ``peak_mb = weights_mb + activations_mb``; ``seconds`` is the pass's duration.
    """
    batch = dummy_batch(model, batch_size, seq_len)
    weights = sum(t.numel() * t.element_size() for t in {p.data_ptr(): p for p in model.parameters()}.values())
    weights += sum(b.numel() * b.element_size() for b in model.buffers())
    model.eval()
    if batch["input_ids"].device.type == "cuda":
        act, seconds = _cuda_forward_bytes(model, batch)
        method = "cuda max_memory_allocated"
    else:
        act, seconds = _cpu_forward_bytes(model, batch)
        method = "cpu RSS sampling (approximate)"
    return {"weights_mb": weights / 1e6, "activations_mb": act / 1e6, "peak_mb": (weights + act) / 1e6,
            "seconds": seconds, "method": method}


def measure_cost(model, batch_sizes: Sequence[int] = (1, 32), seq_len: int = 128, repeats: int | Sequence[int] = 3,
                 disk: bool = True) -> dict[str, Any]:
    """Every cost of one model: params, MB on disk (fp32/fp16), peak memory and latency per batch size.

    ``repeats``: one count for all batch sizes or one per batch size. The smallest batch size gets one warm-up
    pass first; the peak memory is measured during the first timed pass of the largest batch size (which also
    counts as one of its repeats). Returns a flat dict (one table row): ``params``, ``disk_fp32_mb``,
    ``disk_fp16_mb``, ``peak_mem_mb`` (at the largest batch), ``latency_b{B}_ms`` for each B: the FASTEST timed
    pass (on a shared machine the minimum is the pass least disturbed by other programs).
    """
    if not batch_sizes:
        raise ValueError("batch_sizes must name at least one batch size")
    reps = [repeats] * len(batch_sizes) if isinstance(repeats, int) else list(repeats)
    if len(reps) != len(batch_sizes) or any(not isinstance(r, int) or r < 1 for r in reps):
        raise ValueError(f"repeats must be a positive int or one positive int per batch size, got {repeats!r}")
    row: dict[str, Any] = {"params": count_parameters(model)}
    if disk:
        row["disk_fp32_mb"] = size_on_disk_mb(model, "fp32")
        row["disk_fp16_mb"] = size_on_disk_mb(model, "fp16")
    big = max(batch_sizes)
    for bs, rep in sorted(zip(batch_sizes, reps)):
        if bs == big:
            mem = measure_peak_memory_mb(model, bs, seq_len)
            row["peak_mem_mb"] = mem["peak_mb"]
            times = [mem["seconds"]]
            if rep > 1:
                times += measure_latency(model, bs, seq_len, repeats=rep - 1, warmup=0)["times_s"]
            row[f"latency_b{bs}_ms"] = 1000 * float(np.min(times))
        else:
            lat = measure_latency(model, bs, seq_len, repeats=rep, warmup=1 if bs == min(batch_sizes) else 0)
            row[f"latency_b{bs}_ms"] = 1000 * lat["min_s"]
    return row


# The two deprecation notices torch (2.10+) gives for eager-mode int8 quantisation. They are known and expected: the
# lesson uses torch.ao.quantization on purpose because it runs on the pinned torch with no extra package, and
# torchao's quantize_ API (its successor) or ONNX Runtime quantisation replace it (see chapter 06). Only these two
# messages are silenced, and only inside quantize_dynamic_int8, so any other warning still reaches the learner and
# the test suite. Delete this once the chapter moves to torchao.
_TORCH_INT8_DEPRECATIONS = (
    r"torch\.ao\.quantization is deprecated",  # DeprecationWarning from torch/ao/quantization
    r"torch\.quantize_per_tensor, torch\.quantize_per_channel and other quantized tensor creation",  # UserWarning
)


def quantize_dynamic_int8(model):
    """A copy of ``model`` whose ``nn.Linear`` layers run in int8 (weights int8, activations quantised on the fly).

    CPU only (``torch.ao.quantization.quantize_dynamic``). The original model is left unchanged. torch's known
    deprecation notices for this API are silenced here (``_TORCH_INT8_DEPRECATIONS``); nothing else is.
    """
    import copy

    import torch

    if next(model.parameters()).device.type != "cpu":
        raise ValueError("model must be on the CPU for dynamic int8 quantisation; call model.cpu() first")
    with warnings.catch_warnings():
        for message in _TORCH_INT8_DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message)
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(copy.deepcopy(model).eval(), {torch.nn.Linear}, dtype=torch.qint8)


def quantized_size_mb(model) -> float:
    """Megabytes of ``model.state_dict()`` saved with ``torch.save`` (works for quantised modules too)."""
    import io

    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.save(model.state_dict(), buf)
    return buf.tell() / 1e6


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points (cost, accuracy) that no other point beats: lower-or-equal cost AND higher-or-equal
    accuracy, strictly better in one. Sorted by cost.

    Pass points of one kind: measured points and published (cited) points get a front each (chapter 06), since a
    published number measured on other data must not knock a measured one off the front.
    """
    try:
        pts = [(float(c), float(a)) for c, a in points]
    except (TypeError, ValueError):
        raise TypeError(f"points must be (cost, accuracy) pairs of numbers, e.g. [(12.5, 0.88), (40.0, 0.91)]; "
                        f"got {str(points)[:80]}") from None
    if not all(np.isfinite(v) for pt in pts for v in pt):
        raise ValueError(f"points must be finite numbers; got {[pt for pt in pts if not all(np.isfinite(pt))][:3]}")
    front = [i for i, (c, a) in enumerate(pts)
             if not any((c2 <= c and a2 >= a) and (c2 < c or a2 > a) for j, (c2, a2) in enumerate(pts) if j != i)]
    return sorted(front, key=lambda i: pts[i][0])
