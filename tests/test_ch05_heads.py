"""Chapter 05 heads: shapes, the padding-invariance property, gradient flow, chunking, input checks."""
import pytest
import torch
from torch import nn

from course_utils.features import TokenCache, train_head
from course_utils.heads import (
    HEAD_NAMES, EncoderWithHead, last_real_step, make_head, masked_max, masked_mean, param_groups,
)
from course_utils.long_docs import Chunks, HierarchicalChunkModel, chunk_documents
from course_utils.truncation import head_tail_ids

H = 16


def batch(lengths, seq_len=None, seed=0):
    """Random right-padded states (batch, seq_len, H) with garbage (not zeros) in the padding, and the mask."""
    g = torch.Generator().manual_seed(seed)
    seq_len = seq_len or max(lengths)
    states = torch.randn(len(lengths), seq_len, H, generator=g)
    mask = torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]
    return states, mask


def pad_more(states, mask, extra, seed=1):
    """The same batch with ``extra`` more padding positions, filled with different garbage."""
    g = torch.Generator().manual_seed(seed)
    junk = 100 * torch.randn(states.shape[0], extra, H, generator=g)
    states2 = torch.cat([states.masked_fill(~mask[..., None], 7.0), junk], dim=1)
    return states2, torch.cat([mask, torch.zeros(mask.shape[0], extra, dtype=torch.bool)], dim=1)


@pytest.mark.parametrize("name", HEAD_NAMES)
def test_shapes(name):
    torch.manual_seed(0)
    head = make_head(name, H, 3).eval()
    states, mask = batch([5, 2, 7, 1])
    assert head(states, mask).shape == (4, 3)


@pytest.mark.parametrize("name", HEAD_NAMES)
def test_padding_invariance(name):
    """Adding padding tokens (with any values in them) does not change any row's logits."""
    torch.manual_seed(0)
    head = make_head(name, H, 2).eval()
    states, mask = batch([6, 3, 1, 4])
    with torch.no_grad():
        ref = head(states, mask)
        for extra in (1, 9):
            torch.testing.assert_close(head(*pad_more(states, mask, extra)), ref, atol=1e-5, rtol=1e-5)
        # a row alone (no padding at all) gives the same logits as inside the padded batch
        alone = head(states[1:2, :3], mask[1:2, :3])
    torch.testing.assert_close(alone, ref[1:2], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", HEAD_NAMES)
def test_padding_is_really_ignored_not_just_zero(name):
    """The property is not vacuous: changing a REAL token does change the logits."""
    torch.manual_seed(0)
    head = make_head(name, H, 2).eval()
    states, mask = batch([6, 3])
    changed = states.clone()
    changed[1, 0] += 5.0  # [CLS] position of row 1, real for every head
    changed[1, 2] += 5.0  # last real token of row 1
    with torch.no_grad():
        assert not torch.allclose(head(states, mask)[1], head(changed, mask)[1], atol=1e-4)


def test_naive_last_step_reads_padding():
    """The tutorial bug the packed head avoids: output[:, -1] changes with padding; the true last step does not."""
    torch.manual_seed(0)
    lstm = nn.LSTM(H, 8, batch_first=True)
    states, mask = batch([2, 5])
    states = states.masked_fill(~mask[..., None], 0.0)
    out, _ = lstm(states)
    out2, _ = lstm(torch.cat([states, torch.zeros(2, 3, H)], dim=1))
    assert not torch.allclose(out[0, -1], out2[0, -1])
    m2 = torch.cat([mask, torch.zeros(2, 3, dtype=torch.bool)], dim=1)
    torch.testing.assert_close(last_real_step(out, mask), last_real_step(out2, m2))


def test_pooling_values():
    states = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert masked_mean(states, mask).item() == pytest.approx(2.0)
    assert masked_max(states, mask).item() == pytest.approx(3.0)


def tiny_encoder():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=50, hidden_size=H, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                     max_position_embeddings=64)
    return BertModel(cfg)


@pytest.mark.parametrize("freeze", [True, False])
def test_gradient_flows_to_encoder_only_when_unfrozen(freeze):
    model = EncoderWithHead(tiny_encoder(), make_head("bilstm", H, 2, lstm_size=8), freeze_encoder=freeze)
    model.train()
    assert model.encoder.training is (not freeze)  # a frozen encoder stays in eval mode (no dropout)
    ids = torch.randint(1, 50, (3, 7))
    att = torch.ones(3, 7, dtype=torch.long)
    att[1, 4:] = 0
    model(ids, att).sum().backward()
    enc_grads = [p.grad for p in model.encoder.parameters()]
    head_grads = [p.grad for p in model.head.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in head_grads)
    if freeze:
        assert all(g is None for g in enc_grads)
        assert not any(p.requires_grad for p in model.encoder.parameters())
    else:
        assert sum(float(g.abs().sum()) for g in enc_grads if g is not None) > 0


@pytest.mark.parametrize("name", HEAD_NAMES)
def test_encoder_with_head_padding_invariance(name):
    """End to end through a (tiny) BERT: extra [PAD] tokens change no logit."""
    model = EncoderWithHead(tiny_encoder(), make_head(name, H, 2), freeze_encoder=True).eval()
    ids = torch.randint(1, 50, (2, 6))
    att = torch.tensor([[1] * 6, [1] * 3 + [0] * 3])
    ids = ids * att
    with torch.no_grad():
        ref = model(ids, att)
        more = model(torch.cat([ids, torch.zeros(2, 5, dtype=torch.long)], 1), torch.cat([att, torch.zeros(2, 5, dtype=torch.long)], 1))
    torch.testing.assert_close(more, ref, atol=1e-5, rtol=1e-5)


def test_param_groups_two_learning_rates():
    model = EncoderWithHead(tiny_encoder(), make_head("mean", H, 2))
    groups = param_groups(model, encoder_lr=1e-5, head_lr=1e-3)
    lrs = {g["lr"] for g in groups}
    assert lrs == {1e-5, 1e-3}
    n = sum(p.numel() for g in groups for p in g["params"])
    assert n == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="encoder_lr"):
        param_groups(model, encoder_lr=0, head_lr=1e-3)


def test_hierarchical_model_skips_missing_chunks():
    torch.manual_seed(0)
    model = HierarchicalChunkModel(tiny_encoder(), make_head("bilstm", H, 2, lstm_size=8)).eval()
    ids = torch.randint(1, 50, (2, 3, 5))
    att = torch.ones(2, 3, 5, dtype=torch.long)
    att[1, 2] = 0  # document 1 has only 2 chunks
    with torch.no_grad():
        ref = model(ids, att)
        # adding an empty chunk slot changes nothing
        ids2 = torch.cat([ids, torch.zeros(2, 1, 5, dtype=torch.long)], 1)
        att2 = torch.cat([att, torch.zeros(2, 1, 5, dtype=torch.long)], 1)
        torch.testing.assert_close(model(ids2, att2), ref, atol=1e-5, rtol=1e-5)
    assert ref.shape == (2, 2)


def test_chunk_documents_and_head_tail():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, **{f"w{i}": i + 4 for i in range(100)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]")
    texts = [" ".join(f"w{i}" for i in range(30)), "w1 w2 w3"]
    ch = chunk_documents(tok, texts, chunk_len=10, overlap=2, max_chunks=3)
    assert isinstance(ch, Chunks)
    assert ch.input_ids.shape == (2, 3, 10)
    assert ch.n_chunks.tolist() == [3, 1]
    assert ch.n_tokens.tolist() == [30, 3]
    assert ch.chunk_mask.tolist() == [[True, True, True], [True, False, False]]
    # first chunk: [CLS] w0..w7 [SEP]; the last kept chunk is the document's last window (ends with w29)
    assert ch.input_ids[0, 0].tolist() == [1] + [vocab[f"w{i}"] for i in range(8)] + [2]
    last = ch.input_ids[0, 2][ch.attention_mask[0, 2].bool()].tolist()
    assert last[-2] == vocab["w29"]
    # consecutive windows overlap by 2 tokens
    assert ch.input_ids[0, 1, 1:3].tolist() == ch.input_ids[0, 0, 7:9].tolist()
    ht = head_tail_ids(tok, texts, max_length=10, head_tokens=3)
    assert ht[0] == [1, vocab["w0"], vocab["w1"], vocab["w2"]] + [vocab[f"w{i}"] for i in range(25, 30)] + [2]
    assert ht[1] == [1, vocab["w1"], vocab["w2"], vocab["w3"], 2]
    with pytest.raises(ValueError, match="overlap"):
        chunk_documents(tok, texts, chunk_len=10, overlap=9)


def test_train_head_learns_a_separable_task():
    torch.manual_seed(0)
    states, mask = batch([4] * 200 + [2] * 200, seq_len=4)
    y = (states[:, 0, 0] > 0).long()
    cache = TokenCache(states.half(), mask)
    run = train_head(make_head("cls", H, 2, dropout=0.0), cache, y, cache, y, epochs=20, learning_rate=1e-2,
                     progress=False)
    assert run.metrics["accuracy"] > 0.9
    assert len(run.history) == 20 and run.params == H * 2 + 2


def test_input_validation():
    head = make_head("mean", H, 2)
    states, mask = batch([3, 2])
    with pytest.raises(ValueError, match="mask"):
        head(states, mask[:, :2])
    with pytest.raises(ValueError, match="states"):
        head(states[0], mask)
    with pytest.raises(ValueError, match="hidden"):
        head(torch.randn(2, 3, H + 1), mask)
    with pytest.raises(ValueError, match="name"):
        make_head("gru", H, 2)
    with pytest.raises(ValueError, match="num_labels"):
        make_head("cls", H, 1)
    with pytest.raises(ValueError, match="head"):
        EncoderWithHead(tiny_encoder(), make_head("cls", H + 2, 2))

