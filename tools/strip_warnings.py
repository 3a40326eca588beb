"""Drop what says nothing to a reader from the saved outputs of notebooks: tqdm's "IProgress not found" warning
(printed when a notebook runs headless, as in CI) and its source line, and progress bars (tqdm's text lines
`desc: 40%|####  | 4/10 [...]`, fastprogress's HTML `<progress>` tables). Usage: python tools/strip_warnings.py nbs/*.ipynb"""
import json, re, sys
NOISE = re.compile(r"^.*(TqdmWarning: IProgress not found|from \.autonotebook import tqdm as notebook_tqdm).*\n?", re.M)
BAR = re.compile(r"[^\n\r]*\d+%\|[^|\n\r]*\| *\d+/\d+ \[[^\]\n\r]*\][^\n\r]*[\r\n]*")      # a tqdm line, with its \r

def quiet(o) -> dict | None:
    "Output `o` without warnings and progress bars; None when nothing is left"
    if o.get('output_type') == 'stream' and o.get('name') == 'stderr':
        text = ''.join(o['text']); new = BAR.sub('', NOISE.sub('', text))
        if not new.strip(): return None
        return o if new == text else dict(o, text=new.splitlines(True))
    return None if '<progress' in ''.join(o.get('data', {}).get('text/html', '')) else o

def strip(path) -> int:
    nb, n = json.load(open(path, encoding='utf-8')), 0
    for c in nb['cells']:
        if 'outputs' not in c: continue
        outs = [q for q in map(quiet, c['outputs']) if q is not None]
        if outs != c['outputs']: n += 1; c['outputs'] = outs
    if n:
        with open(path, 'w', encoding='utf-8') as f: json.dump(nb, f, indent=1, ensure_ascii=False); f.write('\n')
    return n

if __name__ == '__main__':
    for p in sys.argv[1:]:
        if (n := strip(p)): print(f"{p}: {n} cells' outputs cleaned of warnings and progress bars")
