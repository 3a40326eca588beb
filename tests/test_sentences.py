"The `lmcourse encoder` and `lmcourse mine` commands, as a user runs them: a real encoder, real files, bad input"
import os, subprocess, sys
from pathlib import Path
import pytest
from lmcourse.sentences import verse_split


def run(*args, home):
    env = dict(os.environ, LMCOURSE_HOME=str(home))
    r = subprocess.run([sys.executable, '-m', 'lmcourse.cli', *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope='module')
def encoder(tmp_path_factory):
    home = tmp_path_factory.mktemp('home')
    rc, out, err = run('encoder', 'en', 'sw', '--name', 'en-sw', home=home)
    assert rc == 0, err
    assert 'xsim error' in out and (home/'sentences'/'en-sw'/'card.json').exists()
    return home


def test_mine_finds_true_pairs_and_bad_input_gets_one_line(encoder, tmp_path):
    sp = verse_split('en', 'sw')
    te, tr = sp['test'].iloc[:300], sp['train']
    en = list(te.src[::-1]) + list(tr.src[:200])                         # reversed, with 200 English verses that have no partner
    sw = list(te.tgt) + list(tr.tgt[200:400])                           # and 200 Swahili ones
    (tmp_path/'en.txt').write_text('\n'.join(en) + '\n\n'); (tmp_path/'sw.txt').write_text('\n'.join(sw))
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '-o', tmp_path/'pairs.tsv', home=encoder)
    assert rc == 0, err
    rows = [l.split('\t') for l in (tmp_path/'pairs.tsv').read_text().splitlines()[1:]]
    true = sum(int(s) == 300 - int(t) + 1 for _, s, t, *_ in rows)        # line numbers: en line 300 - i + 1 is sw line i
    assert len(rows) > 150 and true / len(rows) > 0.6, (len(rows), true)        # the dev threshold: ~70% precision among Bible-like distractors
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '--batch', '64', '-o', tmp_path/'small.tsv', home=encoder)
    small = [l.split('\t') for l in (tmp_path/'small.tsv').read_text().splitlines()[1:]]
    assert rc == 0 and {tuple(r[1:3]) for r in small} == {tuple(r[1:3]) for r in rows}, err   # read and embedded 64 lines at a time: the same pairs
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '--threshold', '50', home=encoder)
    assert rc == 1 and 'keeps no pair' in err and len(err.strip().splitlines()) == 1
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '--aligned', home=encoder)
    assert rc == 1 and 'has no partner' in err
    (tmp_path/'empty.txt').write_text('')
    rc, out, err = run('mine', tmp_path/'empty.txt', tmp_path/'sw.txt', '--model', 'en-sw', home=encoder)
    assert rc == 1 and 'empty' in err and 'Traceback' not in err
    (tmp_path/'latin1.txt').write_bytes(('\n'.join(sw[:100]) + '\nMaría, señora').encode('latin-1', 'replace'))
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'latin1.txt', '--model', 'en-sw', home=encoder)
    assert rc == 1 and 'line 101 is not valid UTF-8' in err and len(err.strip().splitlines()) == 1, err
    rc, out, err = run('mine', tmp_path/'sw.txt', tmp_path/'sw.txt', '--model', 'en-sw', '-o', tmp_path/'same.tsv', home=encoder)
    assert rc == 0 and 'warning' in err and 'copies and paraphrases' in err
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', '../x', home=encoder)
    assert rc == 1 and 'Traceback' not in err
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-zu', home=encoder)
    assert rc == 1 and 'no sentence encoder' in err


def test_aligned_files_measure_retrieval(encoder, tmp_path):
    te = verse_split('en', 'sw')['test'].iloc[:400]
    (tmp_path/'en.txt').write_text('\n'.join(te.src)); (tmp_path/'sw.txt').write_text('\n'.join(te.tgt))
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '--aligned', home=encoder)
    assert rc == 0 and 'xsim_error' in out, err
    (tmp_path/'sw.txt').write_text('\n'.join(list(te.tgt[:10]) + [''] + list(te.tgt[11:])))
    rc, out, err = run('mine', tmp_path/'en.txt', tmp_path/'sw.txt', '--model', 'en-sw', '--aligned', home=encoder)
    assert rc == 1 and 'line 11 is empty' in err
