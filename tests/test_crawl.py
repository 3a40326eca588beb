"""The crawler against a real HTTP server on 127.0.0.1 serving a fixture news site built from the bundled texts:
boilerplate, duplicates and near-duplicates, a page in the wrong language, robots.txt, 429 with Retry-After, a 500,
a redirect loop, an oversized page, a binary file, links to another domain and to file://."""
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest
from lmcourse.corpus import Crawler, canonical_url
from lmcourse.data import read_bible

SW = list(read_bible('sw').values())
EN = list(read_bible('en').values())


def page(title, paras, links=()):
    nav = ' '.join(f'<a href="{h}">{t}</a>' for h, t in [('/', 'Mwanzo'), ('/habari/1', 'Habari'), ('/kuhusu', 'Kuhusu')])
    more = ''.join(f'<li><a href="{h}">{h}</a></li>' for h in links)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<header><nav>{nav}</nav></header><main><article><h1>{title}</h1>'
            + ''.join(f'<p>{p}</p>' for p in paras) +
            f'</article><ul>{more}</ul></main><footer><p>Hakimiliki © 2026 Gazeti la Mfano. Haki zote zimehifadhiwa.</p>'
            f'<a href="/faragha">Sera ya faragha</a></footer></body></html>').encode('utf-8')


def site(port):
    "path -> (status, headers, body) or a list of those, served in turn (the last one repeats)"
    other = f'http://localhost:{port}'
    art = {i: SW[i*40:(i+1)*40] for i in range(1, 7)}
    links = ['/habari/1', '/habari/2', '/habari/3', '/habari/4', '/habari/1?utm_source=feed#maoni', '/nakala',
             '/karibu-nakala', '/english', '/siri/ripoti', '/shughuli', '/hitilafu', '/mzunguko-a', '/kubwa',
             '/picha.png', '/toka', f'{other}/nje', 'file:///etc/passwd', 'mailto:mhariri@example.org', 'javascript:void(0)']
    html = lambda b: (200, {'Content-Type': 'text/html; charset=utf-8'}, b)
    return {
        '/robots.txt': (200, {'Content-Type': 'text/plain'}, b'User-agent: *\nDisallow: /siri/\n'),
        '/': html(page('Gazeti la Mfano', ['Habari za leo.'], links)),
        **{f'/habari/{i}': html(page(f'Habari {i}', art[i], ['/habari/1'])) for i in range(1, 5)},
        '/nakala': html(page('Habari 1', art[1])),                                           # exact duplicate of /habari/1
        '/karibu-nakala': html(page('Habari 2 (imesasishwa)', ['Imesasishwa Jumatatu.'] + art[2][:-1])),   # near duplicate
        '/english': html(page('News in English', EN[:40])),                                  # wrong language
        '/siri/ripoti': html(page('Siri', art[6])),                                          # disallowed by robots.txt
        '/shughuli': [(429, {'Retry-After': '1'}, b'slow down'), html(page('Habari 5', art[5]))],
        '/hitilafu': [(500, {}, b'oops'), html(page('Habari 6', art[6]))],
        '/mzunguko-a': (302, {'Location': '/mzunguko-b'}, b''),
        '/mzunguko-b': (302, {'Location': '/mzunguko-a'}, b''),
        '/kubwa': html(page('Kubwa', SW[:3000])),                                            # ~250 kB > max_bytes
        '/picha.png': (200, {'Content-Type': 'image/png'}, b'\x89PNG\r\n\x1a\n' + bytes(5000)),
        '/toka': (301, {'Location': f'{other}/nje'}, b''),                                   # redirect off-site
        '/kuhusu': html(page('Kuhusu', ['Sisi ni gazeti.'])), '/faragha': html(page('Faragha', ['Faragha.'])),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def do_GET(self):
        srv = self.server
        srv.log.append((self.headers.get('Host'), self.path, time.monotonic()))
        if not self.headers.get('Host', '').startswith('127.0.0.1'): r = (404, {}, b'wrong host')
        else:
            r = srv.routes.get(self.path, (404, {}, b'not found'))
            if isinstance(r, list): r = r.pop(0) if len(r) > 1 else r[0]
        code, hdrs, body = r
        self.send_response(code)
        for k, v in hdrs.items(): self.send_header(k, v)
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass   # the crawler hangs up on oversized pages: expected


@pytest.fixture
def news():
    srv = Server(('127.0.0.1', 0), Handler)
    srv.daemon_threads, srv.log = True, []
    srv.routes = site(srv.server_port)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown(); srv.server_close()


def crawl(news, out, **kw):
    kw = {**dict(lang='sw', delay=0, max_bytes=200_000, progress=False), **kw}
    cr = Crawler([f'http://127.0.0.1:{news.server_port}/'], out, **kw)
    return cr, cr.run(), [json.loads(l) for l in open(out, encoding='utf-8')]


def test_crawl_keeps_exactly_the_right_pages(news, tmp_path):
    cr, st, docs = crawl(news, tmp_path/'sw.jsonl')
    base = f'http://127.0.0.1:{news.server_port}'
    assert sorted(d['url'] for d in docs) == sorted(f'{base}{p}' for p in
           ['/habari/1', '/habari/2', '/habari/3', '/habari/4', '/shughuli', '/hitilafu'])
    assert (st['duplicate'], st['near_duplicate'], st['wrong_lang'], st['robots'], st['redirect_loop'], st['too_big'],
            st['not_html'], st['offsite'], st['link_list']) == (1, 1, 1, 1, 1, 1, 1, 1, 1)
    assert all(d['lang'] == 'sw' and 'Hakimiliki' not in d['text'] and 'Sera ya faragha' not in d['text'] for d in docs)
    assert {d['title'] for d in docs} >= {'Habari 1', 'Habari 5', 'Habari 6'}
    # nothing outside the allowed domain, nothing robots.txt forbids, no canonical URL twice
    hosts = {h for h, _, _ in news.log}
    assert hosts == {f'127.0.0.1:{news.server_port}'}
    paths = [p for _, p, _ in news.log]
    assert '/siri/ripoti' not in paths and not any('utm_source' in p for p in paths)
    assert paths.count('/habari/1') == 1 and paths.count('/robots.txt') == 1


def test_retry_after_is_honoured(news, tmp_path):
    crawl(news, tmp_path/'sw.jsonl')
    t = [t for _, p, t in news.log if p == '/shughuli']
    assert len(t) == 2 and t[1] - t[0] >= 0.95


def test_per_host_delay(news, tmp_path):
    crawl(news, tmp_path/'sw.jsonl', delay=0.15, max_pages=2)
    t = [t for _, _, t in news.log]
    assert len(t) >= 3 and min(b - a for a, b in zip(t, t[1:])) >= 0.14


def test_interrupted_crawl_resumes(news, tmp_path):
    out = tmp_path/'sw.jsonl'
    _, st, docs = crawl(news, out, max_pages=2)
    assert st['kept'] == 2 and len(docs) == 2 and out.with_name('sw.jsonl.state.json').exists()
    n = len(news.log)
    _, st, docs = crawl(news, out)
    assert st['kept'] == 6 and len(docs) == 6 and len({d['url'] for d in docs}) == 6
    again = [p for _, p, _ in news.log[n:]]
    assert '/' not in again and '/habari/1' not in again      # pages done before the interruption are not fetched again


def test_no_language_filter_keeps_english(news, tmp_path):
    _, st, docs = crawl(news, tmp_path/'all.jsonl', lang=None)
    assert st["kept"] == 7 and {d['lang'] for d in docs} == {'sw', 'en'}


def test_bad_seeds_and_unreachable_host(tmp_path):
    with pytest.raises(ValueError, match='no http'): Crawler(['file:///etc/passwd', 'ftp://x'], tmp_path/'x.jsonl')
    import socket
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
    cr = Crawler([f'http://127.0.0.1:{port}/'], tmp_path/'x.jsonl', delay=0, retries=0, progress=False)
    st = cr.run()
    assert st['kept'] == 0 and st['robots'] == 1      # robots.txt unreachable: stay away


def test_canonical_url():
    assert canonical_url('HTTPS://Gov.Example:443/a/./b/../c/?b=2&a=1&utm_medium=x#f') == 'https://gov.example/a/c/?a=1&b=2'
    assert canonical_url('javascript:void(0)') is None and canonical_url('//cdn.example/x', 'http://a.example/') == 'http://cdn.example/x'


def test_killed_crawl_loses_nothing(news, tmp_path):
    "A kill between state saves, in the middle of writing a page: the cut line is dropped, no page is lost or doubled"
    out, state = tmp_path/'sw.jsonl', tmp_path/'sw.jsonl.state.json'
    crawl(news, out, max_pages=1)
    old = state.read_bytes()
    crawl(news, out, max_pages=3)
    state.write_bytes(old)                                   # the state file is older than the output
    with open(out, 'a', encoding='utf-8') as f: f.write('{"url": "http://127.0.0.1/habari/9", "te')
    _, st, docs = crawl(news, out)
    assert st['kept'] == 6 and len(docs) == 6 and len({d['url'] for d in docs}) == 6


def zoo_build(*args):
    import subprocess, sys
    return subprocess.run([sys.executable, '-m', 'lmcourse.cli', 'zoo', 'build', '--lang', 'sw', '--method', 'scratch',
                           '--epochs', '1', '--delay', '0', *map(str, args)], capture_output=True, text=True)


def test_zoo_build_from_a_crawl(tmp_path):
    "`lmcourse zoo build --source crawl SEED`: a 24-article Swahili news site on 127.0.0.1, crawled, cleaned, trained on"
    srv = Server(('127.0.0.1', 0), Handler)
    srv.daemon_threads, srv.log = True, []
    arts = [f"/makala/{i}" for i in range(24)]
    html = lambda b: (200, {'Content-Type': 'text/html; charset=utf-8'}, b)
    srv.routes = {'/robots.txt': (200, {'Content-Type': 'text/plain'}, b'User-agent: *\nAllow: /\n'),
                  '/': html(page('Gazeti la Mfano', ['Habari za leo.'], arts)),
                  **{a: html(page(f'Makala {i}', SW[i*80:(i+1)*80], ['/'])) for i, a in enumerate(arts)}}
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        seed = f'http://127.0.0.1:{srv.server_port}/'
        r = zoo_build('--source', 'crawl', seed, '--zoo', tmp_path/'zoo', '--home', tmp_path/'home')
        assert r.returncode == 0, r.stderr[-3000:]
    finally: srv.shutdown(); srv.server_close()
    card = json.loads((tmp_path/'zoo'/'sw-crawl-tiny'/'card.json').read_text(encoding='utf-8'))
    # one epoch from scratch on 40k tokens lands near the unigram model (145-225 in runs here), far from a uniform guess
    assert card['source'] == ['crawl', seed] and card['test_perplexity'] < 0.25 * card['vocab']
    assert card['baselines']['unigram']['test'] < 0.25 * card['vocab']
    meta = json.loads((tmp_path/'builds'/'sw-crawl-tiny'/'corpus'/'meta.json').read_text())
    assert sum(v['docs'] for v in meta.values()) == 24 and meta['valid']['docs'] and meta['test']['docs']
    assert sorted(p for _, p, _ in srv.log if p.startswith('/makala/')) == sorted(arts)      # each article fetched once


def test_zoo_build_from_an_unreachable_site_says_so(tmp_path):
    import socket
    s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
    r = zoo_build('--source', 'crawl', f'http://127.0.0.1:{port}/', '--zoo', tmp_path/'zoo', '--home', tmp_path/'home')
    assert r.returncode != 0 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert f'the crawl of http://127.0.0.1:{port}/ kept no pages' in r.stderr and 'robots: 1' in r.stderr
    assert not (tmp_path/'zoo'/'sw-crawl-tiny').exists()
