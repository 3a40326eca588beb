"""The downloader against a real HTTP server on 127.0.0.1: transfers, resume, faults, verification, named sources."""
import hashlib, io, lzma, os, socket, subprocess, sys, tarfile
from urllib.parse import quote
from pathlib import Path
import pytest
from gensim.test.utils import datapath
from lmcourse import data as D

BLOB = (D.ASSETS/'bible'/'Swahili-NT.xml.xz').read_bytes()   # ~280 kB of real data
SHA256 = hashlib.sha256(BLOB).hexdigest()


def files(d):
    "What a folder holds, but for the hidden lock files downloads take (kept: deleting a lock file races with its next taker)"
    return sorted(p.name for p in Path(d).iterdir() if not (p.name.startswith('.') and p.name.endswith('.lock'))) if Path(d).exists() else []


def test_full_download(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB)
    p = D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, size=len(BLOB), progress=False)
    assert p.read_bytes() == BLOB and files(tmp_path) == ['f.xz']
    assert D.read_bible(p) == D.read_bible('sw')
    D.download(http.url('/f.xz'), tmp_path/'f.xz', progress=False)          # cached: no second request
    assert len(http.log) == 1


def test_interrupted_then_resumed_on_next_call(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB, mode='cut', at=100_000)
    with pytest.raises(D.DownloadError, match='run again to resume') as e:
        D.download(http.url('/f.xz'), tmp_path/'f.xz', retries=0, progress=False)
    assert '100000 bytes kept' in str(e.value)
    assert files(tmp_path) == ['f.xz.part'] and (tmp_path/'f.xz.part').stat().st_size == 100_000
    p = D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, retries=0, progress=False)
    assert p.read_bytes() == BLOB and files(tmp_path) == ['f.xz']
    assert http.log[-1][1] == 'bytes=100000-'                                # really resumed with Range


def test_retries_resume_within_one_call(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB, mode='cut', at=50_000, times=2)
    p = D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, retries=3, progress=False)
    assert p.read_bytes() == BLOB
    assert [r for _, r, _ in http.log] == [None, 'bytes=50000-', 'bytes=100000-']


def test_server_without_range_support_restarts(http, tmp_path):
    (tmp_path/'f.xz.part').write_bytes(BLOB[:1000] + b'garbage')                # stale partial file
    http.routes['/f.xz'] = dict(data=BLOB, mode='norange')
    assert D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, progress=False).read_bytes() == BLOB


def test_part_already_complete(http, tmp_path):
    (tmp_path/'f.xz.part').write_bytes(BLOB)
    http.routes['/f.xz'] = dict(data=BLOB)
    assert D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, progress=False).read_bytes() == BLOB
    assert http.log[0][1] == f'bytes={len(BLOB)}-'


def test_404_is_final(http, tmp_path):
    with pytest.raises(D.DownloadError, match='HTTP 404'):
        D.download(http.url('/nope.bz2'), tmp_path/'nope.bz2', retries=3, progress=False)
    assert len(http.log) == 1 and files(tmp_path) == []


def test_500_retried_then_reported(http, tmp_path):
    http.routes['/f'] = dict(mode='status', code=500)
    with pytest.raises(D.DownloadError, match='500'):
        D.download(http.url('/f'), tmp_path/'f', retries=2, progress=False)
    assert len(http.log) == 3 and not (tmp_path/'f').exists()


def test_500_then_success(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB, mode='flaky', code=503, times=1)
    assert D.download(http.url('/f.xz'), tmp_path/'f.xz', retries=2, progress=False).read_bytes() == BLOB


def test_truncated_body(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB, mode='cut', at=len(BLOB) - 10, times=99)
    with pytest.raises(D.DownloadError, match=f'closed after {len(BLOB) - 10} of {len(BLOB)} bytes'):
        D.download(http.url('/f.xz'), tmp_path/'f.xz', retries=0, progress=False)
    assert files(tmp_path) == ['f.xz.part']                                   # honest partial, never the final name


def test_server_that_always_cuts(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB, mode='cut', at=0, times=99)
    with pytest.raises(D.DownloadError, match='after 3 attempts'):
        D.download(http.url('/f.xz'), tmp_path/'f.xz', retries=2, progress=False)
    assert not (tmp_path/'f.xz').exists() and len(http.log) == 3


def test_size_mismatch(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB)
    with pytest.raises(D.DownloadError, match='expected 12345'):
        D.download(http.url('/f.xz'), tmp_path/'f.xz', size=12345, progress=False)
    assert not (tmp_path/'f.xz').exists()


def test_checksum_mismatch_deletes_bad_bytes(http, tmp_path):
    http.routes['/f.xz'] = dict(data=BLOB[:-1] + b'x')                          # one corrupted byte
    with pytest.raises(D.DownloadError, match='checksum mismatch'):
        D.download(http.url('/f.xz'), tmp_path/'f.xz', checksum=SHA256, progress=False)
    assert files(tmp_path) == []


def test_unreachable_host(tmp_path):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()   # a closed port
    with pytest.raises(D.DownloadError, match='offline'):
        D.download(f'http://127.0.0.1:{port}/x', tmp_path/'x', retries=1, progress=False)
    assert files(tmp_path) == []


def test_stalled_server_times_out(http, tmp_path):
    http.routes['/f'] = dict(data=b'abc', mode='stall', secs=3)
    with pytest.raises(D.DownloadError):
        D.download(http.url('/f'), tmp_path/'f', retries=0, timeout=0.5, progress=False)
    assert not (tmp_path/'f').exists()


# The named sources, pointed at a local mirror laid out like the real sites.
DUMP = Path(datapath('enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2')).read_bytes()


def wiki_mirror(http, sha1=None, lang='sw'):
    fn = f'{lang}wiki-latest-pages-articles.xml.bz2'
    http.routes[f'/{lang}wiki/latest/{fn}'] = dict(data=DUMP)
    sums = f'{"0"*40}  {lang}wiki-latest-pages-articles-multistream.xml.bz2\n{sha1 or hashlib.sha1(DUMP).hexdigest()}  {fn}\n'
    http.routes[f'/{lang}wiki/latest/{lang}wiki-latest-sha1sums.txt'] = dict(data=sums.encode())


def test_wiki_dump_verified_with_published_sha1(http, home):
    wiki_mirror(http)
    p = D.get_wiki_dump('sw', base=http.url(), progress=False)
    assert p == home/'wiki'/'swwiki-latest-pages-articles.xml.bz2' and p.read_bytes() == DUMP


def test_wiki_dump_bad_sha1_leaves_nothing(http, home):
    wiki_mirror(http, sha1='1'*40)
    with pytest.raises(D.DownloadError, match='sha1 checksum mismatch'):
        D.get_wiki_dump('sw', base=http.url(), progress=False)
    assert not (home/'wiki'/'swwiki-latest-pages-articles.xml.bz2').exists()
    assert not (home/'wiki'/'swwiki-latest-pages-articles.xml.bz2.part').exists()


def test_wiki_dump_unknown_language(http, home):
    with pytest.raises(D.DownloadError, match='404'): D.get_wiki_dump('xx', base=http.url(), progress=False)
    with pytest.raises(ValueError, match='not a valid language code'): D.get_wiki_dump('../etc', base=http.url())


def test_fasttext_and_muse_urls(http, home):
    vec = b'2 3\nmaji 0.1 0.2 0.3\nmoto 0.3 0.2 0.1\n'
    http.routes['/vectors-crawl/cc.sw.300.vec.gz'] = dict(data=vec)
    http.routes['/vectors-wiki/wiki.sw.vec'] = dict(data=vec)
    http.routes['/en-sw.5000-6500.txt'] = dict(data=b'water maji\nfire moto\n')
    assert D.get_fasttext('sw', base=http.url(), progress=False).read_bytes() == vec
    assert D.read_vectors(D.get_fasttext('sw', 'wiki', base=http.url(), progress=False)).index_to_key == ['maji', 'moto']
    assert D.read_muse(D.get_muse_dict('en', 'sw', 'test', base=http.url(), progress=False)) == [('water', 'maji'), ('fire', 'moto')]


def test_wikitext_archive_extracted_atomically(http, home):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as t:
        for split in ('train', 'valid', 'test'):
            b = D.read_bytes(D.wikitext_path('valid'))
            info = tarfile.TarInfo(f'wikitext-2/{split}.txt'); info.size = len(b); t.addfile(info, io.BytesIO(b))
    http.routes['/wikitext-2.tgz'] = dict(data=buf.getvalue())
    d = D.get_wikitext(base=http.url(), progress=False)
    assert len(D.read_wikitext(d/'train.txt')) == 60 and (d/'.complete').exists()
    n = len(http.log); D.get_wikitext(base=http.url(), progress=False); assert len(http.log) == n


def run_cli(*args, home):
    env = {**os.environ, 'LMCOURSE_HOME': str(home)}
    return subprocess.run([sys.executable, '-c', 'from lmcourse.cli import main; main()', *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_get(http, home):
    wiki_mirror(http)
    r = run_cli('data', 'get', 'wiki', '--lang', 'sw', '--base-url', http.url(), home=home)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).read_bytes() == DUMP
    r = run_cli('data', 'get', 'wiki', '--lang', 'yo', '--base-url', http.url(), '--retries', '0', home=home)
    assert r.returncode == 1 and 'HTTP 404' in r.stderr and 'Traceback' not in r.stderr


def test_any_bible_of_the_corpus(http, home, bible_mirror):
    "By ISO 639-3 code, ISO 639-1 code, or name with apostrophes: downloaded once, byte for byte the corpus's file"
    base = bible_mirror('Wolof-NT.xml', "K'iche'-NT.xml", 'Gaelic-PART.xml')
    for q, f in [('wol', 'Wolof-NT.xml'), ("K’iche’", "K'iche'-NT.xml"), ('gd', 'Gaelic-PART.xml')]:
        p = D.get_bible(q, base=base, progress=False)
        assert p == home/'bible'/f and p.read_bytes() == lzma.decompress((bible_mirror.dir/(f + '.xz')).read_bytes())
        assert len(D.read_bible(p)) > 600
    n = len(http.log); D.get_bible('Wolof', base=base, progress=False); assert len(http.log) == n
    assert D.get_bible('zu', base=base) == D.bible_path('zu') and len(http.log) == n       # bundled: no download
    assert [p for p, *_ in http.log] == ['/bibles/Wolof-NT.xml', '/bibles/K%27iche%27-NT.xml', '/bibles/Gaelic-PART.xml']


def test_a_bible_that_fails_its_check_is_not_kept(http, home, bible_mirror):
    "One changed byte: the git blob id differs, nothing is left; a cut transfer resumes to the right bytes"
    base = bible_mirror('Dinka-NT.xml', change=lambda b: b.replace(b'<seg', b'<seG', 1))
    with pytest.raises(D.DownloadError, match='git checksum mismatch'): D.get_bible('dik', base=base, progress=False, retries=0)
    assert files(home/'bible') == []
    base = bible_mirror('Dinka-NT.xml')
    http.routes['/bibles/Dinka-NT.xml'].update(mode='cut', at=500_000, times=1)
    p = D.get_bible('Dinka', base=base, progress=False, retries=1)
    assert D.hash_file(p, 'git') == D.find_bible('dik').git_sha1 and http.log[-1][1] == 'bytes=500000-'


def test_cli_get_bible(http, home, bible_mirror):
    base = bible_mirror('Wolof-NT.xml')
    r = run_cli('data', 'get', 'bible', '--lang', 'wol', '--base-url', base, home=home)
    assert r.returncode == 0 and Path(r.stdout.strip()) == home/'bible'/'Wolof-NT.xml', r.stderr
    r = run_cli('data', 'get', 'bible', '--lang', 'Wolloff', '--base-url', base, home=home)
    assert r.returncode == 1 and r.stderr.strip().splitlines()[-1].endswith('closest: Wolof, Wolof-NT') and 'Traceback' not in r.stderr
    r = run_cli('data', 'bibles', home=home)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 109 and "K'iche'-NT-SIL.xml" in r.stdout
