"""Write README.md from nbs/index.ipynb: markdown cells as they are, code cells as Python blocks with their
saved text outputs; cells marked `#| hide` are left out and `#| echo: false` shows only the output.
(nbdev's `nbdev-readme` does this through Quarto, which cannot be installed offline.)

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # exit 1 if README.md is out of date"""
import json, re, sys
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

if __name__ == '__main__':
    txt, readme = render(), root/'README.md'
    if '--check' in sys.argv:
        if readme.read_text(encoding='utf-8') != txt: sys.exit('README.md is out of date: run python tools/make_readme.py')
    else: readme.write_text(txt, encoding='utf-8')
