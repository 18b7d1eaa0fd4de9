"""The BERT family (chapter 06): the catalogue of variants, their configs and tokenizers, and tiny checkpoints.

>>> spec = VARIANTS["distilbert"]                     # what it changed, its hub id, its tokenizer kind
>>> model = build_model("distilbert")                  # real-size architecture, RANDOM weights (for costs.py)
>>> path = make_tiny_checkpoint("roberta", out_dir, texts)          # tiny random checkpoint + its own tokenizer

Random weights are fine for cost (``costs.measure_cost``): parameters, bytes and FLOPs do not depend on the
values. They say nothing about accuracy. Tiny checkpoints (``VariantSpec.tiny``) exist so tests run the hub code
paths offline in seconds.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

TOKENIZER_KINDS = ("wordpiece", "bytelevel_bpe", "unigram")


@dataclass(frozen=True)
class VariantSpec:
    """One row of the family table. ``real`` are the config values of the hub checkpoint (offline copy)."""

    key: str
    family: str
    hub_id: str
    model_type: str
    tokenizer_kind: str  # wordpiece | bytelevel_bpe | unigram (SentencePiece-style)
    changed: str  # what it changed relative to BERT, one line
    paper: str  # link
    real: dict[str, Any] = field(default_factory=dict)
    tiny: dict[str, Any] = field(default_factory=dict)
    special_tokens: dict[str, str] = field(default_factory=dict)


_BERT_SPECIAL = {"unk_token": "[UNK]", "pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}
_ROBERTA_SPECIAL = {"bos_token": "<s>", "pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>",
                    "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}
_ALBERT_SPECIAL = {"pad_token": "<pad>", "unk_token": "<unk>", "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]"}
_DEBERTA_SPECIAL = {"pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]", "mask_token": "[MASK]"}

_TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37, max_position_embeddings=128)

VARIANTS: dict[str, VariantSpec] = {
    "bert-base": VariantSpec(
        "bert-base", "BERT", "google-bert/bert-base-uncased", "bert", "wordpiece",
        "the reference: MLM + next-sentence prediction on BooksCorpus + Wikipedia",
        "https://arxiv.org/abs/1810.04805",
        real=dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
        tiny=dict(_TINY), special_tokens=_BERT_SPECIAL),
    "bert-large": VariantSpec(
        "bert-large", "BERT", "google-bert/bert-large-uncased", "bert", "wordpiece",
        "the same recipe, 3x the parameters (24 layers, 1024 hidden)",
        "https://arxiv.org/abs/1810.04805",
        real=dict(vocab_size=30522, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
        tiny=dict(_TINY, num_hidden_layers=3), special_tokens=_BERT_SPECIAL),
    "roberta": VariantSpec(
        "roberta", "RoBERTa", "FacebookAI/roberta-base", "roberta", "bytelevel_bpe",
        "same architecture; 10x more data, longer training, bigger batches, dynamic masking, no NSP, byte-level BPE",
        "https://arxiv.org/abs/1907.11692",
        real=dict(vocab_size=50265, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                  max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2),
        tiny=dict(_TINY, max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5),
        special_tokens=_ROBERTA_SPECIAL),
    "distilbert": VariantSpec(
        "distilbert", "DistilBERT", "distilbert/distilbert-base-uncased", "distilbert", "wordpiece",
        "6 of BERT-base's 12 layers, trained to imitate BERT (distillation); no token-type embeddings, no pooler",
        "https://arxiv.org/abs/1910.01108",
        real=dict(vocab_size=30522, dim=768, n_layers=6, n_heads=12, hidden_dim=3072),
        tiny=dict(dim=32, n_layers=2, n_heads=2, hidden_dim=37, max_position_embeddings=128),
        special_tokens=_BERT_SPECIAL),
    "albert": VariantSpec(
        "albert", "ALBERT", "albert/albert-base-v2", "albert", "unigram",
        "factorised embeddings (vocab x 128 then 128 x 768) and ONE layer's weights shared by all 12 layers; SOP instead of NSP",
        "https://arxiv.org/abs/1909.11942",
        real=dict(vocab_size=30000, embedding_size=128, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, hidden_act="gelu_new", pad_token_id=0, bos_token_id=2, eos_token_id=3),
        tiny=dict(_TINY, embedding_size=16), special_tokens=_ALBERT_SPECIAL),
    "mobilebert": VariantSpec(
        "mobilebert", "MobileBERT", "google/mobilebert-uncased", "mobilebert", "wordpiece",
        "24 thin layers with bottlenecks (512 -> 128 inside each block), 4 stacked small FFNs, distilled from a special BERT-large, for phones",
        "https://arxiv.org/abs/2004.02984",
        real=dict(vocab_size=30522, hidden_size=512, num_hidden_layers=24, num_attention_heads=4, intermediate_size=512,
                  embedding_size=128, true_hidden_size=128, intra_bottleneck_size=128, num_feedforward_networks=4),
        tiny=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16, embedding_size=16,
                  true_hidden_size=16, intra_bottleneck_size=16, num_feedforward_networks=2, max_position_embeddings=128),
        special_tokens=_BERT_SPECIAL),
    "electra": VariantSpec(
        "electra", "ELECTRA", "google/electra-base-discriminator", "electra", "wordpiece",
        "BERT-size encoder pre-trained as a discriminator: spot which tokens a small generator replaced (all tokens give signal)",
        "https://arxiv.org/abs/2003.10555",
        real=dict(vocab_size=30522, embedding_size=768, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072),
        tiny=dict(_TINY, embedding_size=16), special_tokens=_BERT_SPECIAL),
    "electra-small": VariantSpec(
        "electra-small", "ELECTRA", "google/electra-small-discriminator", "electra", "wordpiece",
        "the same objective at 14M parameters (256 hidden, 128-dim embeddings)",
        "https://arxiv.org/abs/2003.10555",
        real=dict(vocab_size=30522, embedding_size=128, hidden_size=256, num_hidden_layers=12, num_attention_heads=4,
                  intermediate_size=1024),
        tiny=dict(_TINY, embedding_size=16), special_tokens=_BERT_SPECIAL),
    "deberta-v3": VariantSpec(
        "deberta-v3", "DeBERTa-v3", "microsoft/deberta-v3-base", "deberta-v2", "unigram",
        "disentangled attention (content and relative position scored separately) + ELECTRA-style pre-training; 128k SentencePiece vocab",
        "https://arxiv.org/abs/2111.09543",
        real=dict(vocab_size=128100, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                  relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm", share_att_key=True,
                  pos_att_type=["p2c", "c2p"], position_biased_input=False, max_relative_positions=-1, layer_norm_eps=1e-7,
                  type_vocab_size=0, pad_token_id=0),
        tiny=dict(_TINY, relative_attention=True, position_buckets=16, norm_rel_ebd="layer_norm", share_att_key=True,
                  pos_att_type=["p2c", "c2p"], position_biased_input=False, max_relative_positions=-1, type_vocab_size=0),
        special_tokens=_DEBERTA_SPECIAL),
    "minilm-l12": VariantSpec(
        "minilm-l12", "MiniLM", "microsoft/MiniLM-L12-H384-uncased", "bert", "wordpiece",
        "BERT shape at 384 hidden; distilled by copying the teacher's last-layer self-attention distributions",
        "https://arxiv.org/abs/2002.10957",
        real=dict(vocab_size=30522, hidden_size=384, num_hidden_layers=12, num_attention_heads=12, intermediate_size=1536),
        tiny=dict(_TINY), special_tokens=_BERT_SPECIAL),
    "minilm-l6": VariantSpec(
        "minilm-l6", "MiniLM", "sentence-transformers/all-MiniLM-L6-v2", "bert", "wordpiece",
        "6-layer MiniLM further trained as a sentence encoder: the course's packaged offline encoder",
        "https://arxiv.org/abs/2002.10957",
        real=dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
        tiny=dict(_TINY), special_tokens=_BERT_SPECIAL),
    "tinybert": VariantSpec(
        "tinybert", "TinyBERT", "huawei-noah/TinyBERT_General_4L_312D", "bert", "wordpiece",
        "4 layers x 312 hidden; distilled layer by layer (embeddings, attention maps, hidden states), general then task-specific",
        "https://arxiv.org/abs/1909.10351",
        real=dict(vocab_size=30522, hidden_size=312, num_hidden_layers=4, num_attention_heads=12, intermediate_size=1200),
        tiny=dict(_TINY), special_tokens=_BERT_SPECIAL),
}

# GLUE SST-2 accuracies (%) quoted from papers / model cards. Facts to cite, never our measurements.
# Only numbers we could check against the source are listed; ELECTRA and DeBERTa-v3 are left out on purpose.
PUBLISHED_SST2: list[dict[str, Any]] = [
    dict(key="bert-base", value=92.7, split="validation", source="Sanh et al. 2019 (DistilBERT), Table 1, GLUE dev",
         url="https://arxiv.org/abs/1910.01108"),
    dict(key="distilbert", value=91.3, split="validation", source="Sanh et al. 2019 (DistilBERT), Table 1, GLUE dev",
         url="https://arxiv.org/abs/1910.01108"),
    dict(key="bert-large", value=93.2, split="validation", source="Liu et al. 2019 (RoBERTa), Table 5, GLUE dev, single task",
         url="https://arxiv.org/abs/1907.11692"),
    dict(key="roberta", value=94.8, split="validation", source="fairseq RoBERTa README, roberta.base, GLUE dev, single task",
         url="https://github.com/facebookresearch/fairseq/tree/main/examples/roberta"),
    dict(key="albert", value=92.9, split="validation", source="google-research/ALBERT README, V2 models table, ALBERT-base dev",
         url="https://github.com/google-research/ALBERT"),
    dict(key="mobilebert", value=92.8, split="test", source="Sun et al. 2020 (MobileBERT), GLUE test server",
         url="https://arxiv.org/abs/2004.02984"),
    dict(key="minilm-l12", value=93.0, split="validation", source="microsoft/MiniLM-L12-H384-uncased model card, GLUE dev",
         url="https://huggingface.co/microsoft/MiniLM-L12-H384-uncased"),
    dict(key="tinybert", value=92.6, split="test", source="Jiao et al. 2020 (TinyBERT), Table 1, TinyBERT-4 GLUE test "
         "(with task-specific distillation + data augmentation)", url="https://arxiv.org/abs/1909.10351"),
]


def get_variant(key: str) -> VariantSpec:
    """The ``VariantSpec`` for ``key`` (one of ``VARIANTS``)."""
    if key not in VARIANTS:
        raise ValueError(f"key={key!r} is not a known variant; choose one of {sorted(VARIANTS)}")
    return VARIANTS[key]


def variant_table():
    """The family table as a pandas DataFrame: family, key, hub id, tokenizer kind, what it changed."""
    import pandas as pd

    return pd.DataFrame([
        {"family": s.family, "key": s.key, "hub id": s.hub_id, "tokenizer": s.tokenizer_kind, "what it changed": s.changed}
        for s in VARIANTS.values()
    ])


def published_table():
    """``PUBLISHED_SST2`` as a DataFrame with hub ids (accuracy in %), in the order listed (a citation list, not a
    ranking). ``source`` is ``"published"`` on every row, as in the results store; ``reference`` says where each
    number comes from and ``link`` points at it."""
    import pandas as pd

    rows = [{"key": r["key"], "hub id": VARIANTS[r["key"]].hub_id, "SST-2 accuracy (%)": r["value"],
             "split": r["split"], "source": "published", "reference": r["source"], "link": r["url"]}
            for r in PUBLISHED_SST2]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------- configs
def build_config(key: str, size: str = "real", num_labels: int = 2, vocab_size: int | None = None, **overrides: Any):
    """A transformers config for variant ``key``: ``size="real"`` (hub dimensions) or ``"tiny"`` (tests).

    ``vocab_size`` overrides the vocabulary (tiny checkpoints use their own small tokenizer).
    """
    from transformers import AutoConfig

    spec = get_variant(key)
    if size not in ("real", "tiny"):
        raise ValueError(f"size must be 'real' or 'tiny', got {size!r}")
    if not isinstance(num_labels, int) or num_labels < 1:
        raise ValueError(f"num_labels must be a positive integer, got {num_labels!r}")
    kwargs = dict(spec.real if size == "real" else spec.tiny)
    if vocab_size is not None:
        kwargs["vocab_size"] = int(vocab_size)
    kwargs.update(overrides)
    return AutoConfig.for_model(spec.model_type, num_labels=num_labels, **kwargs)


def build_model(key: str, size: str = "real", num_labels: int = 2, seed: int = 0, **overrides: Any):
    """``AutoModelForSequenceClassification`` of variant ``key`` from its config: RANDOM weights (for cost only)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    config = build_config(key, size, num_labels, **overrides)
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_config(config)
    return model.eval()


# --------------------------------------------------------------------------------------------------- tokenizers
def train_tokenizer(kind: str, texts: Iterable[str], vocab_size: int = 1000, special_tokens: dict[str, str] | None = None,
                    lowercase: bool = True):
    """Train a small tokenizer of ``kind`` on ``texts`` with the ``tokenizers`` library; returns a transformers fast tokenizer.

    ``wordpiece`` (BERT family: ``##`` continuation pieces), ``bytelevel_bpe`` (RoBERTa/GPT-2: bytes, ``Ġ`` marks a
    space), ``unigram`` (SentencePiece-style as in ALBERT/DeBERTa-v3: ``▁`` marks a word start).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if kind not in TOKENIZER_KINDS:
        raise ValueError(f"kind must be one of {TOKENIZER_KINDS}, got {kind!r}")
    if not isinstance(vocab_size, int) or vocab_size < 50:
        raise ValueError(f"vocab_size must be an integer >= 50, got {vocab_size!r}")
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    if not texts:
        raise ValueError("texts must contain at least one non-empty string")
    defaults = {"wordpiece": _BERT_SPECIAL, "bytelevel_bpe": _ROBERTA_SPECIAL, "unigram": _ALBERT_SPECIAL}[kind]
    special = dict(special_tokens or defaults)
    order = list(dict.fromkeys(special[k] for k in ("pad_token", "unk_token", "cls_token", "sep_token", "mask_token",
                                                     "bos_token", "eos_token") if k in special))
    if kind == "bytelevel_bpe":  # RoBERTa's ids: <s>=0, <pad>=1, </s>=2, <unk>=3, <mask>=4
        order = [special[k] for k in ("bos_token", "pad_token", "eos_token", "unk_token", "mask_token")]
    cls, sep = special["cls_token"], special["sep_token"]

    if kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=special["unk_token"]))
        tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=order, show_progress=False)
        tok.decoder = decoders.WordPiece()
    elif kind == "bytelevel_bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=order,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.decoder = decoders.ByteLevel()
    else:
        tok = Tokenizer(models.Unigram())
        norms = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
        tok.normalizer = normalizers.Sequence(norms)
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=order, unk_token=special["unk_token"],
                                          show_progress=False)
        tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(texts, trainer=trainer)  # show_progress=False: no stray blank lines in notebook outputs
    if kind == "bytelevel_bpe":
        tok.post_processor = processors.RobertaProcessing((sep, tok.token_to_id(sep)), (cls, tok.token_to_id(cls)))
    else:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B:1 {sep}:1",
            special_tokens=[(cls, tok.token_to_id(cls)), (sep, tok.token_to_id(sep))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=512, **special)


def family_tokenizer(key: str, texts: Sequence[str], vocab_size: int = 8000):
    """The tokenizer of variant ``key`` and where it came from: ``(tokenizer, source)``.

    Online (or cached): the real hub tokenizer. Offline: WordPiece families use the packaged encoder's tokenizer
    (the real uncased BERT vocabulary); the others get a tokenizer of the same KIND trained here on ``texts``
    (smaller vocabulary, so it splits more often than the real one).
    """
    from .models import hub_reachable, is_cached, load_tokenizer, packaged_encoder_path

    spec = get_variant(key)
    if hub_reachable() or is_cached(spec.hub_id):
        return load_tokenizer(spec.hub_id), f"{spec.hub_id} (hub)"
    if spec.tokenizer_kind == "wordpiece" and packaged_encoder_path():
        return load_tokenizer("encoder"), "packaged all-MiniLM-L6-v2 (real uncased BERT WordPiece vocabulary)"
    tok = train_tokenizer(spec.tokenizer_kind, texts, vocab_size=vocab_size, special_tokens=spec.special_tokens)
    return tok, f"{spec.tokenizer_kind} trained here on {len(texts):,} texts (vocab {len(tok):,}; offline stand-in)"


def make_tiny_checkpoint(key: str, out_dir: str | os.PathLike, texts: Sequence[str], vocab_size: int = 600,
                         num_labels: int = 2, seed: int = 0) -> Path:
    """Save a tiny random checkpoint of variant ``key`` (its own tokenizer kind, trained on ``texts``) to ``out_dir``.

    Weights are written as safetensors; ``AutoTokenizer``/``AutoModelForSequenceClassification.from_pretrained(out_dir)``
    load it like a hub checkpoint. Returns the folder.
    """
    spec = get_variant(key)
    tokenizer = train_tokenizer(spec.tokenizer_kind, texts, vocab_size=vocab_size, special_tokens=spec.special_tokens)
    ids = {f"{name}_id": tokenizer.convert_tokens_to_ids(tokenizer.special_tokens_map[name])
           for name in ("pad_token", "bos_token", "eos_token") if name in tokenizer.special_tokens_map}
    ids = {k: v for k, v in ids.items() if isinstance(v, int)}
    model = build_model(key, "tiny", num_labels, seed=seed, vocab_size=len(tokenizer), **ids)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
