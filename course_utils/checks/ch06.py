"""Checks for chapter 06 (BERT variants compared)."""
from __future__ import annotations

import numpy as np

from ..exercises import as_index_list, as_number, exercise, require


def albert_embedding_params(vocab_size: int = 30000, embedding_size: int = 128, hidden_size: int = 768) -> int:
    """Reference: ALBERT's factorised word embedding = table (V x E) + projection E -> H (weights and bias)."""
    return vocab_size * embedding_size + embedding_size * hidden_size + hidden_size


@exercise("6.1", "ALBERT's factorised embeddings")
def check_albert_embedding(answer) -> str:
    """``answer``: a function ``f(vocab_size, embedding_size, hidden_size) -> int`` counting the parameters of
    ALBERT's word-embedding table plus its projection to the hidden size (weight and bias)."""
    require(callable(answer), "expected a function f(vocab_size, embedding_size, hidden_size) -> int")
    bert_like = 30000 * 768
    got = answer(30000, 128, 768)
    require(isinstance(got, (int, np.integer)) and not isinstance(got, bool),
            f"f(30000, 128, 768) returned {type(got).__name__}, expected an integer", hint="return an int")
    require(got != bert_like, "that is BERT's unfactorised V x H table", hint="ALBERT stores V x E, then projects E -> H")
    require(got != 30000 * 128 + 128 * 768, "you forgot the bias of the E -> H projection (H numbers)")
    for v, e, h in ((30000, 128, 768), (30000, 128, 4096), (1000, 16, 32)):
        ref = albert_embedding_params(v, e, h)
        got = answer(v, e, h)
        require(got == ref, f"f({v}, {e}, {h}) = {got}, expected {ref}", hint="V*E + E*H + H")
    saved = 1 - albert_embedding_params() / bert_like
    return f"ALBERT-base's embeddings use {albert_embedding_params():,} parameters, {saved:.0%} fewer than a 30000 x 768 table."


def pareto_reference(points) -> list[int]:
    from ..costs import pareto_front

    return pareto_front(points)


@exercise("6.2", "the Pareto front")
def check_pareto(answer) -> str:
    """``answer``: a function ``pareto(points) -> list[int]`` taking (latency, accuracy) pairs and returning the
    indices of the points no other point beats (lower-or-equal latency AND higher-or-equal accuracy, strictly
    better in one), sorted by latency."""
    require(callable(answer), "expected a function pareto(points) -> list of indices")
    toy = [(10.0, 0.90), (20.0, 0.85), (5.0, 0.80), (40.0, 0.95), (30.0, 0.95)]
    got = as_index_list(answer(toy), "pareto(points)")
    require(set(got) == {0, 2, 4}, f"on {toy} you returned {got}; expected the indices [2, 0, 4]",
            hint="(20, 0.85) is beaten by (10, 0.90); (40, 0.95) is beaten by (30, 0.95): same accuracy, faster")
    require(got == [2, 0, 4], f"right points, wrong order: {got}", hint="sort the indices by latency")
    rng = np.random.default_rng(6)
    for _ in range(20):
        pts = [(float(a), float(b)) for a, b in zip(rng.integers(1, 20, 12), rng.integers(50, 60, 12) / 60)]
        ref = pareto_reference(pts)
        got = as_index_list(answer(pts), "pareto(points)")
        require(sorted(got) == sorted(ref), f"on random points you returned {sorted(got)}, expected {sorted(ref)}",
                hint="ties: a point with the same latency and the same accuracy as another does not beat it")
    return "it matches course_utils.costs.pareto_front on the toy case and on 20 random sets (with ties)."


@exercise("6.3", "size on disk from the parameter count")
def check_disk_size(answer) -> str:
    """``answer``: a function ``disk_mb(n_params, dtype) -> float`` predicting the megabytes (1e6 bytes) of a
    checkpoint with ``n_params`` parameters stored in ``dtype`` (``"fp32"``, ``"fp16"`` or ``"int8"``)."""
    require(callable(answer), "expected a function disk_mb(n_params, dtype) -> float")
    bytes_per = {"fp32": 4, "fp16": 2, "int8": 1}
    for n in (1_000_000, 109_483_778):
        for dtype, b in bytes_per.items():
            got = as_number(answer(n, dtype), f"disk_mb({n}, {dtype!r})")
            ref = n * b / 1e6
            require(abs(got - ref) <= 0.01 * ref, f"disk_mb({n:,}, {dtype!r}) = {got:.2f}, expected about {ref:.2f}",
                    hint="bytes per number: fp32 4, fp16 2, int8 1; 1 MB = 1e6 bytes")
    return "4, 2 and 1 bytes per parameter: that is why fp16 halves a download and int8 quarters it."
