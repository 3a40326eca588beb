"""Build language models for the world's languages: a course and a library

Modules:

- `lmcourse.lm`: An AWD-LSTM language model for any language: data, training on GPU or CPU, perplexity, generation, checkpoints that resume, and a model-zoo export that loads back.
- `lmcourse.mapping`: Map monolingual word embeddings of two languages into one space (Procrustes, CSLS, self-learning from a seed dictionary, identical strings or nothing at all), and move a language model to a new language through them.
- `lmcourse.zoo`: `build` runs every stage of the course for one language (corpus, tokenizer, the English LM, its start in the new language from aligned verses or mapped word vectors, transfer training, baselines, evaluation, a report) and publishes the model to a local zoo, each stage cached and resumable; `zoo_list` and `zoo_load` read the zoo back, refusing changed or truncated files."""

__version__ = "0.0.1"
