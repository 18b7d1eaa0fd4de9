"""Unusual inputs a learner could plausibly pass: each gives ONE clear exception naming the argument and the fix.

Table-driven: every row is (id, call, exception type, regex the message must match). Exercise checks are split
into MISUSE (a wrong non-answer argument: TypeError saying how to call the check) and WRONG ANSWERS (the check
prints "not yet" and returns a falsy result). fine_tune is covered in tests/test_ch04_training.py.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from datasets import Dataset, DatasetDict

import course_utils as cu
from course_utils import bow, models, results
from course_utils.checks import ch00, ch01, ch02, ch03, ch04, ch05, ch06
from course_utils.exercises import CheckUsageError

X_COUNTS = sp.csr_matrix(np.array([[1, 0, 2], [0, 1, 0], [3, 0, 0], [0, 2, 1]]))
Y = np.array([1, 0, 1, 0])
DF = pd.DataFrame({"text": ["good", "bad", "fine", "dull"], "label": [1, 0, 1, 0]})


def _df(**cols):
    return pd.DataFrame({"text": ["a", "b"], "label": [0, 1], **cols})


class _Tok:  # a minimal tokenizer: [CLS] words [SEP]
    is_fast = False

    def __call__(self, s, **kw):
        return {"input_ids": [101] + [7] * len(s.split()) + [102]}


@pytest.fixture
def empty_dir(tmp_path):
    d = tmp_path / "empty_model"
    d.mkdir()
    return d



@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    models.hub_reachable.cache_clear()
    yield
    models.hub_reachable.cache_clear()


def _record(**kw):
    args = dict(chapter="01", experiment="x", model="m", dataset="sst2", split="validation", metric="accuracy",
                value=0.9, profile="smoke")
    return cu.record_result(**{**args, **kw})


# (id, call, exception, message regex). ``call`` gets the fixtures dict (tmp paths) as its only argument.
CASES = [
    # --- load_course_dataset ---------------------------------------------------------------------------------
    ("dataset-unknown-name", lambda f: cu.load_course_dataset("sst3", verbose=False), ValueError, "unknown dataset 'sst3'.*knows"),
    ("dataset-bad-profile", lambda f: cu.load_course_dataset("sst2", profile="huge", verbose=False), ValueError, "unknown profile 'huge'; choose one of"),
    ("dataset-seed-str", lambda f: cu.load_course_dataset("sst2", seed="a", verbose=False), TypeError, "seed must be an integer"),
    # --- as_dataset ------------------------------------------------------------------------------------------
    ("as_dataset-missing-column", lambda f: cu.as_dataset(DF, "review"), ValueError, "text_column='review' is not a column; the columns are"),
    ("as_dataset-empty-text", lambda f: cu.as_dataset(_df(text=["a", "  "])), ValueError, "empty or non-string 'text'.*drop or fill"),
    ("as_dataset-nan-text", lambda f: cu.as_dataset(_df(text=["a", np.nan])), ValueError, "row 1: nan.*dropna"),
    ("as_dataset-nan-label", lambda f: cu.as_dataset(_df(label=[0.0, np.nan])), ValueError, "no label in 'label'.*dropna"),
    ("as_dataset-label-out-of-range", lambda f: cu.as_dataset(_df(label=[1, 2])), ValueError, "0..K-1 with every class present"),
    ("as_dataset-string-labels", lambda f: cu.as_dataset(_df(label=["pos", "neg"])), ValueError, r"integers 0..K-1 \(row 0 is 'pos'\).*cat.codes"),
    ("as_dataset-fractional-label", lambda f: cu.as_dataset(_df(label=[0, 1.5])), ValueError, r"integers 0..K-1 \(row 1 is 1.5\)"),
    ("as_dataset-empty", lambda f: cu.as_dataset(DF.iloc[:0]), ValueError, "the dataset is empty"),
    ("as_dataset-list", lambda f: cu.as_dataset([("a", 1)]), ValueError, "got list.*pd.DataFrame"),
    ("as_dataset-dict", lambda f: cu.as_dataset({"text": ["a"], "label": [0]}), ValueError, r"got dict.*pd.DataFrame\(data\)"),
    ("as_dataset-datasetdict", lambda f: cu.as_dataset(DatasetDict({"train": Dataset.from_pandas(DF)})), ValueError, r"pick one, e.g. data\['train'\]"),
    ("as_dataset-same-column", lambda f: cu.as_dataset(DF, "label", "label"), ValueError, "both 'label'"),
    # --- stratified_subsample --------------------------------------------------------------------------------
    ("subsample-dataframe", lambda f: cu.stratified_subsample(DF, 2), TypeError, "ds must be a datasets.Dataset.*as_dataset"),
    ("subsample-float-n", lambda f: cu.stratified_subsample(Dataset.from_pandas(DF), 2.5), TypeError, "n must be a whole number"),
    ("subsample-n-below-classes", lambda f: cu.stratified_subsample(Dataset.from_pandas(DF), 1), ValueError, "n=1 is smaller than the number of classes"),
    ("subsample-missing-column", lambda f: cu.stratified_subsample(Dataset.from_pandas(DF), 2, "y"), ValueError, "label_column='y' is not a column"),
    # --- model loaders ---------------------------------------------------------------------------------------
    ("tokenizer-empty-folder", lambda f: cu.load_tokenizer(str(f["empty_dir"])), cu.ModelUnavailableError, "no tokenizer files.*save_pretrained"),
    ("encoder-empty-folder", lambda f: cu.load_encoder(str(f["empty_dir"])), cu.ModelUnavailableError, "is empty: it is not a saved model.*save_pretrained"),
    ("classifier-empty-folder", lambda f: cu.load_classifier(str(f["empty_dir"])), cu.ModelUnavailableError, "is empty: it is not a saved model"),
    ("tokenizer-a-file", lambda f: cu.load_tokenizer(str(f["a_file"])), ValueError, "is a file, not a model: pass the folder"),
    ("encoder-config-only", lambda f: cu.load_encoder(str(f["config_only"])), cu.ModelUnavailableError, "no weights; the course loads safetensors"),
    ("encoder-bin-only", lambda f: cu.load_encoder(str(f["bin_only"])), cu.ModelUnavailableError, "only PyTorch .bin weights"),
    ("tokenizer-missing-folder", lambda f: cu.load_tokenizer("./no/such/model"), ValueError, "folder './no/such/model' does not exist"),
    ("tokenizer-not-a-string", lambda f: cu.load_tokenizer(3), TypeError, "role_or_id must be a role"),
    ("tokenizer-empty-string", lambda f: cu.load_tokenizer(""), ValueError, "role_or_id is empty"),
    ("tokenizer-malformed-id", lambda f: cu.load_tokenizer("bert base uncased"), ValueError, "not a role, an existing folder or a valid hub id"),
    ("encoder-bad-profile-type", lambda f: cu.load_encoder("encoder", profile=3), TypeError, "profile must be a profile name"),
    ("classifier-num-labels-zero", lambda f: cu.load_classifier("encoder", num_labels=0), ValueError, "num_labels must be >= 2"),
    ("classifier-num-labels-str", lambda f: cu.load_classifier("encoder", num_labels="2"), TypeError, "num_labels must be an integer"),
    ("classifier-num-labels-float", lambda f: cu.load_classifier("encoder", num_labels=2.0), TypeError, "num_labels must be an integer"),
    ("classifier-id2label-mismatch", lambda f: cu.load_classifier("encoder", num_labels=3, id2label={0: "a", 1: "b"}), ValueError, "id2label has 2 entries but num_labels is 3"),
    ("count-parameters-not-a-model", lambda f: cu.count_parameters("bert"), TypeError, "model must be a torch nn.Module"),
    # --- results store ---------------------------------------------------------------------------------------
    ("record-value-str", lambda f: _record(value="0.9"), ValueError, "value must be a finite number.*got a string"),
    ("record-value-nan", lambda f: _record(value=float("nan")), ValueError, "value must be a finite number, got nan"),
    ("record-value-inf", lambda f: _record(value=np.float32("inf")), ValueError, "value must be a finite number, got inf"),
    ("record-value-bool", lambda f: _record(value=True), ValueError, "value must be a finite number.*bool"),
    ("record-value-array", lambda f: _record(value=np.array([0.9, 0.8])), ValueError, "value must be a finite number.*ndarray"),
    ("record-experiment-none", lambda f: _record(experiment=None), TypeError, r"experiment must be a string, got NoneType.*str\(\.\.\.\)"),
    ("record-metric-empty", lambda f: _record(metric="  "), ValueError, "metric must be a non-empty string"),
    ("record-n-train-fraction", lambda f: _record(n_train=10.5), ValueError, "n_train must be a non-negative whole number"),
    ("record-params-str", lambda f: _record(params="1M"), ValueError, "params must be a finite number"),
    ("record-seconds-negative", lambda f: _record(seconds=-1), ValueError, "seconds must be >= 0"),
    ("record-unknown-profile", lambda f: _record(profile="colab"), ValueError, "profile must be one of"),
    ("record-bad-source", lambda f: _record(source="guess"), ValueError, "source must be one of"),
    ("record-foreign-file", lambda f: f["foreign"](), results.ResultsFileError, "is not a course results file.*COURSE_RESULTS"),
    ("record-store-is-folder", lambda f: f["folder_store"](), results.ResultsFileError, "is a folder"),
    ("leaderboard-unknown-dataset", lambda f: f["board"](dataset="sst3"), ValueError, "no result has dataset='sst3'; recorded: \\['sst2'\\]"),
    ("leaderboard-unknown-metric", lambda f: f["board"](metric="acuracy"), ValueError, "no result has metric='acuracy'"),
    ("leaderboard-unknown-profile", lambda f: f["board"](profile="huge"), ValueError, "profile must be one of"),
    ("leaderboard-dataset-not-str", lambda f: f["board"](dataset=1), TypeError, "dataset must be a string or None"),
    # --- BoW estimators and helpers --------------------------------------------------------------------------
    ("nbsvm-raw-text", lambda f: bow.NBSVMClassifier().fit(["a good film", "bad"], [1, 0]), TypeError, "got raw text.*CountVectorizer"),
    ("nbsvm-mismatched-lengths", lambda f: bow.NBSVMClassifier().fit(X_COUNTS, Y[:3]), ValueError, "inconsistent numbers of samples"),
    ("nbsvm-one-class", lambda f: bow.NBSVMClassifier().fit(X_COUNTS, np.ones(4)), ValueError, "y has 1 class"),
    ("nbsvm-continuous-y", lambda f: bow.NBSVMClassifier().fit(X_COUNTS, [0.1, 0.2, 0.3, 0.4]), ValueError, "Unknown label type"),
    ("nbsvm-nan-X", lambda f: bow.NBSVMClassifier().fit(np.array([[np.nan, 1], [1, 0]]), [0, 1]), ValueError, "NaN"),
    ("nbsvm-negative-X", lambda f: bow.NBSVMClassifier().fit(-X_COUNTS.toarray(), Y), ValueError, "Negative values in data.*counts"),
    ("nbsvm-C-str", lambda f: bow.NBSVMClassifier(C="1").fit(X_COUNTS, Y), TypeError, "C must be a number"),
    ("nbsvm-feature-mismatch", lambda f: bow.NBSVMClassifier().fit(X_COUNTS, Y).predict(X_COUNTS[:, :2]), ValueError, "features"),
    ("nbsvm-unfitted", lambda f: bow.NBSVMClassifier().predict(X_COUNTS), ValueError, "not fitted"),
    ("scaler-three-classes", lambda f: bow.NBFeatureScaler().fit(X_COUNTS, [0, 1, 2, 0]), ValueError, "exactly 2 classes.*NBSVMClassifier"),
    ("scaler-1d-X", lambda f: bow.NBFeatureScaler().fit(np.array([1, 0, 2, 0]), Y), ValueError, "Expected a 2-dimensional container|2D array"),
    ("fit-bow-empty", lambda f: bow.fit_bow_baseline([], []), ValueError, "texts is empty"),
    ("fit-bow-string", lambda f: bow.fit_bow_baseline("a text", [1]), TypeError, "wrap it in a list"),
    ("fit-bow-none-text", lambda f: bow.fit_bow_baseline(["good", None], [1, 0]), TypeError, r"texts: 1 item\(s\) are not strings \(first at position 1: None\)"),
    ("fit-bow-length-mismatch", lambda f: bow.fit_bow_baseline(["good", "bad"], [1]), ValueError, "same length"),
    ("fit-bow-one-class", lambda f: bow.fit_bow_baseline(["good", "fine"], [1, 1]), ValueError, "only one class"),
    ("fit-bow-nan-labels", lambda f: bow.fit_bow_baseline(["good", "bad"], [1.0, np.nan]), ValueError, "NaN"),
    ("fit-bow-blank-texts", lambda f: bow.fit_bow_baseline([" ", "!"], [1, 0]), ValueError, "empty vocabulary"),
    ("bow-pipeline-bad-ngrams", lambda f: bow.best_bow_pipeline("sst2", ngram_range=(2, 1)), ValueError, "ngram_range must be a pair"),
    ("ngram-weights-unfitted", lambda f: bow.ngram_weights(bow.best_bow_pipeline("imdb")), ValueError, "not fitted yet"),
    ("log-count-ratio-alpha-str", lambda f: bow.log_count_ratio(X_COUNTS, Y, alpha="1"), TypeError, "alpha must be a number"),
    # --- exercise checks: misuse is a TypeError that says how to call the check -------------------------------
    ("check-token-count-no-tokenizer", lambda f: ch00.check_token_count(5), CheckUsageError, r"tokenizer must be a tokenizer.*check_token_count\(answer, tokenizer, sentence\)"),
    ("check-token-count-no-sentence", lambda f: ch00.check_token_count(5, _Tok()), CheckUsageError, "sentence must be the non-empty sentence"),
    ("check-cosine-unknown-kwarg", lambda f: ch00.check_cosine(lambda a, b: 1.0, tokenizer=None), CheckUsageError, r"unexpected keyword argument 'tokenizer'.*check_cosine\(answer\)"),
    ("check-cosine-extra-positional", lambda f: ch00.check_cosine(lambda a, b: 1.0, 3), CheckUsageError, "too many positional arguments"),
    ("check-negations-no-data", lambda f: ch01.check_misclassified_negations([0, 1, 2]), CheckUsageError, "texts, y_true and y_pred are required"),
    ("check-negations-length-mismatch", lambda f: ch01.check_misclassified_negations([0], texts=["a", "b"], y_true=[0], y_pred=[0, 1]), CheckUsageError, "same length"),
    ("check-param-groups-bad-lr", lambda f: ch04.check_param_groups(lambda m, lr: [], lr="1e-4"), CheckUsageError, "lr must be a learning rate"),
    ("check-n-chunks-no-tokenizer", lambda f: ch05.check_n_chunks(lambda n, L, o: 1), CheckUsageError, "the tokenizer is missing"),
    ("check-n-chunks-slow-tokenizer", lambda f: ch05.check_n_chunks(lambda n, L, o: 1, tokenizer=_Tok()), CheckUsageError, "fast Hugging Face tokenizer"),
    ("check-analogy-unknown-kwarg", lambda f: ch02.check_analogy(lambda kv, a, b, c: "queen", kv=None), CheckUsageError, "unexpected keyword argument 'kv'"),
]


@pytest.fixture
def fx(tmp_path, empty_dir, store):
    a_file = tmp_path / "model.safetensors"
    a_file.write_text("not weights")
    config_only, bin_only = tmp_path / "config_only", tmp_path / "bin_only"
    for d in (config_only, bin_only):
        d.mkdir()
        (d / "config.json").write_text('{"model_type": "bert"}')
    (bin_only / "pytorch_model.bin").write_bytes(b"\0")

    def foreign():
        store.write_text("name,score\nalice,3\n")
        return _record()

    def folder_store():
        store.mkdir()
        return _record()

    def board(**kw):
        _record()
        return cu.leaderboard(**kw)

    return {"empty_dir": empty_dir, "a_file": a_file, "config_only": config_only, "bin_only": bin_only,
            "foreign": foreign, "folder_store": folder_store, "board": board}


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_one_clear_error(fx, call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call(fx)
    assert info.value.__cause__ is None or info.type.__module__.startswith(("course_utils", "sklearn", "builtins"))


# --- exercise checks: WRONG ANSWERS print a verdict and return False; they never raise --------------------------

def _numpy_last_step(out, mask):  # right values, numpy instead of torch: accepted
    return out[torch.arange(out.shape[0]), mask.sum(1) - 1].numpy()


WRONG_ANSWERS = [
    ("token-count-str", lambda: ch00.check_token_count("5", _Tok(), "a b c"), "expected an integer, got str"),
    ("token-count-bool", lambda: ch00.check_token_count(True, _Tok(), "a b c"), "expected an integer, got bool"),
    ("cosine-returns-none", lambda: ch00.check_cosine(lambda a, b: None), "returned NoneType None, expected a number"),
    ("cosine-returns-str", lambda: ch00.check_cosine(lambda a, b: "0.5"), "returned str 0.5, expected a number"),
    ("log-count-ratio-returns-none", lambda: ch01.check_log_count_ratio(lambda X, y, a: None), "expected an array of numbers"),
    ("negations-not-indices", lambda: ch01.check_misclassified_negations(lambda t, yt, yp: ["a", "b", "c"], texts=["x"] * 3, y_true=[0] * 3, y_pred=[1] * 3), "must be an integer index"),
    ("analogy-returns-pairs", lambda: ch02.check_analogy(lambda kv, a, b, c: [("queen", 0.9)]), "returned list, expected a word"),
    ("masked-mean-list", lambda: ch02.check_masked_mean(lambda h, m: h.mean(1).tolist()), "should be a torch.Tensor, got list"),
    ("additive-mask-list", lambda: ch03.check_additive_mask(lambda m: [[0.0]]), "should be a torch.Tensor, got list"),
    ("param-count-bool", lambda: ch03.check_param_count(lambda c: True), "returned bool, expected an integer"),
    ("padding-waste-none", lambda: ch04.check_padding_waste(lambda lengths, bs: None), "returned NoneType None, expected a number"),
    ("param-groups-not-list", lambda: ch04.check_param_groups(lambda m, lr: m.parameters()), "expected a list of dicts"),
    ("last-step-wrong-shape", lambda: ch05.check_last_step(lambda o, m: o[:, -1:, :]), r"should have shape \(4, 4\), got \(4, 1, 4\)"),
    ("pareto-returns-points", lambda: ch06.check_pareto(lambda pts: [pts[0]]), "must be an integer index, not tuple"),
    ("disk-size-returns-str", lambda: ch06.check_disk_size(lambda n, d: "4 MB"), "returned str 4 MB, expected a number"),
]


@pytest.mark.parametrize("call, words", [c[1:] for c in WRONG_ANSWERS], ids=[c[0] for c in WRONG_ANSWERS])
def test_wrong_answer_prints_a_verdict_not_a_crash(capsys, call, words):
    assert not call()
    out = capsys.readouterr().out
    assert "not yet" in out and "raised" not in out
    assert re.search(words, out), out


def test_numpy_answers_are_accepted_where_a_tensor_is_expected():
    assert ch05.check_last_step(_numpy_last_step)
    assert ch02.check_last_real_step(lambda o, n: o[torch.arange(o.shape[0]), n - 1].double().numpy())
    assert ch03.check_causal_mask(lambda n: np.tril(np.ones((n, n), dtype=bool)))


def test_numpy_and_torch_scalars_are_accepted_as_result_values(store):
    assert _record(value=np.float32(0.9))["value"] == "0.9"
    assert _record(value=np.int64(1), metric="n_ok")["value"] == "1"
    assert _record(value=torch.tensor(0.25), metric="f1")["value"] == "0.25"
    assert _record(chapter=1, experiment="y")["chapter"] == "01"
    assert math.isclose(cu.load_results().value.max(), 1.0)
