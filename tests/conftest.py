"""Shared fixtures: a real HTTP server on 127.0.0.1 that serves fixture files with Range support and can misbehave."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest


class Handler(BaseHTTPRequestHandler):
    """Serves `server.routes[path] = dict(data=bytes, mode=...)`. Modes:
    ok: normal, honours `Range`; norange: ignores `Range`; cut: the first `times` responses announce the full
    length but stop after `at` bytes; status: always answers `code`; flaky: answers `code` for the first `times`
    requests, then ok; stall: sends headers, then waits `secs` before the body; redirect: 302 to `to`;
    `ctype` sets the Content-Type."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a): pass

    def do_GET(self):
        srv = self.server
        srv.log.append((self.path, self.headers.get('Range'), self.headers.get('Host')))
        r = srv.routes.get(self.path)
        if r is None: return self._send(404, b'not found')
        mode, data = r.get('mode', 'ok'), r.get('data', b'')
        r['hits'] = r.get('hits', 0) + 1
        if mode == 'status' or (mode == 'flaky' and r['hits'] <= r.get('times', 1)):
            return self._send(r.get('code', 500), b'error')
        if mode == 'redirect':
            self.send_response(302); self.send_header('Location', r['to']); self.send_header('Content-Length', '0')
            self.end_headers(); return
        start = 0
        rng = self.headers.get('Range')
        if rng and mode != 'norange':
            start = int(rng.split('=')[1].split('-')[0])
            if start >= len(data):
                self.send_response(416); self.send_header('Content-Range', f'bytes */{len(data)}')
                self.send_header('Content-Length', '0'); self.end_headers(); return
            self.send_response(206); self.send_header('Content-Range', f'bytes {start}-{len(data)-1}/{len(data)}')
        else: self.send_response(200)
        body = data[start:]
        if 'ctype' in r: self.send_header('Content-Type', r['ctype'])
        self.send_header('Content-Length', str(len(body))); self.send_header('Accept-Ranges', 'bytes')
        self.end_headers()
        if mode == 'cut' and r['hits'] <= r.get('times', 1):
            self.wfile.write(body[:r['at']]); self.wfile.flush(); self.close_connection = True
            return
        if mode == 'stall':
            import time; time.sleep(r.get('secs', 2))
        self.wfile.write(body)

    def _send(self, code, body):
        self.send_response(code); self.send_header('Content-Length', str(len(body))); self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http():
    "A live server on 127.0.0.1 (random port): set `http.routes[path]`, read `http.log`, build URLs with `http.url(path)`"
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.daemon_threads = True
    srv.routes, srv.log = {}, []
    srv.url = lambda p='': f'http://127.0.0.1:{srv.server_port}{p}'
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    yield srv
    srv.shutdown(); srv.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    "An empty LMCOURSE_HOME"
    monkeypatch.setenv('LMCOURSE_HOME', str(tmp_path/'home'))
    return tmp_path/'home'


@pytest.fixture(scope='session')
def micro(tmp_path_factory):
    """A small world for whole zoo builds in seconds: an LMCOURSE_HOME seeded with a prepared English corpus (the first 45
    chapters of the KJV New Testament) and its word vectors, so the English `micro` LM a build needs trains on that; and a
    Swahili text (40 chapters of the New Testament, a chapter a line). Tests that kill the English LM copy the home."""
    from types import SimpleNamespace
    from lmcourse.corpus import prepare_corpus, bible_docs
    from lmcourse.mapping import corpus_vectors, vectors_path
    from lmcourse.data import write_vectors
    d = tmp_path_factory.mktemp('micro'); home = d/'home'
    prepare_corpus(bible_docs('en', nt=True)[:45], home/'corpus'/'en-bible', sentences=False, progress=False)
    write_vectors(corpus_vectors(home/'corpus'/'en-bible', min_count=2), vectors_path('en', home=home))
    sw = d/'sw.txt'
    sw.write_text(''.join(t.replace('\n', ' ') + '\n' for _, t in bible_docs('sw')[:40]), encoding='utf-8')
    return SimpleNamespace(home=home, sw=sw, dir=d)


def lmcourse_cmd(*args, home=None, fault=None, timeout=600):
    "Run `lmcourse ARGS` as a user would (a new process), with LMCOURSE_HOME `home` and LMCOURSE_FAULT `fault`"
    import os, subprocess, sys
    env = {**os.environ, **({'LMCOURSE_HOME': str(home)} if home else {}), **({'LMCOURSE_FAULT': fault} if fault else {})}
    if not fault: env.pop('LMCOURSE_FAULT', None)
    return subprocess.run([sys.executable, '-m', 'lmcourse.cli', *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope='session')
def lmc():
    "`lmc(*args, home=, fault=)`: `lmcourse ARGS` in a new process; the `CompletedProcess`"
    return lmcourse_cmd


@pytest.fixture
def bible_mirror(http):
    """`bible_mirror(*files, change=None)`: serve those bible-corpus files on the `http` server under /bibles/ (URL-quoted, as
    GitHub has them), from the course's shared copy (`../shared/data/bible-nt`, xz-compressed); `change(bytes) -> bytes`
    alters what is served. The base URL; `bible_mirror.dir` is the shared folder."""
    import lzma, os
    from pathlib import Path
    from urllib.parse import quote
    d = Path(__file__).resolve().parents[2]/'shared'/'data'/'bible-nt'
    if not d.is_dir(): (pytest.fail if os.environ.get('CI') else pytest.skip)(f"{d}: the course's shared data is not beside the repository")
    def serve(*files, change=None):
        for f in files:
            data = lzma.decompress((d/(f + '.xz')).read_bytes())
            http.routes['/bibles/' + quote(f)] = dict(data=change(data) if change else data)
        return http.url('/bibles')
    serve.dir = d
    return serve
