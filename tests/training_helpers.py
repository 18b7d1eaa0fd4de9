"""Shared pieces of the fine_tune tests: a tiny random BERT classifier (fast, CPU)."""
import torch


def tiny_model(num_labels: int = 2, vocab_size: int = 30522):
    """A 1-layer, 32-wide BertForSequenceClassification with the WordPiece vocabulary size, seeded."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, num_labels=num_labels)
    return BertForSequenceClassification(cfg)
