"""`lmcourse zoo` as a user meets it: a build killed (SIGTERM, then SIGKILL) at a random stage and run again ends with
the same model as an uninterrupted one and nothing half-written in the zoo; a build from a Wikipedia dump served over
HTTP; changed settings, bad sources and tampered models refused with a message. The English `tiny` LM comes from
LMCOURSE_HOME (trained on first use, as notebook 03 does); the builds are on a fifth of the Swahili New Testament."""
import hashlib, json, random, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from lmcourse import zoo as Z
from lmcourse.corpus import bible_docs

STAGES = list(Z.STAGES)


@pytest.fixture(scope='module')
def text(tmp_path_factory):
    f = tmp_path_factory.mktemp('src')/'sw-nt.txt'          # a chapter a line: 52 documents, ~30k words
    f.write_text(''.join(t.replace('\n', ' ') + '\n' for _, t in bible_docs('sw')[:52]), encoding='utf-8')
    return f


def cmd(text, zoo, *extra, name='sw-test'):
    return [sys.executable, '-m', 'lmcourse.cli', 'zoo', 'build', '--lang', 'sw', '--source', str(text), '--zoo', str(zoo),
            '--name', name, *extra]


def run(args, ok=True):
    r = subprocess.run(args, capture_output=True, text=True)
    if ok: assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r


@pytest.fixture(scope='module')
def built(text, tmp_path_factory):
    "An uninterrupted build: the reference"
    zoo = tmp_path_factory.mktemp('ref')/'zoo'
    r = run(cmd(text, zoo))
    assert 'report:' in r.stdout and all(f'/{len(STAGES)}] {s}' in r.stdout for s in STAGES)
    return zoo, json.loads((zoo/'sw-test'/'card.json').read_text(encoding='utf-8'))


def kill_in(args, state, stage, sig, rng):
    "Start `args`, wait until `state` says it is in `stage`, let it run a random moment more, send `sig`"
    p, t = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), time.time()
    while p.poll() is None and time.time() - t < 300:
        try: s = json.loads(state.read_text(encoding='utf-8'))
        except (OSError, ValueError): s = {}
        if s.get('current') == stage or stage in s.get('done', {}): break
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 1.5))
    p.send_signal(sig); p.wait()
    return p.returncode


def test_killed_build_finishes_with_the_same_model(text, built, tmp_path):
    zoo_ref, ref = built
    zoo, seed = tmp_path/'zoo', random.randrange(10**6)
    rng = random.Random(seed)
    state = zoo.parent/'builds'/'sw-test'/'state.json'
    at = sorted(rng.sample(range(len(STAGES)), 2))
    for sig, i in zip((signal.SIGTERM, signal.SIGKILL), at):
        kill_in(cmd(text, zoo), state, STAGES[i], sig, rng)
        for p in zoo.glob('*'):                                   # whatever is published is whole
            if p.is_dir() and (zoo/'index.json').exists() and p.name in json.loads((zoo/'index.json').read_text()):
                Z.zoo_load(p.name, zoo)
    r = run(cmd(text, zoo))
    why = f"(random seed {seed}: killed in {STAGES[at[0]]}, then {STAGES[at[1]]})"
    assert 'done before' in r.stdout, why
    card = json.loads((zoo/'sw-test'/'card.json').read_text(encoding='utf-8'))
    assert card['files']['model.pth'] == ref['files']['model.pth'], why          # the same weights, bit for bit
    assert (card['valid_perplexity'], card['test_perplexity'], card['baselines']) == \
           (ref['valid_perplexity'], ref['test_perplexity'], ref['baselines']), why
    assert sorted(p.name for p in zoo.iterdir()) == ['.index.lock', 'index.json', 'sw-test'], why   # no temporary leftovers
    m = Z.zoo_load('sw-test', zoo)
    assert m.card['test_perplexity'] == ref['test_perplexity']


def test_report_and_card(built):
    zoo, card = built
    d = zoo/'sw-test'
    assert set(card['files']) >= {'model.pth', 'vocab.json', 'config.json', 'report.md', 'curves.png', 'embedding.png'}
    md = (d/'report.md').read_text(encoding='utf-8')
    for s in ('## Corpus', '## Perplexity', '](curves.png)', '](embedding.png)', 'Lexicon induction', 'lmcourse zoo load sw-test'):
        assert s in md
    assert (d/'curves.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    b = {k: v['test'] for k, v in card['baselines'].items()}
    assert card['test_perplexity'] < b['scratch'] < b['unigram'] * 1.05 and b['start'] < card['vocab']
    assert Z.zoo_list(zoo).loc['sw-test', 'test_perplexity'] == card['test_perplexity']


def cli(capsys, *args, code=0):
    "`lmcourse ARGS` in this process: (exit code, stdout, stderr)"
    from lmcourse.cli import main
    msg = ''
    try: main([str(a) for a in args]); rc = 0
    except SystemExit as e:                  # sys.exit('message'): Python prints it to stderr and exits with 1
        rc, msg = (1, e.code + '\n') if isinstance(e.code, str) else (e.code or 0, '')
    out, err = capsys.readouterr(); err += msg
    if rc != code: raise AssertionError(f"exit {rc}, expected {code}: {out[-1500:]} {err[-1500:]}")
    return out, err


def test_cli_list_load_and_refusals(text, built, tmp_path, capsys):
    zoo = Path(shutil.copytree(built[0], tmp_path/'zoo'))
    assert 'sw-test' in cli(capsys, 'zoo', 'list', '--zoo', zoo)[0]
    out, _ = cli(capsys, 'zoo', 'load', 'sw-test', '--zoo', zoo, '--prompt', 'Yesu akasema')
    assert 'report.md' in out and 'Yesu akasema' in out
    with open(zoo/'sw-test'/'model.pth', 'r+b') as f: f.truncate(4000)
    r = run([sys.executable, '-m', 'lmcourse.cli', 'zoo', 'load', 'sw-test', '--zoo', str(zoo)], ok=False)   # as a user sees it
    assert r.returncode == 1 and 'SHA-256 differs from card.json' in r.stderr and 'Traceback' not in r.stderr
    assert "no model 'nope'" in cli(capsys, 'zoo', 'load', 'nope', '--zoo', zoo, code=1)[1]
    (zoo/'index.json').write_text('{"sw-test": ')                          # a torn index: a clear message, and a way out
    assert '--reindex' in cli(capsys, 'zoo', 'list', '--zoo', zoo, code=1)[1]
    assert 'sw-test' in cli(capsys, 'zoo', 'list', '--zoo', zoo, '--reindex')[0]
    # the same name with other settings: refused, not mixed into the finished build
    assert 'other settings' in cli(capsys, *cmd(text, built[0], '--epochs', '1')[3:], code=1)[1]
    # sources that cannot work
    assert 'no such corpus' in cli(capsys, *cmd(tmp_path/'missing.txt', tmp_path/'2'/'zoo')[3:], code=1)[1]
    (tmp_path/'empty.txt').write_text('\n\n')                        # same build name: no stage done, so no clash
    assert 'is the source empty' in cli(capsys, *cmd(tmp_path/'empty.txt', tmp_path/'2'/'zoo')[3:], code=1)[1]
    (tmp_path/'two.txt').write_text('Habari ya leo.\nHabari za jana.\n')
    assert 'too few to split' in cli(capsys, *cmd(tmp_path/'two.txt', tmp_path/'2'/'zoo')[3:], code=1)[1]
    assert "no bundled Bible for 'qu'" in cli(capsys, 'zoo', 'build', '--lang', 'qu', '--zoo', tmp_path/'4'/'zoo', code=1)[1]


def test_build_from_a_wikipedia_dump_over_http(http, tmp_path):
    "A real (shortened) English Wikipedia dump, served with its sha1sums on 127.0.0.1: download, verify, extract, train"
    from gensim.test.utils import datapath
    data = Path(datapath('enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2')).read_bytes()
    fn = 'enwiki-latest-pages-articles.xml.bz2'
    http.routes[f'/enwiki/latest/{fn}'] = dict(data=data)
    http.routes['/enwiki/latest/enwiki-latest-sha1sums.txt'] = dict(data=f'{hashlib.sha1(data).hexdigest()}  {fn}\n'.encode())
    zoo = tmp_path/'zoo'
    r = run([sys.executable, '-m', 'lmcourse.cli', 'zoo', 'build', '--lang', 'en', '--source', 'wiki', '--base-url', http.url(),
             '--method', 'scratch', '--epochs', '1', '--limit', '100', '--zoo', str(zoo), '--home', str(tmp_path/'home')])
    card = json.loads((zoo/'en-wiki-tiny'/'card.json').read_text(encoding='utf-8'))
    assert card['method'] == 'scratch' and card['source'] == ['wiki'] and card['test_perplexity'] < card['baselines']['unigram']['test']
    meta = json.loads((tmp_path/'builds'/'en-wiki-tiny'/'corpus'/'meta.json').read_text())
    assert sum(v['docs'] for v in meta.values()) > 20
    assert any(p[0].startswith('/enwiki/latest/enwiki-latest-pages') for p in http.log)
