"""Language-model training, side by side at the same wall-clock budget, same data, same model size:

  (a) lmcourse:      lm_data + lm_learner (fastai AWD_LSTM, size preset) + fit_budget
  (b) stock fastai:  DataBlock(TextBlock(is_lm=True)) + language_model_learner(AWD_LSTM, pretrained=False) defaults
                     (drop_mult=1, lr 1e-3 = fastai's default), one-cycle over the same budget
  (c) plain PyTorch: the `word_language_model` example's LSTM (dropout 0.2, SGD lr 20, clip 0.25, lr/4 on plateau)

All three see the same tokens and vocabulary (lmcourse's word tokenizer, the training split's vocabulary) and are
evaluated by the same function on the same validation stream. Also: tokenization + numericalization speed (seconds
per million tokens) of lmcourse vs fastai's default spaCy pipeline, and achieved FLOP/s against the measured matmul
peak of the machine.

    python bench/lm_throughput.py --budget 120 --size tiny [--device cuda]
"""
import argparse, json, math, os, time, warnings
import torch, torch.nn as nn, torch.nn.functional as F
import pandas as pd
from fastai.text.all import (DataBlock, TextBlock, ColReader, RandomSplitter, ColSplitter, language_model_learner, AWD_LSTM,
                             accuracy, Perplexity, get_model, SpacyTokenizer, Tokenizer, Numericalize, BaseTokenizer,
                             awd_lstm_lm_config, defaults, tokenize_df)
from lmcourse.lm import lm_data, lm_learner, lm_config, fit_budget, awd_config, get_device, stream_perplexity, quiet
from lmcourse.corpus import course_corpus, read_split
warnings.filterwarnings('ignore')


def evaluate(forward, reset, docs, bs, sl, device):
    "Validation perplexity on the same stream for every contender"
    return stream_perplexity(forward, docs, bs, sl, device, reset)


def matmul_peak(device, n=2048, reps=10):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(2): a @ b
    if device.type == 'cuda': torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps): a @ b
    if device.type == 'cuda': torch.cuda.synchronize()
    return 2 * n**3 * reps / (time.perf_counter() - t)


def lstm_flops_per_token(emb, hid, layers, V, out_emb=None):
    "6 x multiply-adds per token (forward 2, backward 4): LSTM gates + decoder"
    macs, d_in = 0, emb
    for i in range(layers):
        h = (out_emb or emb) if i == layers - 1 else hid
        macs += 4 * h * (d_in + h); d_in = h
    return 6 * (macs + d_in * V)


def run_lmcourse(corpus, cfg, budget, device):
    dls = lm_data(corpus, device=device, **cfg)
    learn = quiet(lm_learner(dls, cfg, device=device))
    r = fit_budget(learn, budget)
    m = get_model(learn.model).eval()
    r['ppl'] = evaluate(lambda x: m(x)[0], m.reset, dls.valid.docs, cfg['bs'], cfg['sl'], device)
    r['flops_per_tok'] = lstm_flops_per_token(cfg['emb_sz'], cfg['n_hid'], cfg['n_layers'], len(dls.vocab), cfg['emb_sz'])
    return r, dls


def run_fastai(corpus, cfg, budget, device, vocab, docs_valid):
    "Stock fastai: its DataBlock pipeline and language_model_learner defaults, on lmcourse's tokens and vocabulary"
    from lmcourse.corpus import tokenize
    rows = [(' '.join(t), s == 'valid') for s in ('train', 'valid') for t in tokenize(read_split(corpus, s))]
    df = pd.DataFrame(rows, columns=['text', 'is_valid'])
    dblock = DataBlock(blocks=TextBlock.from_df('text', is_lm=True, vocab=vocab, tok=BaseTokenizer(), rules=[], seq_len=cfg['sl']),
                       get_x=ColReader('text'), splitter=ColSplitter('is_valid'))
    dls = dblock.dataloaders(df, bs=cfg['bs'], seq_len=cfg['sl'], device=device)
    learn = language_model_learner(dls, AWD_LSTM, config=awd_config(cfg), pretrained=False, metrics=[accuracy, Perplexity()])
    learn.model.to(device); quiet(learn)
    r = fit_budget(learn, budget, lr=defaults.lr)         # one-cycle at fastai's default learning rate, same budget
    m = get_model(learn.model).eval()
    r['ppl'] = evaluate(lambda x: m(x)[0], m.reset, docs_valid, cfg['bs'], cfg['sl'], device)
    return r


class RNNModel(nn.Module):
    "pytorch/examples word_language_model/model.py, LSTM variant"
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2, tie=False):
        super().__init__()
        self.drop, self.encoder = nn.Dropout(dropout), nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout, batch_first=True)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie: self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1); nn.init.zeros_(self.decoder.bias); nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        self.h = None
    def reset(self): self.h = None
    def forward(self, x):
        if self.h is not None and self.h[0].shape[1] != x.shape[0]: self.h = None
        out, h = self.rnn(self.drop(self.encoder(x)), self.h)
        self.h = tuple(t.detach() for t in h)
        return self.decoder(self.drop(out))


def run_pytorch(dls, cfg, budget, device):
    V = len(dls.vocab)
    m = RNNModel(V, cfg['emb_sz'], cfg['n_hid'], cfg['n_layers'], tie=cfg['emb_sz'] == cfg['n_hid']).to(device)
    lr, best, used, tokens = 20., float('inf'), 0., 0
    while used < budget:
        m.train(); m.reset(); t0 = time.perf_counter()
        for x, y in dls.train:
            out = m(x); loss = F.cross_entropy(out.reshape(-1, V), y.reshape(-1))
            m.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(m.parameters(), 0.25)
            with torch.no_grad():
                for p in m.parameters(): p.add_(p.grad, alpha=-lr)
            tokens += y.numel()
            if used + time.perf_counter() - t0 >= budget: break
        used += time.perf_counter() - t0
        m.eval(); vl = math.log(evaluate(m, m.reset, dls.valid.docs, cfg['bs'], cfg['sl'], device))
        if vl < best: best = vl
        else: lr /= 4
    m.eval()
    ppl = evaluate(m, m.reset, dls.valid.docs, cfg['bs'], cfg['sl'], device)
    return dict(seconds=used, tokens=tokens, tok_per_s=tokens / used, ppl=ppl,
                flops_per_tok=lstm_flops_per_token(cfg['emb_sz'], cfg['n_hid'], cfg['n_layers'], V, cfg['n_hid']))


def tokenize_speed(corpus):
    "Seconds per million tokens: lmcourse (regex tokenizer + fastai rules, numericalize) vs fastai's default spaCy pipeline"
    from lmcourse.corpus import tokenize
    from lmcourse.lm import Numericalizer
    from fastai.text.all import make_vocab
    from collections import Counter
    texts = read_split(corpus, 'train')
    t = time.perf_counter(); toks = tokenize(texts); n = sum(map(len, toks))
    num = Numericalizer(make_vocab(Counter(w for d in toks for w in d), min_freq=2)); [num(d) for d in toks]
    ours = (time.perf_counter() - t) / n * 1e6
    df = pd.DataFrame({'text': texts})
    t = time.perf_counter()
    tdf, count = tokenize_df(df, 'text', n_workers=defaults.cpus)     # fastai default: spaCy + rules, all cores
    nm = Numericalize(make_vocab(count, min_freq=3)); [nm(o) for o in tdf.text]
    theirs = (time.perf_counter() - t) / sum(map(len, tdf.text)) * 1e6
    return ours, theirs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--budget', type=float, default=120, help='training seconds per contender')
    ap.add_argument('--size', default='tiny'); ap.add_argument('--lang', default='en'); ap.add_argument('--device')
    ap.add_argument('--json', help='also write the results here')
    a = ap.parse_args()
    device = get_device(a.device); torch.manual_seed(0)
    corpus, cfg = course_corpus(a.lang), lm_config(a.size)
    print(f"device {device}, {os.cpu_count()} CPU cores, torch {torch.__version__}, threads {torch.get_num_threads()}; "
          f"{a.lang} Bible, size {a.size} {({k: cfg[k] for k in ('emb_sz', 'n_hid', 'n_layers', 'bs', 'sl', 'max_vocab')})}, budget {a.budget:.0f} s")
    peak = matmul_peak(device)
    ours_tok, fastai_tok = tokenize_speed(corpus)
    print(f"tokenize+numericalize, s per M tokens: lmcourse {ours_tok:.2f}, fastai default (spaCy) {fastai_tok:.2f} "
          f"-> {fastai_tok/ours_tok:.1f}x; matmul peak {peak/1e9:.0f} GFLOP/s")
    res = {}
    torch.manual_seed(0); res['lmcourse'], dls = run_lmcourse(corpus, cfg, a.budget, device)
    res['lmcourse']['flops_per_tok'] = res['lmcourse']['flops_per_tok']
    torch.manual_seed(0); res['fastai defaults'] = run_fastai(corpus, cfg, a.budget, device, dls.vocab, dls.valid.docs)
    res['fastai defaults']['flops_per_tok'] = res['lmcourse']['flops_per_tok']
    torch.manual_seed(0); res['pytorch example'] = run_pytorch(dls, cfg, a.budget, device)
    df = pd.DataFrame(res).T[['seconds', 'tokens', 'tok_per_s', 'ppl', 'flops_per_tok']]
    df['peak_frac'] = df.tok_per_s * df.flops_per_tok / peak
    df['speed_vs_lmcourse'] = df.tok_per_s / df.loc['lmcourse', 'tok_per_s']
    df['ppl_vs_lmcourse'] = df.ppl / df.loc['lmcourse', 'ppl']
    pd.set_option('display.width', 200)
    print(df.round({'seconds': 1, 'tok_per_s': 0, 'ppl': 1, 'peak_frac': 3, 'speed_vs_lmcourse': 2, 'ppl_vs_lmcourse': 2}).to_string())
    if a.json: open(a.json, 'w').write(json.dumps(dict(device=str(device), peak=peak, tok=[ours_tok, fastai_tok], res=res), indent=1))


if __name__ == '__main__':
    main()
