"""Rebuild `lmcourse/assets/` from the course's shared data folder (default `../shared/data`).

Text files are stored xz-compressed in their original format; dictd files (already dictzip) and
small word lists are copied as they are. Run from the repository root:  python tools/vendor_data.py"""
import lzma, shutil, sys
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else '../shared/data')
dst = Path('lmcourse/assets')
xz = ['bible/English-KJV.xml', 'bible/Spanish-RV1909.xml', 'bible/Swahili-NT.xml', 'bible/Basque-NT.xml',
      'bible/Zulu-NT.xml', 'wikitext-2/valid.txt', 'wikitext-2/test.txt']
plain = ['bible/LICENSE-bible-corpus', 'bible/metadata.csv', 'swadesh207/README', 'freedict/COPYRIGHT-eng-swh',
         *[f'swadesh207/{l}-000.txt' for l in ('eng', 'spa', 'swh', 'eus', 'zul')],
         *[f'freedict/freedict-eng-{l}.{e}' for l in ('swh', 'spa', 'fra') for e in ('index', 'dict.dz')]]
for f in xz:
    (dst/f).parent.mkdir(parents=True, exist_ok=True)
    (dst/(f + '.xz')).write_bytes(lzma.compress((src/f).read_bytes(), preset=9 | lzma.PRESET_EXTREME))
for f in plain:
    (dst/f).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src/f, dst/f)
print(sum(p.stat().st_size for p in dst.rglob('*') if p.is_file()) / 1e6, 'MB in', dst)
