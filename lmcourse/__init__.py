"""Build language models for the world's languages: a course and a library

Modules:

- `lmcourse.lm`: An AWD-LSTM language model for any language: data, training on GPU or CPU, perplexity, generation, checkpoints that resume, and a model-zoo export that loads back."""

__version__ = "0.0.1"
