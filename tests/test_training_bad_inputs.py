"""Bad input to fine_tune and to FineTuneResult.predict* gives ONE clear exception that names the argument.

Every case asserts the exception type (ValueError for a wrong value, TypeError for a wrong type) and key words of
the message, and that it is raised by course_utils itself (never from inside torch or transformers). Almost all
cases fail before any training; a tiny random BERT (a second on a CPU) is trained once for the predict cases.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.training import ArgumentTypeError, fine_tune, predict_logits
from training_helpers import tiny_model  # noqa: E402

POS = ["a great , moving film", "wonderful acting", "i loved every minute", "funny and warm", "a delight",
       "beautifully told"]
NEG = ["a dull , lifeless mess", "boring from start to end", "i hated it", "the plot makes no sense",
       "awful dialogue", "a waste of two hours"]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": POS + NEG, "label": [1] * len(POS) + [0] * len(NEG)})


def with_row(df: pd.DataFrame, i: int, **values) -> pd.DataFrame:
    df = df.copy().astype(object)
    for col, v in values.items():
        df.loc[i, col] = v
    return df


class WrongWidth(torch.nn.Module):
    """Returns 3 logits per row while train has 2 classes."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(30522, 8)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        return self.head(self.emb(input_ids).mean(1))


# (id, change to the train table, change to the eval table, keyword arguments, exception, message pattern)
FINE_TUNE_CASES = [
    ("max_length=1", None, None, dict(max_length=1), ValueError, r"max_length must be an integer >= 8.*\[CLS\]"),
    ("max_length=2", None, None, dict(max_length=2), ValueError, r"max_length must be an integer >= 8"),
    ("max_length above positions", None, None, dict(max_length=1024), ValueError,
     r"max_length=1024 is longer than this model can read \(config.max_position_embeddings=64.*max_length <= 64"),
    ("max_length float", None, None, dict(max_length=16.0), TypeError, r"max_length must be an integer, got float"),
    ("max_length str", None, None, dict(max_length="32"), TypeError, r"max_length must be an integer, got str"),
    ("one class in train", lambda d: d.assign(label=0), None, {}, ValueError, r"train: .*at least 2 classes"),
    ("batch_size str", None, None, dict(batch_size="8"), TypeError, r"batch_size must be an integer, got str"),
    ("batch_size 0", None, None, dict(batch_size=0), ValueError, r"batch_size must be an integer >= 1, got 0"),
    ("epochs float", None, None, dict(epochs=1.5), TypeError, r"epochs must be an integer, got float"),
    ("epochs bool", None, None, dict(epochs=True), TypeError, r"epochs must be an integer, got bool"),
    ("grad_accum_steps 0", None, None, dict(grad_accum_steps=0), ValueError, r"grad_accum_steps must be"),
    ("head_tokens too big", None, None, dict(truncation="head+tail", head_tokens=20), ValueError,
     r"head_tokens must be in \(0, max_length - 2\) = \(0, 14\)"),
    ("head_tokens negative", None, None, dict(head_tokens=-1), ValueError, r"head_tokens must be an integer >= 0"),
    ("head_tokens str", None, None, dict(truncation="head+tail", head_tokens="4"), TypeError,
     r"head_tokens must be an integer"),
    ("truncation unknown", None, None, dict(truncation="middle"), ValueError,
     r"truncation must be one of \('head', 'tail', 'head\+tail'\), got 'middle'"),
    ("mixed_precision unknown", None, None, dict(mixed_precision="fp32"), ValueError,
     r"mixed_precision must be one of"),
    ("learning_rate str", None, None, dict(learning_rate="1e-3"), TypeError, r"learning_rate must be a number"),
    ("learning_rate nan", None, None, dict(learning_rate=math.nan), ValueError, r"learning_rate must be a number in"),
    ("warmup_ratio 1.5", None, None, dict(warmup_ratio=1.5), ValueError, r"warmup_ratio must be a number in \[0, 1\)"),
    ("weight_decay negative", None, None, dict(weight_decay=-0.1), ValueError, r"weight_decay must be a number"),
    ("seed negative", None, None, dict(seed=-1), ValueError, r"seed must be an integer in \[0, "),
    ("progress str", None, None, dict(progress="yes"), TypeError, r"progress must be True or False"),
    ("param_groups not callable", None, None, dict(param_groups=[{"params": []}]), TypeError,
     r"param_groups must be a callable"),
    ("text column missing", lambda d: d.rename(columns={"text": "sentence"}), None, {}, ValueError,
     r"train: text_column='text' is not a column; the columns are \['sentence', 'label'\]"),
    ("label column missing", None, lambda d: d.rename(columns={"label": "y"}), {}, ValueError,
     r"eval: label_column='label' is not a column"),
    ("text_column not a string", None, None, dict(text_column=["text"]), TypeError,
     r"text_column must be a column name \(a string\)"),
    ("labels are strings", lambda d: d.assign(label=d["label"].map({0: "neg", 1: "pos"})), None, {}, ValueError,
     r"train: labels in 'label' must be integers 0..K-1 \(row 0 is 'pos'\).*cat.codes"),
    ("labels are fractions", lambda d: d.assign(label=d["label"] * 0.5), None, {}, ValueError,
     r"must be integers 0..K-1 \(row 0 is 0.5\)"),
    ("NaN label", lambda d: with_row(d, 2, label=math.nan), None, {}, ValueError, r"must be integers.*row 2 is nan"),
    ("NaN text", lambda d: with_row(d, 3, text=math.nan), None, {}, ValueError,
     r"train: 1 row\(s\) have an empty or non-string 'text' \(first at row 3: nan\); drop or fill them"),
    ("empty text in eval", None, lambda d: with_row(d, 0, text="   "), {}, ValueError, r"eval: 1 row\(s\) have an empty"),
    ("labels not 0..K-1", lambda d: d.assign(label=d["label"] + 1), None, {}, ValueError,
     r"must be 0..K-1 with every class present; found \[1, 2\]"),
    ("eval label unknown to train", None, lambda d: with_row(d, 0, label=2), {}, ValueError,
     r"eval: label 2 in 'label' does not occur in train \(train has labels 0..1\)"),
    ("empty train", lambda d: d.iloc[:0], None, {}, ValueError, r"train: the dataset is empty"),
    ("train is a list", lambda d: list(d["text"]), None, {}, TypeError,
     r"train: expected a datasets.Dataset or a pandas DataFrame, got list"),
    ("eval is None", None, lambda d: None, {}, TypeError, r"eval: expected a datasets.Dataset or a pandas DataFrame"),
    ("model is a string", None, None, dict(model="bert-base-uncased"), TypeError, r"model must be a torch.nn.Module"),
    ("model without tokenizer", None, None, dict(tokenizer=None), ValueError, r"tokenizer: pass the tokenizer"),
    ("model has the wrong head", None, None, dict(model=WrongWidth()), ValueError,
     r"model: its forward returned logits of shape \(\d+, 3\), expected \(\d+, 2\)"),
    ("model_name_or_path not a string", None, None, dict(model=None, tokenizer=None, model_name_or_path=None),
     TypeError, r"model_name_or_path must be a role"),
]


@pytest.mark.parametrize("change_train, change_eval, kwargs, exc, pattern",
                         [c[1:] for c in FINE_TUNE_CASES], ids=[c[0] for c in FINE_TUNE_CASES])
def test_fine_tune_rejects_bad_input_with_one_clear_error(tokenizer, change_train, change_eval, kwargs, exc,
                                                          pattern):
    train = frame() if change_train is None else change_train(frame())
    evaluation = frame() if change_eval is None else change_eval(frame())
    kw = {"model": tiny_model(), "tokenizer": tokenizer, "epochs": 1, "batch_size": 4, "learning_rate": 1e-3,
          "max_length": 16, "mixed_precision": "no", "progress": False, **kwargs}
    name = kw.pop("model_name_or_path", "encoder")
    with pytest.raises(exc, match=pattern) as info:
        fine_tune(name, train, evaluation, **kw)
    assert_raised_by_course_utils(info)


def assert_raised_by_course_utils(info) -> None:
    """The exception comes from course_utils' own checks, not from deep inside torch/transformers."""
    last = info.traceback[-1]
    assert "course_utils" in str(last.path), f"raised from {last.path}:{last.lineno}"
    assert info.value.__cause__ is None


def test_wrong_types_are_type_errors_that_old_value_error_code_still_catches(tokenizer):
    with pytest.raises(ValueError):  # code written when every bad argument was a ValueError keeps working
        fine_tune("encoder", frame(), frame(), model=tiny_model(), tokenizer=tokenizer, batch_size="8")
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)


# ---- predict, predict_proba, predict_logits -------------------------------------------------------------------

@pytest.fixture(scope="module")
def result(tokenizer):
    return fine_tune("encoder", frame(), frame(), model=tiny_model(), tokenizer=tokenizer, epochs=1, batch_size=4,
                     learning_rate=1e-3, max_length=16, mixed_precision="no", progress=False)


PREDICT_CASES = [
    ("DataFrame", "predict", frame(), {}, TypeError, r"texts must be a list of strings, got a DataFrame.*tolist\(\)"),
    ("DataFrame to proba", "predict_proba", frame(), {}, TypeError, r"got a DataFrame"),
    ("DataFrame to logits", "predict_logits", frame(), {}, TypeError, r"got a DataFrame"),
    ("dict", "predict", {"text": ["a film"]}, {}, TypeError, r"got a dict.*pass a list of strings"),
    ("single string", "predict", "a great film", {}, TypeError, r"got a single string: wrap it in a list"),
    ("set", "predict", {"a film", "a movie"}, {}, TypeError, r"got a set, which has no order"),
    ("2-D array", "predict", np.array([["a film"], ["a movie"]]), {}, TypeError, r"1-D list of strings.*\(2, 1\)"),
    ("empty list", "predict", [], {}, ValueError, r"texts is empty"),
    ("None inside", "predict", ["a film", None], {}, ValueError, r"texts: 1 item\(s\) are empty or not strings "
                                                                 r"\(first at position 1: None\)"),
    ("NaN inside", "predict_proba", ["a film", math.nan], {}, ValueError, r"position 1: nan"),
    ("an int", "predict", 42, {}, TypeError, r"texts must be a list of strings, got int"),
    ("batch_size 0", "predict", ["a film"], dict(batch_size=0), ValueError, r"batch_size must be an integer >= 1"),
    ("batch_size str", "predict_logits", ["a film"], dict(batch_size="2"), TypeError,
     r"batch_size must be an integer, got str"),
]


@pytest.mark.parametrize("method, texts, kwargs, exc, pattern", [c[1:] for c in PREDICT_CASES],
                         ids=[c[0] for c in PREDICT_CASES])
def test_predict_rejects_bad_input_with_one_clear_error(result, method, texts, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern) as info:
        getattr(result, method)(texts, **kwargs)
    assert_raised_by_course_utils(info)


def test_predict_accepts_a_column_an_array_and_a_tuple(result):
    df = frame()
    expected = result.predict(df["text"].tolist())
    for texts in (df["text"], df["text"].to_numpy(), tuple(df["text"])):
        np.testing.assert_array_equal(result.predict(texts), expected)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    (dict(max_length=1024), ValueError, r"max_position_embeddings=64"),
    (dict(max_length=4), ValueError, r"max_length must be an integer >= 8"),
    (dict(truncation="head+tail", head_tokens=0), ValueError, r"head_tokens must be in"),
    (dict(mixed_precision="fp32"), ValueError, r"mixed_precision must be one of"),
])
def test_predict_logits_function_checks_its_arguments(tokenizer, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        predict_logits(tiny_model(), tokenizer, ["a film"], **{"max_length": 16, **kwargs})


def test_predict_logits_needs_a_model_and_a_tokenizer(tokenizer):
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module"):
        predict_logits("bert", tokenizer, ["a film"])
    with pytest.raises(TypeError, match=r"tokenizer must be a Hugging Face tokenizer"):
        predict_logits(tiny_model(), None, ["a film"])
