"""Bilingual lexicon induction: lmcourse.mapping vs VecMap (Artetxe et al.), side by side on the same embeddings and dictionaries.

For each language pair: word2vec vectors of the two bundled Bibles (lmcourse.mapping.bible_vectors, cached), the
bundled Swadesh + FreeDict pairs split into train and test with disjoint source words. Each mode is run by
lmcourse and by VecMap's unmodified `map_embeddings.py`, each as a fresh Python process timed the same way (wall time
from start to exit: interpreter start-up and imports, reading the .vec files, mapping, writing the mapped ones), with
the same number of threads (`--threads`: torch's for lmcourse, OpenBLAS's for VecMap). Both report each self-learning
iteration's time (the table gives the median). Both outputs are scored by VecMap's own `eval_translation.py` (precision@1 by nearest neighbour and
by CSLS) and by lmcourse's `bli`, on the same test pairs. The start-up of each (`import` of what it needs, nothing
else) is measured apart and reported.

VecMap is GPL-3.0 and not on PyPI (the PyPI `vecmap` is an unrelated DNA tool): point --vecmap at a clone of
github.com/artetxem/vecmap; the default is the course's copy in ../shared/peers/vecmap when present.

    python bench/bli.py [--pairs en-es en-sw] [--modes orthogonal supervised semi_supervised identical unsupervised] [--seeds 0 1 2]

--jobs N: N runs at a time, each on one thread (--threads 1), VecMap's runs (the longer ones) first, so that every
run but the last few shares the machine with N-1 others; the machine's cores are kept busy. --parallel is --jobs 2.
Each run's result is kept in a folder under the temporary directory until the benchmark ends, so running the same
command again after a cut-off resumes it; scoring comes after every run has finished.

--seeds: word2vec seeds. Test sets hold ~100 words (one word is ~1 point of precision), so each pair is run on
vectors trained with each seed, and the summary gives mean and standard deviation over them.
    python bench/bli.py --scale 200000        # synthetic 200k-word vocabularies: time and peak memory, lmcourse only
    python bench/bli.py --summary bench/bli_en-es_semi.json ...   # mean ± sd over the rows of earlier runs (seeds run apart)
    --md FILE writes the summary as a markdown table (the README reads it). Bold marks a better mean only where the
    two differ by more than the larger standard deviation over seeds (and a time ratio only where every seed agrees).
"""
import argparse, json, os, re, resource, shutil, statistics, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import torch
from lmcourse.data import write_muse, read_muse, read_vec
from lmcourse.mapping import bible_vectors, vectors_path, course_dict, split_pairs, map_embeddings, write_vec

ROOT = Path(__file__).resolve().parent.parent
VECMAP_FLAGS = {'orthogonal': ['--supervised', '{train}', '--orthogonal'], 'supervised': ['--supervised', '{train}'],
                'semi_supervised': ['--semi_supervised', '{train}'], 'identical': ['--identical'], 'unsupervised': ['--unsupervised']}


def score(xw, sw, zw, tw, test):
    from lmcourse.retrieval import bli
    kw = dict(identical=True, words_only=False)                      # as VecMap's eval_translation.py scores
    nn, cs = bli(xw, sw, zw, tw, test, ks=(1, 5), **kw), bli(xw, sw, zw, tw, test, ks=(1,), csls=10, **kw)
    return dict(p1_nn=nn['p@1'], p5_nn=nn['p@5'], p1_csls=cs['p@1'], n=nn['n'], coverage=nn['coverage'])


def map_child(src_vec, tgt_vec, mode, train, out, seed, threads):
    "The lmcourse side as its own process (`--child`): read, map, write; each iteration's time to `out/lm_info.json`"
    torch.set_num_threads(threads)
    (sw, X), (tw, Z) = read_vec(src_vec), read_vec(tgt_vec)
    pairs = read_muse(train) if train != '-' else None             # the parent wrote them with write_muse
    class Timed(list):                           # self_learn's log, each entry stamped when it arrives
        def append(self, d): super().append({**d, 't': time.perf_counter()})
    log, t0 = Timed(), time.perf_counter()
    sl = dict(log=log) if mode not in ('orthogonal', 'supervised') else None
    xw, zw, info = map_embeddings(X, Z, sw, tw, mode, pairs=pairs, seed=seed, self_learning=sl, device='cpu')
    ts = [t0] + [e['t'] for e in log]
    write_vec(sw, xw, Path(out)/'lm_src.vec'); write_vec(tw, zw, Path(out)/'lm_tgt.vec')
    Path(out, 'lm_info.json').write_text(json.dumps(dict(iterations=info.get('iterations'), iter_s=[b - a for a, b in zip(ts, ts[1:])],
                                                         map_s=info['seconds'])))


def env_threads(n):
    return {**os.environ, **{k: str(n) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')}}


def timed(cmd, threads):
    "Run `cmd` as a fresh process with `threads` BLAS/OpenMP threads: (wall seconds from start to exit, its stderr)"
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env_threads(threads))
    err = p.stderr.read(); p.wait(); secs = time.perf_counter() - t
    if p.returncode: raise RuntimeError(f"{cmd[1]} failed: {err[-2000:]}")
    return secs, err


def run_lmcourse(src_vec, tgt_vec, mode, train_path, out, seed, threads):
    secs, _ = timed([sys.executable, __file__, '--child', str(src_vec), str(tgt_vec), mode,
                     str(train_path) if mode in ('orthogonal', 'supervised', 'semi_supervised') else '-', str(out), str(seed), str(threads)], threads)
    info = json.loads((out/'lm_info.json').read_text())
    return secs, info['iterations'], info['iter_s']


def run_vecmap(vecmap, src_vec, tgt_vec, mode, train_path, out, seed, threads):
    cmd = [sys.executable, str(vecmap/'map_embeddings.py'), *[f.format(train=train_path) for f in VECMAP_FLAGS[mode]],
           str(src_vec), str(tgt_vec), str(out/'vm_src.vec'), str(out/'vm_tgt.vec'), '--verbose', '--seed', str(seed)]
    secs, err = timed(cmd, threads)
    its = [float(x) for x in re.findall(r'ITERATION \d+ \(([\d.]+)s\)', err)]
    return secs, len(its) or None, its


def vecmap_eval(vecmap, src_out, tgt_out, test_path, retrieval):
    "Precision@1 and coverage as VecMap's `eval_translation.py` prints them"
    r = subprocess.run([sys.executable, str(vecmap/'eval_translation.py'), str(src_out), str(tgt_out), '-d', str(test_path),
                        '--retrieval', retrieval], capture_output=True, text=True, env=env_threads(1), check=True)
    cov, acc = map(float, re.search(r'Coverage:\s*([\d.]+)%\s+Accuracy:\s*([\d.]+)%', r.stdout).groups())
    return acc / 100, cov / 100


def startup(cmd, reps=3):
    "Median wall seconds of a fresh Python process that only imports what one side needs"
    return statistics.median(timed(cmd, 1)[0] for _ in range(reps))


def scale(n, dim=300, n_train=5000, n_test=1500, seed=0):
    "Map two synthetic n-word vocabularies (a hidden rotation plus noise), retrieve by CSLS over all n targets"
    from lmcourse.retrieval import retrieve
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, dim, generator=g)
    Z = X @ torch.linalg.qr(torch.randn(dim, dim, generator=g))[0] + 0.5 * torch.randn(n, dim, generator=g)
    w = [f'w{i}' for i in range(n)]
    perm = torch.randperm(n, generator=g)
    train = [(w[i], w[i]) for i in perm[:n_train].tolist()]; test = perm[n_train:n_train + n_test]
    t = time.perf_counter()
    xw, zw, info = map_embeddings(X, Z, w, w, 'orthogonal', pairs=train, device='cpu')
    t_map = time.perf_counter() - t; t = time.perf_counter()
    top = retrieve(xw[test], zw, 1, csls=10, pool=xw)[:, 0]     # CSLS hubness of every target over all n sources, in row batches
    t_csls = time.perf_counter() - t; t = time.perf_counter()
    xw2, zw2, info2 = map_embeddings(X, Z, w, w, 'semi_supervised', pairs=train, device='cpu', self_learning=dict(interval=2))
    t_self = time.perf_counter() - t
    p1 = (top == test).float().mean().item()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{n:,} x {n:,} words, dim {dim}: Procrustes map {t_map:.1f} s; CSLS retrieval of {n_test:,} words over all {n:,} "
          f"targets (each target's hubness over all {n:,} sources) {t_csls:.1f} s (p@1 {p1:.3f}); self-learning to the end at the 20k cutoff (interval 2) {t_self:.1f} s, "
          f"{info2['iterations']} iterations; peak RSS {rss:.2f} GiB (the {n:,}^2 similarity matrix would be {n*n*4/2**30:.0f} GiB)")
    return dict(n=n, dim=dim, map_s=t_map, csls_s=t_csls, self_learn_s=t_self, iterations=info2['iterations'], p1=p1, peak_rss_gib=rss)


def _ms(v): return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}"


def _bold(text, a, b):
    "`text` in bold when the mean of `a` beats the mean of `b` by more than the larger standard deviation of the two"
    sd = max(a.std(ddof=1), b.std(ddof=1)) if len(a) > 1 else float('inf')
    return f"**{text}**" if a.mean() - b.mean() > sd else text


def summary(rows, have_vm):
    "Mean ± sd over seeds of precision@1 (NN / CSLS, by VecMap's scorer where run) and seconds per pair and mode: markdown"
    import pandas as pd
    df = pd.DataFrame(rows)
    ev = 'lm_ev_nn' in df and df.lm_ev_nn.notna().all()
    cols = dict(zip(('lnn', 'lcs', 'vnn', 'vcs'), ('lm_ev_nn', 'lm_ev_csls', 'vm_ev_nn', 'vm_ev_csls') if ev else
                    ('lm_p1_nn', 'lm_p1_csls', 'vm_p1_nn', 'vm_p1_csls')))
    head = ['mode', 'lmcourse p@1 NN', 'lmcourse p@1 CSLS']
    if have_vm: head += ['VecMap p@1 NN', 'VecMap p@1 CSLS']
    head += ['lmcourse s (iterations, median s each)'] + (['VecMap s (iterations, median s each)', 'time ratio (range)'] if have_vm else [])
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    flag = {'orthogonal': 'supervised `--orthogonal`', 'semi_supervised': 'semi-supervised', 'identical': 'identical strings'}
    it = lambda g, c, its: ('' if c not in g or not (g[c].fillna(0) > 0).all() else
                            f" ({g[c].mean():.0f}, {g[its].mean():.3f})" if its in g and g[its].notna().all() else f" ({g[c].mean():.0f})")
    secs = lambda x: f"{x:,.1f}" if x >= 10 else f"{x:.2f}"
    df['order'] = df['mode'].map({m: i for i, m in enumerate(VECMAP_FLAGS)})
    for (pair, _, mode), g in df.groupby(['pair', 'order', 'mode'], sort=True):
        L, V = {k: g[c] for k, c in cols.items() if k[0] == 'l'}, {k: g[c] for k, c in cols.items() if k[0] == 'v'} if have_vm else {}
        cells = [flag.get(mode, mode)]
        if have_vm:
            cells += [_bold(_ms(L['lnn']), L['lnn'], V['vnn']), _bold(_ms(L['lcs']), L['lcs'], V['vcs']),
                      _bold(_ms(V['vnn']), V['vnn'], L['lnn']), _bold(_ms(V['vcs']), V['vcs'], L['lcs'])]
        else: cells += [_ms(L['lnn']), _ms(L['lcs'])]
        cells.append(secs(g.lmcourse_s.mean()) + it(g, 'lm_iters', 'lm_iter_s'))
        if have_vm:
            r = g.vecmap_s / g.lmcourse_s
            txt = f"{g.vecmap_s.mean() / g.lmcourse_s.mean():.1f}x" + (f" ({r.min():.1f}-{r.max():.1f})" if len(g) > 1 else '')
            cells += [secs(g.vecmap_s.mean()) + it(g, 'vm_iters', 'vm_iter_s'),
                      f"**{txt}**" if len(g) > 1 and (r.min() > 1 or r.max() < 1) else txt]
        out.append('| ' + ' | '.join(cells) + ' |')
    md = '\n'.join(out)
    print(f"\nsummary over word2vec seeds {sorted(df.seed.unique().tolist())}: mean ± sd, scored by "
          f"{'VecMap eval_translation.py' if ev else 'lmcourse bli'}\n{md}")
    if ev:
        agree = sum(abs(r[f'{s}_ev_{m}'] - r[f'{s}_p1_{m}']) < 1e-4 for r in rows for s in ('lm', 'vm') for m in ('nn', 'csls'))
        print(f"lmcourse's bli and VecMap's eval_translation.py agree on {agree} of {4 * len(rows)} precisions")
    return md


def run_side(a, side, mode, src_vec, tgt_vec, d, seed):
    "One side of one mode as a fresh process. Its result is kept in its folder, so a rerun of a cut-off benchmark skips it"
    out, f = d/mode, d/mode/f'{side}_run.json'
    if f.exists(): return json.loads(f.read_text())
    out.mkdir(exist_ok=True)
    kw = dict(src_vec=src_vec, tgt_vec=tgt_vec, mode=mode, train_path=d/'train.txt', out=out, seed=seed, threads=a.threads)
    secs, its, iter_s = run_lmcourse(**kw) if side == 'lm' else run_vecmap(a.vecmap, **kw)
    r = dict(secs=secs, iters=its, iter_s=iter_s); f.write_text(json.dumps(r)); return r


def score_row(a, pair, seed, mode, d, test, lm, vm):
    "Both outputs of one mode scored both ways (lmcourse's `bli`, VecMap's `eval_translation.py`): one row"
    out = d/mode
    r = dict(pair=pair, seed=seed, mode=mode, threads=a.threads, jobs=a.jobs, lmcourse_s=lm['secs'], lm_iters=lm['iters'],
             lm_iter_s=statistics.median(lm['iter_s']) if lm['iter_s'] else None)
    (sw, xw), (tw, zw) = read_vec(out/'lm_src.vec'), read_vec(out/'lm_tgt.vec')
    r.update({f'lm_{k}': v for k, v in score(xw, sw, zw, tw, test).items()})
    if vm:
        (sw, xw), (tw, zw) = read_vec(out/'vm_src.vec'), read_vec(out/'vm_tgt.vec')
        r.update(vecmap_s=vm['secs'], vm_iters=vm['iters'], vm_iter_s=statistics.median(vm['iter_s']) if vm['iter_s'] else None,
                 speedup=vm['secs'] / lm['secs'], **{f'vm_{k}': v for k, v in score(xw, sw, zw, tw, test).items()})
        for side in ('lm', 'vm'):
            for m, ret in (('nn', 'nn'), ('csls', 'csls')):
                r[f'{side}_ev_{m}'], r[f'{side}_ev_coverage'] = vecmap_eval(a.vecmap, out/f'{side}_src.vec', out/f'{side}_tgt.vec', d/'test.txt', ret)
    return r


def print_row(r):
    its = lambda p: f" ({r[p + '_iters']} it., {r[p + '_iter_s']:.3f} s each)" if r[p + '_iters'] else ''
    print(f"  {r['pair']} seed {r['seed']} {r['mode']:16s} lmcourse p@1 {r['lm_p1_nn']:.3f} nn / {r['lm_p1_csls']:.3f} csls in {r['lmcourse_s']:6.1f} s" + its('lm')
          + (f" | VecMap {r['vm_p1_nn']:.3f} / {r['vm_p1_csls']:.3f} in {r['vecmap_s']:6.1f} s" + its('vm')
             + f" | {r['speedup']:.1f}x; eval_translation.py: lmcourse {r['lm_ev_nn']:.3f} / {r['lm_ev_csls']:.3f}, "
               f"VecMap {r['vm_ev_nn']:.3f} / {r['vm_ev_csls']:.3f}" if 'vecmap_s' in r else '')
          + f"  (n={r['lm_n']}, coverage {r['lm_coverage']:.0%})", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pairs', nargs='+', default=['en-es', 'en-sw'])
    ap.add_argument('--modes', nargs='+', default=list(VECMAP_FLAGS), choices=list(VECMAP_FLAGS))
    ap.add_argument('--vecmap', type=Path, default=ROOT.parent/'shared'/'peers'/'vecmap')
    ap.add_argument('--no-vecmap', action='store_true', help='lmcourse only (VecMap takes hours on the full Bibles)')
    ap.add_argument('--seeds', nargs='+', type=int, default=[0], help='word2vec (and self-learning) seeds')
    ap.add_argument('--threads', type=int, default=2, help='threads for each side (torch for lmcourse, OpenBLAS for VecMap)')
    ap.add_argument('--jobs', type=int, default=1, help='runs at a time, each on one thread (sets --threads 1), longest first')
    ap.add_argument('--parallel', action='store_true', help='the same as --jobs 2')
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'bli.json', help='where the rows go (JSON)')
    ap.add_argument('--md', type=Path, help='also write the summary table here (markdown)')
    ap.add_argument('--scale', type=int, default=0, help='only the scale test, with this many words a side')
    ap.add_argument('--summary', nargs='+', type=Path, help="only the summary over the rows of these --out files (each seed once)")
    ap.add_argument('--child', nargs=7, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        src, tgt, mode, train, out, seed, threads = a.child
        return map_child(src, tgt, mode, train, out, int(seed), int(threads))
    if a.summary:
        rows = {(r['pair'], r['mode'], r['seed']): r for f in a.summary for r in json.loads(f.read_text())['rows']}
        md = summary(list(rows.values()), all('vecmap_s' in r for r in rows.values()))
        if a.md: a.md.write_text(md + '\n')
        return
    if a.parallel: a.jobs = 2
    if a.jobs > 1: a.threads = 1
    torch.set_num_threads(a.threads)
    if a.scale: return print(json.dumps(scale(a.scale)))
    have_vm = (a.vecmap/'map_embeddings.py').exists() and not a.no_vecmap
    if not have_vm and not a.no_vecmap: print(f"no VecMap at {a.vecmap}: lmcourse only (pass --vecmap DIR, a clone of github.com/artetxem/vecmap)")
    start = dict(lmcourse=startup([sys.executable, '-c', 'import torch, lmcourse.data, lmcourse.mapping']))
    if have_vm: start['vecmap'] = startup([sys.executable, '-c', f'import sys; sys.path.insert(0, {str(a.vecmap)!r}); import numpy, embeddings, cupy_utils'])
    print('start-up (import only), median of 3 fresh processes: ' + ', '.join(f'{k} {v:.2f} s' for k, v in start.items()), flush=True)
    rows, t_all = [], time.perf_counter()
    save = lambda: a.out.write_text(json.dumps(dict(rows=rows, threads=a.threads, jobs=a.jobs, startup_s=start, machine=os.uname().machine,
                                                    cpus=os.cpu_count(), date=time.strftime('%Y-%m-%d'), minutes=(time.perf_counter() - t_all) / 60),
                                               indent=1))   # after every row: a cut-off run keeps its rows
    work = Path(tempfile.gettempdir())/f'lmcourse-bli-{a.out.stem}'      # kept until the end: a rerun resumes
    runs, tests = [], {}
    for pair in a.pairs:
        s, t = pair.split('-'); nt = 'es' not in (s, t)          # es: the full Bible; sw, eu, zu: New Testaments only
        train, test = split_pairs(course_dict(s, t))
        for seed in a.seeds:
            kw = {'seed': seed} if seed else {}                  # seed 0: the course's default vectors
            kvs, kvt = bible_vectors(s, nt, **kw), bible_vectors(t, nt, **kw)
            src_vec, tgt_vec = vectors_path(s, nt, **kw), vectors_path(t, nt, **kw)
            print(f"{pair}, word2vec seed {seed}: {len(kvs):,} x {len(kvt):,} words ({'New Testament' if nt else 'Bible'}), "
                  f"{len(train):,} train / {len(test):,} test pairs", flush=True)
            d = work/pair/f'seed{seed}'; d.mkdir(parents=True, exist_ok=True)
            write_muse(train, d/'train.txt'); write_muse(test, d/'test.txt'); tests[d] = test
            runs += [(pair, seed, mode, src_vec, tgt_vec, d) for mode in a.modes]
    # Every side of every mode is a task; with --jobs N, N of them run at a time, VecMap's (the longer) first, so every
    # run but the last few shares the machine with N-1 others. Scoring waits until all have run.
    sides = ['vm', 'lm'] if have_vm else ['lm']
    tasks = [(side, r) for side in sides for r in runs] if a.jobs > 1 else [(side, r) for r in runs for side in sides]
    with ThreadPoolExecutor(a.jobs) as pool:
        done = {(side, r[:3]): pool.submit(run_side, a, side, r[2], r[3], r[4], r[5], r[1]) for side, r in tasks}
        for k, f in done.items():
            res = f.result(); print(f"  ran {k[1]} {'VecMap' if k[0] == 'vm' else 'lmcourse'}: {res['secs']:.1f} s", flush=True)
    for pair, seed, mode, _, _, d in runs:
        r = score_row(a, pair, seed, mode, d, tests[d], done['lm', (pair, seed, mode)].result(),
                      done['vm', (pair, seed, mode)].result() if have_vm else None)
        rows.append(r); save(); print_row(r)
    md = summary(rows, have_vm)
    if a.md: a.md.write_text(md + '\n')
    save(); shutil.rmtree(work)


if __name__ == '__main__': main()
