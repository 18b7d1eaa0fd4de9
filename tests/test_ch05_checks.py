"""Chapter 05 exercise checks: a right answer passes, typical wrong answers fail."""
import math

import pytest
import torch

from course_utils.checks import ch05


def right_last_step(out, mask):
    return out[torch.arange(out.shape[0]), mask.sum(1) - 1]


def test_last_step():
    assert ch05.check_last_step(right_last_step)
    assert not ch05.check_last_step(lambda out, mask: out[:, -1])
    assert not ch05.check_last_step(lambda out, mask: out[torch.arange(out.shape[0]), mask.sum(1)].clone() * 0)
    assert not ch05.check_last_step(None)


def test_bilstm_features():
    def right(out, mask):
        h = out.shape[-1] // 2
        return torch.cat([right_last_step(out, mask)[:, :h], out[:, 0, h:]], dim=-1)

    def wrong(out, mask):  # reads the padded end for the forward half
        h = out.shape[-1] // 2
        return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=-1)

    def wrong_backward(out, mask):  # the backward half at the last step
        return right_last_step(out, mask)

    assert ch05.check_bilstm_features(right)
    assert not ch05.check_bilstm_features(wrong)
    assert not ch05.check_bilstm_features(wrong_backward)


@pytest.fixture(scope="module")
def tokenizer():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from course_utils import load_tokenizer

    try:
        return load_tokenizer("encoder")
    except Exception as exc:  # pragma: no cover - no encoder installed
        pytest.skip(f"no tokenizer available: {exc}")


def test_n_chunks(tokenizer):
    def right(n, L, o):
        c = L - 2
        return 1 + max(0, math.ceil((n - c) / (c - o)))

    assert ch05.check_n_chunks(right, tokenizer=tokenizer)
    assert not ch05.check_n_chunks(lambda n, L, o: math.ceil(n / (L - 2)), tokenizer=tokenizer)  # ignores overlap
    assert not ch05.check_n_chunks(lambda n, L, o: 1 + max(0, math.ceil((n - L) / (L - o))), tokenizer=tokenizer)
    with pytest.raises(TypeError, match="tokenizer is missing"):  # misuse of the check, not a wrong answer
        ch05.check_n_chunks(right)
