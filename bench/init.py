"""Starting an LM in a new language from the English one: scratch, mean, random, mapped and aligned starts at equal budget.

For each language L (bundled Bibles): the English Bible LM of notebook 03 (`course_lm('en', size)`) is moved to L's
vocabulary (--tok word: the course's words; sp: sentencepiece pieces of the training split, `lm.spm_vocab_for`'s
size, aligned to English words) and fine-tuned on L's training split for --epochs at notebook 04's learning rate, every start the
same budget, data and seeds (`freeze.freeze_experiment`):

- scratch: a new AWD-LSTM, no English at all (as `lmcourse train`);
- mean: shared tokens keep their rows, new ones the mean (fastai's `match_embeds`; notebook 04's `full`);
- random: new rows Gaussian noise of the English rows' spread;
- mapped: notebook 05's start, rows mixed from nearest English words after Procrustes on the Swadesh/FreeDict train pairs;
- aligned: notebook 07's start, rows mixed from the English tokens each token is aligned to in the training verses,
  biases from the token's frequency (`align.aligned_transplant`).

With --frozen (Swahili by default) the mean, mapped and aligned starts are also trained with the body frozen
(embedding and decoder bias only: notebook 04's question); Basque and Zulu's frozen runs are
`--langs eu zu --frozen eu zu --out bench/init[_sp]_frozen_euzu.json` (with --tok sp for the second). Each run records
its validation perplexity curve (every --every batches) and its final bits per character of the test split (`lm.text_bpc`: every token, `xxunk`
spelled); within one language every run shares one vocabulary, so the curve's perplexity orders runs as bits per
character would. `tokens_to_scratch`: tokens the mean curve of a start needs to reach scratch's final validation
perplexity.

    python bench/init.py [--tok word|sp] [--langs sw eu zu] [--seeds 0 1 2] [--epochs 1] [--out bench/init.json or init_sp.json]

--budget 16 8 4: the aligned start trained with its whole one-cycle on a random 1/16, 1/8, 1/4 of the training
chapters (a run that reads a curve mid-way through a one-cycle over all the data judges it at a high learning rate).
The small runs use --budget-bs streams (a sixteenth of a New Testament is about 10k tokens: five batches at `tiny`'s
32 streams); their learning rate is chosen on the validation split from --budget-lrs (seed 0). Scratch is trained on
all the data at the same --budget-bs, its learning rate chosen the same way, so that the smaller batch is not an
advantage only the aligned start gets (scratch at `tiny`'s own batch is in the plain run's output, bench/init[_sp].json).
Writes --out (default bench/init_budget[_sp].json).
"""
import argparse, datetime, json, sys, time
from pathlib import Path
import torch
from lmcourse.data import torch_threads
from lmcourse.corpus import course_corpus, read_split
from fastai.text.all import DataLoaders
from lmcourse.lm import course_lm, lm_data, text_bpc, token_counts, LMStream
from lmcourse.transfer import transplant
from lmcourse.freeze import freeze_experiment, transfer_run, tokens_to, LRS
from lmcourse.mapping import mapped_init, bible_vectors, corpus_vectors, split_pairs, course_dict
from lmcourse.align import lm_lexicon, aligned_transplant
from common import cpu

ROOT = Path(__file__).resolve().parent.parent


def machine():
    return f"{cpu()}, torch {torch.__version__}, {torch.get_num_threads()} threads"


def setup(lang, en, tok):
    "What every run in `lang` starts from: the English LM, `lang`'s data, its alignment with English (timed) and the aligned start"
    src, src_vocab, cfg = en.model.cpu().eval(), en.vocab, en.lm_cfg
    corpus = course_corpus(lang); dls = lm_data(corpus, tok=tok, **cfg)
    t = time.perf_counter(); lex = lm_lexicon('en', lang, corpus, tok=dls.tokenizer); align_s = time.perf_counter() - t
    counts = (token_counts(en.dls.train.docs, len(src_vocab)), token_counts(dls.train.docs, len(dls.vocab)))
    aligned = lambda s: aligned_transplant(src, src_vocab, dls.vocab, lex, cfg, counts, seed=s)
    return src, src_vocab, cfg, corpus, dls, lex, align_s, aligned


def language(lang, en, seeds, epochs, every, frozen, tok='word'):
    src, src_vocab, cfg, corpus, dls, lex, align_s, aligned = setup(lang, en, tok)
    kv_en, kv = bible_vectors('en'), corpus_vectors(corpus, min_count=2)
    train = split_pairs([(s, e) for e, s in course_dict('en', lang)])[0]          # (L word, English word), notebook 05's split
    starts = dict(random=lambda s: transplant(src, src_vocab, dls.vocab, cfg, init='random', seed=s),
                  mapped=lambda s: mapped_init(src, src_vocab, dls.vocab, kv_en, kv, train, device='cpu', seed=s),
                  aligned=aligned)
    conds = ['scratch', 'full', 'random', 'mapped', 'aligned']
    if frozen:
        starts.update(frozen_mapped=starts['mapped'], frozen_aligned=starts['aligned'])
        conds += ['frozen_en', 'frozen_mapped', 'frozen_aligned']
    lrs = {c: LRS['frozen_en'] if c.startswith('frozen') else LRS['full'] for c in conds}
    curves, runs, models = freeze_experiment(src, src_vocab, dls, cfg, conds, seeds, epochs, lrs, every, starts, cache=False)
    test, train_texts = read_split(corpus, 'test'), read_split(corpus, 'train')
    runs['test_bpc'] = [text_bpc(models[r.cond, r.seed], test, dls.vocab, train_texts, tok=dls.tokenizer)['bpc'] for r in runs.itertuples()]
    runs['start_ppl'] = [curves[(curves.cond == r.cond) & (curves.seed == r.seed)].ppl.iloc[0] for r in runs.itertuples()]
    runs.insert(0, 'lang', lang); curves.insert(0, 'lang', lang)
    final = runs.groupby('cond').ppl.mean()
    reach = {c: tokens_to(curves, final[c]).to_dict() for c in ('scratch', 'mapped')}
    info = dict(lang=lang, tok=tok, vocab=len(dls.vocab), train_tokens=int(sum(len(d) for d in dls.train.docs)), lexicon_pairs=len(lex),
                align_seconds=round(align_s, 1), aligned_tokens=int(getattr(models['aligned', seeds[0]], 'aligned', 0)),
                tokens_to_scratch=reach['scratch'], tokens_to_mapped=reach['mapped'])
    return curves, runs.drop(columns=['model'], errors='ignore'), info


def share(dls, frac, seed, bs):
    "`dls` with its training stream cut to a random `frac` of its training documents (whole chapters) in `bs` streams"
    docs, g = dls.train.docs, torch.Generator().manual_seed(seed)
    keep, n, total = [], 0, frac * sum(len(d) for d in docs)
    for i in torch.randperm(len(docs), generator=g).tolist():
        if n >= total: break
        keep.append(docs[i]); n += len(docs[i])
    sub = DataLoaders(LMStream(keep, bs, dls.train.sl, shuffle=True, seed=seed), dls.valid, path=dls.path)
    sub.vocab, sub.tokenizer = dls.vocab, dls.tokenizer
    return sub


def budget(lang, en, seeds, epochs, budgets, bs, lrs, tok='word'):
    "The aligned start on 1/k of the training chapters for each k in `budgets`, and scratch on all of them, both in `bs` streams"
    src, src_vocab, cfg, corpus, dls, _, _, aligned = setup(lang, en, tok)
    test, train_texts = read_split(corpus, 'test'), read_split(corpus, 'train')
    rows = []
    def run(cond, k, seed, lr):
        sub = share(dls, 1 / k, seed, bs)
        r = transfer_run(cond, src, src_vocab, sub, cfg, epochs, lr, seed, every=10**9, start=aligned if cond == 'aligned' else None, cache=False)
        m = r.pop('model'); r.pop('curve')
        r.update(lang=lang, tok=tok, budget=k, bs=bs, tokens=epochs * sub.train.bl * bs, test_bpc=text_bpc(m, test, dls.vocab, train_texts, tok=dls.tokenizer)['bpc'])
        print(f"  {lang} {cond:8s} 1/{k:<3d} seed {seed} lr {lr:g}: {r['tokens']:,} tokens, valid ppl {r['ppl']:.1f}, test {r['test_bpc']:.3f} bits/char", flush=True)
        rows.append(r); return r
    for cond, k in [('aligned', k) for k in budgets] + [('scratch', 1)]:   # learning rate on valid at seed 0, then every seed
        tried = [run(cond, k, seeds[0], lr) for lr in lrs]
        best = min(tried, key=lambda r: r['ppl'])
        for r in tried: r['chosen'] = r is best
        for seed in seeds[1:]: run(cond, k, seed, best['lr'])['chosen'] = True
    return rows, dict(lang=lang, tok=tok, vocab=len(dls.vocab), train_tokens=int(sum(len(d) for d in dls.train.docs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--langs', nargs='+', default=['sw', 'eu', 'zu'])
    ap.add_argument('--frozen', nargs='*', default=['sw'], help='languages that also get the frozen-body runs')
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--every', type=int, default=5)
    ap.add_argument('--size', default='tiny')
    ap.add_argument('--tok', default='word', choices=['word', 'sp'])
    ap.add_argument('--out', type=Path)
    ap.add_argument('--budget', nargs='*', type=int, help='the budget runs only: the aligned start on 1/k of the chapters, each k')
    ap.add_argument('--budget-bs', type=int, default=8)
    ap.add_argument('--budget-lrs', nargs='+', type=float, default=[0.03, 0.1])
    a = ap.parse_args()
    a.out = a.out or ROOT/'bench'/(('init_budget' if a.budget else 'init') + ('' if a.tok == 'word' else f'_{a.tok}') + '.json')
    torch_threads()
    t0 = time.perf_counter()
    en = course_lm('en', a.size)
    if a.budget:
        out = dict(command=' '.join(['python bench/init.py', *sys.argv[1:]]), machine=machine(), date=datetime.date.today().isoformat(),
                   size=a.size, tok=a.tok, epochs=a.epochs, seeds=a.seeds, budgets=a.budget, bs=a.budget_bs, lrs=a.budget_lrs, languages=[], runs=[])
        for lang in a.langs:
            runs, info = budget(lang, en, tuple(a.seeds), a.epochs, a.budget, a.budget_bs, a.budget_lrs, a.tok)
            out['languages'].append(info); out['runs'] += runs
            out['seconds'] = round(time.perf_counter() - t0, 1)
            a.out.write_text(json.dumps(out, indent=1) + '\n')
        return print(f'wrote {a.out} in {out["seconds"] / 60:.1f} min')
    out = dict(command=' '.join(['python bench/init.py', *sys.argv[1:]]), machine=machine(), date=datetime.date.today().isoformat(),
               size=a.size, tok=a.tok, epochs=a.epochs, seeds=a.seeds, languages=[], runs=[], curves=[])
    for lang in a.langs:
        curves, runs, info = language(lang, en, tuple(a.seeds), a.epochs, a.every, lang in a.frozen, a.tok)
        out['languages'].append(info); out['runs'] += runs.to_dict('records'); out['curves'] += curves.to_dict('records')
        print(runs.groupby('cond')[['ppl', 'test_bpc', 'start_ppl']].agg(['mean', 'std']).round(3).to_string(), flush=True)
        print(json.dumps(info), flush=True)
        out['seconds'] = round(time.perf_counter() - t0, 1)
        a.out.write_text(json.dumps(out, indent=1) + '\n')                 # after each language: a kill keeps what is done
    print(f'wrote {a.out} in {out["seconds"] / 60:.1f} min')


if __name__ == '__main__': main()
