"""Nearest-neighbour search and bitext mining over 100k x 100k embeddings, side by side in one run:

  (a) lmcourse:  `retrieval.nearest` (exact, in blocks of rows, torch) and `sentences.mine` (the ratio margin over each
                 row's 16 nearest candidates both ways, the max strategy, one-to-one)
  (b) faiss:     `faiss.IndexFlatIP` (exact inner product, PyPI faiss-cpu), as LASER's mining script uses it: k nearest
                 neighbours each way, the ratio margin over those k candidates, the max strategy, one-to-one

Same vectors (random unit vectors in `--dim` dimensions; the first half of the target rows are noisy copies of the
source rows, the planted translations), same threads (`torch.set_num_threads` and `faiss.omp_set_num_threads`), each
timed `--repeats` times, the two arms taking turns. Reported: the time of each, their ratio, how often the two top-k lists agree, and the
precision/recall of both minings against the planted pairs.

    pip install -e ".[bench]"; python bench/retrieval.py [--n 100000] [--dim 128] [--repeats 3]
"""
import argparse, json, os, statistics, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from lmcourse.retrieval import nearest
from lmcourse.sentences import mine
from lmcourse.lm import hardware

ROOT = Path(__file__).resolve().parent.parent


def vectors(n, dim, noise=0.6, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.nn.functional.normalize(torch.randn(n, dim, generator=g), dim=1)
    Y = torch.nn.functional.normalize(torch.randn(n, dim, generator=g), dim=1)
    h = n // 2
    Y[:h] = torch.nn.functional.normalize(X[:h] + noise * torch.randn(h, dim, generator=g) / dim ** 0.5, dim=1)
    return X.contiguous(), Y.contiguous(), h


def faiss_knn(X, Y, k):
    import faiss
    index = faiss.IndexFlatIP(Y.shape[1]); index.add(Y)
    return index.search(X, k)


def faiss_mine(X, Y, knn=4):
    "LASER's mining (Artetxe & Schwenk 2019, `mine_bitexts.py`): kNN both ways with faiss, ratio margin over the candidates, max strategy"
    Dxy, Ixy = faiss_knn(X, Y, knn); Dyx, Iyx = faiss_knn(Y, X, knn)
    a, b = Dxy.mean(1), Dyx.mean(1)
    fs = Dxy / ((a[:, None] + b[Ixy]) / 2); bs = Dyx / ((b[:, None] + a[Iyx]) / 2)
    fi, bi = fs.argmax(1), bs.argmax(1)
    c = pd.DataFrame(dict(src=np.r_[np.arange(len(X)), Iyx[np.arange(len(Y)), bi]], tgt=np.r_[Ixy[np.arange(len(X)), fi], np.arange(len(Y))],
                          score=np.r_[fs.max(1), bs.max(1)]))
    c = c.drop_duplicates(['src', 'tgt']).sort_values('score', ascending=False, kind='stable')
    ss, st, keep = set(), set(), []
    for s, t in zip(c.src.to_numpy(), c.tgt.to_numpy()):
        keep.append(s not in ss and t not in st); ss.add(s); st.add(t)
    return c[keep].reset_index(drop=True)


def timed(fs, repeats):
    "Run each function of `fs` `repeats` times, taking turns; their last outputs and time statistics"
    outs, ts = [None] * len(fs), [[] for _ in fs]
    for _ in range(repeats):
        for i, f in enumerate(fs):
            t = time.perf_counter(); outs[i] = f(); ts[i].append(time.perf_counter() - t)
    return [(o, dict(median=statistics.median(t), min=min(t), max=max(t), runs=[round(x, 2) for x in t])) for o, t in zip(outs, ts)]


def prf(mined, h, top):
    "Precision and recall of the `top` best-scored mined pairs against the planted pairs (i, i), i < h"
    m = mined.head(top)
    tp = int(((m.src == m.tgt) & (m.src < h)).sum())
    return dict(precision=tp / max(len(m), 1), recall=tp / h)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--n', type=int, default=100_000); ap.add_argument('--dim', type=int, default=128)
    ap.add_argument('--k', type=int, default=4); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'retrieval.json')
    a = ap.parse_args()
    import faiss
    torch.set_num_threads(a.threads); faiss.omp_set_num_threads(a.threads)
    X, Y, h = vectors(a.n, a.dim)
    Xn, Yn = X.numpy(), Y.numpy()
    ((_, I_lm), t_knn_lm), ((_, I_fa), t_knn_fa) = timed([lambda: nearest(X, Y, a.k), lambda: faiss_knn(Xn, Yn, a.k)], a.repeats)
    same_top1 = float((I_lm[:, 0].numpy() == I_fa[:, 0]).mean())
    same_set = float(np.mean([set(p) == set(q) for p, q in zip(I_lm.numpy().tolist(), I_fa.tolist())]))
    (m_lm, t_mine_lm), (m_fa, t_mine_fa) = timed([lambda: mine(X, Y, 'ratio', a.k), lambda: faiss_mine(Xn, Yn, a.k)], a.repeats)
    res = dict(command=f'python bench/retrieval.py --n {a.n} --dim {a.dim} --k {a.k} --repeats {a.repeats} --threads {a.threads}',
               machine=hardware(), date=time.strftime('%Y-%m-%d'), faiss=faiss.__version__, n=a.n, dim=a.dim, k=a.k, threads=a.threads,
               knn=dict(lmcourse=t_knn_lm, faiss=t_knn_fa, ratio=t_knn_lm['median'] / t_knn_fa['median'], same_top1=same_top1, same_topk_set=same_set),
               mining=dict(lmcourse=dict(t_mine_lm, **prf(m_lm, h, h)), faiss=dict(t_mine_fa, **prf(m_fa, h, h)),
                           ratio=t_mine_lm['median'] / t_mine_fa['median'], planted=h))
    a.out.write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
