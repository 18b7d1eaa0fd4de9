"""The chapter 03 exercise checks accept right answers and reject wrong ones."""
from __future__ import annotations

import torch

from course_utils import bert_scratch as bs
from course_utils.checks import ch03


def test_additive_mask_check():
    assert ch03.check_additive_mask(lambda m: bs.additive_mask(m))
    assert not ch03.check_additive_mask(lambda m: (1.0 - m[:, None, None, :].float()) * -1e4 * 0)  # adds nothing
    assert not ch03.check_additive_mask(lambda m: m[:, None, None, :].float() * -1e9)  # masks the real tokens
    assert not ch03.check_additive_mask(lambda m: (1 - m[:, None, None, :].float()) * float("-inf") )  # NaN for 0*-inf
    assert not ch03.check_additive_mask(lambda m: (1 - m.float()) * -1e9)  # (batch, seq): wrong broadcast
    assert not ch03.check_additive_mask(None)


def test_param_count_check():
    assert ch03.check_param_count(lambda c: bs.parameter_counts(c)["total"])
    assert not ch03.check_param_count(lambda c: bs.parameter_counts(c, pooler=False)["total"])
    assert not ch03.check_param_count(lambda c: bs.parameter_counts(c)["total"] - 2 * c.hidden_size)
    assert not ch03.check_param_count(lambda c: 110_000_000)


def test_causal_mask_check():
    assert ch03.check_causal_mask(lambda n: torch.tril(torch.ones(n, n, dtype=torch.bool)))
    assert not ch03.check_causal_mask(lambda n: torch.triu(torch.ones(n, n, dtype=torch.bool)))
    assert not ch03.check_causal_mask(lambda n: torch.tril(torch.ones(n, n, dtype=torch.bool), -1))
    assert not ch03.check_causal_mask(lambda n: torch.ones(n, n, dtype=torch.bool))
