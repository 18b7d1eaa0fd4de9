"""The small helpers the chapters use instead of repeated blocks: ``record_metrics`` (one row per metric of a run)
and ``binomial_se`` / ``noise_verdict`` (is a spread of accuracies larger than the noise of the evaluation set?)."""
import math

import pytest

import course_utils as cu

RUN = dict(chapter="06", experiment="pretrained_finetune", model="MiniLM", dataset="sst2", split="validation",
           n_train=600, seconds=12.5, params=22_000_000, profile="cpu", notes="2 epoch(s)")



# --- record_metrics ---------------------------------------------------------------------------------------------

def test_record_metrics_writes_one_row_per_name_with_its_value(store):
    rows = cu.record_metrics({"accuracy": 0.875, "f1": 0.8125, "n": 872}, **RUN)
    assert [r["metric"] for r in rows] == ["accuracy", "f1"]
    df = cu.load_results()
    assert sorted(df["metric"]) == ["accuracy", "f1"]  # "n" is not a requested name: not recorded
    values = dict(zip(df["metric"], df["value"]))
    assert values == {"accuracy": pytest.approx(0.875), "f1": pytest.approx(0.8125)}
    for col in ("chapter", "experiment", "model", "dataset", "split", "profile", "notes"):
        assert set(df[col]) == {RUN[col]}, col
    assert set(df["n_train"]) == {600} and set(df["params"]) == {22_000_000} and set(df["seconds"]) == {12.5}


def test_record_metrics_equals_the_record_result_calls_it_replaces(store, tmp_path, monkeypatch):
    metrics = {"accuracy": 0.9, "f1": 0.88, "size_mb": 45.5}
    names = ("accuracy", "f1", "size_mb")
    cu.record_metrics(metrics, names=names, **RUN)
    ours = cu.load_results().drop(columns="recorded_at")
    monkeypatch.setenv("COURSE_RESULTS", str(tmp_path / "by_hand.csv"))
    for metric in names:
        cu.record_result(metric=metric, value=metrics[metric], **RUN)
    by_hand = cu.load_results().drop(columns="recorded_at")
    assert ours.equals(by_hand)


def test_record_metrics_names_choose_and_a_string_is_one_name(store):
    cu.record_metrics({"mlm_loss": 6.5, "masked_token_accuracy": 0.07}, names="mlm_loss", **RUN)
    df = cu.load_results()
    assert list(df["metric"]) == ["mlm_loss"] and df.loc[0, "value"] == pytest.approx(6.5)


def test_record_metrics_rerun_replaces_rows(store):
    cu.record_metrics({"accuracy": 0.5, "f1": 0.4}, **RUN)
    cu.record_metrics({"accuracy": 0.6, "f1": 0.55}, **RUN)
    df = cu.load_results()
    assert len(df) == 2 and dict(zip(df["metric"], df["value"])) == {"accuracy": 0.6, "f1": 0.55}


def test_record_metrics_missing_name_says_what_exists_and_records_nothing(store):
    with pytest.raises(ValueError, match=r"no \['auc'\].*\['accuracy', 'f1'\]"):
        cu.record_metrics({"accuracy": 0.9, "f1": 0.8}, names=("accuracy", "auc"), **RUN)
    assert not store.exists() or cu.load_results().empty  # all or nothing: accuracy was not written either


@pytest.mark.parametrize("extra", [{"metric": "accuracy"}, {"value": 0.9}])
def test_record_metrics_refuses_metric_or_value(store, extra):
    with pytest.raises(TypeError, match="metric= or value="):
        cu.record_metrics({"accuracy": 0.9, "f1": 0.8}, **RUN, **extra)
    assert not store.exists()


def test_record_metrics_needs_a_dict(store):
    with pytest.raises(TypeError, match="metrics must be a dict"):
        cu.record_metrics([0.9, 0.8], **RUN)


def test_record_metrics_passes_bad_fields_to_record_result_checks(store):
    with pytest.raises(ValueError, match="finite number"):
        cu.record_metrics({"accuracy": float("nan"), "f1": 0.8}, **RUN)


# --- binomial_se and noise_verdict --------------------------------------------------------------------------------

def test_binomial_se_formula():
    assert cu.binomial_se(0.5, 100) == pytest.approx(0.05)
    assert cu.binomial_se(0.9, 872) == pytest.approx(math.sqrt(0.9 * 0.1 / 872))
    assert cu.binomial_se(1.0, 10) == 0.0


@pytest.mark.parametrize("n", [0, -5, 2.5, "872", None, True])
def test_binomial_se_bad_n(n):
    with pytest.raises(ValueError, match="n must be the number of evaluated examples"):
        cu.binomial_se(0.8, n)


@pytest.mark.parametrize("acc", [-0.1, 1.5])
def test_binomial_se_bad_accuracy(acc):
    with pytest.raises(ValueError, match=r"accuracy must be in \[0, 1\]"):
        cu.binomial_se(acc, 100)


def test_noise_verdict_within_two_standard_errors():
    # mean 0.805 on 872 examples: SE = sqrt(0.805 * 0.195 / 872) = 0.0134, 2 SE = 0.0268 > spread 0.01
    verdict = cu.noise_verdict([0.80, 0.81, 0.805], n=872)
    assert verdict.endswith("within noise")
    assert "spread 0.0100" in verdict and "2 standard errors 0.0268" in verdict and "n = 872" in verdict


def test_noise_verdict_beyond_two_standard_errors():
    verdict = cu.noise_verdict([0.70, 0.85], n=872)  # spread 0.15 >> 2 SE (about 0.026)
    assert verdict.endswith("LARGER than noise") and "spread 0.1500" in verdict


def test_noise_verdict_k_widens_the_band():
    accs = [0.80, 0.84]  # spread 0.04; SE at 0.82 on 872 = 0.0130
    assert cu.noise_verdict(accs, n=872, k=2.0).endswith("LARGER than noise")
    assert cu.noise_verdict(accs, n=872, k=4.0).endswith("within noise")


@pytest.mark.parametrize("n", [0, -1, 3.0])
def test_noise_verdict_bad_n(n):
    with pytest.raises(ValueError, match="n must be the number of evaluated examples"):
        cu.noise_verdict([0.8, 0.81], n=n)


# --- verdicts_vs_best ---------------------------------------------------------------------------------------------

def test_verdicts_vs_best_names_the_best_and_judges_gaps_by_the_noise():
    v = cu.verdicts_vs_best({"cls": 0.70, "mean": 0.79, "bilstm": 0.80}, noise=0.01)
    assert v["bilstm"] == "best"
    assert v["mean"].startswith("within 2 std of the best")
    assert v["cls"] == "behind the best by 10.0 std"


def test_verdicts_vs_best_a_wider_band_or_more_noise_forgives_more():
    means = {"a": 0.80, "b": 0.77}
    assert cu.verdicts_vs_best(means, noise=0.01)["b"].startswith("behind")
    assert cu.verdicts_vs_best(means, noise=0.01, k=4)["b"].startswith("within 4 std")
    assert cu.verdicts_vs_best(means, noise=0.02)["b"].startswith("within 2 std")


@pytest.mark.parametrize("means,noise", [({}, 0.01), ({"a": 0.8}, -0.1), ({"a": 0.8}, float("nan"))])
def test_verdicts_vs_best_rejects_bad_input(means, noise):
    with pytest.raises(ValueError):
        cu.verdicts_vs_best(means, noise)
