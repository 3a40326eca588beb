"""Wikipedia extraction: lmcourse.corpus.extract_wiki vs wikiextractor (PyPI), both as their users run them, on the same dumps.

Three arms, each a fresh process from the dump to the written articles, timed the same way: lmcourse's `extract_wiki`;
wikiextractor as its README runs it (templates expanded: a second pass over the dump); wikiextractor `--no-templates`
(one pass, templates dropped, as lmcourse drops them). One process each for per-core speed (wikiextractor still forks a
reader and a writer), then every core. Arms interleaved, the order rotated each repeat; median and range over repeats.
Memory is the peak PSS of the whole process tree (shared pages counted once, split among the processes that share
them), sampled every 20 ms. The dump is gensim's real enwiki sample, repeated k times inside one <mediawiki> root, to
show how time and memory behave as the dump grows.

    pip install -e ".[bench]" && python bench/wiki_extract.py [--reps 1 4 16] [--repeats 5] [-o bench/wiki_extract.json]
"""
import argparse, bz2, datetime, json, os, platform, re, statistics, subprocess, sys, tempfile, time
from collections import Counter
from pathlib import Path
from gensim.test.utils import datapath

SRC = datapath('enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2')
ARMS = ('lmcourse', 'wikiextractor', 'wikiextractor --no-templates')


def make_dump(k, dest):
    "The sample with its pages repeated k times (new ids and titles), bz2-compressed; its number of pages"
    x = bz2.open(SRC).read().decode('utf-8')
    head, rest = x.split('<page>', 1)
    body, tail = ('<page>' + rest).rsplit('</page>', 1)
    body += '</page>'
    reps = [body if i == 0 else re.sub(r'<title>(.*?)</title>', lambda m: f'<title>{m.group(1)} {i}</title>',
                                       re.sub(r'<id>(\d+)</id>', lambda m: f'<id>{int(m.group(1)) + i * 10**7}</id>', body))
            for i in range(k)]
    dest.write_bytes(bz2.compress((head + ''.join(reps) + tail).encode('utf-8'), 9))
    return dest, body.count('<page>') * k


def tree_pss(pid):
    "Proportional set size (kB) of a process and all its descendants: shared pages split among their sharers"
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(re.search(r'^Pss:\s+(\d+)', Path(f'/proc/{p}/smaps_rollup').read_text(), re.M).group(1))
            for t in Path(f'/proc/{p}/task').iterdir(): todo += map(int, (t/'children').read_text().split())
        except (OSError, AttributeError): pass
    return total


def measure(cmd):
    "CPU seconds (user + system of the whole process tree), wall seconds and peak process-tree PSS (MB) of a command"
    t0 = time.perf_counter(); p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); peak = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid: break
        peak = max(peak, tree_pss(p.pid)); time.sleep(0.02)
    wall = time.perf_counter() - t0
    if status: raise RuntimeError(f'{cmd[:4]} failed with status {status}: {p.stderr.read().decode()[-500:]}')
    return dict(cpu=ru.ru_utime + ru.ru_stime, wall=wall, pss=peak / 1024)


def command(arm, dump, out, procs):
    if arm == 'lmcourse':
        return [sys.executable, '-c', f'from lmcourse.corpus import extract_wiki; '
                f'extract_wiki({str(dump)!r}, {str(out)!r}, n_proc={procs}, progress=False)']
    return [sys.executable, '-m', 'wikiextractor.WikiExtractor', str(dump), '-o', str(out), '--json', '--processes', str(procs), '-q',
            *(['--no-templates'] if 'no-templates' in arm else [])]


def load(arm, out):
    "title -> text of the non-empty articles an arm wrote"
    files = [Path(out)] if arm == 'lmcourse' else sorted(Path(out).rglob('wiki_*'))
    return {a['title']: a['text'] for f in files for a in map(json.loads, open(f, encoding='utf-8')) if a['text'].strip()}


def overlap(a, b):
    "Share of words in common (multiset intersection over the larger of the two)"
    ca, cb = Counter(re.findall(r'\w+', a.lower())), Counter(re.findall(r'\w+', b.lower()))
    return sum((ca & cb).values()) / max(sum(ca.values()), sum(cb.values()), 1)


def spread(xs): return dict(median=statistics.median(xs), lo=min(xs), hi=max(xs), runs=xs)


def run_arms(dump, d, procs, repeats, tag):
    "Each arm `repeats` times, interleaved with the order rotated; the last run's output of each arm kept for comparison"
    runs, outs = {a: [] for a in ARMS}, {}
    for r in range(repeats):
        for a in ARMS[r % len(ARMS):] + ARMS[:r % len(ARMS)]:
            out = d/f'{tag}-{a.replace(" ", "").replace("-", "")}-{r}' / ('a.jsonl' if a == 'lmcourse' else '')
            runs[a].append(measure(command(a, dump, out, procs))); outs[a] = out
    return runs, outs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, nargs='+', default=[1, 4, 16], help='dump sizes, in copies of the sample')
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('-o', '--out', default=str(Path(__file__).with_name('wiki_extract.json')))
    a = ap.parse_args()
    import importlib.metadata
    cores = os.cpu_count() or 1
    res = dict(command=' '.join(['python bench/wiki_extract.py', *sys.argv[1:]]), date=str(datetime.date.today()),
               machine=f'{cores} CPU cores, {platform.machine()}, Python {sys.version.split()[0]}',
               wikiextractor=importlib.metadata.version('wikiextractor'), repeats=a.repeats, single=[], all_cores=None)
    print(res['machine'], res['date'], f'{a.repeats} repeats; median [min-max]', flush=True)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        for k in a.reps:
            dump, n = make_dump(k, d/f'enwiki-x{k}.xml.bz2')
            runs, outs = run_arms(dump, d, 1, a.repeats, f'x{k}')
            texts = {arm: load(arm, o) for arm, o in outs.items()}
            row = dict(copies=k, mb=dump.stat().st_size / 1e6, pages=n, arms={})
            for arm in ARMS:
                cpu = [r['cpu'] for r in runs[arm]]; chars = sum(map(len, texts[arm].values()))
                common = [t for t in texts['lmcourse'] if t in texts[arm]]
                row['arms'][arm] = dict(cpu=spread(cpu), wall=spread([r['wall'] for r in runs[arm]]), pss=spread([r['pss'] for r in runs[arm]]),
                                        pages_per_cpu_s=n / statistics.median(cpu), chars=chars, chars_per_cpu_s=chars / statistics.median(cpu),
                                        kept=len(texts[arm]), overlap_with_lmcourse=sum(overlap(texts['lmcourse'][t], texts[arm][t]) for t in common) / max(len(common), 1),
                                        common=len(common))
            res['single'].append(row)
            print(f"{row['mb']:.1f} MB, {n:,} pages, one process: " + '; '.join(
                f"{arm} {v['cpu']['median']:.2f} CPU-s [{v['cpu']['lo']:.2f}-{v['cpu']['hi']:.2f}], wall {v['wall']['median']:.2f} s, "
                f"{v['pss']['median']:.0f} MB PSS, {v['kept']:,} articles, {v['chars_per_cpu_s'] / 1e6:.2f} M chars/CPU-s, overlap {v['overlap_with_lmcourse']:.2f}"
                for arm, v in row['arms'].items()), flush=True)
        runs, _ = run_arms(dump, d, cores, a.repeats, 'all')
        res['all_cores'] = dict(procs=cores, copies=k, arms={arm: dict(wall=spread([r['wall'] for r in rs]), pss=spread([r['pss'] for r in rs]))
                                                               for arm, rs in runs.items()})
        print(f'all {cores} cores, the largest dump: ' + '; '.join(f"{arm} {v['wall']['median']:.2f} s wall [{v['wall']['lo']:.2f}-{v['wall']['hi']:.2f}], "
                                                            f"{v['pss']['median']:.0f} MB PSS" for arm, v in res['all_cores']['arms'].items()))
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')


if __name__ == '__main__': main()
