"""Unit tests for course_utils.bert_scratch: the from-scratch encoder equals transformers' BertModel."""
from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertModel, DataCollatorForLanguageModeling

from course_utils import bert_scratch as bs

TINY = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=40)


@pytest.fixture(scope="module")
def hf_model():
    torch.manual_seed(0)
    return BertModel(BertConfig(**TINY, attn_implementation="eager"), add_pooling_layer=False).eval()


@pytest.fixture(scope="module")
def scratch(hf_model):
    return bs.load_from_transformers(hf_model)


def _batch():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, 99, (3, 12), generator=g)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[1, 8:] = 0
    mask[2, 3:] = 0
    ids[mask == 0] = 0
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    return ids, mask, types


def test_hidden_states_and_attentions_equal_transformers_with_padding(hf_model, scratch):
    ids, mask, types = _batch()
    with torch.no_grad():
        ref = hf_model(input_ids=ids, attention_mask=mask, token_type_ids=types, output_hidden_states=True,
                       output_attentions=True)
        out = scratch(ids, mask, types)
    assert len(out.hidden_states) == len(ref.hidden_states) == TINY["num_hidden_layers"] + 1
    for a, b in zip(out.hidden_states, ref.hidden_states):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(out.attentions, ref.attentions):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_equal_without_mask(hf_model, scratch):
    ids, _, _ = _batch()
    with torch.no_grad():
        torch.testing.assert_close(scratch(ids).last_hidden_state, hf_model(input_ids=ids).last_hidden_state,
                                   atol=1e-5, rtol=1e-5)


def test_padding_does_not_change_real_tokens(scratch):
    ids, mask, types = _batch()
    with torch.no_grad():
        padded = scratch(ids, mask, types).last_hidden_state[2, :3]
        alone = scratch(ids[2:, :3], mask[2:, :3], types[2:, :3]).last_hidden_state[0]
        unmasked = scratch(ids, None, types).last_hidden_state[2, :3]
    torch.testing.assert_close(padded, alone, atol=1e-5, rtol=1e-5)
    assert (unmasked - alone).abs().max() > 1e-3  # without the mask, padding leaks in


def test_padding_gets_zero_attention(scratch):
    ids, mask, types = _batch()
    with torch.no_grad():
        att = scratch(ids, mask, types).attentions[0]  # (batch, heads, seq, seq)
    assert att[1, :, :, 8:].abs().max() == 0
    torch.testing.assert_close(att.sum(-1), torch.ones_like(att.sum(-1)))


def test_additive_mask_values_and_errors():
    m = bs.additive_mask(torch.tensor([[1, 1, 0]]))
    assert m.shape == (1, 1, 1, 3)
    assert m[0, 0, 0, 0] == 0 and m[0, 0, 0, 2] == torch.finfo(torch.float32).min
    with pytest.raises(ValueError, match="attention_mask"):
        bs.additive_mask(torch.ones(3))


def test_causal_mask():
    assert torch.equal(bs.causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    with pytest.raises(ValueError, match="seq_len"):
        bs.causal_mask(0)


def test_attention_matches_torch_sdpa():
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g) for _ in range(3))
    out, w = bs.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, torch.nn.functional.scaled_dot_product_attention(q, k, v))
    with pytest.raises(ValueError, match="q, k, v"):
        bs.scaled_dot_product_attention(q, k[..., :4], v)


@pytest.mark.parametrize("kwargs", [
    {}, dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096), TINY])
def test_parameter_counts_match_bertmodel(kwargs):
    cfg = BertConfig(**kwargs)
    with torch.device("meta"):
        model = BertModel(cfg)
    counts = bs.parameter_counts(cfg)
    assert counts["total"] == sum(p.numel() for p in model.parameters())
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")


def test_bert_base_and_large_sizes():
    assert round(bs.parameter_counts(bs.BertConfigLite())["total"] / 1e6) == 109
    large = bs.BertConfigLite(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
    assert round(bs.parameter_counts(large)["total"] / 1e6) == 335


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        bs.BertConfigLite(hidden_size=10, num_attention_heads=3)
    with pytest.raises(ValueError, match="hidden_act"):
        bs.BertConfigLite(hidden_act="swish")
    with pytest.raises(ValueError, match="hf_model"):
        bs.load_from_transformers(torch.nn.Linear(2, 2))


def test_too_long_input_raises(scratch):
    with pytest.raises(ValueError, match="positions"):
        scratch(torch.zeros(1, 41, dtype=torch.long))


class _Tok:
    """The minimum DataCollatorForLanguageModeling needs, without loading a real tokenizer."""

    mask_token = "[MASK]"
    pad_token = "[PAD]"
    pad_token_id = 0
    mask_token_id = 4

    def __len__(self):
        return 99

    def convert_tokens_to_ids(self, token):
        return self.mask_token_id


def test_mask_tokens_equals_data_collator_and_follows_80_10_10():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(5, 99, (400, 50), generator=g)
    special = torch.zeros_like(ids)
    special[:, 0] = special[:, -1] = 1
    collator = DataCollatorForLanguageModeling(_Tok(), mlm_probability=0.15, seed=7)
    collator.generator = collator.get_generator(7)  # what the collator's __call__ does first with a seed
    lib_in, lib_labels = collator.torch_mask_tokens(ids.clone(), special_tokens_mask=special.clone())
    ours_in, ours_labels = bs.mask_tokens(ids, special, 4, 99, generator=torch.Generator().manual_seed(7))
    assert torch.equal(ours_in, lib_in) and torch.equal(ours_labels, lib_labels)
    picked = ours_labels != -100
    assert not picked[:, 0].any() and not picked[:, -1].any()  # special tokens are never picked
    assert 0.13 < picked[:, 1:-1].float().mean() < 0.17
    masked = (ours_in[picked] == 4).float().mean()
    same = (ours_in[picked] == ids[picked]).float().mean()
    assert 0.77 < masked < 0.83 and 0.08 < same < 0.12
    assert torch.equal(ours_in[~picked], ids[~picked])
    with pytest.raises(ValueError, match="mlm_probability"):
        bs.mask_tokens(ids, special, 4, 99, mlm_probability=1.5)
    with pytest.raises(ValueError, match="special_tokens_mask"):
        bs.mask_tokens(ids, special[:, :3], 4, 99)
