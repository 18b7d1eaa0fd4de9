"""Where a sentiment classifier goes wrong: tag linguistic phenomena, then compare accuracy per phenomenon.

>>> tags = tag_phenomena(texts)                       # DataFrame of bool columns, one row per text
>>> error_table(texts, y_true, {"BoW": bow_pred, "BERT": bert_pred})   # accuracy per phenomenon and model
>>> misclassified(texts, y_true, bow_pred, phenomenon="negation", n=5)

The tags are simple, transparent word lists (not a parser): they find candidates for a phenomenon, e.g.
"negation" fires on "not", "n't", "never", "no", ... anywhere in the text. Works on raw text and on the
Penn-Treebank-tokenized SST-2 text ("does n't"). ``PROBES`` are hand-written minimal pairs that change the
label with one word order or negation, for testing any model.
"""
from __future__ import annotations

import re
from typing import Mapping, Sequence

import numpy as np

from .arguments import check_texts

__all__ = ["PHENOMENA", "PROBES", "error_table", "misclassified", "tag_phenomena"]

_WORDS = {
    "negation": r"not|no|never|nothing|none|nobody|nowhere|neither|nor|without|hardly|barely|cannot|\w+n't|n't",
    "contrast": r"but|however|although|though|yet|despite|nevertheless|nonetheless|whereas|instead",
    "sarcasm_cue": r"yeah right|oh great|so-called|supposed to be|thanks a lot|as if|what a treat|"
                   r"brilliant idea|sure,|big deal",
    "intensifier": r"very|really|so|too|extremely|totally|utterly|absolutely|incredibly|most|least",
}
PHENOMENA: dict[str, str] = {
    "negation": "a negator (not, n't, no, never, nothing, without, ...)",
    "contrast": "a contrast connective (but, however, although, yet, despite, ...)",
    "sarcasm_cue": "a sarcasm/irony cue phrase (yeah right, oh great, so-called, supposed to be, ...)",
    "intensifier": "an intensifier (very, really, so, too, extremely, ...)",
    "long": "more than `long_words` words (default 25)",
}
_PATTERNS = {k: re.compile(rf"(?<![\w'])(?:{v})(?![\w'])", re.IGNORECASE) for k, v in _WORDS.items()}

# Minimal pairs: (text, label 0 negative / 1 positive, phenomenon). A bag of words sees "not" and "good" in both
# "not good" and "good, not bad"; only word order and scope tell them apart.
PROBES: list[tuple[str, int, str]] = [
    ("the movie is good .", 1, "plain"),
    ("the movie is not good .", 0, "negation"),
    ("the movie is bad .", 0, "plain"),
    ("the movie is not bad at all .", 1, "negation"),
    ("i did n't like it .", 0, "negation"),
    ("i did n't think i would like it , but i loved it .", 1, "contrast"),
    ("great cast , but the story is a mess .", 0, "contrast"),
    ("the story is a mess , but the cast is great and it works .", 1, "contrast"),
    ("oh great , another two hours of my life gone .", 0, "sarcasm_cue"),
    ("a so-called comedy without a single laugh .", 0, "sarcasm_cue"),
    ("nothing about this film is boring .", 1, "negation"),
    ("never have i been so bored .", 0, "negation"),
]


def tag_phenomena(texts: Sequence[str], long_words: int = 25):
    """pandas DataFrame, one row per text, bool columns ``negation, contrast, sarcasm_cue, intensifier, long``.

    See ``PHENOMENA`` for what each column means. ``long_words``: word count above which a text is "long".
    """
    import pandas as pd

    texts = check_texts(texts, allow_blank=True)
    if not isinstance(long_words, int) or long_words < 1:
        raise ValueError(f"long_words must be a positive integer, got {long_words!r}")
    cols = {k: [bool(p.search(t)) for t in texts] for k, p in _PATTERNS.items()}
    cols["long"] = [len(t.split()) > long_words for t in texts]
    return pd.DataFrame(cols, columns=list(PHENOMENA))


def _predictions(predictions, n: int) -> dict[str, np.ndarray]:
    if not isinstance(predictions, Mapping):
        predictions = {"model": predictions}
    if not predictions:
        raise ValueError("predictions is empty: pass an array of predicted labels or a dict {model name: array}")
    out = {}
    for name, pred in predictions.items():
        pred = np.asarray(pred)
        if pred.shape != (n,):
            raise ValueError(f"predictions[{name!r}] has shape {pred.shape}, expected ({n},) like y_true")
        out[str(name)] = pred
    return out


def error_table(texts: Sequence[str], y_true: Sequence[int], predictions, long_words: int = 25):
    """Accuracy of one or more models on each phenomenon subset, as a pandas DataFrame.

    ``predictions``: (n,) predicted labels, or a dict ``{model name: (n,) predictions}``.
    Rows: ``all`` and each phenomenon; columns ``n`` (texts with the tag), ``share`` (of all texts),
    ``acc <model>`` and ``errors <model>`` per model.
    """
    import pandas as pd

    texts = check_texts(texts, allow_blank=True)
    y = np.asarray(y_true)
    if y.shape != (len(texts),):
        raise ValueError(f"y_true has shape {y.shape}, expected ({len(texts)},): one label per text")
    preds = _predictions(predictions, len(texts))
    tags = tag_phenomena(texts, long_words)
    masks = {"all": np.ones(len(texts), bool), **{k: tags[k].to_numpy() for k in tags.columns}}
    rows = []
    for name, m in masks.items():
        row = {"subset": name, "n": int(m.sum()), "share": float(m.mean()) if len(m) else 0.0}
        for model, p in preds.items():
            ok = p[m] == y[m]
            row[f"acc {model}"] = float(ok.mean()) if m.any() else float("nan")
            row[f"errors {model}"] = int((~ok).sum())
        rows.append(row)
    return pd.DataFrame(rows).set_index("subset")


def misclassified(texts: Sequence[str], y_true: Sequence[int], y_pred: Sequence[int], phenomenon: str | None = None,
                  n: int | None = 10, label_names: Sequence[str] | None = None, long_words: int = 25):
    """pandas DataFrame of the misclassified texts (index = position in ``texts``), optionally only those
    tagged with ``phenomenon``; columns ``text, true, predicted`` and the tag columns. ``n``: at most n rows."""
    texts = check_texts(texts, allow_blank=True)
    y, p = np.asarray(y_true), np.asarray(y_pred)
    if y.shape != (len(texts),) or p.shape != (len(texts),):
        raise ValueError(f"y_true {y.shape} and y_pred {p.shape} must both have shape ({len(texts)},)")
    if phenomenon is not None and phenomenon not in PHENOMENA:
        raise ValueError(f"phenomenon must be one of {list(PHENOMENA)} or None, got {phenomenon!r}")
    tags = tag_phenomena(texts, long_words)
    wrong = p != y
    if phenomenon is not None:
        wrong &= tags[phenomenon].to_numpy()
    name = (lambda v: label_names[int(v)]) if label_names is not None else (lambda v: v)
    df = tags[wrong].copy()
    df.insert(0, "predicted", [name(v) for v in p[wrong]])
    df.insert(0, "true", [name(v) for v in y[wrong]])
    df.insert(0, "text", [texts[i] for i in np.flatnonzero(wrong)])
    return df if n is None else df.head(n)
