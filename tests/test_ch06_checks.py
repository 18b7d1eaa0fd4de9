"""Chapter 06 exercise checks (issue #16 item 4): for each exercise the worked solution passes, ``None`` says "not
attempted", plausible wrong answers fail and say why, and the course helper that computes the answer is refused
(``call_without``: the package function, a copy of its code written in a cell and an import alias alike).
Offline, seconds."""
from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest

import course_utils as cu
from course_utils import costs as C
from course_utils.checks import ch06

from check_helpers import assert_solution_passes_and_none_is_not_attempted

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "06_bert_variants.ipynb"


def _verdict(capsys) -> str:
    return capsys.readouterr().out


# --- the solutions of the notebook ----------------------------------------------------------------------------------

def albert_solution(vocab_size, embedding_size, hidden_size):
    return vocab_size * embedding_size + embedding_size * hidden_size + hidden_size


def pareto_solution(points):
    keep = []
    for i, (lat, acc) in enumerate(points):
        beaten = any(l2 <= lat and a2 >= acc and (l2 < lat or a2 > acc) for j, (l2, a2) in enumerate(points) if j != i)
        if not beaten:
            keep.append(i)
    return sorted(keep, key=lambda i: points[i][0])


def disk_solution(n_params, dtype):
    return n_params * {"fp32": 4, "fp16": 2, "int8": 1}[dtype] / 1e6


def _notebook_copy(fn):
    """``fn`` re-defined from its source, as a learner pasting it into a cell would (a new function object)."""
    namespace: dict = {"np": __import__("numpy")}
    exec(compile(inspect.getsource(fn), "<cell>", "exec"), namespace)
    return namespace[fn.__name__]


# --- 6.1 ALBERT's factorised embeddings -----------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, reason", [
    (lambda v, e, h: v * h, "BERT's unfactorised vocab x hidden table"),
    (lambda v, e, h: v * e + e * h, "leaves out the projection's bias"),
    (lambda v, e, h: v * e + e * h + e, "expected 3939072"),
    (lambda v, e, h: float(albert_solution(v, e, h)), "expected an integer"),
])
def test_albert_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch06.check_albert_embedding(wrong)
    out = _verdict(capsys)
    assert "not yet" in out and reason in out, out


def test_albert_hints_are_not_the_formula(capsys):
    for wrong in (lambda v, e, h: v * h, lambda v, e, h: v * e + e * h, lambda v, e, h: v * e + e * h + e):
        ch06.check_albert_embedding(wrong)
    hints = [line for line in _verdict(capsys).splitlines() if "hint:" in line]
    assert hints and not any("*" in h or "V x E" in h or "E -> H" in h for h in hints), hints


def test_albert_reference_helper_is_refused(capsys):
    assert not ch06.check_albert_embedding(ch06.albert_embedding_params)
    assert "calls albert_embedding_params" in _verdict(capsys)
    assert not ch06.check_albert_embedding(lambda v, e, h: ch06.albert_embedding_params(v, e, h))


# --- 6.2 the Pareto front -------------------------------------------------------------------------------------

def _ties_beat(points):  # treats "equal" as beaten: identical points knock each other out
    return sorted((i for i, (c, a) in enumerate(points)
                   if not any(c2 <= c and a2 >= a for j, (c2, a2) in enumerate(points) if j != i)),
                  key=lambda i: points[i][0])


@pytest.mark.parametrize("wrong, reason", [
    (lambda pts: list(range(len(pts))), "you returned every index"),
    (lambda pts: sorted(pareto_solution(pts), reverse=True), "right points, wrong order"),
    (lambda pts: [i for i, (c, a) in enumerate(pts) if a == max(a2 for _, a2 in pts)], "expected three indices"),
    (_ties_beat, "on [(5.0, 0.8), (5.0, 0.8), (10.0, 0.9), (10.0, 0.85)] you returned [2]"),
    (lambda pts: [pts[i] for i in pareto_solution(pts)], "must be an integer index"),
])
def test_pareto_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch06.check_pareto(wrong)
    out = _verdict(capsys)
    assert "not yet" in out and reason in out, out


@pytest.mark.parametrize("shortcut", [
    C.pareto_front,                                       # the helper itself
    lambda pts: C.pareto_front(pts),                      # called inside the learner's function
    _notebook_copy(C.pareto_front),                       # its code pasted into a cell (nested code included)
    ch06.pareto_reference,                                # the check's own reference
], ids=["helper", "wrapped", "pasted-copy", "check-reference"])
def test_pareto_helper_shortcut_is_refused(capsys, shortcut):
    assert not ch06.check_pareto(shortcut)
    out = _verdict(capsys)
    assert "the course's own solution to this exercise" in out and "pareto_front" in out, out


def test_pareto_import_alias_is_refused(capsys):
    from course_utils.costs import pareto_front as front

    assert not ch06.check_pareto(lambda pts: list(front(pts)))
    assert "calls pareto_front" in _verdict(capsys)


# --- 6.3 size on disk -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong, reason", [
    (lambda n, d: n * 4 / 1e6, "the dtype should change the size"),
    (lambda n, d: n * {"fp32": 4, "fp16": 2, "int8": 1}[d] / 2**20, "that is in MiB"),
    (lambda n, d: n * {"fp32": 32, "fp16": 16, "int8": 8}[d] / 1e6, "expected about 4.00"),
    (lambda n, d: str(disk_solution(n, d)), "expected a number"),
])
def test_disk_wrong_answers_fail_with_a_reason(capsys, wrong, reason):
    assert not ch06.check_disk_size(wrong)
    out = _verdict(capsys)
    assert "not yet" in out and reason in out, out


def test_disk_hints_do_not_give_the_bytes(capsys):
    for wrong in (lambda n, d: n * 4 / 1e6, lambda n, d: n * {"fp32": 32, "fp16": 16, "int8": 8}[d] / 1e6):
        ch06.check_disk_size(wrong)
    hints = [line for line in _verdict(capsys).splitlines() if "hint:" in line]
    assert hints and not any("fp32 4" in h or "4, 2" in h for h in hints), hints


# --- 6.4 experiment: is int8 faster? (reads the learner's rows from the results store) ----------------------------

EX64 = dict(chapter="06", experiment="exercise_6.4", dataset="sst2", split="validation[:8]", metric="latency_ms")


def _record(fp32_ms, int8_ms):
    cu.record_result(model="fp32", value=fp32_ms, **EX64)
    cu.record_result(model="int8", value=int8_ms, **EX64)


def test_int8_solution_passes_from_the_recorded_rows(store, capsys):
    _record(300.0, 120.0)
    rows = cu.load_results()
    ms = rows[rows["experiment"] == "exercise_6.4"].set_index("model")["value"]
    solution = {"faster": ms.idxmin(), "times": ms.max() / ms.min()}  # as the notebook's solution computes it
    assert ch06.check_int8_speedup(solution)
    out = _verdict(capsys)
    assert "[ok] Exercise 6.4" in out and "int8 is 2.50x faster" in out


def test_int8_answer_follows_the_rows_not_a_belief(store, capsys):
    _record(100.0, 150.0)  # a CPU without fast int8 kernels: fp32 wins, and the check says so
    assert ch06.check_int8_speedup({"faster": "fp32", "times": 1.5})
    assert not ch06.check_int8_speedup({"faster": "int8", "times": 1.5})
    assert "fp32 is the faster one" in _verdict(capsys)


def test_int8_none_is_not_attempted(store, capsys):
    _record(300.0, 120.0)
    assert not ch06.check_int8_speedup(None)
    assert "not attempted" in _verdict(capsys)


@pytest.mark.parametrize("wrong, reason", [
    ({"faster": "fp32", "times": 2.5}, "int8 is the faster one"),
    ({"faster": "int8", "times": 0.4}, "is below 1"),                      # the ratio upside down
    ({"faster": "int8", "times": 3.0}, "your rows give 2.500"),            # a number not read from the rows
    ({"faster": "int8 dynamic", "times": 2.5}, "'faster' must be 'fp32' or 'int8'"),
    (("int8", 2.5), "expected a dict"),
    ({"faster": "int8", "times": "2.5x"}, "expected a number"),
])
def test_int8_wrong_answers_fail_with_a_reason(store, capsys, wrong, reason):
    _record(300.0, 120.0)
    assert not ch06.check_int8_speedup(wrong)
    out = _verdict(capsys)
    assert "not yet" in out and reason in out, out


def test_int8_without_recorded_rows_says_to_record_them(store, capsys):
    assert not ch06.check_int8_speedup({"faster": "int8", "times": 2.5})
    out = _verdict(capsys)
    assert "no exercise 6.4 row for ['fp32', 'int8']" in out and "cu.record_result" in out
    cu.record_result(model="fp32", value=300.0, **EX64)
    assert not ch06.check_int8_speedup({"faster": "int8", "times": 2.5})
    assert "row for ['int8']" in _verdict(capsys)


def test_int8_reads_the_active_profile_only(store, capsys):
    cu.record_result(model="fp32", value=300.0, profile="gpu", **EX64)
    cu.record_result(model="int8", value=120.0, profile="gpu", **EX64)
    assert not ch06.check_int8_speedup({"faster": "int8", "times": 2.5}, profile="cpu")
    assert ch06.check_int8_speedup({"faster": "int8", "times": 2.5}, profile="gpu")


def test_int8_check_misuse_is_a_usage_error(store):
    from course_utils.exercises import CheckUsageError

    with pytest.raises(CheckUsageError, match="profile must be a profile name"):
        ch06.check_int8_speedup({"faster": "int8", "times": 2.5}, profile=3)


# --- the notebook: one exercise cell per check, and 6.4's fields are the check's ----------------------------------

def _cells():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def test_every_ch06_check_has_an_exercise_and_a_solution_cell():
    cells = _cells()
    for name in ("check_albert_embedding", "check_pareto", "check_disk_size", "check_int8_speedup"):
        exercise = [c for c in cells if "exercise" in c["metadata"].get("tags", []) and name in "".join(c["source"])]
        solution = [c for c in cells if "solution" in c["metadata"].get("tags", []) and name in "".join(c["source"])]
        assert len(exercise) == 1 and "answer = None" in "".join(exercise[0]["source"]), name
        assert len(solution) == 1 and "".join(solution[0]["source"]).startswith("# Solution"), name
        assert f"assert ch.{name}(solution)" in "".join(solution[0]["source"]), name
    titles = [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()
              if line.startswith("### Exercise 6.")]
    assert [t.split(" — ")[0] for t in titles] == [f"### Exercise 6.{i}" for i in range(1, 5)]


def test_exercise_6_4_cell_records_where_the_check_reads():
    cell = next(c for c in _cells() if "check_int8_speedup" in "".join(c["source"])
                and "exercise" in c["metadata"].get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    assign = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "EX64")
    fields = {k.arg: ast.literal_eval(k.value) for k in assign.value.keywords}
    assert {k: fields[k] for k in ch06.EX64} == ch06.EX64


def test_exercise_6_2_solution_cell_does_not_call_the_helper_inside_its_function():
    cell = next(c for c in _cells() if "check_pareto(solution)" in "".join(c["source"]))
    tree = ast.parse("".join(cell["source"]))
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "solution")
    assert "pareto_front" not in ast.unparse(func)


@pytest.mark.parametrize("check, solution, passed", [
    (ch06.check_albert_embedding, albert_solution, "[ok] Exercise 6.1"),
    (ch06.check_pareto, pareto_solution, "[ok] Exercise 6.2"),
    (ch06.check_disk_size, disk_solution, "[ok] Exercise 6.3"),
])
def test_solution_passes_and_none_is_not_attempted(check, solution, passed, capsys):
    assert_solution_passes_and_none_is_not_attempted(check, solution, capsys, passed)
