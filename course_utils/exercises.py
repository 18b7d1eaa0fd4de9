"""Auto-checked exercises.

A chapter's checks live in ``course_utils/checks/chNN.py``. Each check takes the learner's answer and returns a truthy/falsy
``CheckResult`` after printing what is right or wrong and why. An answer left as ``None`` (or ``...``) prints a
reminder instead of failing, so a learner can run the whole notebook before trying the exercises.

Writing a check::

    @exercise("1.1", "log-count ratio")
    def check_log_count_ratio(answer):
        expected = ...
        require(np.allclose(answer, expected, atol=1e-6), "values differ from the reference", hint="add alpha to BOTH counts")
        return "r matches the reference on a toy corpus"

``require`` stops the check with a helpful message; the returned string is printed on success.
Solutions are executed in CI with ``assert check_...(solution)``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable


class CheckFailed(Exception):
    """Raised by ``require`` inside a check; turned into a friendly message by ``@exercise``."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def require(condition: bool, message: str, hint: str = "") -> None:
    """Fail the current check with ``message`` (and an optional ``hint``) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message, hint)


class CheckResult:
    """Truthy when the answer is right. Shows nothing in a notebook (the check already printed its verdict)."""

    def __init__(self, ok: bool):
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __eq__(self, other: object) -> bool:
        return self.ok == bool(other) if isinstance(other, (bool, CheckResult)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.ok)

    def __repr__(self) -> str:
        return f"CheckResult({self.ok})"

    def _ipython_display_(self) -> None:  # keep notebook outputs to the printed verdict
        pass


def exercise(number: str, title: str) -> Callable[[Callable[..., Any]], Callable[..., CheckResult]]:
    """Decorator turning a check function into a learner-facing checker that prints and returns a bool."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., bool]:
        @functools.wraps(fn)
        def check(answer: Any = None, *args: Any, **kwargs: Any) -> CheckResult:
            label = f"Exercise {number} ({title})"
            if answer is None or answer is Ellipsis:
                print(f"[ ] {label}: not attempted yet - replace None with your answer and run the cell again.")
                return CheckResult(False)
            try:
                detail = fn(answer, *args, **kwargs)
            except CheckFailed as exc:
                print(f"[x] {label}: not yet - {exc.message}" + (f"\n    hint: {exc.hint}" if exc.hint else ""))
                return CheckResult(False)
            except Exception as exc:  # the learner's function crashed: say so, without a wall of traceback
                print(f"[x] {label}: your answer raised {type(exc).__name__}: {exc}")
                return CheckResult(False)
            print(f"[ok] {label}: correct!" + (f" {detail}" if isinstance(detail, str) and detail else ""))
            return CheckResult(True)

        check.exercise_number = number  # type: ignore[attr-defined]
        return check

    return wrap
