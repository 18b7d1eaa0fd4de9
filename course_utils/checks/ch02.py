"""Checks for chapter 02 (word embeddings)."""
from __future__ import annotations

import re

import numpy as np
import torch

from ..exercises import as_number, as_tensor, call_without, exercise, require, watch_calls


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


def _gensim_rankers() -> list:
    from gensim.models import KeyedVectors

    return [KeyedVectors.most_similar, KeyedVectors.most_similar_cosmul, KeyedVectors.similar_by_vector]


@exercise("2.1", "analogies by vector arithmetic")
def check_analogy(answer) -> str:
    """``answer``: a function ``analogy(kv, a, b, c)`` returning the word closest (cosine) to ``b - a + c``,
    never one of ``a``, ``b``, ``c`` (e.g. ``analogy(kv, "man", "king", "woman") -> "queen"``). gensim's
    ``most_similar`` (what the answer is compared with) and its relatives are refused."""
    require(callable(answer), "expected a function analogy(kv, a, b, c)")
    kv = _toy_keyed_vectors()
    cases = [("man", "king", "woman"), ("woman", "queen", "man"), ("king", "queen", "prince")]
    for a, b, c in cases:
        expected = kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
        with watch_calls(_gensim_rankers()) as used:
            got = answer(kv, a, b, c)
        require(not used, f"analogy(kv, {a!r}, {b!r}, {c!r}) calls gensim's {used[0] if used else ''}, which "
                          "is what your answer is compared with",
                hint="rank the words yourself: one matrix product of the normalised vectors with your target")
        require(isinstance(got, str), f"analogy(kv, {a!r}, {b!r}, {c!r}) returned {type(got).__name__}, expected a word",
                hint="return only the word (a str), e.g. the first item of a ranked list, not (word, score) pairs")
        require(got not in (a, b, c), f"analogy(kv, {a!r}, {b!r}, {c!r}) returned an input word {got!r}",
                hint="the nearest vector to b - a + c is very often b or c itself: skip the three input words")
        require(got == expected, f"analogy(kv, {a!r}, {b!r}, {c!r}) gave {got!r}, expected {expected!r}",
                hint="cosine similarity ignores length: make every vector (the three inputs and the candidates) "
                     "unit length before you combine and compare them")
    return "it agrees with gensim's most_similar(positive=[b, c], negative=[a])."


@exercise("2.2", "masked mean pooling")
def check_masked_mean(answer) -> str:
    """``answer``: a function ``mean_pool(hidden, mask)``: ``(batch, seq_len, dim)`` and ``(batch, seq_len)``
    with 1 on real tokens -> ``(batch, dim)``, the mean over real tokens only. The course's ``masked_mean``
    (``embeddings`` / ``heads``) is refused."""
    from ..embeddings import masked_mean

    require(callable(answer), "expected a function mean_pool(hidden, mask)")
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(3, 5, 4, generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    expected = torch.stack([hidden[i, : int(mask[i].sum())].mean(0) for i in range(3)])
    got = call_without(answer, [masked_mean], hidden, mask, what="mean_pool(hidden, mask)")
    got = as_tensor(got, "mean_pool(hidden, mask)", like=hidden)
    require(tuple(got.shape) == (3, 4), f"expected shape (3, 4), got {tuple(got.shape)}",
            hint="one vector per sentence: reduce over the time dimension (dim=1)")
    require(not torch.allclose(got, hidden.mean(1), atol=1e-5), "you averaged over the padding too",
            hint="the pads must contribute nothing to the sum, and must not be counted either")
    summed = (hidden * mask.unsqueeze(-1)).sum(1)
    require(not torch.allclose(got, summed / hidden.shape[1], atol=1e-5),
            "the pads no longer add to the sum, but you still divide by seq_len",
            hint="each row has its own number of real tokens: divide by that")
    require(not torch.allclose(got, summed, atol=1e-5), "you summed the real tokens but did not divide",
            hint="a mean divides the sum by how many real tokens the row has")
    require(torch.allclose(got, expected, atol=1e-5), "values differ from the mean over real tokens",
            hint="check the shapes as you go: the mask needs a trailing dimension to line up with hidden")
    got2 = as_tensor(call_without(answer, [masked_mean], hidden, mask.bool(), what="mean_pool(hidden, bool_mask)"),
                     "mean_pool(hidden, bool_mask)", like=hidden)
    require(torch.allclose(got2, expected, atol=1e-5), "it fails when the mask is a bool tensor (True = real token)",
            hint="convert the mask to hidden's dtype before multiplying or summing")
    return "the padding positions no longer leak into the sentence vector."


@exercise("2.3", "the last real time step")
def check_last_real_step(answer) -> str:
    """``answer``: a function ``last_step(outputs, lengths)``: ``(batch, seq_len, hidden)`` outputs of a
    left-to-right RNN over right-padded input and ``(batch,)`` lengths -> ``(batch, hidden)``: the output at the
    last REAL token of each sequence. The course's ``heads.last_real_step`` is refused."""
    from ..heads import last_real_step

    require(callable(answer), "expected a function last_step(outputs, lengths)")
    g = torch.Generator().manual_seed(1)
    outputs = torch.randn(4, 6, 3, generator=g)
    lengths = torch.tensor([6, 2, 4, 1])
    expected = torch.stack([outputs[i, int(n) - 1] for i, n in enumerate(lengths)])
    got = call_without(answer, [last_real_step], outputs, lengths, what="last_step(outputs, lengths)")
    got = as_tensor(got, "last_step(outputs, lengths)", shape=(4, 3), like=outputs)
    require(not torch.allclose(got, outputs[:, -1]), "you took the last position, which is padding for short rows",
            hint="each row has its own last real position, given by its length")
    require(not torch.allclose(got, outputs[torch.arange(4), lengths.clamp(max=5)]),
            "off by one: position lengths[i] is the first pad", hint="positions are counted from 0")
    require(not torch.allclose(got, outputs[:, 0]), "you took the first position",
            hint="a left-to-right RNN has read the whole text only at its last real token")
    require(torch.allclose(got, expected), "values differ from the output at the last real token",
            hint="pick one (row, position) pair per row: advanced indexing with two index tensors, or torch.gather")
    return "short sequences now end at their own last word, not at a pad."


# --- 2.4 ---------------------------------------------------------------------------------------------------------

FREEZE_EXPERIMENT = "exercise_2.4_frozen_embeddings"
_SETTING_RE = re.compile(r"\b(frozen|trainable)\b", re.IGNORECASE)


@exercise("2.4", "frozen or trainable embeddings?")
def check_frozen_vs_trainable(answer) -> str:
    """``answer``: ``{"better": "frozen" or "trainable", "gain": g}`` read from the two rows the experiment recorded
    (experiment ``exercise_2.4_frozen_embeddings``, dataset ``sst2``, split ``validation``, metric ``accuracy``, the
    model name containing ``frozen`` or ``trainable``, the same ``n_train``): the setting with the higher validation
    accuracy and by how much (a fraction, 0.01 = one point)."""
    import pandas as pd

    from ..profiles import profile_name
    from ..results import load_results

    df = load_results(profile=profile_name())
    rows = df[(df["chapter"] == "02") & (df["experiment"] == FREEZE_EXPERIMENT) & (df["metric"] == "accuracy")
              & (df["dataset"] == "sst2") & (df["split"] == "validation")]
    require(len(rows) > 0, f"no rows of experiment {FREEZE_EXPERIMENT!r} (sst2, validation) are recorded in profile "
                           f"{profile_name()!r}", hint="run the experiment and record one row per setting with "
                                                       "cu.record_result (see the exercise text), then check again")
    acc, n_train = {}, {}
    for model, value, n in zip(rows["model"], rows["value"], rows["n_train"]):
        m = _SETTING_RE.findall(str(model))
        require(len({s.lower() for s in m}) == 1, f"recorded model name {model!r} should say either 'frozen' or "
                                                  "'trainable'", hint='e.g. model=f"BiLSTM, {setting} word2vec embeddings"')
        acc[m[0].lower()], n_train[m[0].lower()] = float(value), None if pd.isna(n) else int(n)
    missing = sorted({"frozen", "trainable"} - set(acc))
    require(not missing, f"no recorded row for the {missing[0] if missing else ''} setting",
            hint="record one row for each setting")
    require(None not in n_train.values(), "every row needs n_train: the number of training sentences",
            hint="pass n_train=... to cu.record_result")
    require(n_train["frozen"] == n_train["trainable"],
            f"the two runs record different training sizes (n_train {n_train['frozen']} and {n_train['trainable']})",
            hint="a fair comparison trains both on the same rows: pass the same n_train and use the same subset")
    require(isinstance(answer, dict), f"expected a dict with keys better and gain, got {type(answer).__name__}",
            hint='e.g. {"better": "frozen", "gain": 0.01}')
    missing = [k for k in ("better", "gain") if k not in answer]
    require(not missing, f"your answer has no {missing}")
    better = answer["better"]
    require(better in ("frozen", "trainable"), f"better should be 'frozen' or 'trainable', got {better!r}")
    other = "trainable" if better == "frozen" else "frozen"
    expected = acc[better] - acc[other]
    require(expected >= 0, f"your rows say the other setting ({other}) had the higher validation accuracy",
            hint="compare the two recorded values")
    gain = as_number(answer["gain"], "gain")
    close = abs(gain - expected) < 1.5e-4  # the rows store 6 significant digits; printed accuracies have 4 decimals
    require(close or not (expected > 1.5e-4 and abs(gain - 100 * expected) < 0.015), f"gain {gain:g} looks like "
            "percentage points", hint="give it as a fraction of 1, as accuracies are stored (0.01 = one point)")
    require(close, f"gain {gain:.4f} does not match your recorded rows",
            hint="the better setting's validation accuracy minus the other's")
    return (f"{better} embeddings were better by {expected * 100:.2f} points on the validation split "
            f"(one run each, {n_train[better]} training sentences).")
