"""Check an installed lmcourse as a new user gets it from a plain `pip install .` (no extras): import every module of
the package and every third-party module it imports anywhere, lazily inside functions too (a broken extra of a
dependency shows up here, not in a user's first crawl), and run `lmcourse ... --help` for every subcommand.
CI runs it in a second fresh virtual environment; run it with that environment's Python:

    python tools/check_install.py"""
import ast, contextlib, importlib, io, pkgutil, subprocess, sys
from pathlib import Path


def third_party(pkg_dir) -> set[str]:
    "Top-level names of the modules the package's source imports, standard library and the package itself aside"
    names = set()
    for f in Path(pkg_dir).glob('*.py'):
        for n in ast.walk(ast.parse(f.read_text(encoding='utf-8'))):
            if isinstance(n, ast.Import): names |= {a.name.split('.')[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and not n.level and n.module: names.add(n.module.split('.')[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ('lmcourse', '__future__')}


def subcommands(parser, prefix=()):
    "Every command line that has its own --help: (), ('data',), ('data', 'get')..."
    yield prefix
    for a in parser._actions:
        if a.__class__.__name__ == '_SubParsersAction':
            for name, p in a.choices.items(): yield from subcommands(p, prefix + (name,))


def main():
    import lmcourse
    from lmcourse import cli
    pkg = Path(lmcourse.__file__).parent
    if (pkg.parent/'pyproject.toml').exists(): sys.exit(f"lmcourse is imported from the source tree {pkg}: run this with an installed package")
    mods = [m.name for m in pkgutil.iter_modules([str(pkg)], 'lmcourse.')]
    for m in mods + sorted(third_party(pkg)): importlib.import_module(m)
    p = cli.Parser(prog='lmcourse'); sub = p.add_subparsers(dest='cmd')
    for f in cli.PARSERS: f(sub)
    cmds = list(subcommands(p))
    exe = Path(sys.executable).parent/'lmcourse'                   # the console script pip wrote
    for c in cmds:
        if len(c) < 2:                                             # through the console script, as a user types it
            r = subprocess.run([str(exe), *c, '--help'], capture_output=True, text=True)
            rc, out, err = r.returncode, r.stdout, r.stderr
        else:                                                      # the rest in this process: the same parser, faster
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try: cli.main([*c, '--help']); rc = 0
                except SystemExit as e: rc = e.code
            out, err = out.getvalue(), err.getvalue()
        if rc or 'usage: lmcourse' not in out or err.strip():
            sys.exit(f"`lmcourse {' '.join(c)} --help` failed ({rc}): {err[-2000:]}")
    print(f"installed lmcourse {lmcourse.__version__} at {pkg}: {len(mods)} modules and {len(third_party(pkg))} third-party "
          f"modules import; {len(cmds)} commands answer --help")


if __name__ == '__main__': main()
