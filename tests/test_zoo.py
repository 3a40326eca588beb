"""`lmcourse zoo` as a user meets it, on the `micro` world of conftest (a home seeded with a small English corpus, a
Swahili text): a build killed at many exact points inside its stages (inside the English LM's epochs, after its
checkpoints, after a stage is done but before it is recorded, in the middle of a file write) and run again after each
kill ends with the same model, byte for byte, as an uninterrupted one, with nothing half-written; a CES Bible in
another script with no dictionary; a build from a Wikipedia dump served over HTTP; names that would leave their
folder, a second build of the same name, changed settings, bad sources and tampered models, each refused in one line."""
import hashlib, json, shutil, signal, sys
from pathlib import Path
from xml.sax.saxutils import escape
import pytest
import torch
from lmcourse import zoo as Z, data as D, lm
from lmcourse.corpus import bible_docs

STAGES = [s for s in Z.STAGES if s not in Z.START_STAGES['aligned'] + Z.START_STAGES['mean']]   # a text source: the mapped start


def build_args(m, zoo, *extra, name='sw-test', source=None):
    return ['zoo', 'build', '--lang', 'sw', '--source', source or m.sw, '--size', 'micro', '--zoo', zoo, '--home', zoo.parent,
            '--name', name, *extra]


def fresh_home(m, d):
    "A copy of the micro home without the English LM: a build trains it again"
    d.mkdir(parents=True)
    for sub in ('corpus', 'vectors'): shutil.copytree(m.home/sub, d/sub)
    return d


@pytest.fixture(scope='module')
def built(micro, tmp_path_factory, lmc):
    "An uninterrupted build, the reference"
    zoo = fresh_home(micro, tmp_path_factory.mktemp('ref')/'home')/'zoo'
    r = lmc(*build_args(micro, zoo))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'report:' in r.stdout and all(f'/{len(STAGES)}] {s}' in r.stdout for s in STAGES)
    return zoo, json.loads((zoo/'sw-test'/'card.json').read_text(encoding='utf-8'))


# Each kill is counted in the process it happens in: `checkpoint:1` is the first checkpoint that process writes.
KILLS = [('batch:30', 'inside the English LM\'s first epoch, before any checkpoint'),
         ('checkpoint:1', 'right after the English LM\'s first checkpoint'),
         ('batch:10', 'inside the English LM\'s second epoch, resumed from that checkpoint'),
         ('stage:1', 'after the English LM is done, before the stage is recorded'),
         ('checkpoint:1', 'right after the transferred LM\'s first checkpoint'),
         ('write:2', 'in the middle of a file write, the temporary file written but not renamed')]


def test_killed_build_finishes_with_the_same_model(micro, built, tmp_path, lmc):
    zoo_ref, ref = built
    zoo = fresh_home(micro, tmp_path/'home')/'zoo'
    for fault, where in KILLS:
        r = lmc(*build_args(micro, zoo), fault=fault)
        assert r.returncode == -signal.SIGKILL, f"{fault} ({where}) did not kill: rc {r.returncode} {r.stdout[-1500:]} {r.stderr[-1500:]}"
        assert 'Traceback' not in r.stderr, (fault, r.stderr[-3000:])
        for p in zoo.glob('[!.]*'):                                    # whatever is published is whole
            if (zoo/'index.json').exists() and p.name in json.loads((zoo/'index.json').read_text()): Z.zoo_load(p.name, zoo)
    r = lmc(*build_args(micro, zoo))
    assert r.returncode == 0 and 'done before' in r.stdout, r.stderr[-3000:]
    card = json.loads((zoo/'sw-test'/'card.json').read_text(encoding='utf-8'))
    assert card['files']['model.pth'] == ref['files']['model.pth']                  # the same weights, bit for bit
    assert (card['valid_perplexity'], card['test_perplexity'], card['baselines']) == \
           (ref['valid_perplexity'], ref['test_perplexity'], ref['baselines'])
    en = [lm.load_torch(h/'runs'/'en-bible-micro'/'checkpoint.pth')['model'] for h in (zoo.parent, zoo_ref.parent)]
    assert all(torch.equal(en[0][k], en[1][k]) for k in en[0])                     # the English LM too, killed three times
    assert sorted(p.name for p in zoo.iterdir()) == ['.index.lock', 'index.json', 'sw-test']   # no temporary leftovers
    assert not [p for p in zoo.parent.rglob('*') if '.tmp' in p.name]
    assert Z.zoo_load('sw-test', zoo).card['test_perplexity'] == ref['test_perplexity']


def test_report_and_card(built):
    zoo, card = built
    d = zoo/'sw-test'
    assert set(card['files']) >= {'model.pth', 'vocab.json', 'config.json', 'spm.model', 'report.md', 'curves.png', 'embedding.png'}
    md = (d/'report.md').read_text(encoding='utf-8')
    for s in ('## Corpus', '## Perplexity', '](curves.png)', '](embedding.png)', 'Mapping: orthogonal', 'Lexicon induction on',
              'lmcourse zoo load sw-test', '--tok sp', 'The LM reads sentencepiece pieces'):
        assert s in md
    assert (d/'curves.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    b = {k: v['test'] for k, v in card['baselines'].items()}
    assert card['test_perplexity'] < b['scratch'] < b['unigram'] * 1.05 and b['start'] < card['vocab']
    assert 'same machine' in card['reproducible'] and 'threads' in card['hardware']
    bpc = {k: v['test_bpc'] for k, v in card['baselines'].items()}
    assert card['test_bpc'] < bpc['scratch'] < bpc['unigram'] and card['test_unk_rate'] < 0.01 and 'test bits/char' in md
    assert Z.zoo_list(zoo).loc['sw-test', 'test_perplexity'] == card['test_perplexity']


def test_a_loaded_model_tokenizes_as_its_build_did(built):
    "The default build is a subword LM: the zoo copy of its sentencepiece model splits a prompt exactly as training did"
    from lmcourse.corpus import tokenize, SubwordTokenizer
    zoo, card = built
    m = Z.zoo_load('sw-test', zoo)
    trained = next((zoo.parent/'builds'/'sw-test'/'corpus').glob('spm*.model'))
    prompt = ['Yesu akawaambia wanafunzi wake: "Amin, nawaambieni!" 123 ÆØÅ']
    assert card['tok'] == 'subword' and m.config['tok']['spm_vocab'] == len(m.tok)
    assert tokenize(prompt, m.tok) == tokenize(prompt, SubwordTokenizer(trained)) and '▁yesu' in tokenize(prompt, m.tok)[0]
    assert m.generate('Yesu akasema', n_words=8, seed=0).startswith('Yesu akasema')


def cli(capsys, *args, code=0):
    "`lmcourse ARGS` in this process: (exit code, stdout, stderr); a traceback would escape as an exception and fail the test"
    from lmcourse.cli import main
    msg = ''
    try: main([str(a) for a in args]); rc = 0
    except SystemExit as e:                  # sys.exit('message'): Python prints it to stderr and exits with 1
        rc, msg = (1, e.code + '\n') if isinstance(e.code, str) else (e.code or 0, '')
    out, err = capsys.readouterr(); err += msg
    if rc != code: raise AssertionError(f"exit {rc}, expected {code}: {out[-1500:]} {err[-1500:]}")
    return out, err


def test_cli_list_load_and_refusals(micro, built, tmp_path, capsys, lmc):
    zoo = Path(shutil.copytree(built[0], tmp_path/'zoo'))
    assert 'sw-test' in cli(capsys, 'zoo', 'list', '--zoo', zoo)[0]
    out, _ = cli(capsys, 'zoo', 'load', 'sw-test', '--zoo', zoo, '--prompt', 'Yesu akasema')
    assert 'report.md' in out and 'Yesu akasema' in out
    with open(zoo/'sw-test'/'model.pth', 'r+b') as f: f.truncate(4000)
    r = lmc('zoo', 'load', 'sw-test', '--zoo', zoo)                              # as a user sees it
    assert r.returncode == 1 and 'SHA-256 differs from card.json' in r.stderr and 'Traceback' not in r.stderr
    assert "no model 'nope'" in cli(capsys, 'zoo', 'load', 'nope', '--zoo', zoo, code=1)[1]
    (zoo/'index.json').write_text('{"sw-test": ')                          # a torn index: a clear message, and a way out
    assert '--reindex' in cli(capsys, 'zoo', 'list', '--zoo', zoo, code=1)[1]
    assert 'sw-test' in cli(capsys, 'zoo', 'list', '--zoo', zoo, '--reindex')[0]
    # the same name with other settings: refused, not mixed into the finished build
    assert 'other settings' in cli(capsys, *build_args(micro, built[0], '--epochs', '1'), code=1)[1]
    # sources that cannot work; none of these failed builds leaves a folder behind
    z2 = tmp_path/'2'/'zoo'
    assert 'no such corpus' in cli(capsys, *build_args(micro, z2, source=tmp_path/'missing.txt'), code=1)[1]
    (tmp_path/'empty.txt').write_text('\n\n')
    assert 'is the source empty' in cli(capsys, *build_args(micro, z2, source=tmp_path/'empty.txt'), code=1)[1]
    (tmp_path/'two.txt').write_text('Habari ya leo.\nHabari za jana.\n')
    assert 'too few to split' in cli(capsys, *build_args(micro, z2, source=tmp_path/'two.txt'), code=1)[1]
    assert "no Bible for 'xq' in the bible-corpus" in cli(capsys, 'zoo', 'build', '--lang', 'xq', '--zoo', z2, '--home', z2.parent, code=1)[1]
    assert not (z2.parent/'builds').exists() or not [p for p in (z2.parent/'builds').iterdir() if not p.name.startswith('.')]


def test_names_never_reach_outside_their_folder(micro, tmp_path, capsys):
    "`--name ..` and `--lang ../../x` with `--fresh` deleted the whole home, or a folder outside it"
    home = tmp_path/'home'; (home/'zoo'/'keep').mkdir(parents=True); (home/'corpus').mkdir(); (tmp_path/'victim').mkdir()
    for args, msg in [(['--lang', 'xx', '--name', '..'], "model name '..' cannot be"),
                      (['--lang', '../../victim'], "language code '../../victim' cannot be"),
                      (['--lang', 'sw', '--name', 'a/b'], "model name 'a/b' cannot be"),
                      (['--lang', 'sw', '--name', '.hidden'], "model name '.hidden' cannot be")]:
        assert msg in cli(capsys, 'zoo', 'build', *args, '--fresh', '--zoo', home/'zoo', '--home', home, code=1)[1]
    assert (home/'zoo'/'keep').is_dir() and (home/'corpus').is_dir() and (tmp_path/'victim').is_dir()


def test_a_second_build_of_the_same_name_is_told(micro, tmp_path, capsys):
    zoo = tmp_path/'home'/'zoo'
    with D.file_lock(tmp_path/'home'/'builds'/'.sw-test.lock'):                # another process building it
        err = cli(capsys, *build_args(micro, zoo), code=1)[1]
    assert "the build 'sw-test': another process is working on it" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path/'home'/'builds'/'sw-test').exists()


def ces(verses) -> str:
    "A CES Bible XML document of `{verse_id: text}`"
    segs = ''.join(f'<seg type="verse" id="{k}">{escape(v)}</seg>\n' for k, v in verses.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<cesDoc version="4.3"><text><body>\n{segs}</body></text></cesDoc>\n'


def test_a_bible_in_another_script_with_no_dictionary(micro, built, tmp_path, lmc):
    """A CES Bible as `--source` is read as a Bible (chapters of verses), not as lines of XML; a language with no
    dictionary and no string in common with English maps without supervision, and the report says what it could not
    measure instead of failing after all the training"""
    greek = str.maketrans('abdefghiklmnoprstuvwyzABDEFGHIKLMNOPRSTUVWYZ', 'αβδεφγηικλμνοπρστυϝωψζΑΒΔΕΦΓΗΙΚΛΜΝΟΠΡΣΤΥϜΩΨΖ')
    chapters = {c for c, _ in bible_docs('sw')[:40]}
    verses = {k: v.translate(greek) for k, v in D.read_bible('sw').items() if k.rsplit('.', 1)[0] in chapters}
    src = tmp_path/"Kigiriki'-NT.xml"; src.write_text(ces(verses), encoding='utf-8')
    zoo = built[0]                                     # the reference home: its English micro LM is trained already
    r = lmc('zoo', 'build', '--lang', 'xx', '--source', src, '--size', 'micro', '--epochs', '1', '--zoo', zoo, '--home', zoo.parent,
            '--init', 'mapped')
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    name = "xx-Kigiriki'-NT-micro"                # the file's name, apostrophes and all
    card = json.loads((zoo/name/'card.json').read_text(encoding='utf-8'))
    meta = json.loads((zoo.parent/'builds'/name/'corpus'/'meta.json').read_text())
    assert sum(v['docs'] for v in meta.values()) == 40 and sum(v['lines'] for v in meta.values()) == len(verses)
    assert '<seg' not in (zoo.parent/'builds'/name/'corpus'/'train.txt').read_text(encoding='utf-8')
    md = (zoo/name/'report.md').read_text(encoding='utf-8')
    assert 'Mapping: unsupervised' in md and 'Lexicon induction: not measured' in md and card['bli'] == []
    assert card['test_perplexity'] < card['baselines']['unigram']['test']


def test_a_bible_source_starts_from_its_alignment(micro, built, tmp_path, lmc):
    """A CES Bible as the source is its own parallel text: the default start is the aligned one, from the training
    chapters' verses only; the report and card say how it was aligned, and the dictionary is published with the model.
    A parallel Bible in another language than the corpus is refused in one line."""
    chapters = {c for c, _ in bible_docs('sw')[:40]}
    src = tmp_path/'sw-nt.xml'
    src.write_text(ces({k: v for k, v in D.read_bible('sw').items() if k.rsplit('.', 1)[0] in chapters}), encoding='utf-8')
    zoo = built[0]
    r = lmc('zoo', 'build', '--lang', 'sw', '--source', src, '--size', 'micro', '--epochs', '1', '--zoo', zoo, '--home', zoo.parent,
            '--name', 'sw-aligned', '--tok', 'word')                     # the word-level LM, and its aligned start, are still there
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert '] align' in r.stdout and '] map' not in r.stdout and '] vectors' not in r.stdout
    card = json.loads((zoo/'sw-aligned'/'card.json').read_text(encoding='utf-8'))
    a = card['alignment']
    assert card['init'] == 'aligned' and card['method'] == 'transfer' and 0 < a['verses'] < a['verses_total']   # held-out verses left out
    assert card['tok'] == 'word' and a['tokens'] == 'words' and 'spm.model' not in card['files']
    assert a['aligned'] > 0.5 * a['vocab'] and 'dictionary.tsv' in card['files']
    md = (zoo/'sw-aligned'/'report.md').read_text(encoding='utf-8')
    assert '--tok word' in md and '--init aligned' in md and "## The new language's tokens in English" in md and 'aligned start' in md
    assert card['test_perplexity'] < card['baselines']['unigram']['test']
    zu = tmp_path/'zu.tsv'                                # a two-column Bible (eBible's `MAT 1:1` ids) in another language
    zu.write_text(''.join(f"{k[2:].replace('.', ' ', 1).replace('.', ':')}\t{v}\n" for k, v in D.read_bible('zu').items()), encoding='utf-8')
    assert D.read_bible(zu) == D.read_bible('zu')
    r = lmc('zoo', 'build', '--lang', 'sw', '--source', micro.sw, '--size', 'micro', '--epochs', '1', '--zoo', zoo, '--home', zoo.parent,
            '--name', 'sw-wrong', '--parallel', zu)
    assert r.returncode == 1 and 'a Bible in another language' in r.stderr.strip().splitlines()[-1] and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert not (zoo/'sw-wrong').exists()
    r = lmc('zoo', 'build', '--lang', 'sw', '--source', micro.sw, '--size', 'micro', '--zoo', zoo, '--home', zoo.parent, '--init', 'aligned')
    assert r.returncode == 1 and "init 'aligned' needs a Bible" in r.stderr, r.stderr[-2000:]


def test_a_subword_vocabulary_the_text_cannot_fill(micro, built, tmp_path, capsys):
    "More sentencepiece pieces than the training text allows: one line naming the corpus, no tokenizer model left behind"
    zoo = built[0]
    err = cli(capsys, *build_args(micro, zoo, '--vocab', '60000', name='sw-big'), code=1)[1]
    last = err.strip().splitlines()[-1]                                 # after the corpus stage's progress bar
    assert 'corpus: its training text allows' in last and 'fewer than the 60,000 asked' in last and 'Traceback' not in err, err
    assert not list((zoo.parent/'builds'/'sw-big'/'corpus').glob('spm*.model'))
    assert "needs tok 'sp'" in cli(capsys, *build_args(micro, zoo, '--tok', 'word', '--vocab', '2000', name='sw-big2'), code=1)[1]


def test_build_from_a_wikipedia_dump_over_http(http, tmp_path, lmc):
    "A real (shortened) English Wikipedia dump, served with its sha1sums on 127.0.0.1: download, verify, extract, train"
    from gensim.test.utils import datapath
    data = Path(datapath('enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2')).read_bytes()
    fn = 'enwiki-latest-pages-articles.xml.bz2'
    http.routes[f'/enwiki/latest/{fn}'] = dict(data=data)
    http.routes['/enwiki/latest/enwiki-latest-sha1sums.txt'] = dict(data=f'{hashlib.sha1(data).hexdigest()}  {fn}\n'.encode())
    zoo = tmp_path/'zoo'
    r = lmc('zoo', 'build', '--lang', 'en', '--source', 'wiki', '--base-url', http.url(), '--method', 'scratch', '--size', 'micro',
            '--epochs', '1', '--limit', '100', '--zoo', zoo, '--home', tmp_path/'home')
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads((zoo/'en-wiki-micro'/'card.json').read_text(encoding='utf-8'))
    assert card['method'] == 'scratch' and card['source'] == ['wiki'] and card['test_perplexity'] < card['baselines']['unigram']['test']
    meta = json.loads((tmp_path/'builds'/'en-wiki-micro'/'corpus'/'meta.json').read_text())
    assert sum(v['docs'] for v in meta.values()) > 20
    assert any(p[0].startswith('/enwiki/latest/enwiki-latest-pages') for p in http.log)


def test_many_languages_in_one_command(micro, built, bible_mirror, http, lmc):
    """`zoo build --lang gd Klingon Potawatomi`: two partial Bibles of the bible-corpus, by ISO 639-1 code and by name,
    downloaded from a server on 127.0.0.1, checked, and each built from its aligned start; the unknown language is
    recorded with the closest names the corpus has, and the others are built all the same. Run again, nothing is
    downloaded or trained again."""
    import pandas as pd
    base = bible_mirror('Gaelic-PART.xml', 'Potawatomi-PART.xml')
    zoo = built[0]                                     # the reference home: its English micro LM is trained already
    args = ('zoo', 'build', '--lang', 'gd', 'Klingon', 'Potawatomi', '--size', 'micro', '--epochs', '1', '--zoo', zoo, '--home', zoo.parent,
            '--base-url', base)
    r = lmc(*args)
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and '1 of 3 languages failed' in last and "Klingon: no Bible for 'Klingon'" in last, r.stderr[-3000:]
    t = pd.read_csv(zoo.parent/'builds'/'summary.tsv', sep='\t', keep_default_na=False)
    assert t.status.tolist() == ['built', 'failed', 'built'] and t.name.tolist() == ['gla-bible-micro', '', 'pot-bible-micro'], t
    assert (t.test_bpc[[0, 2]].astype(float) < t.unigram_bpc[[0, 2]].astype(float)).all()
    for name, f in [('gla-bible-micro', 'Gaelic-PART.xml'), ('pot-bible-micro', 'Potawatomi-PART.xml')]:
        card, n = json.loads((zoo/name/'card.json').read_text(encoding='utf-8')), len(D.read_bible(bible_mirror.dir/(f + '.xz')))
        assert card['init'] == 'aligned' and card['settings']['bible'] == f
        assert card['alignment']['verses_total'] == n and 0 < card['alignment']['verses'] < n
    assert 'Scottish Gaelic' in (zoo/'gla-bible-micro'/'report.md').read_text(encoding='utf-8')
    n = len(http.log)
    r = lmc(*args)
    assert r.returncode == 1 and r.stdout.count('done before') >= 2 and len(http.log) == n, r.stdout[-2000:]


def test_exported_for_a_model_hub(micro, built, tmp_path, lmc, monkeypatch, capsys):
    """`zoo export NAME OUT`: model.safetensors, config, tokenizer, report and a README.md whose YAML the hub's own parser
    reads; `zoo load OUT` checks every file and loads the same weights, bit for bit, without unpickling anything; a changed
    byte is refused in one line; a folder that holds something else is never overwritten"""
    import pickle
    from huggingface_hub import ModelCard
    zoo, ref = built
    out = tmp_path/'hub'/'sw-test'
    r = lmc('zoo', 'export', 'sw-test', out, '--zoo', zoo)
    assert r.returncode == 0 and r.stdout.strip() == str(out), r.stderr[-2000:]
    assert {'model.safetensors', 'config.json', 'vocab.json', 'spm.model', 'README.md', 'card.json', 'report.md'} <= {p.name for p in out.iterdir()}
    assert 'model.pth' not in {p.name for p in out.iterdir()}
    mc = ModelCard.load(out/'README.md')
    assert mc.data.language == ['sw'] and mc.data.library_name == 'lmcourse' and mc.data.model_name == 'sw-test'
    assert {e.metric_type: e.metric_value for e in mc.data.eval_results} == {'bits_per_character': round(ref['test_bpc'], 4),
                                                                             'perplexity': round(ref['test_perplexity'], 4)}
    def no_pickle(*a, **k): raise AssertionError('unpickling while loading an exported model')
    monkeypatch.setattr(torch, 'load', no_pickle); monkeypatch.setattr(pickle, 'load', no_pickle); monkeypatch.setattr(pickle, 'loads', no_pickle)
    a = Z.zoo_load(str(out))                                            # weights, JSON and the sentencepiece model: no pickle
    monkeypatch.undo()
    b = Z.zoo_load('sw-test', zoo)
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.generate('Yesu', 10, seed=0) == b.generate('Yesu', 10, seed=0)
    assert f"report: {out/'report.md'}" in cli(capsys, 'zoo', 'load', out, '--words', '5')[0]
    w = bytearray((out/'model.safetensors').read_bytes()); w[-1] ^= 1; (out/'model.safetensors').write_bytes(bytes(w))
    err = cli(capsys, 'zoo', 'load', out, code=1)[1]
    assert 'model.safetensors: SHA-256 differs from card.json' in err.strip().splitlines()[-1] and 'Traceback' not in err, err
    other = tmp_path/'mine'; other.mkdir(); (other/'thesis.tex').write_text('years of work')
    assert 'not an exported model' in cli(capsys, 'zoo', 'export', 'sw-test', other, '--zoo', zoo, code=1)[1]
    assert (other/'thesis.tex').read_text() == 'years of work'
    assert not list(tmp_path.glob('.*.tmp'))


def site_zoo(zoo, d):
    """A copy of the reference zoo with a second model whose name has apostrophes (the same files, a worse score on its
    card, reindexed from the cards): the list's first row sorts last"""
    z = d/'zoo'; shutil.copytree(zoo/'sw-test', z/'sw-test')
    c = z/"sw-K'iche'-copy"; shutil.copytree(z/'sw-test', c)
    card = json.loads((c/'card.json').read_text(encoding='utf-8')); card['test_bpc'] = 9.9
    (c/'card.json').write_text(json.dumps(card), encoding='utf-8'); Z.zoo_list(z, reindex=True)
    return z


def _site(zoo, out, lmc):
    "`lmcourse zoo site OUT` run as a user would; the site served on 127.0.0.1 with the course website's link checker"
    import importlib.util
    spec = importlib.util.spec_from_file_location('build_docs', Path(__file__).resolve().parent.parent/'tools'/'build_docs.py')
    bd = importlib.util.module_from_spec(spec); spec.loader.exec_module(bd)
    r = lmc('zoo', 'site', out, '--zoo', zoo)
    assert r.returncode == 0 and r.stdout.strip() == str(out/'index.html'), r.stderr[-2000:]
    return bd, bd.serve(out)


def test_zoo_website(micro, built, tmp_path, lmc):
    """`zoo site OUT`: a page listing every model of the zoo and a page each (report, figures, how to load, hashes),
    every link answering over HTTP, names with apostrophes too; a folder that holds something else is never overwritten"""
    import html
    zoo = site_zoo(built[0], tmp_path)
    names = list(json.loads((zoo/'index.json').read_text(encoding='utf-8')))
    bd, srv = _site(zoo, tmp_path/'site', lmc)
    try: r = bd.check(f'http://127.0.0.1:{srv.server_port}')
    finally: srv.shutdown()
    assert {f'models/{n}/index.html' for n in names} <= set(r['pages']) and names == ["sw-K'iche'-copy", 'sw-test']
    home = (tmp_path/'site'/'index.html').read_text(encoding='utf-8')
    assert home.count('<tr>') == len(names) + 1 and 'Swahili' in home
    for n in names:
        card = json.loads((zoo/n/'card.json').read_text(encoding='utf-8'))
        page = html.unescape((tmp_path/'site'/'models'/n/'index.html').read_text(encoding='utf-8'))
        assert card['files']['model.pth'] in page and f'lmcourse zoo load {n}' in page and 'src="curves.png"' in page
    assert r['fetched'] > len(names) * 4                                   # pages, figures and every file of every model
    mine = tmp_path/'mine'; mine.mkdir(); (mine/'notes.txt').write_text('mine')
    assert lmc('zoo', 'site', mine, '--zoo', zoo).returncode == 1 and (mine/'notes.txt').read_text() == 'mine'


def test_zoo_website_in_a_browser(micro, built, tmp_path, lmc):
    "Headless Chromium loads the list, filters it (`#q=`) and sorts it by bits per character (`#sort=`), as a reader clicks"
    import re, shutil, subprocess
    exe = next((shutil.which(c) for c in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(c)), None)
    if not exe: pytest.skip('no Chromium on this machine (CI installs Debian chromium)')
    bd, srv = _site(site_zoo(built[0], tmp_path), tmp_path/'site', lmc)
    def dom(frag):
        r = subprocess.run([exe, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync',
                            '--disable-component-update', '--no-first-run', f'--user-data-dir={tmp_path/"chrome"}', '--dump-dom',
                            f'http://127.0.0.1:{srv.server_port}/index.html#{frag}'], capture_output=True, text=True, timeout=120)
        return re.findall(r'<tr( hidden="")?>.*?<a href="models/[^"]+">([^<]+)</a>.*?<td class="n" data-v="([^"]*)"', r.stdout, re.S)
    try:
        before, shown, rows = dom(''), dom('q=copy'), dom('sort=bitschar')
    finally: srv.shutdown()
    assert [n for _, n, _ in before] == ["sw-K'iche'-copy", 'sw-test'] and all(h == '' for h, _, _ in before), before
    assert [(h, n) for h, n, _ in shown] == [('', "sw-K'iche'-copy"), (' hidden=""', 'sw-test')], shown   # the filter hides the rest
    assert [n for _, n, _ in rows] == ['sw-test', "sw-K'iche'-copy"], rows                             # lowest bits per character first


def test_streams_and_rate_are_settings_of_a_build(micro, built, tmp_path, capsys):
    "`--bs` and `--lr` reach the build's training and its recorded settings; a bad value is one line and writes nothing"
    home = tmp_path/'home'
    for sub in ('corpus', 'vectors', 'runs'): shutil.copytree(built[0].parent/sub, home/sub)   # the English LM is already trained
    zoo = home/'zoo'
    for args, msg in [(['--bs', '0'], 'argument --bs: must be at least 1'), (['--lr', '0'], 'argument --lr: must be above 0')]:
        err = cli(capsys, *build_args(micro, zoo, *args, name='sw-bad'), code=1)[1]
        assert msg in err and len(err.strip().splitlines()) == 1
    assert not (home/'builds'/'sw-bad').exists() and not (zoo/'sw-bad').exists()
    cli(capsys, *build_args(micro, zoo, '--bs', '4', '--lr', '0.05', name='sw-bs'))
    card = json.loads((zoo/'sw-bs'/'card.json').read_text(encoding='utf-8'))
    assert (card['settings']['bs'], card['settings']['lr']) == (4, 0.05) and 'bs' not in built[1]['settings']
    assert (card['streams'], card['lr']) == (4, 0.05)                          # the user's streams, though fewer than a small corpus gets
    assert (built[1]['streams'], built[1]['lr']) == (8, 0.03)                  # the default on a small corpus: 8 streams (MIN_STEPS), TRANSFER_LR
    assert card['valid_loss'] != built[1]['valid_loss']                        # another training, not the reference's
    # the defaults a later version may change are settings of the build: a half-done build made before a change is not mixed
    assert (built[1]['settings']['min_steps'], built[1]['settings']['transfer_lr']) == (300, 0.03)
    assert 'min_steps' not in card['settings'] and 'transfer_lr' not in card['settings']
    old = home/'builds'/'sw-old'; shutil.copytree(built[0].parent/'builds'/'sw-test', old)
    st = json.loads((old/'state.json').read_text(encoding='utf-8'))
    for k in ('min_steps', 'transfer_lr'): del st['settings'][k]                 # as a build of 2026-12-02 wrote it
    st['done'] = {k: v for k, v in st['done'].items() if k in ('corpus', 'stats', 'source')}
    (old/'state.json').write_text(json.dumps(st), encoding='utf-8'); before = (old/'state.json').read_bytes()
    err = cli(capsys, *build_args(micro, zoo, name='sw-old'), code=1)[1]
    assert 'other settings' in err and '--fresh' in err and 'min_steps' in err and len(err.strip().splitlines()) == 1, err
    assert (old/'state.json').read_bytes() == before and not (zoo/'sw-old').exists()


def test_cli_help_states_the_build_defaults(capsys):
    "`lmcourse --help` is made without importing torch, so it repeats the zoo's defaults in words: they must be the zoo's"
    import inspect
    out = ' '.join(cli(capsys, 'zoo', 'build', '--help')[0].split())
    min_bs = inspect.signature(lm.streams_for).parameters['min_bs'].default
    assert f"halved down to {min_bs} while an epoch has under {Z.MIN_STEPS} steps" in out, out
    assert f"default: {Z.TRANSFER_LR:g} for a transfer" in out, out
