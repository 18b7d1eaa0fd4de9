"""The two verdicts every exercise check must give (issue #16 item 4): the worked solution passes, ``None`` says
"not attempted". The wrong answers and shortcuts, which differ per exercise, stay in each chapter's test file."""
from __future__ import annotations


def assert_solution_passes_and_none_is_not_attempted(check, solution, capsys, passed: str = "correct") -> None:
    assert check(solution)
    out = capsys.readouterr().out
    assert passed in out, out
    assert not check(None)
    assert "not attempted" in capsys.readouterr().out
