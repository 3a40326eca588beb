"""Shared fixtures: a real HTTP server on 127.0.0.1 that serves fixture files with Range support and can misbehave."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest


class Handler(BaseHTTPRequestHandler):
    """Serves `server.routes[path] = dict(data=bytes, mode=...)`. Modes:
    ok: normal, honours `Range`; norange: ignores `Range`; cut: the first `times` responses announce the full
    length but stop after `at` bytes; status: always answers `code`; flaky: answers `code` for the first `times`
    requests, then ok; stall: sends headers, then waits `secs` before the body."""
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
