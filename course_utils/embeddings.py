"""Word-embedding helpers (chapter 02): tokenize, build a vocabulary, pad batches, and two classifiers over
embedding sequences (a BiLSTM with ``pack_padded_sequence`` and a Kim-2014 1-D CNN with masked max-pooling).

>>> vocab = build_vocab([simple_tokenize(t) for t in texts], min_freq=2)
>>> ids, lengths = pad_batch([vocab.encode(toks) for toks in batch_tokens], pad_id=vocab.pad_id)
>>> model = BiLSTMClassifier(embedding_matrix_from_word2vec(vocab, w2v.wv)[0], num_labels=2)
>>> logits = model(ids, lengths)                     # (batch, num_labels)

Padding contract used by every model here (and by chapter 05's BERT+LSTM heads): a batch is ``ids`` of shape
``(batch, seq_len)`` right-padded with ``pad_id`` and ``lengths`` of shape ``(batch,)`` with the number of real
tokens. The output for a sequence does not depend on how much padding follows it ("padding invariance").
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "BiLSTMClassifier",
    "CNNClassifier",
    "ConvMaxPool",
    "Vocab",
    "build_vocab",
    "embedding_matrix_from_word2vec",
    "lengths_to_mask",
    "make_collate",
    "masked_max",
    "masked_mean",
    "mean_pooled_vectors",
    "pad_batch",
    "simple_tokenize",
]

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


def simple_tokenize(text: str) -> list[str]:
    """Lower-case ``text``, drop IMDB's ``<br />`` tags, and split into words (letters/digits, ``n't``-style
    contractions kept whole) plus ``!`` and ``?``. Other punctuation is dropped."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return _TOKEN.findall(_BR.sub(" ", text.lower()))


@dataclass
class Vocab:
    """A word <-> id mapping. Id 0 is ``<pad>``, id 1 is ``<unk>``; the rest are sorted by frequency."""

    itos: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    pad_token: str = "<pad>"
    unk_token: str = "<unk>"

    def __post_init__(self) -> None:
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("itos must not contain duplicate tokens")
        for name, tok in (("pad_token", self.pad_token), ("unk_token", self.unk_token)):
            if tok not in self.stoi:
                raise ValueError(f"{name}={tok!r} is not in itos")

    @property
    def pad_id(self) -> int:
        return self.stoi[self.pad_token]

    @property
    def unk_id(self) -> int:
        return self.stoi[self.unk_token]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Sequence[str], max_length: int | None = None) -> list[int]:
        """Token ids (unknown words -> ``unk_id``), truncated to ``max_length`` tokens if given."""
        if isinstance(tokens, str):
            raise ValueError("tokens must be a list of tokens, not a string: call simple_tokenize(text) first")
        if max_length is not None and max_length < 1:
            raise ValueError(f"max_length must be >= 1 or None, got {max_length}")
        ids = [self.stoi.get(t, self.unk_id) for t in tokens]
        return ids[:max_length] if max_length is not None else ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]


def stable_hash(word: str) -> int:
    """A hash of ``word`` that is the same in every Python process (for gensim's ``Word2Vec(hashfxn=...)``).

    gensim seeds each word's initial vector with ``hashfxn(word + str(seed))``; the default, Python's ``hash``,
    changes between interpreter runs (hash randomisation), so a re-run would start from other vectors.
    """
    import hashlib

    if not isinstance(word, str):
        raise TypeError(f"word must be a string, got {type(word).__name__}")
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest(), "little")


def build_vocab(
    token_lists: Iterable[Sequence[str]],
    min_freq: int = 1,
    max_size: int | None = None,
    pad_token: str = "<pad>",
    unk_token: str = "<unk>",
) -> Vocab:
    """Count tokens over ``token_lists`` (one list of tokens per text) and keep those seen ``>= min_freq`` times,
    the ``max_size`` most frequent if given (``max_size`` counts the two special tokens). Ties are broken
    alphabetically, so the result does not depend on the order of the texts."""
    if isinstance(token_lists, str):
        raise ValueError("token_lists must be an iterable of token lists, not a string")
    if not isinstance(min_freq, int) or min_freq < 1:
        raise ValueError(f"min_freq must be an integer >= 1, got {min_freq!r}")
    if max_size is not None and max_size < 2:
        raise ValueError(f"max_size must be >= 2 (room for {pad_token!r} and {unk_token!r}) or None, got {max_size}")
    if pad_token == unk_token:
        raise ValueError("pad_token and unk_token must differ")
    counts: Counter[str] = Counter()
    for i, toks in enumerate(token_lists):
        if isinstance(toks, str):
            raise ValueError(f"token_lists[{i}] is a string; pass lists of tokens (e.g. simple_tokenize(text))")
        counts.update(toks)
    for special in (pad_token, unk_token):
        counts.pop(special, None)
    words = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
    if max_size is not None:
        words = words[: max_size - 2]
    return Vocab([pad_token, unk_token, *words], {w: counts[w] for w in words}, pad_token, unk_token)


def pad_batch(
    sequences: Sequence[Sequence[int]], pad_id: int = 0, max_length: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id sequences into one tensor.

    Returns ``ids`` ``(batch, seq_len)`` int64, where ``seq_len`` is the longest (truncated) sequence, and
    ``lengths`` ``(batch,)`` int64 with the number of real tokens. Sequences longer than ``max_length`` are cut.
    Empty sequences are not allowed (``pack_padded_sequence`` rejects length 0): encode at least ``<unk>``.
    """
    if isinstance(sequences, str) or any(isinstance(s, str) for s in sequences):
        raise TypeError("sequences must be lists of token ids, not strings: encode them first, e.g. "
                        "vocab.encode(simple_tokenize(text))")
    if len(sequences) == 0:
        raise ValueError("sequences is empty: a batch needs at least one sequence")
    if max_length is not None and max_length < 1:
        raise ValueError(f"max_length must be >= 1 or None, got {max_length}")
    cut = [list(s)[:max_length] if max_length is not None else list(s) for s in sequences]
    empty = [i for i, s in enumerate(cut) if len(s) == 0]
    if empty:
        raise ValueError(f"sequences[{empty[0]}] is empty; map empty texts to [unk_id] before padding")
    lengths = torch.tensor([len(s) for s in cut], dtype=torch.long)
    ids = torch.full((len(cut), int(lengths.max())), pad_id, dtype=torch.long)
    for i, s in enumerate(cut):
        ids[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return ids, lengths


def make_collate(pad_id: int = 0, max_length: int | None = None, ids_key: str = "ids", label_key: str = "label"):
    """A ``DataLoader`` ``collate_fn``: list of ``{ids_key: [...], label_key: int}`` -> dict with ``input_ids``
    ``(batch, seq_len)``, ``lengths`` ``(batch,)`` and ``labels`` ``(batch,)``."""

    def collate(rows: Sequence[dict]) -> dict[str, torch.Tensor]:
        for key in (ids_key, label_key):
            if key not in rows[0]:
                raise ValueError(f"each row needs a {key!r} entry; got keys {sorted(rows[0])}")
        ids, lengths = pad_batch([r[ids_key] for r in rows], pad_id=pad_id, max_length=max_length)
        labels = torch.tensor([int(r[label_key]) for r in rows], dtype=torch.long)
        return {"input_ids": ids, "lengths": lengths, "labels": labels}

    return collate


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``(batch,)`` lengths -> ``(batch, max_len)`` bool mask, True on real tokens."""
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1:
        raise ValueError(f"lengths must have shape (batch,), got {tuple(lengths.shape)}")
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real positions: ``hidden`` ``(batch, seq_len, dim)``, ``mask`` ``(batch, seq_len)`` (1/True = real)
    -> ``(batch, dim)``. Rows with no real token give zeros."""
    hidden, mask = torch.as_tensor(hidden), torch.as_tensor(mask)
    if hidden.dim() != 3 or mask.shape != hidden.shape[:2]:
        raise ValueError(f"expected hidden (batch, seq_len, dim) and mask (batch, seq_len), got "
                         f"{tuple(hidden.shape)} and {tuple(mask.shape)}")
    m = mask.to(hidden.dtype).unsqueeze(-1)  # (batch, seq_len, 1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def masked_max(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Element-wise max over the real positions: (batch, seq_len, dim), (batch, seq_len) -> (batch, dim).

    Padded positions are filled with the dtype's lowest value first, so they can never be the max."""
    filled = states.masked_fill(~mask.bool().unsqueeze(-1), torch.finfo(states.dtype).min)
    return filled.max(dim=1).values


def embedding_matrix_from_word2vec(
    vocab: Vocab, keyed_vectors, seed: int = 0, oov_scale: float = 0.25
) -> tuple[np.ndarray, int]:
    """A ``(len(vocab), dim)`` float32 matrix for ``nn.Embedding``: row i is the word2vec vector of
    ``vocab.itos[i]`` when ``keyed_vectors`` (gensim ``KeyedVectors``) knows the word, else uniform noise in
    ``[-oov_scale, oov_scale]`` (Kim 2014); the ``<pad>`` row is zeros. Returns ``(matrix, n_found)``."""
    if not isinstance(vocab, Vocab):
        raise ValueError(f"vocab must be a Vocab (see build_vocab), got {type(vocab).__name__}")
    if not hasattr(keyed_vectors, "key_to_index") or not hasattr(keyed_vectors, "vector_size"):
        raise ValueError("keyed_vectors must be gensim KeyedVectors (e.g. Word2Vec(...).wv)")
    if oov_scale < 0:
        raise ValueError(f"oov_scale must be >= 0, got {oov_scale}")
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(-oov_scale, oov_scale, size=(len(vocab), keyed_vectors.vector_size)).astype(np.float32)
    found = 0
    for i, word in enumerate(vocab.itos):
        if word in keyed_vectors.key_to_index:
            matrix[i] = keyed_vectors[word]
            found += 1
    matrix[vocab.pad_id] = 0.0
    return matrix, found


def mean_pooled_vectors(token_lists: Sequence[Sequence[str]], keyed_vectors) -> np.ndarray:
    """``(n_texts, dim)``: the mean word2vec vector of each text's known tokens (zeros when none is known)."""
    if not hasattr(keyed_vectors, "key_to_index"):
        raise ValueError("keyed_vectors must be gensim KeyedVectors (e.g. Word2Vec(...).wv)")
    out = np.zeros((len(token_lists), keyed_vectors.vector_size), dtype=np.float32)
    for i, toks in enumerate(token_lists):
        known = [t for t in toks if t in keyed_vectors.key_to_index]
        if known:
            out[i] = keyed_vectors[known].mean(axis=0)
    return out


def embedding_layer(embeddings: np.ndarray | torch.Tensor | None, vocab_size: int | None, embed_dim: int,
               pad_id: int, freeze: bool) -> nn.Embedding:
    if embeddings is not None:
        weight = torch.as_tensor(np.asarray(embeddings), dtype=torch.float32)
        if weight.dim() != 2:
            raise ValueError(f"embeddings must have shape (vocab_size, dim), got {tuple(weight.shape)}")
        return nn.Embedding.from_pretrained(weight.clone(), freeze=freeze, padding_idx=pad_id)
    if vocab_size is None or vocab_size < 2:
        raise ValueError("give either embeddings (vocab_size, dim) or vocab_size >= 2")
    return nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)


def check_batch(ids: torch.Tensor, lengths: torch.Tensor) -> None:
    if ids.dim() != 2:
        raise ValueError(f"ids must have shape (batch, seq_len), got {tuple(ids.shape)}")
    if lengths.shape != ids.shape[:1]:
        raise ValueError(f"lengths must have shape ({ids.shape[0]},), got {tuple(lengths.shape)}")
    if int(lengths.min()) < 1 or int(lengths.max()) > ids.shape[1]:
        raise ValueError(f"lengths must be in 1..{ids.shape[1]} (seq_len), got {lengths.tolist()[:8]}")


class BiLSTMClassifier(nn.Module):
    """Embedding -> bidirectional LSTM over the *packed* sequence -> [h_forward_last; h_backward_first] -> linear.

    Packing makes the LSTM stop at each sequence's real length, so the final states never see padding and
    the backward direction starts at the last real token (not at a pad).
    """

    def __init__(self, embeddings: np.ndarray | torch.Tensor | None = None, num_labels: int = 2, *,
                 vocab_size: int | None = None, embed_dim: int = 100, hidden_size: int = 128, num_layers: int = 1,
                 dropout: float = 0.5, pad_id: int = 0, freeze_embeddings: bool = False):
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"num_labels must be >= 2, got {num_labels}")
        self.embedding = embedding_layer(embeddings, vocab_size, embed_dim, pad_id, freeze_embeddings)
        self.lstm = nn.LSTM(self.embedding.embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_labels)

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns ``outputs`` ``(batch, seq_len, 2*hidden)`` (zeros at pads) and ``final`` ``(batch, 2*hidden)``."""
        check_batch(ids, lengths)
        x = self.dropout(self.embedding(ids))  # (batch, seq_len, embed_dim)
        # lengths must live on the CPU; enforce_sorted=False sorts and un-sorts for us.
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, (h_n, _) = self.lstm(packed)  # h_n: (num_layers * 2, batch, hidden), in original order
        outputs, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=ids.shape[1])
        final = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (batch, 2*hidden): last layer, forward + backward
        return outputs, final

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _, final = self.encode(ids, lengths)
        return self.classifier(self.dropout(final))  # (batch, num_labels)


class ConvMaxPool(nn.Module):
    """Kim (2014)'s feature extractor: parallel 1-D convolutions of several widths, ReLU, max over time.

    ``forward(x (batch, seq_len, dim), mask (batch, seq_len)) -> (batch, num_filters * len(widths))``, for
    right-padded sequences. "Wide" convolutions (padding ``width - 1``) give every window that touches a real
    token; padded positions are zeroed before the convolution and windows that start after the last real token
    are left out of the max, so extra padding cannot change the output, and sequences shorter than a filter
    still work. Chapter 02 runs it on word embeddings (``CNNClassifier``), chapter 05 on BERT's states (``CNNHead``).
    """

    def __init__(self, dim: int, num_filters: int = 100, widths: Sequence[int] = (3, 4, 5)):
        super().__init__()
        if not widths or any(isinstance(w, bool) or int(w) != w or w < 1 for w in widths):
            raise ValueError(f"widths must be positive whole filter widths, got {list(widths)}")
        if not isinstance(num_filters, int) or num_filters < 1:
            raise ValueError(f"num_filters must be a positive int, got {num_filters!r}")
        self.widths = [int(w) for w in widths]
        self.convs = nn.ModuleList(nn.Conv1d(dim, num_filters, w, padding=w - 1) for w in self.widths)
        self.out_dim = num_filters * len(self.widths)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.bool()
        x = (x * mask.unsqueeze(-1).to(x.dtype)).transpose(1, 2)  # (batch, dim, seq_len), pads exactly 0
        lengths = mask.long().sum(1)  # (batch,)
        pooled = []
        for w, conv in zip(self.widths, self.convs):
            h = torch.relu(conv(x)).transpose(1, 2)  # (batch, seq_len + w - 1, filters): window p starts at p-(w-1)
            pooled.append(masked_max(h, lengths_to_mask(lengths + w - 1, h.shape[1])))  # (batch, filters)
        return torch.cat(pooled, dim=-1)  # (batch, filters * n_widths)


class CNNClassifier(nn.Module):
    """Kim (2014): embedding -> ``ConvMaxPool`` (widths 3, 4, 5, ReLU, masked max over time) -> linear."""

    def __init__(self, embeddings: np.ndarray | torch.Tensor | None = None, num_labels: int = 2, *,
                 vocab_size: int | None = None, embed_dim: int = 100, num_filters: int = 100,
                 widths: Sequence[int] = (3, 4, 5), dropout: float = 0.5, pad_id: int = 0,
                 freeze_embeddings: bool = False):
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"num_labels must be >= 2, got {num_labels}")
        self.embedding = embedding_layer(embeddings, vocab_size, embed_dim, pad_id, freeze_embeddings)
        self.conv = ConvMaxPool(self.embedding.embedding_dim, num_filters, widths)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.conv.out_dim, num_labels)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        check_batch(ids, lengths)
        mask = lengths_to_mask(lengths, ids.shape[1])  # (batch, seq_len)
        features = self.conv(self.embedding(ids), mask)  # (batch, filters * n_widths)
        return self.classifier(self.dropout(features))  # (batch, num_labels)
