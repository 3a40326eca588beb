"""The project's promises: the README's commands are what CI runs, the README matches its notebook, the package
ships its data, and the `lmcourse` command works as installed."""
import json, os, re, shutil, subprocess, sys, zipfile
try: import tomllib
except ImportError: import tomli as tomllib   # Python 3.10
from pathlib import Path
import pytest
from lmcourse import data as D

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    return re.findall(r'```sh\n(pip install[^\n]*)\n```', (ROOT/'README.md').read_text(encoding='utf-8'))


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    cmds = readme_commands()
    assert len(cmds) == 2, cmds
    assert cmds[1] in (ROOT/'.ci'/'run').read_text(encoding='utf-8')


def test_readme_is_generated_from_index_notebook():
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_package_data_covers_every_asset():
    globs = tomllib.loads((ROOT/'pyproject.toml').read_text())['tool']['setuptools']['package-data']['lmcourse']
    assets = [p.relative_to(ROOT/'lmcourse') for p in (ROOT/'lmcourse'/'assets').rglob('*') if p.is_file()]
    missed = [str(p) for p in assets if not any(p.match(g) for g in globs)]
    assert not missed and len(assets) >= 20
    assert sum((ROOT/'lmcourse'/p).stat().st_size for p in assets) < 15e6


def test_wheel_ships_every_asset_without_warnings(tmp_path):
    "A real wheel build: every bundled file inside, and no setuptools warning about packages it would leave out"
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(ROOT), '--no-deps', '-v', '-w', str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'would be ignored' not in r.stdout + r.stderr
    names = set(zipfile.ZipFile(next(tmp_path.glob('lmcourse-*.whl'))).namelist())
    assets = {p.relative_to(ROOT).as_posix() for p in (ROOT/'lmcourse'/'assets').rglob('*') if p.is_file()}
    assert len(assets) >= 20 and assets <= names, sorted(assets - names)


def test_every_import_is_a_declared_dependency():
    "A module lmcourse imports (at the top or inside a function) comes from a distribution pyproject.toml names"
    import importlib.metadata as md, importlib.util
    spec = importlib.util.spec_from_file_location('check_install', ROOT/'tools'/'check_install.py')
    ci = importlib.util.module_from_spec(spec); spec.loader.exec_module(ci)
    norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()
    deps = {norm(re.split(r'[<>=!~\[; ]', d)[0]) for d in tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['dependencies']}
    dists = md.packages_distributions()
    missing = {m: dists.get(m) for m in ci.third_party(ROOT/'lmcourse') if not {norm(d) for d in dists.get(m, [m])} & deps}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert {'lxml-html-clean', 'filelock'} <= deps          # trafilatura's lxml[html_clean] extra installs nothing under lxml >= 6


def test_no_warning_on_import():
    "torch >= 2.14 warned on every command that fastai's `torch.jit.script` is deprecated: filtered, once, in lmcourse.data"
    r = subprocess.run([sys.executable, '-W', 'always', '-c', 'import lmcourse.zoo, lmcourse.cli'], capture_output=True, text=True)
    assert r.returncode == 0 and 'torch.jit.script' not in r.stderr, r.stderr[-2000:]


def test_mapping_alignment_and_mining_import_without_fastai():
    """Mapping word vectors (bench/bli.py times it as a fresh process against VecMap), aligning Bibles (`lmcourse align`) and
    sentence encoders (`lmcourse encoder`, `lmcourse mine`) need torch, not fastai's 2 s import: only their LM parts load it"""
    r = subprocess.run([sys.executable, '-c', 'import sys, lmcourse.mapping, lmcourse.retrieval, lmcourse.data, lmcourse.align, lmcourse.sentences; '
                        'print(sorted(m for m in sys.modules if m.split(".")[0] == "fastai"))'], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == '[]', r.stdout + r.stderr[-2000:]


def test_no_settings_ini():
    assert not (ROOT/'settings.ini').exists() and not (ROOT/'setup.py').exists()
    assert 'tst_flags' in tomllib.loads((ROOT/'pyproject.toml').read_text())['tool']['nbdev']


def lmc(*args, **kw):
    exe = shutil.which('lmcourse')
    cmd = [exe] if exe else [sys.executable, '-c', 'from lmcourse.cli import main; main()']
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300, **kw)


def test_cli_version_and_list():
    r = lmc('--version'); assert r.returncode == 0 and r.stdout.startswith('lmcourse ')
    r = lmc('data', 'list'); assert r.returncode == 0 and all(k in r.stdout for k in D.BUNDLED)


def test_cli_stats_main_job():
    r = lmc('data', 'stats')
    assert r.returncode == 0, r.stderr
    rows = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines()[1:]}
    assert rows['Swahili'][0] == '7853' and int(rows['English'][1]) > 780_000


def test_cli_extract_gives_original_formats(tmp_path):
    r = lmc('data', 'extract', 'bible', str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert D.read_bible(tmp_path/'bible'/'Zulu-NT.xml') == D.read_bible('zu')
    r = lmc('data', 'extract', 'freedict', str(tmp_path))
    assert D.read_dictd(tmp_path/'freedict'/'freedict-eng-swh.index') == D.read_dictd(D.freedict_path('en', 'sw'))
    r = lmc('data', 'extract', 'nope', str(tmp_path))
    assert r.returncode == 1 and 'unknown set' in r.stderr


def test_readme_check_catches_a_typed_number(tmp_path):
    "A number typed into the README's prose that no saved output holds fails `make_readme.py --check`"
    sys.path.insert(0, str(ROOT/'tools')); import make_readme
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    nb['cells'].append(dict(cell_type='markdown', id='typed', metadata={}, source=['A figure from memory: 987.654 bits, and 88.5 from a table.']))
    (tmp_path/'index.ipynb').write_text(json.dumps(nb), encoding='utf-8')
    assert make_readme.unbacked_numbers(tmp_path/'index.ipynb')[-1:] == [('typed', '987.654')]
