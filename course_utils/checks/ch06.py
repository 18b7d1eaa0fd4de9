"""Checks for chapter 06 (BERT variants compared)."""
from __future__ import annotations

import numpy as np

from ..costs import pareto_front
from ..exercises import as_index_list, as_number, call_without, exercise, require, require_usage


def albert_embedding_params(vocab_size: int = 30000, embedding_size: int = 128, hidden_size: int = 768) -> int:
    """Reference: ALBERT's factorised word embedding = table (V x E) + projection E -> H (weights and bias)."""
    return vocab_size * embedding_size + embedding_size * hidden_size + hidden_size


@exercise("6.1", "ALBERT's factorised embeddings")
def check_albert_embedding(answer) -> str:
    """``answer``: a function ``f(vocab_size, embedding_size, hidden_size) -> int`` counting the parameters of
    ALBERT's word-embedding table plus its projection to the hidden size (weight and bias)."""
    require(callable(answer), "expected a function f(vocab_size, embedding_size, hidden_size) -> int")
    bert_like = 30000 * 768
    got = call_without(answer, [albert_embedding_params], 30000, 128, 768, what="f(30000, 128, 768)")
    require(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
            f"f(30000, 128, 768) returned {type(got).__name__}, expected an integer", hint="return an int")
    require(got != bert_like, "f(30000, 128, 768) = 23,040,000: that is BERT's unfactorised vocab x hidden table",
            hint="ALBERT's table is narrower than the hidden size; something has to widen its rows afterwards")
    require(got != 30000 * 128 + 128 * 768, "f(30000, 128, 768) leaves out the projection's bias",
            hint="the projection is an nn.Linear: how many tensors does one hold?")
    for v, e, h in ((30000, 128, 768), (30000, 128, 4096), (1000, 16, 32)):
        ref = albert_embedding_params(v, e, h)
        got = call_without(answer, [albert_embedding_params], v, e, h, what=f"f({v}, {e}, {h})")
        require(got == ref, f"f({v}, {e}, {h}) = {got}, expected {ref}",
                hint="count the pieces one by one (the table, the projection's weight, its bias), then check each "
                     "against the shapes printed by [p.shape for p in model.parameters()] of a small ALBERT")
    saved = 1 - albert_embedding_params() / bert_like
    return f"ALBERT-base's embeddings use {albert_embedding_params():,} parameters, {saved:.0%} fewer than a 30000 x 768 table."


def pareto_reference(points) -> list[int]:
    return pareto_front(points)


@exercise("6.2", "the Pareto front")
def check_pareto(answer) -> str:
    """``answer``: a function ``pareto(points) -> list[int]`` taking (latency, accuracy) pairs and returning the
    indices of the points no other point beats (lower-or-equal latency AND higher-or-equal accuracy, strictly
    better in one), sorted by latency. Written by the learner: calling ``course_utils.costs.pareto_front`` fails."""
    require(callable(answer), "expected a function pareto(points) -> list of indices")
    shortcuts = [pareto_front, pareto_reference]
    toy = [(10.0, 0.90), (20.0, 0.85), (5.0, 0.80), (40.0, 0.95), (30.0, 0.95)]
    got = as_index_list(call_without(answer, shortcuts, list(toy), what="pareto(points)"), "pareto(points)")
    require(got != [0, 1, 2, 3, 4] and len(got) < len(toy), f"on {toy} you returned every index {got}",
            hint="(20, 0.85) is slower AND less accurate than (10, 0.90): nobody would pick it")
    require(set(got) == {0, 2, 4}, f"on {toy} you returned {got}; expected three indices",
            hint="look at (40, 0.95) and (30, 0.95): same accuracy, one of them is faster")
    require(got == [2, 0, 4], f"right points, wrong order: {got}", hint="sort the indices by latency")
    ties = [(5.0, 0.80), (5.0, 0.80), (10.0, 0.90), (10.0, 0.85)]
    got = as_index_list(call_without(answer, shortcuts, list(ties), what="pareto(points)"), "pareto(points)")
    require(sorted(got) == [0, 1, 2], f"on {ties} you returned {got}; expected three indices",
            hint="two identical points do not beat each other: neither is better in anything")
    rng = np.random.default_rng(6)
    for _ in range(20):
        pts = [(float(a), float(b)) for a, b in zip(rng.integers(1, 20, 12), rng.integers(50, 60, 12) / 60)]
        ref = pareto_reference(pts)
        got = as_index_list(call_without(answer, shortcuts, list(pts), what="pareto(points)"), "pareto(points)")
        require(sorted(got) == sorted(ref), f"on random points you returned {sorted(got)}, expected {sorted(ref)}",
                hint="ties: a point with the same latency and the same accuracy as another does not beat it")
    return "it matches course_utils.costs.pareto_front on the toy case and on 20 random sets (with ties)."


@exercise("6.3", "size on disk from the parameter count")
def check_disk_size(answer) -> str:
    """``answer``: a function ``disk_mb(n_params, dtype) -> float`` predicting the megabytes (1e6 bytes) of a
    checkpoint with ``n_params`` parameters stored in ``dtype`` (``"fp32"``, ``"fp16"`` or ``"int8"``)."""
    require(callable(answer), "expected a function disk_mb(n_params, dtype) -> float")
    bytes_per = {"fp32": 4, "fp16": 2, "int8": 1}
    n = 1_000_000
    sizes = {d: as_number(answer(n, d), f"disk_mb({n}, {d!r})") for d in bytes_per}
    require(len({round(v, 6) for v in sizes.values()}) == 3,
            f"disk_mb(1,000,000, dtype) gives {sizes}: the dtype should change the size",
            hint="the number in each dtype's name is the width of one stored number, in bits")
    mib = {d: n * b / 2**20 for d, b in bytes_per.items()}
    require(not all(abs(sizes[d] - mib[d]) <= 0.01 * mib[d] for d in bytes_per),
            f"disk_mb(1,000,000, 'fp32') = {sizes['fp32']:.3f}: that is in MiB (2**20 bytes)",
            hint="the course's MB (and safetensors' file sizes in section 3) count 10**6 bytes")
    for n in (1_000_000, 109_483_778):
        for dtype, b in bytes_per.items():
            got = as_number(answer(n, dtype), f"disk_mb({n}, {dtype!r})")
            ref = n * b / 1e6
            require(abs(got - ref) <= 0.01 * ref, f"disk_mb({n:,}, {dtype!r}) = {got:.2f}, expected about {ref:.2f}",
                    hint="how many bits does one number take in that dtype, and how many bytes is that?")
    return "4, 2 and 1 bytes per parameter: that is why fp16 halves a download and int8 quarters it."


# Exercise 6.4: the rows the learner records (cu.record_result(model="fp32" | "int8", value=ms, **EX64)).
EX64 = dict(chapter="06", experiment="exercise_6.4", metric="latency_ms")
EX64_MODELS = ("fp32", "int8")


def recorded_latencies(profile=None) -> dict[str, float]:
    """``{"fp32": ms, "int8": ms}`` from the results store rows of exercise 6.4 (the active profile by default);
    a model with no row is missing from the dict."""
    from ..results import load_results

    df = load_results(profile)
    rows = df[(df["chapter"] == EX64["chapter"]) & (df["experiment"] == EX64["experiment"])
              & (df["metric"] == EX64["metric"]) & (df["source"] == "measured") & df["model"].isin(EX64_MODELS)]
    rows = rows.sort_values("recorded_at").drop_duplicates("model", keep="last")
    return {m: float(v) for m, v in zip(rows["model"], rows["value"])}


@exercise("6.4", "is int8 faster here? (experiment)")
def check_int8_speedup(answer, profile=None) -> str:
    """``answer``: ``{"faster": "fp32" or "int8", "times": how many times faster it is}`` (the slower latency
    divided by the faster one), read from the two rows recorded in the results store: chapter "06", experiment
    "exercise_6.4", metric "latency_ms", models "fp32" and "int8" (``profile``: default the active one)."""
    require_usage(profile is None or isinstance(profile, str) or hasattr(profile, "name"),
                  f"profile must be a profile name such as 'cpu' (or None for the active one), got {profile!r}")
    found = recorded_latencies(profile)
    missing = [m for m in EX64_MODELS if m not in found]
    require(not missing, f"the results store has no exercise 6.4 row for {missing} in this profile",
            hint="measure first, then record each: cu.record_result(model='fp32', value=milliseconds, **EX64), "
                 "the same with model='int8'")
    require(all(v > 0 for v in found.values()), f"recorded latencies must be positive milliseconds, got {found}")
    require(isinstance(answer, dict) and {"faster", "times"} <= set(answer),
            f"expected a dict {{'faster': 'fp32' or 'int8', 'times': a number}}, got {str(answer)[:80]}")
    faster = answer["faster"]
    require(faster in EX64_MODELS, f"'faster' must be 'fp32' or 'int8', got {faster!r}")
    times = as_number(answer["times"], "answer['times']")
    fp32, int8 = found["fp32"], found["int8"]
    ratio = max(fp32, int8) / min(fp32, int8)
    expected = "int8" if int8 < fp32 else "fp32"
    require(ratio < 1.02 or faster == expected,
            f"your rows say fp32 {fp32:.1f} ms and int8 {int8:.1f} ms: {expected} is the faster one",
            hint="fewer milliseconds per batch is faster")
    require(times >= 1, f"times = {times:.3f} is below 1",
            hint="'how many times faster': divide the slower latency by the faster one")
    require(abs(times - ratio) <= 0.02 * ratio, f"times = {times:.3f}, but your rows give {ratio:.3f}",
            hint="read both numbers back with cu.load_results() rather than retyping them")
    if ratio < 1.02:
        return f"fp32 {fp32:.1f} ms vs int8 {int8:.1f} ms: no real difference on this machine (within 2%)."
    return (f"{expected} is {ratio:.2f}x faster here (fp32 {fp32:.1f} ms, int8 {int8:.1f} ms per batch); the gain "
            "depends on the CPU's int8 support, so it differs from machine to machine.")
