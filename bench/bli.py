"""Bilingual lexicon induction: lmcourse.mapping vs VecMap (Artetxe et al.), side by side on the same embeddings and dictionaries.

For each language pair: word2vec vectors of the two bundled Bibles (lmcourse.mapping.bible_vectors, cached), the
bundled Swadesh + FreeDict pairs split into train and test with disjoint source words. Each mode is run by
lmcourse (in-process, timed from reading the .vec files to writing the mapped ones, as VecMap does) and by VecMap's
unmodified `map_embeddings.py` (a subprocess, wall time; OPENBLAS_NUM_THREADS=1, its fastest setting here), and
both outputs are scored by the same function on the same test pairs: precision@1 by nearest neighbour and by CSLS.

VecMap is GPL-3.0 and not on PyPI (the PyPI `vecmap` is an unrelated DNA tool): point --vecmap at a clone of
github.com/artetxem/vecmap; the default is the course's copy in ../shared/peers/vecmap when present.

    python bench/bli.py [--pairs en-es en-sw] [--modes orthogonal supervised semi_supervised identical unsupervised] [--seeds 0 1 2]

--parallel: VecMap and lmcourse run at the same time, each on one core (VecMap on one OpenBLAS thread, lmcourse on one
torch thread): the same share of the machine, in half the wall time of running them one after the other.

--seeds: word2vec seeds. Test sets hold ~100 words (one word is ~1 point of precision), so each pair is run on
vectors trained with each seed, and the summary gives mean and standard deviation over them.
    python bench/bli.py --scale 200000        # synthetic 200k-word vocabularies: time and peak memory, lmcourse only
    python bench/bli.py --summary bench/bli_en-es_semi.json ...   # mean ± sd over the rows of earlier runs (seeds run apart)
"""
import argparse, json, os, resource, subprocess, sys, tempfile, threading, time
from pathlib import Path
import torch
from lmcourse.data import write_muse, read_vec
from lmcourse.retrieval import bli
from lmcourse.mapping import bible_vectors, vectors_path, course_dict, split_pairs, map_embeddings, write_vec

ROOT = Path(__file__).resolve().parent.parent
VECMAP_FLAGS = {'orthogonal': ['--supervised', '{train}', '--orthogonal'], 'supervised': ['--supervised', '{train}'],
                'semi_supervised': ['--semi_supervised', '{train}'], 'identical': ['--identical'], 'unsupervised': ['--unsupervised']}


def score(xw, sw, zw, tw, test):
    kw = dict(identical=True, words_only=False)                      # as VecMap's eval_translation.py scores
    nn, cs = bli(xw, sw, zw, tw, test, ks=(1, 5), **kw), bli(xw, sw, zw, tw, test, ks=(1,), csls=10, **kw)
    return dict(p1_nn=nn['p@1'], p5_nn=nn['p@5'], p1_csls=cs['p@1'], n=nn['n'], coverage=nn['coverage'])


def run_lmcourse(src_vec, tgt_vec, mode, train, out, seed=0):
    t = time.perf_counter()
    (sw, X), (tw, Z) = read_vec(src_vec), read_vec(tgt_vec)
    xw, zw, info = map_embeddings(X, Z, sw, tw, mode, pairs=train, seed=seed)
    write_vec(sw, xw, out/'lm_src.vec'); write_vec(tw, zw, out/'lm_tgt.vec')
    return xw, sw, zw, tw, time.perf_counter() - t, info


def run_vecmap(vecmap, src_vec, tgt_vec, mode, train_path, out, seed=0):
    cmd = [sys.executable, str(vecmap/'map_embeddings.py'), *[f.format(train=train_path) for f in VECMAP_FLAGS[mode]],
           str(src_vec), str(tgt_vec), str(out/'vm_src.vec'), str(out/'vm_tgt.vec'), '--verbose', '--seed', str(seed)]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1'})
    secs = time.perf_counter() - t
    if r.returncode: raise RuntimeError(f"VecMap {mode} failed: {r.stderr[-2000:]}")
    (sw, xw), (tw, zw) = read_vec(out/'vm_src.vec'), read_vec(out/'vm_tgt.vec')
    return xw, sw, zw, tw, secs, r.stderr.count('ITERATION')


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


def summary(rows, have_vm):
    "Mean ± sd over seeds of precision@1 (NN / CSLS) and seconds, per pair and mode, and the ratio of mean times"
    import pandas as pd
    df = pd.DataFrame(rows)
    print(f"\nsummary over word2vec seeds {sorted(df.seed.unique().tolist())}: mean ± sd")
    for (pair, mode), g in df.groupby(['pair', 'mode'], sort=False):
        f = lambda c: f"{g[c].mean():.3f}±{g[c].std(ddof=1) if len(g) > 1 else 0:.3f}"
        line = f"  {pair} {mode:16s} lmcourse {f('lm_p1_nn')} / {f('lm_p1_csls')} in {g.lmcourse_s.mean():6.1f} s"
        if have_vm: line += (f" | VecMap {f('vm_p1_nn')} / {f('vm_p1_csls')} in {g.vecmap_s.mean():6.1f} s"
                             f" | time ratio {g.vecmap_s.mean() / g.lmcourse_s.mean():.1f}x"
                             + (f" ({g.speedup.min():.1f}-{g.speedup.max():.1f})" if len(g) > 1 else ''))
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--pairs', nargs='+', default=['en-es', 'en-sw'])
    ap.add_argument('--modes', nargs='+', default=list(VECMAP_FLAGS), choices=list(VECMAP_FLAGS))
    ap.add_argument('--vecmap', type=Path, default=ROOT.parent/'shared'/'peers'/'vecmap')
    ap.add_argument('--no-vecmap', action='store_true', help='lmcourse only (VecMap takes hours on the full Bibles)')
    ap.add_argument('--seeds', nargs='+', type=int, default=[0], help='word2vec (and self-learning) seeds')
    ap.add_argument('--threads', type=int, default=2, help='torch threads for lmcourse')
    ap.add_argument('--parallel', action='store_true', help='run VecMap and lmcourse at the same time, one core each (sets --threads 1)')
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'bli.json', help='where the rows go (JSON)')
    ap.add_argument('--scale', type=int, default=0, help='only the scale test, with this many words a side')
    ap.add_argument('--summary', nargs='+', type=Path, help="only the summary over the rows of these --out files (each seed once)")
    a = ap.parse_args()
    if a.summary:
        rows = {(r['pair'], r['mode'], r['seed']): r for f in a.summary for r in json.loads(f.read_text())['rows']}
        return summary(list(rows.values()), all('vecmap_s' in r for r in rows.values()))
    if a.parallel: a.threads = 1
    torch.set_num_threads(a.threads)
    if a.scale: return print(json.dumps(scale(a.scale)))
    have_vm = (a.vecmap/'map_embeddings.py').exists() and not a.no_vecmap
    if not have_vm and not a.no_vecmap: print(f"no VecMap at {a.vecmap}: lmcourse only (pass --vecmap DIR, a clone of github.com/artetxem/vecmap)")
    X = torch.randn(300, 20); map_embeddings(X, X, [str(i) for i in range(300)], [str(i) for i in range(300)], 'orthogonal',
                                             pairs=[(str(i), str(i)) for i in range(50)])   # warm-up: torch's one-time start-up is not timed
    rows = []
    save = lambda: a.out.write_text(json.dumps(dict(rows=rows, torch_threads=a.threads, parallel=a.parallel, machine=os.uname().machine,
                                                    cpus=os.cpu_count()), indent=1))   # after every row: a cut-off run keeps its rows
    for pair in a.pairs:
        s, t = pair.split('-'); nt = 'es' not in (s, t)          # es: the full Bible; sw, eu, zu: New Testaments only
        train, test = split_pairs(course_dict(s, t))
        for seed in a.seeds:
            kw = {'seed': seed} if seed else {}                  # seed 0: the course's default vectors
            kvs, kvt = bible_vectors(s, nt, **kw), bible_vectors(t, nt, **kw)
            src_vec, tgt_vec = vectors_path(s, nt, **kw), vectors_path(t, nt, **kw)
            print(f"\n{pair}, word2vec seed {seed}: {len(kvs):,} x {len(kvt):,} words ({'New Testament' if nt else 'Bible'}), "
                  f"{len(train):,} train / {len(test):,} test pairs")
            with tempfile.TemporaryDirectory() as d:
                d = Path(d); write_muse(train, d/'train.txt')
                for mode in a.modes:
                    vm = {}
                    go = lambda: vm.update(out=run_vecmap(a.vecmap, src_vec, tgt_vec, mode, d/'train.txt', d, seed))
                    th = threading.Thread(target=go)
                    if have_vm and a.parallel: th.start()      # VecMap in its own process, on its own core, meanwhile
                    xw, sw, zw, tw, secs, info = run_lmcourse(src_vec, tgt_vec, mode, train, d, seed)
                    r = dict(pair=pair, seed=seed, mode=mode, lmcourse_s=secs, lm_iters=info.get('iterations'),
                             **{f'lm_{k}': v for k, v in score(xw, sw, zw, tw, test).items()})
                    if have_vm:
                        if a.parallel: th.join()
                        else: go()
                        xw, sw, zw, tw, vsecs, vits = vm['out']
                        r.update(vecmap_s=vsecs, vm_iters=vits, **{f'vm_{k}': v for k, v in score(xw, sw, zw, tw, test).items()}, speedup=vsecs / secs)
                    rows.append(r); save()
                    print(f"  {mode:16s} lmcourse p@1 {r['lm_p1_nn']:.3f} nn / {r['lm_p1_csls']:.3f} csls in {secs:6.1f} s"
                          + (f" ({r['lm_iters']} it.)" if r['lm_iters'] else '')
                          + (f" | VecMap {r['vm_p1_nn']:.3f} / {r['vm_p1_csls']:.3f} in {r['vecmap_s']:6.1f} s" + (f" ({r['vm_iters']} it.)" if r['vm_iters'] else '')
                             + f" | {r['speedup']:.1f}x faster" if have_vm else '')
                          + f"  (n={r['lm_n']}, coverage {r['lm_coverage']:.0%})", flush=True)
    summary(rows, have_vm)
    save()


if __name__ == '__main__': main()
