"""course_utils.plots: training_curves (one run or several) and bar_with_errors (mean ± std over runs)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_utils import plots  # noqa: E402

HISTORY = [{"epoch": 1, "train_loss": 0.7, "eval_loss": 0.6, "accuracy": 0.6},
           {"epoch": 2, "train_loss": 0.5, "eval_loss": 0.55, "accuracy": 0.7}]


def teardown_function():
    plt.close("all")


def test_training_curves_one_run_and_several():
    fig = plots.training_curves(HISTORY)
    assert [len(ax.lines) for ax in fig.axes] == [2, 1]  # losses | accuracy
    fig = plots.training_curves({"pre-trained": HISTORY, "random init": HISTORY}, metrics=["accuracy"])
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["pre-trained accuracy", "random init accuracy"]
    assert list(ax.lines[1].get_xdata()) == [1, 2]
    fig = plots.training_curves({"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.4]})  # a dict of lists is one run
    assert len(fig.axes) == 1 and list(fig.axes[0].lines[0].get_ydata()) == [1.0, 0.5, 0.4]
    with pytest.raises(ValueError, match="history is empty"):
        plots.training_curves([])


def test_bar_with_errors_draws_mean_and_std_per_category_and_hue():
    rows = [{"head": h, "seed": s, "regime": r, "accuracy": 0.7 + 0.1 * i + 0.01 * s + (0.05 if r == "e2e" else 0)}
            for i, h in enumerate(["cls", "cnn"]) for s in range(3) for r in ("frozen", "e2e")]
    ax = plots.bar_with_errors(pd.DataFrame(rows), "head", hue="regime")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cls", "cnn"]
    means = sorted(float(np.asarray(c.lines[0].get_xdata())[0]) for c in ax.containers)  # one errorbar each
    assert means == pytest.approx([0.71, 0.76, 0.81, 0.86])
    assert len(ax.collections) >= 4  # the single runs are drawn as dots
    one = plots.bar_with_errors(rows[:1], "head", order=["cls"], show_runs=False)
    assert len(one.containers) == 1
    with pytest.raises(ValueError, match="no column 'model'"):
        plots.bar_with_errors(rows, "model")
