"""Checks for chapter 00 (setup and tour)."""
from __future__ import annotations

import numpy as np

from ..exercises import as_number, exercise, require, require_usage


@exercise("0.1", "count the WordPiece tokens")
def check_token_count(answer, tokenizer=None, sentence: str = "") -> str:
    """``answer``: number of tokens (with [CLS] and [SEP]) the tokenizer produces for ``sentence``.

    Call it as ``check_token_count(answer, tokenizer, sentence)``."""
    usage = "call it as check_token_count(answer, tokenizer, sentence)"
    require_usage(callable(tokenizer), f"tokenizer must be a tokenizer (e.g. load_tokenizer('encoder')), got "
                                       f"{type(tokenizer).__name__}; {usage}")
    require_usage(isinstance(sentence, str) and bool(sentence.strip()),
                  f"sentence must be the non-empty sentence you tokenized, got {sentence!r}; {usage}")
    encoded = tokenizer(sentence)
    require_usage(hasattr(encoded, "__getitem__") and "input_ids" in encoded,
                  f"tokenizer(sentence) must return a dict with 'input_ids' (a Hugging Face tokenizer); {usage}")
    require(isinstance(answer, (int, np.integer)) and not isinstance(answer, (bool, np.bool_)),
            f"expected an integer, got {type(answer).__name__}", hint="len(...) gives an int")
    expected = len(encoded["input_ids"])
    require(answer != expected - 2, "you counted the word pieces but not the special tokens",
            hint="BERT adds [CLS] at the start and [SEP] at the end")
    require(answer == expected, f"{answer} is not the number of input ids", hint="len(tokenizer(sentence)['input_ids'])")
    return f"{expected} ids, including [CLS] and [SEP]."


@exercise("0.2", "cosine similarity")
def check_cosine(answer) -> str:
    """``answer``: a function ``cosine(a, b)`` of two 1-D numpy arrays."""
    require(callable(answer), "expected a function cosine(a, b)")
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.normal(size=16), rng.normal(size=16)
        ref = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        got = as_number(answer(a, b), "cosine(a, b)")
        require(abs(got - ref) < 1e-6, f"cosine gave {got:.4f}, expected {ref:.4f}",
                hint="divide the dot product by the product of the two norms")
    got = as_number(answer(np.array([1.0, 0.0]), np.array([3.0, 0.0])), "cosine(a, b)")
    require(abs(got - 1.0) < 1e-6, "vectors pointing the same way must give 1.0 whatever their length")
    return "it matches the reference on random vectors and ignores vector length."
