"Cross-lingual mapping: .vec files, Procrustes, induction, self-learning and the unsupervised seed on spaces with a known answer"
import gzip, pytest, torch
from lmcourse.retrieval import bli
from lmcourse.data import read_vec
from lmcourse.mapping import (write_vec, procrustes, normalize_emb, induce, self_learn, unsupervised_seed, identical_seed,
                              map_embeddings, split_pairs, course_dict, dict_ids, script)


def _spaces(n=600, d=24, noise=0.05, seed=0):
    "A source space and a rotated, noisy, row-shuffled copy: the truth is known"
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g) * torch.linspace(3, 0.5, d)         # anisotropic, like real embeddings
    R = torch.linalg.qr(torch.randn(d, d, generator=g))[0]
    perm = torch.randperm(n, generator=g)
    Z = (X @ R + noise * torch.randn(n, d, generator=g))[perm]
    src = [f's{i}' for i in range(n)]; tgt = [f't{i}' for i in perm.tolist()]   # tgt[j] translates src[perm[j]]
    truth = [(f's{i}', f't{i}') for i in range(n)]
    return X, Z, src, tgt, truth


def test_vec_roundtrip_and_bad_files(tmp_path):
    M = torch.randn(5, 3)
    write_vec(list('abcde'), M, tmp_path/'v.vec')
    w, M2 = read_vec(tmp_path/'v.vec'); assert w == list('abcde') and torch.allclose(M, M2, atol=1e-6)
    assert read_vec(tmp_path/'v.vec', limit=2)[1].shape == (2, 3)
    (tmp_path/'t.vec').write_text('5 3\na 1 2 3\n')
    with pytest.raises(ValueError, match='truncated'): read_vec(tmp_path/'t.vec')
    (tmp_path/'h.vec').write_text('a 1 2 3\n')
    with pytest.raises(ValueError, match='count dim'): read_vec(tmp_path/'h.vec')
    (tmp_path/'e.vec').write_text('')
    with pytest.raises(ValueError): read_vec(tmp_path/'e.vec')
    (tmp_path/'l.vec').write_bytes('1 2\nb\xe4d 1 2\n'.encode('latin-1'))
    with pytest.raises(ValueError, match='line 2 is not valid UTF-8'): read_vec(tmp_path/'l.vec')


def test_read_vec_streams_in_chunks(tmp_path):
    M, w = torch.randn(1001, 7), [f'w{i}' for i in range(1001)]
    write_vec(w, M, tmp_path/'c.vec')
    w2, M2 = read_vec(tmp_path/'c.vec', chunk=100)                       # chunk boundaries inside the file
    assert w2 == w and torch.allclose(M, M2, atol=1e-6)
    with gzip.open(tmp_path/'g.vec.gz', 'wb') as f: f.write((tmp_path/'c.vec').read_bytes())
    assert torch.equal(read_vec(tmp_path/'g.vec.gz', chunk=64)[1], M2)
    (tmp_path/'cut.vec.gz').write_bytes((tmp_path/'g.vec.gz').read_bytes()[:5000])
    with pytest.raises(ValueError, match='truncated'): read_vec(tmp_path/'cut.vec.gz')
    # a fastText-style file: BOM, trailing spaces, CRLF, runs of spaces, a blank line
    (tmp_path/'ft.vec').write_text('\ufeff2 2\na  1 2 \n\nb 3   4\r\n')
    assert read_vec(tmp_path/'ft.vec') == (['a', 'b'], pytest.approx(torch.tensor([[1., 2], [3, 4]])))
    # a short row followed by a long one: the same count of numbers in all, but misaligned; refused with the line
    (tmp_path/'mis.vec').write_text('3 2\na 1 2\nb 1\nc 3 4 5\n')
    with pytest.raises(ValueError, match="line 3 does not hold a word and 2 numbers: 'b 1'"): read_vec(tmp_path/'mis.vec')
    assert read_vec(tmp_path/'mis.vec', limit=1)[0] == ['a']                 # `limit` stops before the bad rows
    with pytest.raises(ValueError, match='without spaces'): write_vec(['a b', 'c'], torch.zeros(2, 2), tmp_path/'w.vec')
    assert not list(tmp_path.glob('.w.vec*'))


def test_procrustes_and_normalize():
    X, Z, *_ = _spaces(noise=0)
    A = torch.randn(100, 8); R = torch.linalg.qr(torch.randn(8, 8))[0]
    assert torch.allclose(procrustes(A, A @ R), R, atol=1e-4)
    N = normalize_emb(X)
    assert torch.allclose(N.norm(dim=1), torch.ones(len(X)), atol=1e-5)
    with pytest.raises(ValueError, match='unknown normalization'): normalize_emb(X, ['l2'])


@pytest.mark.parametrize('mode', ['orthogonal', 'supervised', 'semi_supervised'])
def test_supervised_modes_recover_the_rotation(mode):
    X, Z, src, tgt, truth = _spaces()
    train, test = truth[:300], truth[300:]
    xw, zw, info = map_embeddings(X, Z, src, tgt, mode, pairs=train[:60] if mode == 'semi_supervised' else train, device='cpu')
    assert bli(xw, src, zw, tgt, test, ks=(1,), words_only=False)['p@1'] > 0.95, mode


def test_unsupervised_and_identical_seeds():
    X, Z, src, tgt, truth = _spaces()
    si, ti = unsupervised_seed(normalize_emb(X), normalize_emb(Z), sim_size=600)
    s2i = {f's{i}': i for i in range(600)}; t2i = {w: j for j, w in enumerate(tgt)}
    right = sum(t2i[f't{int(i)}'] == int(j) for i, j in zip(si[:600], ti[:600]))
    assert right > 60, right                                  # far above chance (1 in 600) from shapes alone
    xw, zw, info = map_embeddings(X, Z, src, tgt, 'unsupervised', sim_size=600, device='cpu')
    assert bli(xw, src, zw, tgt, truth, ks=(1,), words_only=False)['p@1'] > 0.95 and info['iterations'] > 50
    with pytest.raises(ValueError, match='share no identical strings'): identical_seed(src, tgt)
    same = [w.replace('t', 's') for w in tgt]                  # now every word is spelled the same in both
    si, ti = identical_seed(src, same); assert len(si) == 600 and all(src[a] == same[b] for a, b in zip(si.tolist(), ti.tolist()))


def test_induce_batched_equals_full_and_directions():
    X, Z, *_ = _spaces(noise=0.3)
    xw, zw = normalize_emb(X), normalize_emb(Z)
    for d in ('forward', 'backward', 'union'):
        a, b = induce(xw, zw, 10, 1., d), induce(xw, zw, 10, 1., d, mem=0)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and abs(a[2] - b[2]) < 1e-5
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(induce(xw, zw, 10, 0.1, g=g1)[1], induce(xw, zw, 10, 0.1, g=g2)[1])   # stochastic, but seeded
    with pytest.raises(ValueError, match='direction'): induce(xw, zw, direction='sideways')


def test_map_embeddings_errors():
    X, Z, src, tgt, truth = _spaces(n=50)
    with pytest.raises(ValueError, match='unknown mode'): map_embeddings(X, Z, src, tgt, 'magic')
    with pytest.raises(ValueError, match='needs a training dictionary'): map_embeddings(X, Z, src, tgt, 'supervised')
    with pytest.raises(ValueError, match='no dictionary pair'): map_embeddings(X, Z, src, tgt, 'supervised', pairs=[('x', 'y')])


def test_course_dictionaries_split_cleanly():
    for s, t in [('en', 'es'), ('en', 'sw'), ('en', 'eu')]:
        pairs = course_dict(s, t); tr, te = split_pairs(pairs)
        assert len(pairs) > 100 and not ({a for a, _ in tr} & {a for a, _ in te}) and 0.2 < len(te) / len(pairs) < 0.4
        assert split_pairs(pairs) == (tr, te)                     # stable


def test_messy_dictionaries_are_cleaned_and_reported():
    X, Z, src, tgt, truth = _spaces(n=200)
    pairs = truth[:100] + truth[:10] + [('', 't1'), ('s1', ' '), ('nope', 't1'), ('s2', 'nada')] + [(a.upper(), b) for a, b in truth[100:110]]
    rep = {}; si, ti = dict_ids(pairs, src, tgt, rep)
    assert rep == dict(pairs=len(pairs), blank=2, duplicate=10, case_folded=10, oov_src=1, oov_tgt=1, used=110) and len(si) == 110
    assert all(tgt[j] == 't' + src[i][1:] for i, j in zip(si.tolist(), ti.tolist()))      # every kept pair is right
    xw, zw, info = map_embeddings(X, Z, src, tgt, 'orthogonal', pairs=pairs, device='cpu')
    assert info['dictionary']['used'] == 110 and bli(xw, src, zw, tgt, truth[110:], ks=(1,), words_only=False)['p@1'] > 0.95
    with pytest.raises(ValueError, match='2 unknown source'): dict_ids([('x', 't1'), ('y', 't2')], src, tgt)


def test_mismatched_dimensions_and_sizes_are_refused():
    X, Z, src, tgt, truth = _spaces(n=100)
    with pytest.raises(ValueError, match='24 dimensions and the target vectors 12'): map_embeddings(X, Z[:, :12], src, tgt, 'orthogonal', pairs=truth)
    with pytest.raises(ValueError, match='99 source words for 100'): map_embeddings(X, Z, src[:99], tgt, 'orthogonal', pairs=truth)


def test_small_dictionary_and_different_scripts_are_caught():
    "VecMap's two silent failures: --supervised with fewer pairs than dimensions, --identical between scripts"
    X, Z, src, tgt, truth = _spaces(n=300)
    with pytest.raises(ValueError, match='fewer than the 24 dimensions'): map_embeddings(X, Z, src, tgt, 'supervised', pairs=truth[:20])
    xw, zw, _ = map_embeddings(X, Z, src, tgt, 'orthogonal', pairs=truth[:20], device='cpu')          # Procrustes copes
    assert bli(xw, src, zw, tgt, truth[20:], ks=(1,), words_only=False)['p@1'] > 0.9
    latin, cyr = ['mama', 'maji', 'watu', '2'], ['мама', 'вода', 'люди', '2']
    assert (script(latin), script(cyr)) == ('LATIN', 'CYRILLIC')
    with pytest.raises(ValueError, match='LATIN script and the target in CYRILLIC'): identical_seed(latin[:3], cyr[:3])
    with pytest.warns(UserWarning, match='only 1 identical strings.*LATIN script and the target in CYRILLIC'): identical_seed(latin, cyr)
