"""Convert notebooks to and from percent-format Python, for editing nbs/ in a plain editor.

    python tools/nbpy.py to-nb  src.py  nbs/00_data.ipynb   # cells from `# %%` / `# %% [markdown]` markers
    python tools/nbpy.py to-py  nbs/00_data.ipynb  out.py   # the reverse (outputs are dropped)

Markdown cells are written as `# ` comment lines. After `to-nb`, execute the notebook
(`jupyter nbconvert --execute --to notebook --inplace`) and run `nbdev-clean`."""
import hashlib, json, os, re, sys
from pathlib import Path

def py2cells(src):
    cells, cur, kind = [], [], None
    def flush():
        if kind is None: return
        lines = cur[:]
        while lines and not lines[-1].strip(): lines.pop()
        if kind == 'markdown': lines = [re.sub(r'^# ?', '', l) for l in lines]
        cells.append(dict(cell_type=kind, source='\n'.join(lines)))
    for line in src.splitlines():
        m = re.match(r'^# %%( \[markdown\])?\s*$', line)
        if m:
            flush(); cur, kind = [], 'markdown' if m.group(1) else 'code'
        elif kind is not None: cur.append(line)
    flush()
    return cells

def to_nb(src, dst):
    old = {}
    if Path(dst).exists():  # keep outputs of unchanged code cells
        for c in json.loads(Path(dst).read_text())['cells']:
            if c['cell_type'] == 'code': old[''.join(c['source'])] = c.get('outputs', [])
    cells = []
    for i, c in enumerate(py2cells(Path(src).read_text())):
        cid = hashlib.sha1(f"{i}{c['source']}".encode()).hexdigest()[:8]
        d = dict(cell_type=c['cell_type'], id=cid, metadata={}, source=c['source'].splitlines(True))
        if c['cell_type'] == 'code': d.update(execution_count=None, outputs=old.get(c['source'], []))
        cells.append(d)
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    Path(dst).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

def to_py(src, dst):
    out = []
    for c in json.loads(Path(src).read_text())['cells']:
        s = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out += ['# %% [markdown]'] + [('# ' + l).rstrip() for l in s.splitlines()]
        else: out += ['# %%', s]
        out.append('')
    Path(dst).write_text('\n'.join(out))

def run(src, skip='slow,cuda'):
    "Execute notebook `src` in place, as nbdev-test would: cells flagged `#| slow` or `#| cuda` (in `skip`) are not run and keep their saved outputs"
    import nbformat
    from nbclient import NotebookClient
    os.environ.pop('MPLBACKEND', None)     # Agg (as CI sets it) would keep plots out of the saved outputs
    nb = nbformat.read(src, as_version=4)
    flags = {f.strip() for f in skip.split(',') if f.strip()}
    held = {}
    for i, c in enumerate(nb.cells):
        if c.cell_type == 'code' and any(l.strip().replace(' ', '') in {f'#|{f}' for f in flags} for l in c.source.splitlines()):
            held[i] = c.source, c.outputs; c.source = ''; c.outputs = []
    NotebookClient(nb, timeout=int(os.environ.get('NB_TIMEOUT', 1800)), kernel_name='python3', resources={'metadata': {'path': str(Path(src).parent)}}).execute()
    for i, (s, o) in held.items(): nb.cells[i].source = s; nb.cells[i].outputs = o; nb.cells[i].execution_count = None   # saved outputs stay
    nbformat.write(nb, src)

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    {'to-nb': to_nb, 'to-py': to_py, 'run': run}[cmd](*args)
