import numpy as np

from course_utils.checks import ch00
from course_utils.exercises import exercise, require


def test_not_attempted_is_reminder_not_failure(capsys):
    assert not ch00.check_cosine(None)
    assert "not attempted" in capsys.readouterr().out


def test_cosine_check_accepts_right_and_rejects_wrong(capsys):
    assert ch00.check_cosine(lambda a, b: a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert "correct" in capsys.readouterr().out
    assert not ch00.check_cosine(lambda a, b: a @ b)
    out = capsys.readouterr().out
    assert "not yet" in out and "hint" in out


def test_crashing_answer_is_reported(capsys):
    def broken(a, b):
        raise ZeroDivisionError("oops")

    assert not ch00.check_cosine(broken)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_token_count_check_explains_special_tokens(capsys):
    class Tok:
        def __call__(self, s):
            return {"input_ids": [101] + [7] * len(s.split()) + [102]}

    assert ch00.check_token_count(5, Tok(), "a b c")
    assert not ch00.check_token_count(3, Tok(), "a b c")
    assert "special tokens" in capsys.readouterr().out


def test_custom_exercise_pattern(capsys):
    @exercise("9.9", "double")
    def check_double(fn):
        require(fn(2) == 4, "fn(2) should be 4", hint="multiply by 2")
        return "nice"

    assert check_double(lambda x: 2 * x) == True  # noqa: E712  (CheckResult compares with bools)
    assert check_double(lambda x: x + 1) == False  # noqa: E712
    assert "multiply by 2" in capsys.readouterr().out
