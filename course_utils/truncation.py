"""Cutting texts longer than the model reads: keep the head, the tail, or both (chapters 04 and 05).

>>> enc = tokenize_truncated(tokenizer, texts, max_length=256, truncation="head+tail", head_tokens=64)
>>> ids = head_tail_ids(tokenizer, texts, max_length=512, head_tokens=128)   # just the input ids
"""
from __future__ import annotations

from typing import Any, Sequence

from .arguments import check_choice, check_int

TRUNCATION = ("head", "tail", "head+tail")


def check_truncation(truncation: Any, head_tokens: Any, max_length: int) -> None:
    """``truncation`` is one of ``TRUNCATION``; for ``"head+tail"``, ``0 < head_tokens < max_length - 2``."""
    check_choice("truncation", truncation, TRUNCATION)
    head_tokens = check_int("head_tokens", head_tokens, 0)
    budget = max_length - 2
    if truncation == "head+tail" and not 0 < head_tokens < budget:
        raise ValueError(f"head_tokens must be in (0, max_length - 2) = (0, {budget}) for truncation='head+tail', "
                         f"got {head_tokens}: it is how many word pieces to keep from the start, the rest come "
                         "from the end")


def tokenize_truncated(tokenizer, texts: Sequence[str], max_length: int, truncation: str = "head",
                       head_tokens: int = 128) -> dict[str, list[list[int]]]:
    """Tokenize ``texts`` (no padding) so that each has at most ``max_length`` tokens including [CLS] and [SEP].

    truncation: ``"head"`` keeps the first word pieces (the tokenizer's default), ``"tail"`` the last ones, and
    ``"head+tail"`` the first ``head_tokens`` plus the last ``max_length - 2 - head_tokens`` (Sun et al. 2019).
    Texts that fit are kept whole whatever the strategy. Returns ``input_ids``, ``attention_mask`` (and
    ``token_type_ids`` where the tokenizer uses them), lists of lists.
    """
    check_choice("truncation", truncation, TRUNCATION)
    special = tokenizer.num_special_tokens_to_add(pair=False) if hasattr(tokenizer, "num_special_tokens_to_add") else 2
    check_int("max_length", max_length, special + 1,
              hint=f"the tokenizer adds {special} special tokens, so at least one word piece needs {special + 1}")
    if truncation == "head":
        return dict(tokenizer(list(texts), truncation=True, max_length=max_length))
    check_truncation(truncation, head_tokens, max_length)
    budget = max_length - 2
    head = 0 if truncation == "tail" else head_tokens
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls is None or sep is None:
        raise ValueError(f"truncation={truncation!r} needs a tokenizer with [CLS]/[SEP]-style tokens; "
                         f"{type(tokenizer).__name__} has none: use truncation='head'")
    ids = []
    for x in tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]:  # no "too long" warning
        if len(x) > budget:
            x = x[:head] + x[len(x) - (budget - head):]
        ids.append([cls, *x, sep])  # (<= max_length,) as the tokenizer would wrap one sequence
    enc = {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}
    if "token_type_ids" in tokenizer.model_input_names:
        enc["token_type_ids"] = [[0] * len(x) for x in ids]
    return enc


def head_tail_ids(tokenizer, texts: Sequence[str], max_length: int = 512, head_tokens: int = 128) -> list[list[int]]:
    """Head+tail truncation (Sun et al. 2019): the first ``head_tokens`` and the last ``max_length - 2 - head_tokens``
    word pieces of each text, between [CLS] and [SEP]. Texts that fit are kept whole."""
    return tokenize_truncated(tokenizer, texts, max_length, "head+tail", head_tokens)["input_ids"]
