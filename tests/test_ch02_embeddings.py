"""Unit tests for course_utils.embeddings (chapter 02) and the chapter's exercise checks."""
import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from course_utils.embeddings import (
    BiLSTMClassifier,
    CNNClassifier,
    Vocab,
    build_vocab,
    embedding_matrix_from_word2vec,
    lengths_to_mask,
    make_collate,
    masked_mean,
    mean_pooled_vectors,
    pad_batch,
    simple_tokenize,
)


# ---------- tokenizer and vocabulary ----------

def test_simple_tokenize_removes_br_tags_and_lowercases():
    assert simple_tokenize("Great film!<br /><br />I didn't LIKE it?") == [
        "great", "film", "!", "i", "didn't", "like", "it", "?"]
    assert "br" not in simple_tokenize("a<br/>b<BR />c")
    with pytest.raises(ValueError, match="text"):
        simple_tokenize(None)


def test_build_vocab_specials_frequency_order_and_min_freq():
    texts = [["b", "a", "b"], ["c", "b", "a"], ["d"]]
    v = build_vocab(texts, min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "b", "a"]
    assert (v.pad_id, v.unk_id) == (0, 1)
    assert v.encode(["a", "zzz", "b"]) == [3, 1, 2]
    assert v.encode(["a", "b", "a"], max_length=2) == [3, 2]
    assert v.decode([2, 3]) == ["b", "a"]
    assert "c" not in v and "b" in v


def test_build_vocab_is_order_independent_and_respects_max_size():
    texts = [["x", "y"], ["y", "x"], ["z"]]
    assert build_vocab(texts).itos == build_vocab(list(reversed(texts))).itos  # ties broken alphabetically
    assert len(build_vocab(texts, max_size=3)) == 3
    assert build_vocab(texts, max_size=3).itos[2] == "x"


@pytest.mark.parametrize("kwargs, name", [({"min_freq": 0}, "min_freq"), ({"max_size": 1}, "max_size")])
def test_build_vocab_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        build_vocab([["a"]], **kwargs)


def test_build_vocab_rejects_strings_instead_of_token_lists():
    with pytest.raises(ValueError, match="token_lists"):
        build_vocab(["a sentence", "another one"])
    with pytest.raises(ValueError, match="not a string"):
        Vocab(["<pad>", "<unk>", "a"]).encode("a")


# ---------- padding ----------

def test_pad_batch_matches_torch_pad_sequence():
    seqs = [[5, 6, 7], [8], [9, 10]]
    ids, lengths = pad_batch(seqs, pad_id=0)
    ref = pad_sequence([torch.tensor(s) for s in seqs], batch_first=True, padding_value=0)
    assert torch.equal(ids, ref)
    assert lengths.tolist() == [3, 1, 2]
    assert ids.dtype == torch.long and lengths.dtype == torch.long


def test_pad_batch_truncates_and_uses_pad_id():
    ids, lengths = pad_batch([[1, 2, 3, 4], [5]], pad_id=7, max_length=2)
    assert ids.tolist() == [[1, 2], [5, 7]]
    assert lengths.tolist() == [2, 1]


@pytest.mark.parametrize("seqs, kwargs, name", [
    ([], {}, "sequences"), ([[1], []], {}, r"sequences\[1\]"), ([[1]], {"max_length": 0}, "max_length")])
def test_pad_batch_rejects_bad_input(seqs, kwargs, name):
    with pytest.raises(ValueError, match=name):
        pad_batch(seqs, **kwargs)


def test_collate_returns_ids_lengths_labels():
    collate = make_collate(pad_id=0)
    batch = collate([{"ids": [4, 5], "label": 1}, {"ids": [6], "label": 0}])
    assert batch["input_ids"].tolist() == [[4, 5], [6, 0]]
    assert batch["lengths"].tolist() == [2, 1]
    assert batch["labels"].tolist() == [1, 0]
    with pytest.raises(ValueError, match="'label'"):
        collate([{"ids": [1]}])


def test_lengths_to_mask_and_masked_mean():
    mask = lengths_to_mask(torch.tensor([2, 3]), 4)
    assert mask.tolist() == [[True, True, False, False], [True, True, True, False]]
    hidden = torch.arange(24, dtype=torch.float32).reshape(2, 4, 3)
    out = masked_mean(hidden, mask)
    assert torch.allclose(out[0], hidden[0, :2].mean(0)) and torch.allclose(out[1], hidden[1, :3].mean(0))
    with pytest.raises(ValueError, match="mask"):
        masked_mean(hidden, mask[:, :3])


# ---------- embeddings from word2vec ----------

def _toy_keyed_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["good", "bad"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    return kv


def test_embedding_matrix_from_word2vec_rows():
    vocab = build_vocab([["good", "movie", "good"]])  # <pad>, <unk>, good, movie
    matrix, found = embedding_matrix_from_word2vec(vocab, _toy_keyed_vectors(), oov_scale=0.25)
    assert matrix.shape == (4, 3) and matrix.dtype == np.float32
    assert found == 1
    assert np.all(matrix[vocab.pad_id] == 0)
    assert np.allclose(matrix[vocab.stoi["good"]], [1, 0, 0])
    assert np.all(np.abs(matrix[vocab.stoi["movie"]]) <= 0.25) and np.any(matrix[vocab.stoi["movie"]] != 0)
    with pytest.raises(ValueError, match="keyed_vectors"):
        embedding_matrix_from_word2vec(vocab, {"good": [1, 0, 0]})


def test_mean_pooled_vectors():
    out = mean_pooled_vectors([["good", "bad", "unknown"], ["nothing"]], _toy_keyed_vectors())
    assert np.allclose(out, [[0.5, 0.5, 0], [0, 0, 0]])


# ---------- models: padding invariance and packing ----------

def _batch_with_extra_padding(seqs, extra):
    ids, lengths = pad_batch(seqs)
    padded = torch.cat([ids, torch.zeros(ids.shape[0], extra, dtype=torch.long)], dim=1)
    return ids, padded, lengths


@pytest.mark.parametrize("cls", [BiLSTMClassifier, CNNClassifier])
def test_models_are_padding_invariant(cls):
    torch.manual_seed(0)
    model = cls(vocab_size=30, embed_dim=8, num_labels=3).eval()
    seqs = [[3, 4, 5, 6, 7], [8, 9], [10]]  # includes a sequence shorter than the CNN's widest filter
    ids, padded, lengths = _batch_with_extra_padding(seqs, extra=6)
    with torch.no_grad():
        a, b = model(ids, lengths), model(padded, lengths)
    assert a.shape == (3, 3)
    assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("cls", [BiLSTMClassifier, CNNClassifier])
def test_models_give_same_output_alone_or_in_a_batch(cls):
    torch.manual_seed(0)
    model = cls(vocab_size=30, embed_dim=8).eval()
    seqs = [[3, 4], [5, 6, 7, 8, 9, 10, 11]]
    with torch.no_grad():
        together = model(*pad_batch(seqs))
        alone = torch.cat([model(*pad_batch([s])) for s in seqs])
    assert torch.allclose(together, alone, atol=1e-6)


def test_padding_would_change_an_unpacked_lstm():
    """The bug that packing prevents: a plain LSTM over padded input gives a different final state."""
    torch.manual_seed(0)
    model = BiLSTMClassifier(vocab_size=30, embed_dim=8, hidden_size=4).eval()
    ids, padded, lengths = _batch_with_extra_padding([[3, 4, 5]], extra=5)
    with torch.no_grad():
        _, (h_short, _) = model.lstm(model.embedding(ids))
        _, (h_long, _) = model.lstm(model.embedding(padded))
        _, final = model.encode(padded, lengths)
    assert not torch.allclose(h_short[0], h_long[0], atol=1e-4)  # forward state ran over 5 pads
    assert torch.allclose(final, torch.cat([h_short[-2], h_short[-1]], -1), atol=1e-6)  # packed == unpadded


def test_bilstm_encode_outputs_are_zero_at_pads():
    torch.manual_seed(0)
    model = BiLSTMClassifier(vocab_size=30, embed_dim=8, hidden_size=4).eval()
    ids, lengths = pad_batch([[3, 4, 5], [6]])
    outputs, final = model.encode(ids, lengths)
    assert outputs.shape == (2, 3, 8) and final.shape == (2, 8)
    assert torch.all(outputs[1, 1:] == 0)


def test_models_use_pretrained_embeddings_and_freeze():
    matrix = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
    model = CNNClassifier(matrix, freeze_embeddings=True)
    assert torch.allclose(model.embedding.weight, torch.from_numpy(matrix))
    assert not model.embedding.weight.requires_grad
    assert BiLSTMClassifier(matrix).embedding.weight.requires_grad


@pytest.mark.parametrize("cls", [BiLSTMClassifier, CNNClassifier])
def test_models_reject_bad_batches(cls):
    model = cls(vocab_size=30, embed_dim=8)
    ids, lengths = pad_batch([[3, 4], [5]])
    with pytest.raises(ValueError, match="lengths"):
        model(ids, torch.tensor([2, 0]))
    with pytest.raises(ValueError, match="lengths"):
        model(ids, torch.tensor([2, 1, 1]))
    with pytest.raises(ValueError, match="ids"):
        model(ids[0], lengths)
    with pytest.raises(ValueError, match="num_labels"):
        cls(vocab_size=30, num_labels=1)


# ---------- exercise checks: a right answer passes, a wrong answer fails ----------

def _right_analogy(kv, a, b, c):
    target = kv.get_vector(b, norm=True) - kv.get_vector(a, norm=True) + kv.get_vector(c, norm=True)
    sims = kv.get_normed_vectors() @ (target / np.linalg.norm(target))
    for i in np.argsort(-sims):
        if kv.index_to_key[i] not in (a, b, c):
            return kv.index_to_key[i]


def _wrong_analogy(kv, a, b, c):  # forgets to exclude the input words
    target = kv.get_vector(b, norm=True) - kv.get_vector(a, norm=True) + kv.get_vector(c, norm=True)
    return kv.index_to_key[int(np.argmax(kv.get_normed_vectors() @ target))]


def test_check_analogy():
    from course_utils.checks import ch02

    assert ch02.check_analogy(_right_analogy)
    assert not ch02.check_analogy(_wrong_analogy)
    assert not ch02.check_analogy(lambda kv, a, b, c: "apple")
    assert not ch02.check_analogy(None)


def test_check_last_real_step():
    from course_utils.checks import ch02

    assert ch02.check_last_real_step(lambda o, n: o[torch.arange(o.shape[0]), n - 1])
    assert not ch02.check_last_real_step(lambda o, n: o[:, -1])
    assert not ch02.check_last_real_step(lambda o, n: o[torch.arange(o.shape[0]), n.clamp(max=o.shape[1] - 1)])


def test_stable_hash_is_the_same_in_a_new_process():
    import subprocess
    import sys

    from course_utils import embeddings as E

    here = E.stable_hash("movie")
    there = subprocess.run([sys.executable, "-c", "from course_utils.embeddings import stable_hash; print(stable_hash('movie'))"],
                           capture_output=True, text=True, env={**__import__("os").environ, "PYTHONHASHSEED": "random"})
    assert int(there.stdout) == here and E.stable_hash("film") != here
    with pytest.raises(TypeError, match="word must be a string"):
        E.stable_hash(3)
