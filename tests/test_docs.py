"""The course website (`tools/build_docs.py`): every notebook becomes a page, served over HTTP every page is reachable
from the home page, every link and the stylesheet answer, the plots are there and no raw error output is; a notebook
that saved an error fails the build with the notebook's name."""
import importlib.util, json, shutil, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location('build_docs', ROOT/'tools'/'build_docs.py')
bd = importlib.util.module_from_spec(spec); spec.loader.exec_module(bd)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('site')/'_docs'
    pages = bd.build(out, zoo=out.parent/'zoo')          # an empty zoo: its website goes in _docs/zoo, linked from every page
    srv = bd.serve(out)
    yield out, pages, f'http://127.0.0.1:{srv.server_port}'
    srv.shutdown()


def test_every_notebook_is_a_reachable_page(site):
    out, pages, base = site
    nbs = sorted((ROOT/'nbs').glob('*.ipynb'))
    assert len(pages) == len(nbs) and pages[0][0] == 'index.html'
    r = bd.check(base)
    assert set(r['pages']) == {n for n, _ in pages} | {'zoo/index.html'}                  # and the zoo's website
    assert all(r['pages'][n]['links'] >= len(pages) + 1 for n, _ in pages)    # the sidebar links every page and the zoo
    with urllib.request.urlopen(f'{base}/style.css') as f: assert b'nav' in f.read()


def test_plots_and_no_raw_errors_or_progress_bars(site):
    out, pages, base = site
    r = bd.check(base)
    assert r['images'] >= 5 and r['pages']['zoo.html']['images'] >= 1 and r['pages']['align.html']['images'] >= 2
    for n, _ in pages:
        t = (out/n).read_text(encoding='utf-8')
        assert 'Traceback' not in t and 'it/s]' not in t and 'TqdmWarning' not in t, n
        assert '#| export' not in t and '#| hide' not in t, n
    zoo = (out/'zoo.html').read_text(encoding='utf-8')
    assert 'class="page current" href="zoo.html"' in zoo and 'href="align.html">The Bible as a Rosetta stone: word alignment &rarr;' in zoo


def test_hidden_cells_left_out_and_echo_false_shows_output_only():
    nb = bd.nbformat.v4.new_notebook(cells=[
        bd.nbformat.v4.new_markdown_cell('# T'),
        bd.nbformat.v4.new_code_cell('#| hide\nsecret = 1'),
        bd.nbformat.v4.new_code_cell('#| echo: false\nshown_only_as_output()',
                                     outputs=[bd.nbformat.v4.new_output('stream', name='stdout', text='visible\n')]),
        bd.nbformat.v4.new_code_cell('x = 1', outputs=[bd.nbformat.v4.new_output(
            'stream', name='stderr', text='  0%|          | 0/77 [00:00<?, ?it/s]\repoch 1: loss 4.9\n'
                                          '/x.py:21: TqdmWarning: IProgress not found.\n  from .autonotebook import x\n')])])
    p = bd.prepare(nb)
    assert [c.source for c in p.cells][1:] == ['shown_only_as_output()', 'x = 1']
    assert 'remove_input' in p.cells[1].metadata.tags
    assert p.cells[2].outputs[0].text == 'epoch 1: loss 4.9\n'


def test_a_saved_error_fails_the_build(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    shutil.copy(ROOT/'nbs'/'index.ipynb', nbs)
    nb = bd.nbformat.v4.new_notebook(cells=[bd.nbformat.v4.new_markdown_cell('# Broken'), bd.nbformat.v4.new_code_cell(
        '1/0', outputs=[bd.nbformat.v4.new_output('error', ename='ZeroDivisionError', evalue='division by zero', traceback=[])])])
    bd.nbformat.write(nb, nbs/'07_broken.ipynb')
    with pytest.raises(SystemExit, match='07_broken.ipynb: error output in a cell: ZeroDivisionError'):
        bd.build(tmp_path/'_docs', nbs)
    assert not (tmp_path/'_docs').exists()
