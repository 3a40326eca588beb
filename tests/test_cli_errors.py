"""Every mistake a user can make at the command line, walked through `lmcourse` as a table: each ends with one line
naming the file or option, exit status 1, no traceback, and nothing half-written (no temporary file, no partial split,
no folder for a build that did nothing). Then what two processes at once, a full disk and a read-only cache do."""
import json, os, resource, signal, socket, subprocess, sys, threading, time
from pathlib import Path
import pytest
from lmcourse import data as D, lm
from lmcourse.cli import main


def closed_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
    return port


def run(*args):
    "`lmcourse ARGS` in this process: (exit status, stderr); any exception other than the exit would fail the test"
    import contextlib, io
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try: main([str(a) for a in args]); return 0, err.getvalue()
        except SystemExit as e: return (1, err.getvalue() + e.code + '\n') if isinstance(e.code, str) else (e.code, err.getvalue())


def said(err) -> list[str]:
    "The lines of `err` but for progress bars"
    return [l for l in err.replace('\r', '\n').splitlines() if l.strip() and not l.startswith(('prepare:', 'crawl:'))]


def setups(d: Path, http):
    "name -> (args, expected message): files made in `d`, URLs on the test server"
    (d/'notext.tsv').write_text('In the beginning was the Word\n');
    (d/'array.jsonl').write_text('[1, 2]\n'); (d/'notext.jsonl').write_text('{"title": "x"}\n')
    (d/'latin1.txt').write_bytes('Habari ya leo\nNg\xf3mbe\n'.encode('latin-1'))
    (d/'seeds.bin').write_bytes(b'\x89PNG\r\n\x1a\n\xff\xfe' + bytes(100))
    (d/'nov.xml').write_text('<cesDoc><text><body><seg id="x.1" type="verse">hello</seg></body></text></cesDoc>'); (d/'empty.xml').write_text('')
    (d/'torn'/'corpus').mkdir(parents=True); (d/'torn'/'corpus'/'meta.json').write_text('{"train": {"docs": 3')
    http.routes['/loop/en-sw.txt'] = dict(mode='redirect', to='/loop/en-sw.txt')
    zu = ['--corpus', 'bible:zu', '--lang', 'zu', '--out', d/'t', '--home', d/'home']
    return {
        'jsonl line not an object': (['corpus', 'prepare', d/'array.jsonl', '--out', d/'p1'], 'array.jsonl, line 1: expected a JSON object'),
        'jsonl without text': (['corpus', 'prepare', d/'notext.jsonl', '--out', d/'p2'], 'notext.jsonl, line 1: expected a JSON object with a "text" string'),
        'corpus not UTF-8': (['corpus', 'prepare', d/'latin1.txt', '--out', d/'p3'], 'latin1.txt, line 2: not valid UTF-8'),
        'missing corpus': (['corpus', 'prepare', d/'nothere.txt', '--out', d/'p4'], 'nothere.txt: no such file'),
        'broken meta.json': (['train', '--corpus', d/'torn'/'corpus', '--lang', 'zu', '--out', d/'t2'], "meta.json: not readable JSON"),
        'binary seeds file': (['corpus', 'crawl', d/'seeds.bin', '--out', d/'c1.jsonl'], 'seeds.bin: not valid UTF-8'),
        'closed port as the only seed': (['corpus', 'crawl', f'http://127.0.0.1:{closed_port()}/', '--out', d/'c2.jsonl', '--delay', '0'],
                                         'kept no pages'),
        'redirect loop': (['data', 'get', 'muse', '--src', 'en', '--tgt', 'sw', '--base-url', http.url('/loop'), '--home', d/'home',
                           '--retries', '0'], 'too many redirects'),
        'date with a path': (['data', 'get', 'wiki', '--lang', 'sw', '--date', 'x/../../y', '--home', d/'home'], 'not a Wikipedia dump date'),
        'language code with a path': (['data', 'get', 'fasttext', '--lang', '../x', '--home', d/'home'], "'../x' is not a valid language code"),
        'batch size 0': (['train', *zu, '--bs', '0'], 'argument --bs: must be at least 1, not 0'),
        'epochs -1': (['train', *zu, '--epochs', '-1'], 'argument --epochs: must be at least 1, not -1'),
        'learning rate not a number': (['train', *zu, '--lr', 'fast'], "argument --lr: 'fast' is not a number"),
        'unknown size': (['train', *zu, '--size', 'huge', '--epochs', '1'], "unknown size 'huge'"),
        'bogus device': (['train', *zu, '--device', 'bogus', '--epochs', '1'], "device 'bogus' is not a device"),
        'unknown data set': (['data', 'extract', 'nope', d/'x'], "unknown set 'nope'"),
        'crawl delay below 0': (['corpus', 'crawl', 'http://127.0.0.1/', '--delay', '-1'], 'argument --delay: must be 0 or more'),
        'Bibles sharing no verse': (['align', 'en', d/'nov.xml', '--out', d/'a1.tsv'], 'share 0 verses with words on both sides'),
        'empty Bible': (['align', 'en', d/'empty.xml', '--out', d/'a2.tsv'], 'empty.xml: file is empty'),
        'dictionary into a folder': (['align', 'en', 'eu', '--out', d], "is a folder: give a file's path"),
        'fertility cap of 0': (['align', 'en', 'eu', '--out', d/'a3.tsv', '--fertility', '0'], 'must be above 0, not 0'),
        'mined pairs into a folder': (['mine', d/'nothere.txt', d/'nothere.txt', '-o', d], "is a folder: give a file's path"),
        'parallel Bible missing': (['zoo', 'build', '--lang', 'sw', '--parallel', d/'nothere.xml', '--home', d/'home'], 'nothere.xml: no such file'),
        'parallel file that is no Bible': (['zoo', 'build', '--lang', 'sw', '--parallel', d/'notext.tsv', '--home', d/'home'],
                                           "notext.tsv, line 1: expected 'verse id<TAB>text'"),
        'aligned start with no Bible': (['zoo', 'build', '--lang', 'xx', '--source', d/'array.jsonl', '--init', 'aligned', '--home', d/'home'],
                                        "init 'aligned' needs a Bible verse-aligned with the English one"),
        'unknown language for a Bible': (['zoo', 'build', '--lang', 'Wolloff', '--home', d/'home'], "no Bible for 'Wolloff' in the bible-corpus"),
        'a name for several builds': (['zoo', 'build', '--lang', 'sw', 'zu', '--name', 'x', '--home', d/'home'], 'a name is for one build'),
        'language code with a path in train': (['train', '--corpus', 'bible:zu', '--lang', '../zu', '--out', d/'t3'], "language code '../zu' cannot be"),
    } | ({} if lm.torch.cuda.is_available() else {'cuda without a GPU': (['train', *zu, '--device', 'cuda', '--epochs', '1'], 'sees no CUDA GPU')})


def test_every_user_error_is_one_line(tmp_path, http):
    for name, (args, msg) in setups(tmp_path, http).items():
        before = {p for p in tmp_path.rglob('*')}
        rc, err = run(*args)
        assert rc == 1 and msg in err, f"{name}: exit {rc}, {err!r}"
        assert len(said(err)) == 1 and said(err)[0].startswith('lmcourse ') and 'Traceback' not in err, f"{name}: {err!r}"
        new = {p for p in tmp_path.rglob('*')} - before
        assert not [p for p in new if '.tmp' in p.name or p.suffix in ('.txt', '.pth', '.tsv')], f"{name} left {new}"
    assert not (tmp_path/'t'/'model').exists()                       # nothing was trained for a bad option


def test_a_card_pointing_outside_its_folder_is_refused(tmp_path):
    "A card that lists `../../../../dev/zero` hung `zoo load` hashing an endless file"
    from lmcourse.corpus import prepare_corpus, bible_docs
    prepare_corpus(bible_docs('zu')[:30], tmp_path/'c', sentences=False, progress=False)
    learn = lm.lm_learner(lm.lm_data(tmp_path/'c', **lm.lm_config('micro')), 'micro')
    from lmcourse.zoo import export_lm
    zoo = tmp_path/'zoo'; z = export_lm(learn, zoo/'zu-x', lang='zu')
    idx = {'zu-x': {'card_sha256': None}}
    c = json.loads((z/'card.json').read_text()); c['files']['../../../../dev/zero'] = '0' * 64
    (z/'card.json').write_text(json.dumps(c)); idx['zu-x']['card_sha256'] = D.hash_file(z/'card.json')
    (zoo/'index.json').write_text(json.dumps(idx))
    rc, err = run('zoo', 'load', 'zu-x', '--zoo', zoo)
    assert rc == 1 and "lists a file '../../../../dev/zero' cannot be a file or folder name" in err
    del c['files']['../../../../dev/zero']; (z/'card.json').write_text(json.dumps(c))
    (z/'model.pth').unlink(); os.symlink('/dev/zero', z/'model.pth')
    idx['zu-x']['card_sha256'] = D.hash_file(z/'card.json'); (zoo/'index.json').write_text(json.dumps(idx))
    rc, err = run('zoo', 'load', 'zu-x', '--zoo', zoo)
    assert rc == 1 and 'model.pth: not a plain file' in err


def test_two_downloads_of_one_file_at_once(http, tmp_path):
    "Two `data get` of the same file: the second waits for the first, both succeed, the file is whole (was 4.9 MB of 3 MB)"
    blob = os.urandom(3_000_000)
    http.routes['/en-sw.txt'] = dict(data=blob, mode='stall', secs=1.5)
    cmd = [sys.executable, '-m', 'lmcourse.cli', 'data', 'get', 'muse', '--src', 'en', '--tgt', 'sw', '--base-url', http.url(),
           '--home', str(tmp_path/'home')]
    ps = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    time.sleep(0.8); ps.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    out = [p.communicate(timeout=120) for p in ps]
    assert [p.returncode for p in ps] == [0, 0], out
    assert 'waiting for another process' in out[1][1]
    f = tmp_path/'home'/'muse'/'en-sw.txt'
    assert f.read_bytes() == blob and not list(f.parent.glob('*.part'))
    assert sum(1 for p, *_ in http.log if p == '/en-sw.txt') == 1                     # downloaded once


def test_crawl_requests_are_bounded(http, tmp_path):
    "A site of endless distinct URLs serving one page: `max_pages=5` made 1,005 requests in a minute, keeping 1 page"
    from lmcourse.corpus import Crawler
    body = ('<html><body><article>' + '<p>Habari za leo ni njema sana kwa watu wote wa kijiji hiki.</p>' * 20 +
            '</article>' + ''.join(f'<a href="/p/{{}}{i}">x</a>' for i in range(5)) + '</body></html>')
    for i in range(2000): http.routes[f'/p/{i}'] = dict(data=body.replace('{}', str(i)).encode(), ctype='text/html')
    http.routes['/robots.txt'] = dict(data=b'User-agent: *\nAllow: /\n')
    st = Crawler([http.url('/p/1')], tmp_path/'c.jsonl', delay=0, max_pages=5, progress=False).run()
    assert st['kept'] <= 5 and st['requests'] <= 50 and len(http.log) == st['requests']


def test_word_vectors_are_the_same_in_every_process(tmp_path):
    "gensim's defaults (several workers, Python's salted `hash`) gave two builds with one seed two models"
    code = ("import sys; from lmcourse.mapping import train_vectors; from lmcourse.data import words, read_bible, write_vectors; "
            "v = list(read_bible('zu').values())[:3000]; write_vectors(train_vectors([words(s) for s in v], epochs=2), sys.argv[1])")
    seed = str(hash('lmcourse') % 1000 + 1)                 # another string hash than this process's
    subprocess.run([sys.executable, '-c', code, str(tmp_path/'0.vec')], check=True, env={**os.environ, 'PYTHONHASHSEED': seed})
    exec(code.replace('sys.argv[1]', repr(str(tmp_path/'1.vec'))), {})
    assert (tmp_path/'0.vec').read_bytes() == (tmp_path/'1.vec').read_bytes()


def limited(nbytes):
    "preexec_fn: files of at most `nbytes` (a full disk, as a process sees it: writes fail with EFBIG, not a signal)"
    def f():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return f


def test_full_disk_and_read_only_cache(tmp_path):
    cmd = [sys.executable, '-m', 'lmcourse.cli', 'corpus', 'prepare', 'bible:zu', '--out', str(tmp_path/'zu')]
    r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=limited(200_000))
    assert r.returncode == 1 and 'File too large' in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert len(said(r.stderr)) == 1 and not [p for p in (tmp_path/'zu').iterdir()]    # no half-written split
    (tmp_path/'file').write_text('not a folder')                   # a cache that cannot be written: its parent is a file
    rc, err = run('corpus', 'prepare', 'bible:zu', '--home', tmp_path/'file'/'home')
    assert rc == 1 and 'Not a directory' in err and str(tmp_path/'file') in err
    if os.geteuid() != 0:                                            # root writes into read-only folders anyway
        ro = tmp_path/'ro'; ro.mkdir(); ro.chmod(0o555)
        rc, err = run('corpus', 'prepare', 'bible:zu', '--home', ro)
        assert rc == 1 and 'Permission denied' in err
