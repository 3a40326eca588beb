"""The zoo for the world's languages: every Bible of the course's shared `bible-nt` folder, and the bundled New
Testaments, built by one command as a user would build them, then one table.

What runs is `lmcourse zoo build --langs-file LANGS --size tiny` (the defaults: sentencepiece pieces, the aligned start
from the language's own New Testament, the same LM from scratch and the unigram model as baselines), in a new process,
with `--base-url` pointing at a server on 127.0.0.1 that serves the shared Bibles as GitHub serves the bible-corpus's
`bibles/` folder (this machine has no internet; a user's machine downloads the same files, checked against the same git
blob ids). Each language is named by its bible-corpus file, so both K'iche' editions are built. The build is resumable:
run the same command again after a kill and finished languages are only read back.

The table (`bench/world_zoo.json`, `bench/world_zoo.md`): language, ISO 639-3 code, family, script, training characters,
test bits per character of the transferred LM, of the same LM from scratch and of the unigram model (the same
characters for the three), and build seconds (this run's stages: the English LM is trained once, by the first build,
and its time is not in any row). Sorted by family.

    python bench/world_zoo.py [--home DIR] [--size tiny] [--only Wolof-NT Coptic-NT ...] [--table-only] [--untimed STEM ...]

`--table-only` builds nothing: it makes the table from the languages the home's last run finished (a run stopped
part way is resumed by the same command without it).
"""
import argparse, datetime, functools, json, lzma, os, platform, subprocess, sys, tempfile, threading, time
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
import pandas as pd
from lmcourse.data import LANGS, bible_catalog, read_json

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent/'shared'/'data'/'bible-nt'
BUNDLED = LANGS.bible[LANGS.edition == 'New Testament'].str.removesuffix('.xml').tolist()   # Swahili-NT, Basque-NT, Zulu-NT


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


def serve(files, d):
    "Decompress the shared Bibles `files` into folder `d` and serve it on 127.0.0.1; the base URL"
    for f in files: (d/f.name[:-3]).write_bytes(lzma.decompress(f.read_bytes()))
    srv = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(d)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{srv.server_port}'


def machine():
    model = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor())
    import torch
    return f"{model}, {len(os.sched_getaffinity(0))} cores available, torch {torch.__version__}"


def text_script(home, bible, name) -> str:
    "The script the Bible is written in, read from its letters (the corpus metadata names it wrongly for some)"
    from lmcourse.data import read_bible
    from lmcourse.mapping import script
    f = home/'bible'/f'{bible}.xml'
    verses = list(read_bible(f if f.exists() else name.split('-')[0]).values())[:500]    # bundled: the language code
    s = script(' '.join(verses).split())
    return {'CANADIAN': 'Canadian syllabics'}.get(s, s.title())


def table(home, size, summary):
    "One row a language: the catalog's facts, the training characters, the three models' test bits per character"
    cat = bible_catalog().assign(stem=lambda d: d.file.str.replace(r'\.xml$', '', regex=True)).set_index('stem')
    rows = []
    for r in summary.itertuples():
        c = cat.loc[r.lang]
        row = dict(bible=r.lang, language=c.language, iso3=c.iso3, family=c.family, script=text_script(home, r.lang, r.name),
                   script_metadata=c.script, parts=c.parts or 'full',
                   status=r.status, name=r.name, error=r.error)
        if r.status == 'built':
            st = read_json(home/'builds'/r.name/'state.json')['done']
            row.update(train_chars=st['stats']['splits']['train']['chars'], test_chars=st['stats']['splits']['test']['chars'],
                       transfer_bpc=r.test_bpc, scratch_bpc=r.scratch_bpc, unigram_bpc=r.unigram_bpc,
                       build_seconds=round(sum(v['seconds'] for k, v in st.items() if k != 'source'), 1))
        rows.append(row)
    return pd.DataFrame(rows).sort_values(['family', 'language', 'bible']).reset_index(drop=True)


def markdown(t) -> str:
    "The README's table: one row a Bible, the better of transferred and scratch in bold"
    L = ['| language | code | family | script | training characters | transferred | scratch | unigram | build s |', '|' + '---|' * 9]
    two = set(t.language[t.language.duplicated()])                     # a second edition is named for its file
    f3 = lambda v, best: f"**{v:.3f}**" if best else f"{v:.3f}"
    for r in t.itertuples():
        name = r.language + (f' ({r.bible})' if r.language in two else '') + (' (part)' if r.parts == 'Parts' else '')
        if r.status != 'built':
            L.append(f"| {name} | {r.iso3} | {r.family} | {r.script} | | failed: {r.error} | | | |"); continue
        L.append(f"| {name} | {r.iso3} | {r.family} | {r.script} | {r.train_chars:,} | {f3(r.transfer_bpc, r.transfer_bpc < r.scratch_bpc)} | "
                 f"{f3(r.scratch_bpc, r.scratch_bpc <= r.transfer_bpc)} | {r.unigram_bpc:.3f} | "
                 f"{'not timed' if r.untimed else f'{r.build_seconds:.0f}'} |")
    return '\n'.join(L) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--home', type=Path, default=Path(os.environ.get('WORLD_HOME', ROOT/'.world')), help='LMCOURSE_HOME of the run (kept: resumable)')
    ap.add_argument('--size', default='tiny'); ap.add_argument('--only', nargs='+', help='bible-corpus file stems to build (default: all)')
    ap.add_argument('--out', type=Path, default=ROOT/'bench'/'world_zoo.json')
    ap.add_argument('--table-only', action='store_true', help='make the table from the builds done so far; build nothing')
    ap.add_argument('--untimed', nargs='+', default=[], metavar='STEM',
                    help="languages whose build shared the machine with other work or was paused (kill -STOP): their seconds measure "
                         "that, not the build, and the table says 'not timed'")
    a = ap.parse_args()
    if not SHARED.is_dir(): sys.exit(f"{SHARED}: the course's shared Bibles are not beside the repository")
    files = sorted(SHARED.glob('*.xml.xz'))
    langs = a.only or BUNDLED + [f.name[:-len('.xml.xz')] for f in files]
    a.home.mkdir(parents=True, exist_ok=True)
    (a.home/'langs.txt').write_text('\n'.join(langs) + '\n', encoding='utf-8')
    t0, rc = time.time(), None
    cmd = [sys.executable, '-m', 'lmcourse.cli', 'zoo', 'build', '--langs-file', str(a.home/'langs.txt'), '--size', a.size,
           '--zoo', str(a.home/'zoo'), '--home', str(a.home), '--base-url']
    if not a.table_only:
        with tempfile.TemporaryDirectory() as d:
            cmd.append(serve(files, Path(d)))
            print(' '.join(cmd[2:]), flush=True)
            rc = subprocess.run(cmd, env={**os.environ, 'LMCOURSE_HOME': str(a.home)}).returncode
    summary = pd.read_csv(a.home/'builds'/'summary.tsv', sep='\t', keep_default_na=False)
    t = table(a.home, a.size, summary)
    t['untimed'] = t.bible.isin(a.untimed)
    built = t[t.status == 'built']
    res = dict(command=f"python bench/world_zoo.py --size {a.size}", zoo_command='lmcourse ' + ' '.join(cmd[3:cmd.index('--base-url')]) + ' --base-url LOCAL_MIRROR',
               machine=machine(), date=datetime.date.today().isoformat(), wall_seconds=None if a.table_only else round(time.time() - t0),
               exit_status=rc, planned=len(langs), complete=len(summary) == len(langs),
               languages=len(t), built=len(built), transfer_beats_scratch=int((built.transfer_bpc < built.scratch_bpc).sum()),
               rows=t.to_dict('records'))
    a.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    a.out.with_suffix('.md').write_text(markdown(t), encoding='utf-8')
    print(markdown(t)); print(f"{len(built)} of {len(t)} built; the transferred LM beats scratch in {res['transfer_beats_scratch']}")


if __name__ == '__main__':
    main()
