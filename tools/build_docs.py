"""Build the course website into `_docs/`: one HTML page per notebook in `nbs/` (the index first), each with the
prose, code and saved outputs (tables, plots, printed numbers) of its last run, a sidebar linking every stage, and
previous/next links. Cells marked `#| hide` are left out, `#| echo: false` shows only the output, progress bars and
library warnings are taken out of the printed text; a notebook that holds an error output fails the build.

With Quarto installed, `nbdev-docs` builds nbdev's own site from the same notebooks. This script is for machines
without Quarto: its PyPI package (`quarto-cli`) downloads the Quarto binary from GitHub when it is installed, so it
cannot be installed offline.

    python tools/build_docs.py                 # write _docs/
    python tools/build_docs.py --check         # write it, serve it on 127.0.0.1 and follow every link
    python tools/build_docs.py --serve 8000    # write it and serve it until Ctrl-C
    python tools/build_docs.py --shots DIR     # write, serve, and screenshot each page with headless Chromium
    python tools/build_docs.py --zoo ZOO       # with that zoo's website in _docs/zoo, linked from every page"""
import argparse, copy, functools, html, http.server, json, re, shutil, subprocess, sys, threading, urllib.parse, urllib.request
from pathlib import Path
from html.parser import HTMLParser

import nbformat
from nbconvert import HTMLExporter
from pygments.formatters import HtmlFormatter
from traitlets.config import Config

root = Path(__file__).resolve().parent.parent

CSS = """
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#fff}
nav{position:fixed;top:0;left:0;bottom:0;width:250px;overflow-y:auto;background:#f5f7fa;border-right:1px solid #dde3ea;padding:18px 14px}
nav .brand{font-weight:700;font-size:20px;color:#1d2430;text-decoration:none;display:block;margin:0 0 14px 6px}
nav a.page{display:block;padding:5px 8px;border-radius:5px;color:#2a4a7a;text-decoration:none;font-size:14.5px}
nav a.page:hover{background:#e5ebf3} nav a.page.current{background:#2a4a7a;color:#fff}
nav .num{display:inline-block;width:26px;color:#7a8799;font-variant-numeric:tabular-nums} nav a.current .num{color:#c9d6ea}
main{margin-left:280px;max-width:980px;padding:10px 30px 60px}
h1{font-size:2em;margin:.6em 0 .3em} h2{margin-top:1.6em;border-bottom:1px solid #e3e8ee;padding-bottom:.2em}
blockquote{margin:0 0 1em;padding:.1em 1em;border-left:4px solid #9db4d6;color:#46536a;background:#f6f9fc}
table{border-collapse:collapse;margin:.6em 0;font-size:14px;display:block;overflow-x:auto}
th,td{border:1px solid #d7dee7;padding:4px 9px;text-align:left;vertical-align:top} th{background:#f0f3f7}
.dataframe td,.dataframe th{text-align:right} .dataframe tbody th{text-align:left}
code{background:#f1f3f6;padding:1px 4px;border-radius:3px;font-size:90%}
pre{margin:0;overflow-x:auto;font-size:13.5px;line-height:1.45}
.input_area{background:#f7f8fa;border:1px solid #e1e5ea;border-radius:6px;padding:8px 12px;margin:14px 0 4px}
.input_area pre,.highlight{background:none}
.output_subarea{padding:2px 12px;margin:2px 0 8px;overflow-x:auto}
.output_text pre{color:#2c3440}
.prompt{display:none}
.anchor-link{visibility:hidden;margin-left:.3em;color:#9db4d6;text-decoration:none}
h1:hover .anchor-link,h2:hover .anchor-link,h3:hover .anchor-link{visibility:visible}
img{max-width:100%}
.pager{display:flex;justify-content:space-between;margin-top:40px;padding-top:14px;border-top:1px solid #e3e8ee}
.pager a{color:#2a4a7a;text-decoration:none}
.dataframe{font-size:13px}
"""

def title_of(nb):
    "The first `# heading` of a notebook"
    for c in nb.cells:
        m = c.cell_type == 'markdown' and re.search(r'^#\s+(.+)$', c.source, re.M)
        if m: return m.group(1).strip()
    return 'untitled'

def page_name(p): return 'index.html' if p.stem == 'index' else re.sub(r'^\d+_', '', p.stem) + '.html'

def _flags(src): return [f.strip().replace(' ', '') for f in re.findall(r'^#\|\s*(.+)$', src, re.M)]

BAR = re.compile(r'\d+%\|.*\|\s*\d+/\d+|^\s*\d+/\d+ \[[\d:<?,. a-z/]*\]$|it/s\]$')
WARN = re.compile(r'^\S.*(Warning|warn\(|warnings\.warn)')

def clean_text(txt):
    "Printed text as a reader would see it: carriage returns applied, progress bars and warnings dropped"
    out, skip = [], False
    for line in txt.split('\n'):
        line = line.rstrip('\r').split('\r')[-1]
        if WARN.search(line): skip = True; continue        # a warning and the source line printed under it
        if skip and line.startswith(' '): continue
        skip = False
        if BAR.search(line) or not line.strip() and out and not out[-1].strip(): continue
        out.append(line)
    return '\n'.join(out).strip('\n') + ('\n' if out else '')

def prepare(nb):
    "A copy of `nb` as the site shows it; raises if it holds an error output"
    nb = copy.deepcopy(nb); cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            fl = _flags(c.source)
            if 'hide' in fl or any(f.startswith('default_exp') for f in fl): continue
            errs = [o for o in c.get('outputs', []) if o.output_type == 'error']
            if errs: raise ValueError(f"error output in a cell: {errs[0].ename}: {errs[0].evalue}\n{c.source[:300]}")
            c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip()
            if 'echo:false' in fl: c.metadata.setdefault('tags', []).append('remove_input')
            outs = []
            for o in c.get('outputs', []):
                if o.output_type == 'stream':
                    o.text = clean_text(o.text)
                    if not o.text.strip(): continue
                    o.name = 'stdout'
                outs.append(o)
            c.outputs = outs
            if not c.source and not outs: continue
        cells.append(c)
    nb.cells = cells
    return nb

def build(out=root/'_docs', nbs=root/'nbs', zoo=None):
    "Write the site into `out`; the pages as (file name, title). With `zoo`, that zoo's website (`lmcourse zoo site`) goes in `out/zoo`, linked from every page"
    paths = sorted(nbs.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))
    nbks = [nbformat.read(p, as_version=4) for p in paths]
    pages = [(page_name(p), title_of(nb)) for p, nb in zip(paths, nbks)]
    links = {p.name: page_name(p) for p in paths}
    cfg = Config(); cfg.TagRemovePreprocessor.enabled = True; cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    ex = HTMLExporter(template_name='basic', config=cfg)
    tmp = out.with_name(out.name + '.tmp'); shutil.rmtree(tmp, ignore_errors=True); tmp.mkdir(parents=True)
    style = CSS + HtmlFormatter(style='default').get_style_defs('.highlight')
    (tmp/'style.css').write_text(style, encoding='utf-8')
    for i, (p, nb) in enumerate(zip(paths, nbks)):
        try: body, _ = ex.from_notebook_node(prepare(nb))
        except ValueError as e: shutil.rmtree(tmp); raise SystemExit(f"{p.name}: {e}")
        for a, b in links.items(): body = body.replace(f'href="{a}', f'href="{b}')
        num = lambda q: '' if q.stem == 'index' else q.stem.split('_')[0]
        side = '\n'.join(f'<a class="page{" current" if j == i else ""}" href="{n}"><span class="num">{num(q)}</span>'
                         f'{html.escape(t)}</a>' for j, ((n, t), q) in enumerate(zip(pages, paths)))
        if zoo: side += '\n<a class="page" href="zoo/index.html"><span class="num"></span>The model zoo</a>'
        prev = f'<a href="{pages[i-1][0]}">&larr; {html.escape(pages[i-1][1])}</a>' if i else '<span></span>'
        nxt = f'<a href="{pages[i+1][0]}">{html.escape(pages[i+1][1])} &rarr;</a>' if i + 1 < len(pages) else '<span></span>'
        doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
               f'<title>{html.escape(pages[i][1]) + (" - lmcourse" if i else "")}</title><link rel="stylesheet" href="style.css"></head><body>\n'
               f'<nav><a class="brand" href="index.html">lmcourse</a>\n{side}</nav>\n<main>\n{body}\n'
               f'<div class="pager">{prev}{nxt}</div>\n</main></body></html>\n')
        (tmp/pages[i][0]).write_text(doc, encoding='utf-8')
    if zoo:
        from lmcourse.zoo import zoo_site
        zoo_site(tmp/'zoo', zoo)
    shutil.rmtree(out, ignore_errors=True); tmp.rename(out)
    return pages

def serve(d, port=0):
    "Serve folder `d` on 127.0.0.1 in a thread; the server (its port: `server.server_port`)"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    h = functools.partial(Quiet, directory=str(d))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), h)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

class _Refs(HTMLParser):
    def __init__(self): super().__init__(); self.refs = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); u = a.get('href') if tag in ('a', 'link') else a.get('src') if tag == 'img' else None
        if u and not re.match(r'[a-z]+:|#', u): self.refs.append(u.split('#')[0])

def _refs(body): p = _Refs(); p.feed(body); return p.refs

def check(base):
    "Follow every local link and image from `base`/index.html (each relative to its page); a dict of what was found; raises on a broken one"
    seen, todo, pages, imgs = set(), ['index.html'], {}, 0
    while todo:
        u = todo.pop()
        if u in seen: continue
        seen.add(u)
        with urllib.request.urlopen(f'{base}/{u}', timeout=10) as r:
            assert r.status == 200, (u, r.status)
            body = r.read()
        if not u.endswith('.html'): continue
        body = body.decode('utf-8')
        for bad in ('Traceback (most recent call last)', 'jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr'):
            if bad in body: raise AssertionError(f'{u}: raw error output ({bad})')
        refs = _refs(body)
        pages[u] = dict(title=re.search(r'<title>(.*?)</title>', body).group(1), links=len(refs),
                        images=body.count('src="data:image/png'))
        imgs += pages[u]['images']
        todo += [urllib.parse.unquote(urllib.parse.urljoin(u, x)) for x in refs]      # relative to the page, for nested sites
    return dict(pages=pages, fetched=len(seen), images=imgs)

def chromium():
    return next((shutil.which(c) for c in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(c)), None)

def screenshot(url, png, width=1280, height=2000):
    "A full-width screenshot of `url` by headless Chromium"
    exe = chromium()
    if not exe: raise SystemExit('no Chromium found: apt-get install chromium (Debian) to take screenshots')
    subprocess.run([exe, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', f'--window-size={width},{height}',
                    f'--screenshot={png}', url], check=True, capture_output=True, timeout=120)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(root/'_docs'))
    ap.add_argument('--check', action='store_true', help='serve the site on 127.0.0.1 and follow every link')
    ap.add_argument('--serve', type=int, metavar='PORT', help='serve the site on 127.0.0.1:PORT until Ctrl-C')
    ap.add_argument('--shots', metavar='DIR', help='screenshot every page into DIR with headless Chromium')
    ap.add_argument('--zoo', metavar='ZOO', help="add that zoo's website (lmcourse zoo site) in zoo/, linked from every page")
    a = ap.parse_args()
    out = Path(a.out); pages = build(out, zoo=a.zoo)
    print(f'{len(pages)} pages in {out}: ' + ', '.join(n for n, _ in pages))
    if a.check or a.shots:
        srv = serve(out); base = f'http://127.0.0.1:{srv.server_port}'
        if a.check:
            r = check(base)
            print(f"checked {r['fetched']} URLs from {base}/index.html, all 200; {r['images']} plots")
            for u, p in r['pages'].items(): print(f"  {u:22} {p['links']:3} links {p['images']:3} plots  {p['title']}")
            missing = {n for n, _ in pages} - set(r['pages'])
            if missing: raise SystemExit(f'pages not reachable from the home page: {sorted(missing)}')
        if a.shots:
            d = Path(a.shots); d.mkdir(parents=True, exist_ok=True)
            for n, _ in pages: screenshot(f'{base}/{n}', d/n.replace('.html', '.png')); print('  screenshot', d/n.replace('.html', '.png'))
        srv.shutdown()
    if a.serve:
        srv = serve(out, a.serve); print(f'serving http://127.0.0.1:{a.serve}/ (Ctrl-C stops)')
        try: threading.Event().wait()
        except KeyboardInterrupt: srv.shutdown()
