"""Word alignment (notebook 07) beyond what the notebook shows: the two directions are one model seen from both
sides, grow-diag-final-and on hand-made links, and a user's own CES Bible in another script, xz-compressed."""
import lzma
import numpy as np
from lmcourse.align import verse_pairs, WordAligner, symmetrize, translations, align_bibles, Bitext
from lmcourse.data import read_bible
import pandas as pd


def test_swapping_the_languages_gives_the_same_dictionary_reversed():
    bt = verse_pairs('en', 'zu'); bt = Bitext(bt.ids[:800], bt.src[:800], bt.tgt[:800])
    a = WordAligner().fit(bt).lexicon(min_score=0)
    b = WordAligner().fit(Bitext(bt.ids, bt.tgt, bt.src)).lexicon(min_score=0)
    m = a.merge(b.rename(columns=dict(src='tgt', tgt='src')), on=['src', 'tgt'])
    assert len(m) == len(a) == len(b)
    np.testing.assert_allclose(m.score_x, m.score_y, rtol=1e-9)


def test_grow_diag_final_and_by_hand():
    # one verse, 3 source and 3 target tokens; fwd: the source position of each target token, rev: the reverse
    so, to = np.array([0, 3]), np.array([0, 3])
    fwd, rev = [0, 1, 1], [0, 1, -1]               # agree on (0,0), (1,1); fwd alone adds (1,2); rev leaves 2 unaligned
    assert sorted(map(tuple, symmetrize(so, to, fwd, rev)[:, 1:])) == [(0, 0), (1, 1), (1, 2)]   # (1,2) grows next to (1,1)
    fwd, rev = [-1, -1, -1], [-1, -1, -1]
    assert len(symmetrize(so, to, fwd, rev)) == 0
    fwd, rev = [2, -1, -1], [-1, -1, -1]            # one direction only, far from any agreed link: final-and keeps it
    assert sorted(map(tuple, symmetrize(so, to, fwd, rev)[:, 1:])) == [(2, 0)]


GREEK = str.maketrans('abdeghiklmnoprstuwyz', 'αβδεγηικλμνοπρστυωψζ')

def test_a_users_ces_bible_in_another_script(tmp_path):
    sw = read_bible('sw')
    segs = ''.join(f'<seg id="{k}" type="verse">{v.lower().translate(GREEK)}</seg>' for k, v in sw.items())
    p = tmp_path/'Swahili-Greek-NT.xml.xz'
    p.write_bytes(lzma.compress(f'<?xml version="1.0" encoding="utf-8"?><cesDoc><text><body><div>{segs}</div></body></text></cesDoc>'.encode()))
    lex = align_bibles('en', p, tmp_path/'out'/'en-x.tsv', top=3)
    assert translations(lex, 'god', 1) == ['mungu'.translate(GREEK)] and translations(lex, 'jesus', 1) == ['yesu'.translate(GREEK)]
    back = pd.read_csv(tmp_path/'out'/'en-x.tsv', sep='\t', keep_default_na=False)
    assert back.groupby('src').size().max() == 3 and list(back.columns) == ['src', 'tgt', 'score', 'p']
    assert not [f for f in (tmp_path/'out').iterdir() if f.name != 'en-x.tsv']      # no temporary file left


def test_fertility_cap():
    from lmcourse.align import _cap_fertility
    rng = np.random.default_rng(0)
    for ng, nc in [(6, 3), (3, 6), (1, 1), (8, 8)]:
        Q = rng.random((ng, nc + 1)) ** 3; Q /= Q.sum(1, keepdims=True); P = Q.copy()
        _cap_fertility(P, ng, nc, 1., rounds=200)                  # enough rounds to converge
        np.testing.assert_allclose(P.sum(1), 1)                    # still one distribution per produced token
        assert (P[:, :nc].sum(0) <= 1 + 1e-3).all()                # no producing token over the cap
        if (Q[:, :nc].sum(0) <= 1).all(): np.testing.assert_array_equal(P, Q)   # nothing over: untouched
    bt = verse_pairs('en', 'sw'); bt = Bitext(bt.ids[:800], bt.src[:800], bt.tgt[:800])
    a, b, c = WordAligner().fit(bt), WordAligner(fertility=0).fit(bt), WordAligner(fertility=1).fit(bt)
    np.testing.assert_array_equal(a.c_fwd, b.c_fwd)                # 0 is off: the default, exactly
    assert np.abs(c.c_fwd - a.c_fwd).max() > 0.5 and np.abs(c.c_rev - a.c_rev).max() > 0.5   # the cap moves counts
    assert translations(c.lexicon(), 'jesus', 1) == ['yesu']


def test_agreement():
    "`agree=True`: the first iteration is the default's; afterwards both directions count each link alike"
    bt = verse_pairs('en', 'sw'); bt = Bitext(bt.ids[:800], bt.src[:800], bt.tgt[:800])
    for fert in (0., 1.):
        one, ag1 = WordAligner(iters=1, fertility=fert).fit(bt), WordAligner(iters=1, fertility=fert, agree=True).fit(bt)
        np.testing.assert_allclose(ag1.c_fwd, one.c_fwd); np.testing.assert_allclose(ag1.c_rev, one.c_rev)
    a, d = WordAligner(agree=True).fit(bt), WordAligner().fit(bt)
    np.testing.assert_array_equal(a.c_fwd, a.c_rev)                 # one count per link, from the two posteriors' product
    assert a.c_fwd.sum() < d.c_fwd.sum() - 100                      # links only one direction wants count less
    assert translations(a.lexicon(), 'jesus', 1) == ['yesu']
    assert (a.viterbi()[0] >= -1).all()
