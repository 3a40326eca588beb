"""Drop the warnings that say nothing to a reader from the saved outputs of notebooks: tqdm's "IProgress not found"
(printed when a notebook runs headless, as in CI) and its source line. Usage: python tools/strip_warnings.py nbs/*.ipynb"""
import json, re, sys
NOISE = re.compile(r"^.*(TqdmWarning: IProgress not found|from \.autonotebook import tqdm as notebook_tqdm).*\n?", re.M)

def strip(path) -> int:
    nb, n = json.load(open(path, encoding='utf-8')), 0
    for c in nb['cells']:
        outs = []
        for o in c.get('outputs', []):
            if o.get('output_type') == 'stream' and o.get('name') == 'stderr':
                text = ''.join(o['text']); new = NOISE.sub('', text)
                if new != text: n += 1; o['text'] = new.splitlines(True)
                if not new.strip(): continue
            outs.append(o)
        if 'outputs' in c: c['outputs'] = outs
    if n:
        with open(path, 'w', encoding='utf-8') as f: json.dump(nb, f, indent=1, ensure_ascii=False); f.write('\n')
    return n

if __name__ == '__main__':
    for p in sys.argv[1:]:
        if (n := strip(p)): print(f"{p}: {n} warning outputs cleaned")
