"""Word alignment on verse-aligned Bibles: lmcourse.align (IBM Model 1 + fast_align's diagonal prior) vs eflomal vs Dice.

For each pair English-L: the verses the two bundled Bibles share, tokenized by `lmcourse.data.words`; a dictionary is
read off each method and scored by `lmcourse.align.lexicon_precision` on the held-out part of notebook 05's split of
the bundled Swadesh (+ FreeDict) pairs. Each method is timed from the token lists to the finished dictionary:

- dice: `dice_lexicon` (verse co-occurrence);
- lmcourse: `WordAligner().fit(bt).lexicon()` (both directions at once, 5 EM iterations each, numba already compiled);
- lmcourse_fert: the same with `fertility=1` (each token's expected fertility capped at 1 in every E step: an option,
  not the default);
- lmcourse_agree: `fertility=1, agree=True, iters=6` (the two directions trained by agreement from the second
  iteration, in one thread: an option, not the default);
- eflomal: as its README runs it, `eflomal.Aligner()` with default settings, forward and reverse links, then
  grow-diag-final-and (`lmcourse.align.symmetrize`, the `atools -c grow-diag-final-and` step) and link counts
  (`link_lexicon`). Includes eflomal's own file preparation, as `eflomal-align` does.

Each dictionary is also scored on all the dictionary's words (`all_` columns: the train part too, some three times as
many words, so one word moves the precision less). No method here learns from the dictionary, but the train part chose
`WordAligner`'s two defaults (notebook 07), so there it leans a little its way.

Wall time and CPU time (eflomal samples in several threads, `WordAligner` trains its two directions in two threads,
Dice uses one core). eflomal is a sampler, so its precision varies between runs: each method runs --reps times and
the table gives mean and spread.

    pip install -e ".[bench]"
    python bench/align.py [--pairs en-sw en-eu en-zu en-es] [--reps 3] [--out bench/align.json]
"""
import argparse, datetime, json, resource, sys, tempfile, time
from pathlib import Path
import numpy as np
from lmcourse.align import Bitext, verse_pairs, WordAligner, dice_lexicon, link_lexicon, lexicon_precision, symmetrize
from lmcourse.mapping import course_dict, split_pairs
from common import machine

ROOT = Path(__file__).resolve().parent.parent


def cpu():
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def one_way(lines, bt, rev):
    "eflomal's Pharaoh links (`i-j`, source-target) as lmcourse's one-way arrays: a position per token, -1 if none"
    out = []
    for line, s, t in zip(lines, bt.src, bt.tgt):
        a = np.full(len(s) if rev else len(t), -1, np.int32)
        for p in line.split():
            i, j = map(int, p.split('-'))
            if rev: a[i] = j
            else: a[j] = i
        out.append(a)
    return np.concatenate(out)


def run_eflomal(bt):
    import eflomal
    offs = lambda sents: np.concatenate([[0], np.cumsum([len(s) for s in sents])])
    with tempfile.TemporaryDirectory() as d:
        eflomal.Aligner().align([' '.join(s) for s in bt.src], [' '.join(s) for s in bt.tgt],
                                links_filename_fwd=f'{d}/fwd', links_filename_rev=f'{d}/rev', quiet=True)
        fwd, rev = (Path(d, f).read_text().split('\n')[:len(bt)] for f in ('fwd', 'rev'))
    links = symmetrize(offs(bt.src), offs(bt.tgt), one_way(fwd, bt, False), one_way(rev, bt, True))
    return link_lexicon(bt, links)


METHODS = {'dice': dice_lexicon, 'lmcourse': lambda bt: WordAligner().fit(bt).lexicon(),
           'lmcourse_fert': lambda bt: WordAligner(fertility=1).fit(bt).lexicon(),
           'lmcourse_agree': lambda bt: WordAligner(fertility=1, agree=True, iters=6).fit(bt).lexicon(), 'eflomal': run_eflomal}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pairs', nargs='+', default=['en-sw', 'en-eu', 'en-zu', 'en-es'])
    ap.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'align.json')
    a = ap.parse_args()
    import eflomal, numba
    t = time.perf_counter(); WordAligner().fit(Bitext(['a'], [['x', 'y']], [['z']]))     # numba compile (or cache load)
    compile_secs = time.perf_counter() - t
    rows = []
    for pair in a.pairs:
        src, tgt = pair.split('-')
        bt = verse_pairs(src, tgt); train, test = split_pairs(course_dict(src, tgt))
        for rep in range(a.reps):
            for m in a.methods:                                       # interleaved, so drift hits every method alike
                c0, t0 = cpu(), time.perf_counter()
                lex = METHODS[m](bt)
                secs, cpu_secs = time.perf_counter() - t0, cpu() - c0
                rows.append(dict(pair=pair, method=m, rep=rep, verses=len(bt), **lexicon_precision(lex, test, bt),
                                 **{f'all_{k}': v for k, v in lexicon_precision(lex, train + test, bt).items()},
                                 seconds=round(secs, 3), cpu_seconds=round(cpu_secs, 3)))
                print(json.dumps(rows[-1]), flush=True)
    meta = dict(command=' '.join(['python bench/align.py', *sys.argv[1:]]), machine=machine(),
                date=datetime.date.today().isoformat(), eflomal=getattr(eflomal, '__version__', None) or _version('eflomal'),
                numba=numba.__version__, numba_compile_seconds=round(compile_secs, 2))
    a.out.write_text(json.dumps(dict(**meta, rows=rows), indent=1) + '\n')
    print(f'wrote {a.out}')


def _version(pkg):
    from importlib.metadata import version
    return version(pkg)


if __name__ == '__main__': main()
