"""Long documents (chapter 05): split a text into overlapping chunks, encode each, and classify the sequence of chunk
vectors with one of the heads.

>>> chunks = chunk_documents(tokenizer, texts, chunk_len=128, overlap=32, max_chunks=8)
>>> cache = encode_chunks(encoder, chunks)            # frozen: one mean-pooled vector per chunk, (n, max_chunks, hidden)
>>> run = train_head(make_head("bilstm", 384, 2), cache, y, ...)                   # features.train_head on chunks
>>> model = HierarchicalChunkModel(encoder, make_head("bilstm", 384, 2))           # the same model end to end

Head+tail truncation, the one-window alternative, is ``truncation.head_tail_ids``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .arguments import check_texts
from .batching import sorted_batches
from .embeddings import masked_mean
from .features import TokenCache
from .heads import EncoderWithHead, Head


@dataclass
class Chunks:
    """A document split into overlapping windows: ``input_ids`` / ``attention_mask`` (n_docs, max_chunks, chunk_len)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    n_chunks: torch.Tensor  # (n_docs,) chunks kept per document
    n_tokens: torch.Tensor  # (n_docs,) word-piece tokens per document (before chunking)

    @property
    def chunk_mask(self) -> torch.Tensor:
        """(n_docs, max_chunks) True where a chunk exists."""
        return self.attention_mask[:, :, 0].bool()


def chunk_documents(tokenizer, texts: Sequence[str], chunk_len: int = 128, overlap: int = 32,
                    max_chunks: int = 8) -> Chunks:
    """Split each text into windows of ``chunk_len`` tokens ([CLS] ... [SEP]) overlapping by ``overlap`` tokens.

    Uses the fast tokenizer's own windowing (``return_overflowing_tokens`` + ``stride``). A document with more than
    ``max_chunks`` windows keeps its first ``max_chunks - 1`` and its last one (head + tail, as for truncation).
    """
    texts = check_texts(texts, allow_blank=True)
    if chunk_len < 8:
        raise ValueError(f"chunk_len must be >= 8 tokens, got {chunk_len}")
    if not 0 <= overlap < chunk_len - 2:
        raise ValueError(f"overlap must be in [0, chunk_len - 2), got {overlap}")
    if max_chunks < 1:
        raise ValueError(f"max_chunks must be >= 1, got {max_chunks}")
    enc = tokenizer(list(texts), truncation=True, max_length=chunk_len, stride=overlap,
                    return_overflowing_tokens=True, padding="max_length")
    per_doc: list[list[int]] = [[] for _ in texts]
    for row, doc in enumerate(enc["overflow_to_sample_mapping"]):
        per_doc[doc].append(row)
    ids = torch.full((len(texts), max_chunks, chunk_len), tokenizer.pad_token_id, dtype=torch.long)
    att = torch.zeros((len(texts), max_chunks, chunk_len), dtype=torch.long)
    n_chunks = torch.zeros(len(texts), dtype=torch.long)
    for doc, rows in enumerate(per_doc):
        if len(rows) > max_chunks:
            rows = rows[: max_chunks - 1] + rows[-1:]
        for c, row in enumerate(rows):
            ids[doc, c] = torch.tensor(enc["input_ids"][row])
            att[doc, c] = torch.tensor(enc["attention_mask"][row])
        n_chunks[doc] = len(rows)
    n_tokens = torch.tensor([len(x) for x in tokenizer(list(texts), add_special_tokens=False)["input_ids"]])
    return Chunks(ids, att, n_chunks, n_tokens)


class HierarchicalChunkModel(nn.Module):
    """Encode each chunk, mean-pool it to one vector, then a document head (e.g. ``bilstm``) over the chunk vectors.

    ``forward(input_ids, attention_mask)`` with shapes (batch, max_chunks, chunk_len) -> logits (batch, num_labels).
    Missing chunks (all-zero mask) are skipped by the encoder and masked in the document head.
    """

    def __init__(self, encoder: nn.Module, doc_head: Head, freeze_encoder: bool = True):
        super().__init__()
        self.body = EncoderWithHead(encoder, doc_head, freeze_encoder)

    @property
    def doc_head(self) -> Head:
        return self.body.head

    def chunk_vectors(self, input_ids, attention_mask) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, max_chunks, hidden) mean-pooled chunk vectors and the (batch, max_chunks) chunk mask."""
        if input_ids.dim() != 3 or attention_mask.shape != input_ids.shape:
            raise ValueError(f"input_ids and attention_mask must be (batch, max_chunks, chunk_len), got "
                             f"{tuple(input_ids.shape)} and {tuple(attention_mask.shape)}")
        b, c, L = input_ids.shape
        chunk_mask = attention_mask[:, :, 0].bool()  # (batch, max_chunks)
        flat_ids, flat_att = input_ids[chunk_mask], attention_mask[chunk_mask]  # (n_real_chunks, chunk_len)
        h = self.body.encode(flat_ids, flat_att)  # (n_real_chunks, chunk_len, hidden)
        vecs = h.new_zeros(b, c, h.shape[-1])
        vecs[chunk_mask] = masked_mean(h, flat_att.bool())
        return vecs, chunk_mask

    def forward(self, input_ids, attention_mask, **_ignored) -> torch.Tensor:
        vecs, chunk_mask = self.chunk_vectors(input_ids, attention_mask)
        return self.doc_head(vecs, chunk_mask)


@torch.no_grad()
def encode_chunks(encoder, chunks: Chunks, batch_size: int = 64, device=None, desc: str = "encoding chunks") -> TokenCache:
    """Frozen encoding of every real chunk once: a ``TokenCache`` of chunk vectors (n_docs, max_chunks, hidden)."""
    from tqdm.auto import tqdm

    device = device or next(encoder.parameters()).device
    encoder.eval()
    cm = chunks.chunk_mask
    flat_ids, flat_att = chunks.input_ids[cm], chunks.attention_mask[cm]  # (n_real_chunks, chunk_len)
    lengths = flat_att.sum(1)
    out = torch.zeros(flat_ids.shape[0], encoder.config.hidden_size)
    start = time.perf_counter()
    for idx in tqdm(sorted_batches(lengths.tolist(), batch_size), desc=desc, leave=False):
        width = int(lengths[idx].max())
        ids, att = flat_ids[idx, :width].to(device), flat_att[idx, :width].to(device)
        out[idx] = masked_mean(encoder(input_ids=ids, attention_mask=att).last_hidden_state, att.bool()).float().cpu()
    vecs = torch.zeros(*cm.shape, encoder.config.hidden_size, dtype=torch.float16)
    vecs[cm] = out.half()
    return TokenCache(vecs, cm.clone(), time.perf_counter() - start, int(lengths.sum()))
