"""Write README.md from nbs/index.ipynb: markdown cells as they are, code cells as Python blocks with their
saved text outputs; cells marked `#| hide` are left out and `#| echo: false` shows only the output.
(nbdev's `nbdev-readme` does this through Quarto, which cannot be installed offline.)

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # exit 1 if README.md is out of date, or if a number in its prose is in no saved output

A number typed in a markdown cell (one with a decimal point: 88.5, 0.544, 1,642.0) must be, at the precision it is written
with, a number of some saved output (a notebook's outputs, or a file `bench/` wrote: `*.json`, `*.out`, `*.md`), or a
number its own notebook's code asserts. `--check` checks nbs/index.ipynb and every notebook."""
import glob, json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root/'nbs'/'index.ipynb'):
    out = ['<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->', '']
    for c in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out += [re.sub(r'^> ', '> ', src), '']; continue
        flags = re.findall(r'^#\|\s*(.+)$', src, re.M)
        if any(f.strip() == 'hide' for f in flags): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code and not any(f.replace(' ', '') == 'echo:false' for f in flags): out += ['```python', code, '```', '']
        for o in c.get('outputs', []):
            txt = ''.join(o.get('text', '')) or ''.join(o.get('data', {}).get('text/markdown', '')) \
                  or ''.join(o.get('data', {}).get('text/plain', ''))
            if txt.strip():
                md = 'text/markdown' in o.get('data', {})
                out += [txt.rstrip(), ''] if md else ['```', txt.rstrip(), '```', '']
    return '\n'.join(out).rstrip() + '\n'

PROSE_NUMBER = re.compile(r'(?<![\w.])\d[\d,]*\.\d+(?![\w.])')

def _outputs(nb_path) -> str:
    return '\n'.join(''.join(o.get('text', '')) + ''.join(''.join(v) for v in o.get('data', {}).values() if isinstance(v, (str, list)))
                     for c in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells'] for o in c.get('outputs', []))

def saved_numbers() -> set:
    "Every number of the saved outputs (notebooks, `bench/`), written at 0 to 4 decimals"
    txt = '\n'.join([_outputs(p) for p in glob.glob(str(root/'nbs'/'*.ipynb'))] +
                    [Path(p).read_text(encoding='utf-8') for e in ('json', 'out', 'md') for p in glob.glob(str(root/'bench'/f'*.{e}'))])
    vals = {float(m) for m in re.findall(r'\d+(?:\.\d+)?(?:e-?\d+)?', txt.replace(',', ''))}
    return {f'{v:.{k}f}' for v in vals for k in range(5)}

def unbacked_numbers(nb_path=root/'nbs'/'index.ipynb') -> list:
    "(cell id, number) for each number in a markdown cell of `nb_path` that no saved output holds"
    code = ' '.join(''.join(c['source']) for c in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'code')
    ok = saved_numbers() | set(re.findall(r'\d+\.\d+', code.replace('_', '')))
    return [(c.get('id'), n) for c in json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'markdown'
            for n in PROSE_NUMBER.findall(''.join(c['source'])) if n.replace(',', '') not in ok]

if __name__ == '__main__':
    txt, readme = render(), root/'README.md'
    if '--check' in sys.argv:
        if readme.read_text(encoding='utf-8') != txt: sys.exit('README.md is out of date: run python tools/make_readme.py')
        bad = {Path(p).name: b for p in sorted(glob.glob(str(root/'nbs'/'*.ipynb'))) if (b := unbacked_numbers(p))}
        if bad: sys.exit(f"numbers in the prose that no saved output holds nor code asserts (notebook: [(cell, number)]): {bad}")
    else: readme.write_text(txt, encoding='utf-8')
