"""Tests for course_utils.error_analysis (chapter 01; reused by chapter 04)."""
import numpy as np
import pytest

from course_utils import error_analysis as ea


def test_tag_phenomena_columns_and_ptb_tokens():
    texts = ["it is not good .", "it does n't work", "I didn't like it", "good , but long", "Oh great, another sequel",
             "a very fine film", "nothing", "notable and knotty"]
    tags = ea.tag_phenomena(texts)
    assert list(tags.columns) == list(ea.PHENOMENA)
    assert tags.dtypes.map(lambda d: d == bool).all()
    assert tags["negation"].tolist() == [True, True, True, False, False, False, True, False]
    assert tags["contrast"].tolist() == [False, False, False, True, False, False, False, False]
    assert tags.loc[4, "sarcasm_cue"] and tags.loc[5, "intensifier"]
    assert not tags.loc[0, "long"]
    assert ea.tag_phenomena(["w " * 30], long_words=25)["long"].item()


def test_error_table_counts_and_models():
    texts = ["not good", "good", "good but long", "bad"]
    y = np.array([0, 1, 0, 0])
    table = ea.error_table(texts, y, {"A": np.array([1, 1, 0, 0]), "B": np.array([0, 1, 1, 0])})
    assert table.loc["all", "n"] == 4 and table.loc["all", "acc A"] == 0.75
    assert table.loc["negation", "n"] == 1 and table.loc["negation", "acc A"] == 0.0 and table.loc["negation", "acc B"] == 1.0
    assert table.loc["contrast", "errors B"] == 1
    assert np.isnan(table.loc["sarcasm_cue", "acc A"])
    single = ea.error_table(texts, y, np.array([0, 1, 0, 0]))
    assert single.loc["all", "acc model"] == 1.0


def test_misclassified_filters_by_phenomenon():
    texts = ["not good", "good", "never bad", "bad"]
    y, p = np.array([0, 1, 1, 0]), np.array([1, 0, 0, 0])
    df = ea.misclassified(texts, y, p, label_names=["neg", "pos"], n=None)
    assert df.index.tolist() == [0, 1, 2] and df.loc[0, "predicted"] == "pos"
    assert ea.misclassified(texts, y, p, phenomenon="negation").index.tolist() == [0, 2]
    assert len(ea.misclassified(texts, y, p, n=1)) == 1


@pytest.mark.parametrize("call, word", [
    (lambda: ea.tag_phenomena("one string"), "texts"),
    (lambda: ea.tag_phenomena(["ok", 3]), "texts"),
    (lambda: ea.tag_phenomena(["ok"], long_words=0), "long_words"),
    (lambda: ea.error_table(["a", "b"], [0], [0, 1]), "y_true"),
    (lambda: ea.error_table(["a", "b"], [0, 1], {"m": [0]}), "predictions"),
    (lambda: ea.error_table(["a", "b"], [0, 1], {}), "predictions"),
    (lambda: ea.misclassified(["a"], [0], [1], phenomenon="irony"), "phenomenon"),
])
def test_helpers_raise_clear_value_errors(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_probes_are_well_formed():
    assert len(ea.PROBES) >= 10
    for text, label, phen in ea.PROBES:
        assert isinstance(text, str) and label in (0, 1) and (phen == "plain" or phen in ea.PHENOMENA)
