"""Checks for chapter 02 (word embeddings)."""
from __future__ import annotations

import numpy as np
import torch

from ..exercises import as_tensor, exercise, require


def _toy_keyed_vectors():
    """Six hand-made 3-d word vectors where king - man + woman lands closest to queen."""
    from gensim.models import KeyedVectors

    words = ["man", "woman", "king", "queen", "apple", "prince"]
    vecs = np.array([
        [1.0, 0.0, 0.1], [1.0, 1.0, 0.1], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 0.2, -0.3], [1.0, 0.1, 0.8],
    ], dtype=np.float32)
    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(words, vecs)
    return kv


@exercise("2.1", "analogies by vector arithmetic")
def check_analogy(answer) -> str:
    """``answer``: a function ``analogy(kv, a, b, c)`` returning the word closest (cosine) to ``b - a + c``,
    never one of ``a``, ``b``, ``c`` (e.g. ``analogy(kv, "man", "king", "woman") -> "queen"``)."""
    require(callable(answer), "expected a function analogy(kv, a, b, c)")
    kv = _toy_keyed_vectors()
    cases = [("man", "king", "woman"), ("woman", "queen", "man"), ("king", "queen", "prince")]
    for a, b, c in cases:
        expected = kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        got = answer(kv, a, b, c)
        require(isinstance(got, str), f"analogy(kv, {a!r}, {b!r}, {c!r}) returned {type(got).__name__}, expected a word",
                hint="return only the word (a str), e.g. the first item of a ranked list, not (word, score) pairs")
        require(got not in (a, b, c), f"analogy(kv, {a!r}, {b!r}, {c!r}) returned an input word {got!r}",
                hint="the nearest vector to b - a + c is very often b or c itself: skip the three input words")
        require(got == expected, f"analogy(kv, {a!r}, {b!r}, {c!r}) gave {got!r}, expected {expected!r}",
                hint="normalise the vectors (kv.get_vector(w, norm=True)) and rank words by cosine similarity")
    return "it agrees with gensim's most_similar(positive=[b, c], negative=[a])."


@exercise("2.2", "masked mean pooling")
def check_masked_mean(answer) -> str:
    """``answer``: a function ``mean_pool(hidden, mask)``: ``(batch, seq_len, dim)`` and ``(batch, seq_len)``
    with 1 on real tokens -> ``(batch, dim)``, the mean over real tokens only."""
    require(callable(answer), "expected a function mean_pool(hidden, mask)")
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(3, 5, 4, generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    expected = torch.stack([hidden[i, : int(mask[i].sum())].mean(0) for i in range(3)])
    got = as_tensor(answer(hidden, mask), "mean_pool(hidden, mask)", like=hidden)
    require(tuple(got.shape) == (3, 4), f"expected shape (3, 4), got {tuple(got.shape)}", hint="average over dim=1")
    require(not torch.allclose(got, hidden.mean(1), atol=1e-5) or torch.allclose(expected, hidden.mean(1)),
            "you averaged over the padding too", hint="multiply by the mask, sum, and divide by the mask's sum")
    require(torch.allclose(got, expected, atol=1e-5), "values differ from the mean over real tokens",
            hint="divide the masked sum by the number of real tokens per row (mask.sum(1, keepdim=True))")
    return "the padding positions no longer leak into the sentence vector."


@exercise("2.3", "the last real time step")
def check_last_real_step(answer) -> str:
    """``answer``: a function ``last_step(outputs, lengths)``: ``(batch, seq_len, hidden)`` outputs of a
    left-to-right RNN over right-padded input and ``(batch,)`` lengths -> ``(batch, hidden)``: the output at the
    last REAL token of each sequence."""
    require(callable(answer), "expected a function last_step(outputs, lengths)")
    g = torch.Generator().manual_seed(1)
    outputs = torch.randn(4, 6, 3, generator=g)
    lengths = torch.tensor([6, 2, 4, 1])
    expected = outputs[torch.arange(4), lengths - 1]
    got = as_tensor(answer(outputs, lengths), "last_step(outputs, lengths)", shape=(4, 3), like=outputs)
    require(not torch.allclose(got, outputs[:, -1]), "you took the last position, which is padding for short rows",
            hint="index position lengths - 1 of each row")
    require(not torch.allclose(got, outputs[torch.arange(4), lengths.clamp(max=5)]),
            "off by one: position lengths[i] is the first pad", hint="use lengths - 1")
    require(torch.allclose(got, expected), "values differ from the output at the last real token",
            hint="outputs[torch.arange(batch), lengths - 1]")
    return "short sequences now end at their own last word, not at a pad."
