"""Language-model training, side by side at the same wall-clock budget, same data, same model size, each arm tuned.

Arms (all on lmcourse's word tokens and the training split's vocabulary, all scored by one function on one stream):
  lmcourse                  lm_data + lm_learner (fastai's AWD_LSTM, `--size` preset) + fit_budget (one-cycle over the budget)
  fastai, lmcourse's lr     DataBlock(TextBlock(is_lm=True)) + language_model_learner at lmcourse's chosen lr and drop_mult,
                            the same one-cycle: what differs from lmcourse is the data pipeline only
  fastai, lr_find           language_model_learner, one-cycle at `lr_find()`'s suggestion (valley), drop_mult swept
  fastai, ULMFiT recipe     language_model_learner, one-cycle with moms (0.8, 0.7, 0.8), lr and drop_mult swept
  PyTorch example           pytorch/examples word_language_model's LSTM, tied (embedding = hidden = `h`, chosen so that
                            its FLOPs per token match lmcourse's model), SGD, clip 0.25, lr/4 on a plateau; lr and dropout swept

Protocol: every arm's free settings (lmcourse's preset included) are chosen by one small grid on the validation split
with seed 0; then each arm runs at its choice with `--seeds` seeds, arms interleaved (order rotated per seed), and is
scored on the test split, which no choice saw. Also: tokenize + numericalize speed (s per million tokens) of lmcourse
vs fastai's default spaCy pipeline, and achieved FLOP/s against the measured matmul peak.

    python bench/lm_throughput.py --budget 60 --size tiny --json bench/lm_throughput.json   # ~50 min on 2 CPU cores
Rows are saved after each run; rerunning with the same --json resumes (runs already saved are not repeated).
"""
import argparse, datetime, itertools, json, math, os, platform, time, warnings
from pathlib import Path
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import pandas as pd
from fastai.text.all import (DataBlock, TextBlock, ColReader, ColSplitter, language_model_learner, AWD_LSTM, accuracy,
                             Perplexity, get_model, Numericalize, BaseTokenizer, defaults, tokenize_df, set_seed)
from lmcourse.lm import (lm_data, lm_learner, lm_config, fit_budget, awd_config, get_device, stream_perplexity, quiet,
                         TimeBudget, Numericalizer)
from lmcourse.corpus import course_corpus, read_split, tokenize
warnings.filterwarnings('ignore')

LRS, DROPS, LRFIND_DROPS = (5e-3, 1e-2, 2e-2, 4e-2, 8e-2), (0.1, 0.3), (0.1, 0.3, 1.0)
EDGE = ((4e-2, 0.5), (8e-2, 0.5))        # the grid's best sat on its edge (4e-2, 0.3): extended there
SGD_LRS, SGD_DROPS = (10., 20., 40.), (0.0, 0.2)
ULMFIT_MOMS = (0.8, 0.7, 0.8)


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


def matched_width(flops, layers, V):
    "The width h of a tied LSTM LM (embedding = hidden = h) whose FLOPs per token are closest to `flops`, a multiple of 8"
    return min(range(8, 2049, 8), key=lambda h: abs(lstm_flops_per_token(h, h, layers, V, h) - flops))


class Data:
    "Everything the arms share, built once: lmcourse's loaders (per seed), fastai's loaders, the valid and test id streams"
    def __init__(self, corpus, cfg, device):
        self.corpus, self.cfg, self.device, self._lm = corpus, cfg, device, {}
        self.dls = self.lmcourse(0)
        self.vocab, num = self.dls.vocab, Numericalizer(self.dls.vocab)
        self.docs = {s: [num(d) for d in tokenize(read_split(corpus, s)) if d] for s in ('valid', 'test')}
        self.unk = {s: float(sum((d == 0).sum() for d in v) / sum(len(d) for d in v)) for s, v in self.docs.items()}
        self.n_tokens = {s: sum(len(d) for d in v) for s, v in self.docs.items()}
        rows = [(' '.join(t), s == 'valid') for s in ('train', 'valid') for t in tokenize(read_split(corpus, s))]
        df = pd.DataFrame(rows, columns=['text', 'is_valid'])
        tb = TextBlock.from_df('text', is_lm=True, vocab=self.vocab, tok=BaseTokenizer(), rules=[], seq_len=cfg['sl'])
        self.fastai = DataBlock(blocks=tb, get_x=ColReader('text'), splitter=ColSplitter('is_valid')).dataloaders(
            df, bs=cfg['bs'], seq_len=cfg['sl'], device=device)

    def lmcourse(self, seed):
        if seed not in self._lm: self._lm[seed] = lm_data(self.corpus, device=self.device, seed=seed, **self.cfg)
        return self._lm[seed]

    def score(self, forward, reset, splits):
        return {s: stream_perplexity(forward, self.docs[s], self.cfg['bs'], self.cfg['sl'], self.device, reset) for s in splits}


def train_fastai(learn, budget, lr, moms=(0.95, 0.85, 0.95)):
    "One-cycle over `budget` seconds of training, as `fit_budget` does, with momentum schedule `moms`"
    tb = TimeBudget(budget, lr, moms=moms)
    learn.fit(10_000, lr, cbs=tb)
    return dict(seconds=tb.used, tokens=tb.tokens)


def run_awd(data, arm, hp, seed, budget, splits):
    "One run of an arm built on fastai's AWD-LSTM; `hp` holds lr (None: lr_find's suggestion) and drop"
    set_seed(seed); cfg = {**data.cfg, 'drop_mult': hp['drop'], 'lr': hp['lr']}
    if arm == 'lmcourse':
        learn = quiet(lm_learner(data.lmcourse(seed), cfg, device=data.device))
        r = fit_budget(learn, budget, hp['lr'])
    else:
        learn = language_model_learner(data.fastai, AWD_LSTM, config=awd_config(cfg), drop_mult=hp['drop'], pretrained=False,
                                       metrics=[accuracy, Perplexity()])
        learn.model.to(data.device); quiet(learn)
        lr = hp['lr']
        if lr is None: lr = float(learn.lr_find(show_plot=False).valley); set_seed(seed)
        r = train_fastai(learn, budget, lr, ULMFIT_MOMS if arm == 'fastai, ULMFiT recipe' else (0.95, 0.85, 0.95))
        r['lr_used'] = lr
    m = get_model(learn.model).eval()
    return {k: r[k] for k in ('seconds', 'tokens', *(['lr_used'] if 'lr_used' in r else []))} | {
        f'{s}_ppl': v for s, v in data.score(lambda x: m(x)[0], m.reset, splits).items()}


class RNNModel(nn.Module):
    "pytorch/examples word_language_model/model.py, LSTM variant (tied: the decoder is the embedding)"
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


def run_pytorch(data, hp, seed, budget, splits, width):
    "The example's loop: SGD at lr, clip 0.25, lr/4 whenever an epoch's validation loss does not improve"
    set_seed(seed); dls, V = data.lmcourse(seed), len(data.vocab)
    m = RNNModel(V, width, width, data.cfg['n_layers'], dropout=hp['drop'], tie=True).to(data.device)
    lr, best, used, tokens = hp['lr'], float('inf'), 0., 0
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
        m.eval(); vl = math.log(data.score(m, m.reset, ['valid'])['valid'])
        if vl < best: best = vl
        else: lr /= 4
    m.eval()
    return dict(seconds=used, tokens=tokens) | {f'{s}_ppl': v for s, v in data.score(m, m.reset, splits).items()}


def tokenize_speed(corpus):
    "Seconds per million tokens: lmcourse (regex tokenizer + fastai rules, numericalize) vs fastai's default spaCy pipeline"
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


def grid():
    "(arm, hp) of the sweep, interleaved across arms so that drift in the machine's speed falls on all of them"
    awd = [dict(lr=l, drop=d) for l, d in [*itertools.product(LRS, DROPS), *EDGE]]
    per_arm = {'lmcourse': awd, 'fastai, ULMFiT recipe': awd,
               'fastai, lr_find': [dict(lr=None, drop=d) for d in LRFIND_DROPS],
               'PyTorch example': [dict(lr=l, drop=d) for l, d in itertools.product(SGD_LRS, SGD_DROPS)]}
    return [(a, hp) for run in itertools.zip_longest(*per_arm.values()) for a, hp in zip(per_arm, run) if hp is not None]


def choose(rows, arm):
    "The settings of `arm` with the lowest validation perplexity in the sweep"
    r = min((r for r in rows if r['phase'] == 'sweep' and r['arm'] == arm), key=lambda r: r['valid_ppl'])
    return dict(lr=r['hp']['lr'], drop=r['hp']['drop'])


def summarise(res):
    "Per arm: its choice, test perplexity mean/sd/min/max over seeds, tokens per second, and the goal"
    rows = [r for r in res['rows'] if r['phase'] == 'test']
    out = {}
    for arm in res['arms']:
        g = pd.DataFrame([r for r in rows if r['arm'] == arm])
        tps = g.tokens / g.seconds
        out[arm] = dict(hp=res['chosen'][arm], seeds=len(g), test_ppl=g.test_ppl.mean(), test_sd=g.test_ppl.std(ddof=1),
                        test_min=g.test_ppl.min(), test_max=g.test_ppl.max(), valid_ppl=g.valid_ppl.mean(), tok_per_s=tps.mean(),
                        flops_per_tok=res['flops'][arm], peak_frac=tps.mean() * res['flops'][arm] / res['peak'],
                        lr_used=[r.get('lr_used') for r in g.to_dict('records')])
    peers = {a: v for a, v in out.items() if a != 'lmcourse'}
    best = min(peers, key=lambda a: peers[a]['test_ppl'])
    gap = 1 - out['lmcourse']['test_ppl'] / peers[best]['test_ppl']
    return dict(arms=out, best_peer=best, gap=float(gap), goal_met=bool(gap >= 0.15))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--budget', type=float, default=60, help='training seconds per run')
    ap.add_argument('--size', default='tiny'); ap.add_argument('--lang', default='en'); ap.add_argument('--device')
    ap.add_argument('--seeds', type=int, default=3); ap.add_argument('--json', type=Path, default=Path('bench/lm_throughput.json'))
    a = ap.parse_args()
    device = get_device(a.device)
    corpus, cfg = course_corpus(a.lang), lm_config(a.size)
    res = json.loads(a.json.read_text()) if a.json.exists() else {}
    if res.get('budget') != a.budget or res.get('size') != a.size: res = {}
    t_start = time.perf_counter()
    if not res:
        peak = matmul_peak(device); ours_tok, fastai_tok = tokenize_speed(corpus)
        res = dict(date=str(datetime.date.today()), budget=a.budget, size=a.size, lang=a.lang, device=str(device),
                   machine=f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), torch {torch.__version__}, "
                           f"{torch.get_num_threads()} threads", peak=peak, tok=[ours_tok, fastai_tok], rows=[], seconds=0.)
    save = lambda: a.json.write_text(json.dumps(res, indent=1))
    print(f"{res['machine']}; {a.lang} Bible, size {a.size}, budget {a.budget:.0f} s; tokenize+numericalize s/M tokens: "
          f"lmcourse {res['tok'][0]:.2f}, fastai spaCy {res['tok'][1]:.2f}; matmul peak {res['peak']/1e9:.0f} GFLOP/s", flush=True)
    data = Data(corpus, cfg, device)
    V = len(data.vocab); flops = lstm_flops_per_token(cfg['emb_sz'], cfg['n_hid'], cfg['n_layers'], V, cfg['emb_sz'])
    width = matched_width(flops, cfg['n_layers'], V)
    res.update(vocab=V, unk=data.unk, n_tokens=data.n_tokens, pytorch_width=width,
               arms=['lmcourse', 'fastai, lmcourse\'s lr', 'fastai, lr_find', 'fastai, ULMFiT recipe', 'PyTorch example'])
    res['flops'] = {a_: flops for a_ in res['arms']} | {'PyTorch example': lstm_flops_per_token(width, width, cfg['n_layers'], V, width)}
    done = {(r['phase'], r['arm'], json.dumps(r['hp']), r['seed']) for r in res['rows']}

    def run(phase, arm, hp, seed, splits):
        if (phase, arm, json.dumps(hp), seed) in done: return
        t = time.perf_counter()
        r = run_pytorch(data, hp, seed, a.budget, splits, width) if arm == 'PyTorch example' else run_awd(
            data, 'fastai' if arm == "fastai, lmcourse's lr" else arm, hp, seed, a.budget, splits)
        res['rows'].append(dict(phase=phase, arm=arm, hp=hp, seed=seed, **r)); res['seconds'] += time.perf_counter() - t; save()
        print(f"{phase:5s} seed {seed} {arm:22s} lr {hp['lr'] if hp['lr'] is not None else 'lr_find'} drop {hp['drop']}: "
              + ', '.join(f"{s} ppl {r[f'{s}_ppl']:.1f}" for s in splits) + f", {r['tokens'] / r['seconds']:,.0f} tok/s"
              + (f" (lr_find {r['lr_used']:.2g})" if hp['lr'] is None else ''), flush=True)

    for arm, hp in grid(): run('sweep', arm, hp, 0, ['valid'])
    res['chosen'] = {arm: choose(res['rows'], arm) for arm in res['arms'] if arm != "fastai, lmcourse's lr"}
    res['chosen']["fastai, lmcourse's lr"] = res['chosen']['lmcourse']
    res['preset'] = dict(lr=cfg['lr'], drop=cfg['drop_mult']); save()
    print('chosen on valid:', res['chosen'], flush=True)
    for seed in range(a.seeds):
        k = seed % len(res['arms'])
        for arm in res['arms'][k:] + res['arms'][:k]: run('test', arm, res['chosen'][arm], seed, ['valid', 'test'])
    res['summary'] = summarise(res); save()
    s = res['summary']
    print(pd.DataFrame(s['arms']).T[['hp', 'valid_ppl', 'test_ppl', 'test_sd', 'test_min', 'test_max', 'tok_per_s', 'peak_frac']].to_string())
    print(f"best peer {s['best_peer']}: lmcourse's test perplexity is {s['gap']:+.1%} below it (goal: at least 15%) "
          f"-> {'met' if s['goal_met'] else 'not met'}; {res['seconds'] / 60:.0f} min")


if __name__ == '__main__':
    main()
