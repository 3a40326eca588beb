"""Wikipedia extraction: lmcourse.corpus.extract_wiki vs wikiextractor (PyPI), side by side on the same dumps.

Measures pages/s on one process (per core), peak RSS of the whole process tree, and how similar the two outputs
are (word-multiset overlap per article, on the articles both keep). The dump is gensim's real enwiki sample,
repeated k times inside one <mediawiki> root to show how memory behaves as the dump grows.

    pip install wikiextractor && python bench/wiki_extract.py [--reps 1 4 16]
"""
import argparse, bz2, json, os, re, subprocess, sys, tempfile, time
from collections import Counter
from pathlib import Path
from gensim.test.utils import datapath

SRC = datapath('enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2')


def make_dump(k, dest):
    "The sample with its pages repeated k times (new ids and titles), bz2-compressed"
    x = bz2.open(SRC).read().decode('utf-8')
    head, rest = x.split('<page>', 1)
    body, tail = ('<page>' + rest).rsplit('</page>', 1)
    body += '</page>'
    reps = [body if i == 0 else re.sub(r'<title>(.*?)</title>', lambda m: f'<title>{m.group(1)} {i}</title>',
                                       re.sub(r'<id>(\d+)</id>', lambda m: f'<id>{int(m.group(1)) + i * 10**7}</id>', body))
            for i in range(k)]
    dest.write_bytes(bz2.compress((head + ''.join(reps) + tail).encode('utf-8'), 9))
    return dest


def tree_rss(pid):
    "Resident set size (kB) of a process and all its descendants"
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(re.search(r'VmRSS:\s+(\d+)', Path(f'/proc/{p}/status').read_text()).group(1))
            for t in Path(f'/proc/{p}/task').iterdir(): todo += map(int, (t/'children').read_text().split())
        except (OSError, AttributeError): pass
    return total


def measure(cmd):
    "CPU seconds (user+system, the whole process tree), wall seconds and peak process-tree RSS (MB) of a command"
    t0 = time.time(); p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); peak = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid: break
        peak = max(peak, tree_rss(p.pid)); time.sleep(0.02)
    if status: raise RuntimeError(f'{cmd[:3]} failed with status {status}')
    return ru.ru_utime + ru.ru_stime, time.time() - t0, peak / 1024


def ours(dump, out):
    code = (f'from lmcourse.corpus import extract_wiki; extract_wiki({str(dump)!r}, {str(out)!r}, n_proc=1, progress=False)')
    return measure([sys.executable, '-c', code])


def wikiextractor(dump, out):
    return measure([sys.executable, '-m', 'wikiextractor.WikiExtractor', str(dump), '-o', str(out), '--json',
                    '--processes', '1', '-q'])


def load_ours(f): return {a['title']: a['text'] for a in map(json.loads, open(f, encoding='utf-8'))}
def load_wx(d): return {a['title']: a['text'] for f in sorted(Path(d).rglob('wiki_*'))
                        for a in map(json.loads, open(f, encoding='utf-8')) if a['text'].strip()}


def overlap(a, b):
    "Share of words in common (multiset intersection over the larger of the two)"
    ca, cb = Counter(re.findall(r'\w+', a.lower())), Counter(re.findall(r'\w+', b.lower()))
    return sum((ca & cb).values()) / max(sum(ca.values()), sum(cb.values()), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, nargs='+', default=[1, 4, 16])
    a = ap.parse_args()
    print(f'machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; one process each (per-core speed)')
    print('pages/s = pages / CPU seconds of the whole process tree (wikiextractor runs a reader, an extractor and a '
          'writer process even with --processes 1); wall = elapsed seconds')
    print(f'{"dump":>12} {"pages":>6} | {"lmcourse p/s":>12} {"wall":>5} {"RSS MB":>7} {"kept":>5} | {"wikiext p/s":>11} '
          f'{"wall":>5} {"RSS MB":>7} {"kept":>5} | {"speed ratio":>11} {"overlap":>7}')
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for k in a.reps:
            dump = make_dump(k, d/f'enwiki-x{k}.xml.bz2')
            n = 206 * k
            t1, w1, m1 = ours(dump, d/f'ours{k}.jsonl')
            t2, w2, m2 = wikiextractor(dump, d/f'wx{k}')
            o, w = load_ours(d/f'ours{k}.jsonl'), load_wx(d/f'wx{k}')
            common = [t for t in o if t in w]
            sim = sum(overlap(o[t], w[t]) for t in common) / max(len(common), 1)
            mb = dump.stat().st_size / 1e6
            print(f'{mb:>9.1f} MB {n:>6} | {n/t1:>12.0f} {w1:>5.1f} {m1:>7.0f} {len(o):>5} | {n/t2:>11.0f} {w2:>5.1f} {m2:>7.0f} '
                  f'{len(w):>5} | {t2/t1:>10.2f}x {sim:>7.2f}')
        cores = os.cpu_count() or 1
        code = f'from lmcourse.corpus import extract_wiki; extract_wiki({str(dump)!r}, {str(d/"all.jsonl")!r}, progress=False)'
        _, w1, m1 = measure([sys.executable, '-c', code])
        _, w2, m2 = measure([sys.executable, '-m', 'wikiextractor.WikiExtractor', str(dump), '-o', str(d/'wxall'), '--json',
                             '--processes', str(cores), '-q'])
        print(f'all {cores} cores, largest dump: lmcourse {w1:.1f} s wall ({m1:.0f} MB), wikiextractor {w2:.1f} s wall '
              f'({m2:.0f} MB): {w2/w1:.2f}x')
    print('speed ratio = wikiextractor CPU time / lmcourse CPU time (>1: lmcourse faster); overlap = mean word overlap on '
          'articles both keep (wikiextractor also keeps disambiguation pages)')


if __name__ == '__main__': main()
