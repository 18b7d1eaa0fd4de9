"""The chapter 03 exercise checks accept right answers and reject wrong ones (issue #16 item 4): for every exercise
the worked solution passes, ``None`` says "not attempted", plausible wrong answers fail with a reason, and calling
the course's own helper (or building a model, for 3.2) does not count. Also (item 7): the committed notebooks store
bertviz's libraries (require.js, d3, jQuery) at most once, and chapter 03's results table has no empty columns."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from course_utils import bert_scratch as bs
from course_utils.checks import ch03

from check_helpers import assert_solution_passes_and_none_is_not_attempted

ROOT = Path(__file__).resolve().parents[1]


def _reason(capsys) -> str:
    out = capsys.readouterr().out
    assert "not yet" in out, out
    return out


# --- 3.1 ----------------------------------------------------------------------------------------------------------
def make_mask_solution(attention_mask):  # the chapter's solution
    mask = attention_mask[:, None, None, :].float()
    return (1.0 - mask) * torch.finfo(torch.float32).min


@pytest.mark.parametrize("wrong, reason", [
    (lambda m: (1.0 - m[:, None, None, :].float()) * -1e4 * 0, "padding keys still get attention"),  # adds nothing
    (lambda m: m[:, None, None, :].float() * -1e9, "wrong way round"),  # masks the real tokens
    (lambda m: (1 - m[:, None, None, :].float()) * float("-inf"), "NaN"),  # 0 * -inf
    (lambda m: (1 - m.float()) * -1e9, "cannot be added|expected"),  # (batch, seq): wrong broadcast
    (lambda m: (1 - m[:, None, :, None].float()) * -1e9, "padding keys still get attention|NaN"),  # masks queries
])
def test_additive_mask_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    import re

    assert not ch03.check_additive_mask(wrong)
    assert re.search(reason, _reason(capsys))


def test_additive_mask_helper_shortcut_is_refused(capsys):
    assert not ch03.check_additive_mask(lambda m: bs.additive_mask(m))
    assert "additive_mask" in _reason(capsys)
    from course_utils.bert_scratch import additive_mask as renamed  # an alias is the same function

    assert not ch03.check_additive_mask(lambda m: renamed(m))


def test_additive_mask_copy_written_in_a_cell_is_refused(capsys):
    import inspect

    namespace = {"torch": torch}
    exec(compile(inspect.getsource(bs.additive_mask), "<notebook cell>", "exec"), namespace)  # the chapter's copy
    copy = namespace["additive_mask"]
    assert copy is not bs.additive_mask
    assert not ch03.check_additive_mask(lambda m: copy(m))
    assert "additive_mask" in _reason(capsys)


# --- 3.2 ----------------------------------------------------------------------------------------------------------
def count_solution(c):  # the chapter's solution
    h, i = c.hidden_size, c.intermediate_size
    embeddings = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * h + 2 * h
    per_layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h
    pooler = h * h + h
    return embeddings + c.num_hidden_layers * per_layer + pooler


@pytest.mark.parametrize("wrong, reason", [
    (lambda c: count_solution(c) - (c.hidden_size ** 2 + c.hidden_size), "pooler short"),
    (lambda c: count_solution(c) - 2 * c.hidden_size, "LayerNorm"),
    (lambda c: count_solution(c) - (c.num_hidden_layers - 1) * (
        4 * (c.hidden_size ** 2 + c.hidden_size) + 2 * c.hidden_size * c.intermediate_size + c.intermediate_size
        + 5 * c.hidden_size), "layers short"),
    (lambda c: count_solution(c) - (c.num_hidden_layers * (5 * c.hidden_size + c.intermediate_size) + c.hidden_size),
     "bias"),
    (lambda c: 110_000_000, "expected"),
])
def test_param_count_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch03.check_param_count(wrong)
    assert reason in _reason(capsys)


def test_param_count_helper_shortcuts_are_refused(capsys):
    assert not ch03.check_param_count(lambda c: bs.parameter_counts(c)["total"])
    assert "parameter_counts" in _reason(capsys)

    def build_and_count(c):  # right number, no formula: builds the model on the meta device and counts it
        from transformers import BertConfig, BertModel

        import course_utils as cu

        with torch.device("meta"):
            return cu.count_parameters(BertModel(BertConfig(**{k: getattr(c, k) for k in bs.BertConfigLite.__dataclass_fields__})))

    assert not ch03.check_param_count(build_and_count)
    assert "builds a model" in _reason(capsys)

    def build_and_sum(c):  # the same without the course helper
        with torch.device("meta"):
            return sum(p.numel() for p in bs.Encoder(c).parameters()) + c.hidden_size ** 2 + c.hidden_size

    assert not ch03.check_param_count(build_and_sum)
    assert "builds a model" in _reason(capsys)


# --- 3.3 ----------------------------------------------------------------------------------------------------------
def causal_solution(seq_len):
    return torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool))


@pytest.mark.parametrize("wrong, reason", [
    (lambda n: torch.triu(torch.ones(n, n, dtype=torch.bool)), "transposed"),
    (lambda n: torch.tril(torch.ones(n, n, dtype=torch.bool), -1), "diagonal"),
    (lambda n: torch.ones(n, n, dtype=torch.bool), "not the causal mask"),
])
def test_causal_mask_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch03.check_causal_mask(wrong)
    assert reason in _reason(capsys)


def test_causal_mask_helper_shortcut_is_refused(capsys):
    assert not ch03.check_causal_mask(lambda n: bs.causal_mask(n))
    assert "causal_mask" in _reason(capsys)


def test_hints_do_not_give_the_answer():
    """Issue #16: a hint points the way; it is not the formula or the one-line answer."""
    source = Path(ch03.__file__).read_text(encoding="utf-8")
    for giveaway in ('hint="torch.tril"', "(V+P+T)*H", "4(H*H+H)", "finfo(float32).min", "(batch, 1, 1, seq_len)"):
        assert giveaway not in source, giveaway


# --- 3.4: experiment and interpretation ------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    monkeypatch.setenv("COURSE_RESULTS", str(path))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    return path


def _record(setting, pad, value):
    import course_utils as cu

    cu.record_result(chapter="03", experiment=ch03.PADDING_EXPERIMENT, model=setting, dataset="one sentence",
                     split=f"+{pad} pad", metric=ch03.PADDING_METRIC, value=value)


def _run_padding_experiment(scratch, tokenizer_ids, pad_id=0, pads=(4, 16)):
    """The solution's experiment on a tiny random encoder: [CLS] moves without the mask, stays with it."""
    alone = scratch(tokenizer_ids, torch.ones_like(tokenizer_ids)).last_hidden_state[0, 0]
    for pad in pads:
        ids = torch.cat([tokenizer_ids, torch.full((1, pad), pad_id)], dim=1)
        mask = torch.cat([torch.ones_like(tokenizer_ids), torch.zeros(1, pad, dtype=torch.long)], dim=1)
        for setting, m in ((ch03.WITH_MASK, mask), (ch03.WITHOUT_MASK, None)):
            cls = scratch(ids, m).last_hidden_state[0, 0]
            _record(setting, pad, (cls - alone).norm().item())


@pytest.fixture
def recorded(store):
    torch.manual_seed(0)
    cfg = bs.BertConfigLite(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=32)
    scratch = bs.Encoder(cfg).eval()
    with torch.no_grad():
        _run_padding_experiment(scratch, torch.tensor([[1, 7, 9, 2]]))
    import course_utils as cu

    rows = cu.load_results("smoke")
    return rows[rows["model"] == ch03.WITHOUT_MASK]["value"].max()


def test_padding_experiment_right_answer_passes(capsys, recorded):
    assert ch03.check_padding_experiment({"changes_with_mask": False, "largest_change_without_mask": recorded})
    assert "correct" in capsys.readouterr().out


def test_padding_experiment_not_attempted(capsys, store):
    assert not ch03.check_padding_experiment(None)
    assert "not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("answer, reason", [
    ({"changes_with_mask": True, "largest_change_without_mask": "RECORDED"}, "float rounding"),
    ({"changes_with_mask": False, "largest_change_without_mask": 0.5}, "largest_change_without_mask is 0.5"),
    ({"changes_with_mask": "no", "largest_change_without_mask": "RECORDED"}, "True or False"),
    ({"largest_change_without_mask": "RECORDED"}, "has no"),
    ([False, 1.0], "expected a dict"),
])
def test_padding_experiment_wrong_answers_fail_with_a_reason(capsys, recorded, answer, reason):
    answer = answer if not isinstance(answer, dict) else {
        k: (recorded if v == "RECORDED" else v) for k, v in answer.items()}
    assert not ch03.check_padding_experiment(answer)
    assert reason in _reason(capsys)


def test_padding_experiment_needs_the_recorded_rows(capsys, store):
    assert not ch03.check_padding_experiment({"changes_with_mask": False, "largest_change_without_mask": 3.0})
    assert "run the experiment first" in _reason(capsys)


def test_padding_experiment_catches_a_run_that_never_applied_the_mask(capsys, store):
    for pad, value in ((4, 2.0), (16, 3.0)):
        _record(ch03.WITH_MASK, pad, value)  # "with mask" rows that move: the mask never reached the encoder
        _record(ch03.WITHOUT_MASK, pad, value)
    assert not ch03.check_padding_experiment({"changes_with_mask": True, "largest_change_without_mask": 3.0})
    assert "mask did not reach the encoder" in _reason(capsys)


# --- item 7: readable outputs ----------------------------------------------------------------------------------
def _outputs_text(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            for value in out.get("data", {}).values():
                parts.append("".join(value) if isinstance(value, list) else str(value))
            if "text" in out:
                parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
    return "\n".join(parts)


# A line of each library's own text (its licence banner or first definition): present once per inlined copy.
LIBRARY_MARKERS = {"require": "RequireJS 2.3.6", "d3": "https://d3js.org v5.7.0", "jquery": "jQuery v2.2.4"}


def _library_markers_match_the_files():
    from course_utils import attention_viz as av

    paths = av.find_bertviz_assets()
    if paths is None:
        return None
    return {name: paths[name].read_text(encoding="utf-8").count(marker) for name, marker in LIBRARY_MARKERS.items()}


def test_library_markers_identify_the_pinned_files():
    counts = _library_markers_match_the_files()
    if counts is None:
        pytest.skip("no local copies of the bertviz scripts (tests/.browser/js or $BERTVIZ_JS_DIR)")
    assert counts == {name: 1 for name in LIBRARY_MARKERS}, counts


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
                         + sorted((ROOT / "student").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bertviz_libraries_are_stored_at_most_once_per_notebook(path):
    text = _outputs_text(json.loads(path.read_text(encoding="utf-8")))
    for name, marker in LIBRARY_MARKERS.items():
        assert text.count(marker) <= 1, f"{path.name} stores {name} {text.count(marker)} times"


def test_views_after_the_libraries_cell_do_not_repeat_them(tmp_path, monkeypatch):
    """show_bertviz_libraries() puts the scripts in one output; views with inline="page" rely on it."""
    import hashlib

    from course_utils import attention_viz as av

    for name, spec in av.BERTVIZ_ASSETS.items():  # stand-in scripts, pinned for this test only
        content = f"/* local {spec['file']} */".encode()
        (tmp_path / spec["file"]).write_bytes(content)
        monkeypatch.setitem(spec, "sha256", hashlib.sha256(content).hexdigest())
    attn = tuple(torch.softmax(torch.randn(1, 2, 4, 4), -1) for _ in range(2))
    tokens = ["[CLS]", "a", "b", "[SEP]"]
    page = av.bertviz_libraries_html(tmp_path) + av.bertviz_html(attn, tokens, view="head", inline="page") \
        + av.bertviz_html(attn, tokens, view="model", inline="page")
    for spec in av.BERTVIZ_ASSETS.values():
        assert page.count(f"/* local {spec['file']} */") == 1
    assert av.BERTVIZ_ASSETS["require"]["cdn"] not in page
    assert page.count("bertviz-offline-note") == 2  # each view still explains itself when the scripts are missing


def test_chapter_03_results_table_has_no_empty_columns():
    nb = json.loads((ROOT / "chapters" / "03_bert_theory.ipynb").read_text(encoding="utf-8"))
    at = next(i for i, c in enumerate(nb["cells"]) if "Results of this chapter" in "".join(c["source"]))
    cell = next(c for c in nb["cells"][at:] if c["cell_type"] == "code")
    for out in cell.get("outputs", []):
        html = "".join(out.get("data", {}).get("text/html", ""))
        if html:
            header = html.split("</thead>")[0]
            assert header.count("<th") <= 10, "the chapter's results table is too wide"
            assert "NaN" not in html and "&lt;NA&gt;" not in html, "the chapter's results table has empty cells"


def test_libraries_once_render_two_views_offline_in_a_browser(browser, tmp_path):
    """One libraries output + two views with inline="page", no network at all: both views draw (headless Chromium)."""
    from course_utils import attention_viz as av

    if av.find_bertviz_assets() is None:
        pytest.skip("no local copies of the bertviz scripts (tests/.browser/js or $BERTVIZ_JS_DIR)")
    attn = tuple(torch.softmax(torch.randn(1, 2, 5, 5, generator=torch.Generator().manual_seed(i)), -1) for i in range(2))
    tokens = ["[CLS]", "the", "cat", "sat", "[SEP]"]
    page = tmp_path / "views.html"
    page.write_text("<html><body>" + av.bertviz_libraries_html()
                    + av.bertviz_html(attn, tokens, view="head", inline="page")
                    + av.bertviz_html(attn, tokens, view="model", inline="page") + "</body></html>", encoding="utf-8")
    tab = browser.new_page()
    try:
        tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        tab.goto(page.as_uri(), wait_until="load")
        tab.wait_for_function("() => document.querySelectorAll('.bertviz-head-view svg text').length > 4", timeout=20_000)
        tab.wait_for_function("() => document.querySelectorAll('.bertviz-model-view svg').length > 0", timeout=20_000)
        assert not tab.locator(".bertviz-offline-note").first.is_visible()
    finally:
        tab.close()


@pytest.mark.parametrize("check, solution", [
    (ch03.check_additive_mask, make_mask_solution),
    (ch03.check_param_count, count_solution),
    (ch03.check_causal_mask, causal_solution),
])
def test_solution_passes_and_none_is_not_attempted(check, solution, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys)
