"""The zoo build's streams a batch and learning rate on a New Testament: `lmcourse zoo build` as a user runs it, with --bs/--lr.

A New Testament is small: at `tiny`'s 32 streams of 64 tokens two epochs are about 200 steps. This bench builds each
language with each (streams, learning rate) of the grid, seed 0, through `lmcourse.zoo.build` (the default build:
sentencepiece pieces, the aligned start, the same LM from scratch as the baseline, which keeps the preset's rate);
chooses one setting for all languages by the mean validation perplexity (one vocabulary per language; read by
`ZooLM.perplexity` at 16 streams for every setting, so the streams used in training do not change how it is read);
then builds the default and the chosen setting again with the other seeds. Each finished build is appended to
OUT's `.partial.jsonl`, and a rerun skips the builds found there: a killed run goes on where it stopped. Test bits per character come from each
build's card (the held-out test chapters, one stream, notebook 03's `bits_per_char`): no setting was chosen on them.

    python bench/zoo_settings.py [--langs sw eu zu] [--grid 32:0.1 16:0.03 16:0.1 8:0.03] [--seeds 0 1] [--out bench/zoo_settings.json]
"""
import argparse, datetime, json, shutil, sys, tempfile, time
from pathlib import Path
import pandas as pd
from lmcourse.corpus import read_split
from lmcourse.zoo import build, zoo_load
from common import machine

ROOT = Path(__file__).resolve().parent.parent


def one(lang, bs, lr, seed, zoo, done, part):
    if (lang, bs, lr, seed) in done: return done[lang, bs, lr, seed]
    name = f'{lang}-bs{bs}-lr{lr:g}-s{seed}'
    t = time.perf_counter()
    card = build(lang, bs=bs, lr=lr, seed=seed, zoo=zoo, name=name, progress=False)
    secs = time.perf_counter() - t
    valid = zoo_load(name, zoo).perplexity(read_split(card['corpus'], 'valid'))
    row = dict(lang=lang, bs=bs, lr=lr, seed=seed, valid_ppl16=valid, test_bpc=card['test_bpc'],
               scratch_test_bpc=card['baselines']['scratch']['test_bpc'], seconds=secs)
    print(json.dumps(row), flush=True)
    with open(part, 'a') as f: f.write(json.dumps(row) + '\n')
    shutil.rmtree(Path(zoo).parent/'builds'/name, ignore_errors=True)          # keep the disk small: the card holds the numbers
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--langs', nargs='+', default=['sw', 'eu', 'zu'])
    ap.add_argument('--grid', nargs='+', default=['32:0.1', '16:0.03', '16:0.1', '8:0.03'], help='streams:rate; the first is the baseline (the zoo default until 2026-12-03)')
    ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'zoo_settings.json')
    a = ap.parse_args()
    grid = [(int(g.split(':')[0]), float(g.split(':')[1])) for g in a.grid]
    t0, rows, part = time.time(), [], a.out.with_suffix('.partial.jsonl')
    done = {(r['lang'], r['bs'], r['lr'], r['seed']): r for r in map(json.loads, part.read_text().splitlines())} if part.exists() else {}
    with tempfile.TemporaryDirectory() as d:
        zoo = Path(d)/'zoo'
        for lang in a.langs:                                                   # the English LM is trained (or read) by the first
            for bs, lr in grid: rows.append(one(lang, bs, lr, a.seeds[0], zoo, done, part))
        r = pd.DataFrame(rows)
        r['valid_rel'] = r.valid_ppl16 / r.groupby('lang').valid_ppl16.transform('min')
        mean = r.groupby(['bs', 'lr'], sort=False).valid_rel.mean()
        bs, lr = mean.idxmin(); chosen = (int(bs), float(lr))                  # plain numbers: they go into JSON
        for seed in a.seeds[1:]:
            for lang in a.langs:
                for bs, lr in dict.fromkeys([grid[0], chosen]): rows.append(one(lang, bs, lr, seed, zoo, done, part))
    r = pd.DataFrame(rows)
    res = dict(command='python bench/zoo_settings.py ' + ' '.join(sys.argv[1:]), machine=machine(), date=str(datetime.date.today()),
               default=list(grid[0]), chosen=list(chosen), minutes=(time.time() - t0) / 60, rows=r.to_dict('records'))
    a.out.write_text(json.dumps(res, indent=1)); part.unlink()
    s = r.groupby(['bs', 'lr', 'lang'], sort=False).agg(test_bpc=('test_bpc', 'mean'), sd=('test_bpc', 'std'), n=('seed', 'size'),
                                                        scratch=('scratch_test_bpc', 'mean'), valid=('valid_ppl16', 'mean'))
    print(s.round(3).to_string()); print(f"chosen on validation: {chosen[0]} streams, lr {chosen[1]:g}; wrote {a.out}")


if __name__ == '__main__':
    main()
