"""Every reader on the real bundled files, and on bad input: a clear error naming the file, never a silent empty result."""
import bz2, gzip, lzma
import numpy as np, pytest
from gensim.models import KeyedVectors
from lmcourse import data as D

SW_XML = D.read_bytes(D.bible_path('sw'))


@pytest.mark.parametrize('lang,n', [('en', 31102), ('es', 31084), ('sw', 7853), ('eu', 7952), ('zu', 7975), ('swh', 7853)])
def test_bundled_bibles(lang, n):
    v = D.read_bible(lang)
    assert len(v) == n and all(t and '  ' not in t for t in v.values())


def test_bible_from_plain_and_compressed_files(tmp_path):
    for name, comp in [('sw.xml', bytes), ('sw.xml.gz', gzip.compress), ('sw.xml.bz2', bz2.compress)]:
        (tmp_path/name).write_bytes(comp(SW_XML))
        assert D.read_bible(tmp_path/name) == D.read_bible('sw')


def test_bible_pairs_aligned():
    p = D.bible_pairs('en', 'es')
    assert len(p) > 31000 and p.iloc[0].id == 'b.GEN.1.1' and p.iloc[0].en.startswith('In the beginning')
    assert p.iloc[0].es.startswith('EN el principio')


@pytest.mark.parametrize('bad,msg', [
    (SW_XML[:len(SW_XML)//2], 'malformed XML.*after \\d+ verses'),                       # truncated
    (SW_XML.replace(b'Yesu', 'Yésu'.encode('latin-1'), 1), 'malformed XML'),              # not UTF-8
    (b'', 'file is empty'),
    (b'<?xml version="1.0"?><cesDoc><text></text></cesDoc>', 'no <seg'),
])
def test_bible_bad_input(tmp_path, bad, msg):
    f = tmp_path/'Bad-NT.xml'; f.write_bytes(bad)
    with pytest.raises(ValueError, match=msg) as e: D.read_bible(f)
    assert str(f) in str(e.value)


def test_bible_truncated_archive(tmp_path):
    b = D.bible_path('sw').read_bytes()
    f = tmp_path/'Swahili-NT.xml.xz'; f.write_bytes(b[:len(b)//3])
    with pytest.raises(ValueError, match='corrupt or truncated') as e: D.read_bible(f)
    assert str(f) in str(e.value)


def test_missing_files_and_unknown_languages(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.xml'): D.read_bible(tmp_path/'nothere.xml')
    with pytest.raises(ValueError, match='No bundled data for language'): D.read_bible('xx')
    with pytest.raises(FileNotFoundError, match='only the valid and test'): D.read_wikitext('train')


def test_wikitext():
    v, t = D.read_wikitext('valid'), D.read_wikitext('test')
    assert (len(v), len(t)) == (60, 62) and v.title[0] == 'Homarus gammarus'
    assert '<unk>' in v.text[0] and not any(l.startswith(' = = ') for l in v.text[0].splitlines())


@pytest.mark.parametrize('bad,msg', [(b' = T = \n caf\xe9 \n', 'not valid UTF-8 at byte'), (b'\n\n', 'empty'),
                                     (b'just text\n', 'no ` = Title = `')])
def test_wikitext_bad_input(tmp_path, bad, msg):
    f = tmp_path/'wiki.txt'; f.write_bytes(bad)
    with pytest.raises(ValueError, match=msg) as e: D.read_wikitext(f)
    assert str(f) in str(e.value)


def test_swadesh():
    for l in D.LANGS.index: assert len(D.read_swadesh(l)) == 207
    es = D.swadesh_pairs('en', 'es')
    assert ('water', 'agua') in es and ('I', 'yo') in es
    assert all(D.is_word(a) and D.is_word(b) for a, b in D.swadesh_pairs('en', 'sw'))   # no phrases, no '5i5i'
    assert any(' ' in a or ' ' in b for a, b in D.swadesh_pairs('en', 'sw', single_words=False))


def test_swadesh_bad_input(tmp_path):
    f = tmp_path/'x-000.txt'; f.write_text('one\ntwo\n', encoding='utf-8')
    with pytest.raises(ValueError, match='expected 207 concept lines, found 2'): D.read_swadesh(f)


def test_dictd_b64():
    assert [D.dictd_b64(s) for s in ('A', 'B', 'BA', 'MER', '/')] == [0, 1, 64, 49425, 63]
    with pytest.raises(ValueError): D.dictd_b64('A*')


@pytest.mark.parametrize('tgt,n', [('sw', 1400), ('es', 5800), ('fra', 8700)])
def test_freedict(tgt, n):
    e = D.read_dictd(D.freedict_path('en', tgt))
    assert len(e) > n and not any(h.startswith('00database') for h, _ in e)
    pairs = D.dictd_pairs(D.freedict_path('en', tgt))
    assert len(pairs) > n // 2 and all(D.is_word(b) for _, b in pairs)


def test_freedict_known_entries():
    assert ('water', 'maji') in D.dictd_pairs(D.freedict_path('en', 'sw'))
    es = D.dictd_pairs(D.freedict_path('en', 'es'))
    assert ('abbey', 'abadía') in es and ('abate', 'calmarse') in es and ('abate', 'sosegarse') in es


def copy_dict(tmp_path, idx=None, dz=None):
    src = D.freedict_path('en', 'sw')
    (tmp_path/'d.index').write_bytes(idx if idx is not None else src.with_suffix('.index').read_bytes())
    (tmp_path/'d.dict.dz').write_bytes(dz if dz is not None else src.with_suffix('.dict.dz').read_bytes())
    return tmp_path/'d'


def test_dictd_index_past_end(tmp_path):
    idx = D.freedict_path('en', 'sw').with_suffix('.index').read_text(encoding='utf-8') + 'zebra\t////\tB\n'
    base = copy_dict(tmp_path, idx=idx.encode())
    with pytest.raises(ValueError, match="'zebra' points to bytes .* past the end") as e: D.read_dictd(base)
    assert 'd.index' in str(e.value)


def test_dictd_bad_index_and_truncated_data(tmp_path):
    with pytest.raises(ValueError, match='expected `headword<TAB>offset'): D.read_dictd(copy_dict(tmp_path, idx=b'water maji\n'))
    dz = D.freedict_path('en', 'sw').with_suffix('.dict.dz').read_bytes()
    with pytest.raises(ValueError, match='corrupt or truncated') as e: D.read_dictd(copy_dict(tmp_path, dz=dz[:5000]))
    assert 'd.dict.dz' in str(e.value)
    with pytest.raises(ValueError, match='empty'): D.read_dictd(copy_dict(tmp_path, idx=b''))
    with pytest.raises(FileNotFoundError): D.read_dictd(tmp_path/'nothing.index')


def test_muse_roundtrip_and_cleanup(tmp_path):
    f = D.write_muse([('water', 'maji'), ('fire', 'moto')], tmp_path/'en-sw.txt')
    assert D.read_muse(f) == [('water', 'maji'), ('fire', 'moto')]
    f.write_text('Water maji\n\nwater maji\nwater  maji\nfire\tmoto\n', encoding='utf-8')
    assert D.read_muse(f) == [('Water', 'maji'), ('water', 'maji'), ('fire', 'moto')]
    assert D.read_muse(f, lower=True) == [('water', 'maji'), ('fire', 'moto')]


def test_muse_bad_input(tmp_path):
    f = tmp_path/'d.txt'
    f.write_text('water maji\nthree words here\n', encoding='utf-8')
    with pytest.raises(ValueError, match=':2: expected two words'): D.read_muse(f)
    f.write_bytes(b'caf\xe9 kahawa\n')
    with pytest.raises(ValueError, match='not valid UTF-8'): D.read_muse(f)
    f.write_text('', encoding='utf-8')
    with pytest.raises(ValueError, match='empty'): D.read_muse(f)
    with pytest.raises(ValueError, match='without spaces'): D.write_muse([('ice cream', 'aiskrimu')], f)


def small_kv():
    kv = KeyedVectors(4)
    kv.add_vectors(['maji', 'moto', 'mti'], np.arange(12, dtype=np.float32).reshape(3, 4))
    return kv


def test_vectors_roundtrip(tmp_path):
    f = D.write_vectors(small_kv(), tmp_path/'sw.vec')
    kv = D.read_vectors(f)
    assert kv.index_to_key == ['maji', 'moto', 'mti'] and np.allclose(kv['mti'], [8, 9, 10, 11])
    (tmp_path/'sw.vec.gz').write_bytes(gzip.compress(f.read_bytes()))
    assert D.read_vectors(tmp_path/'sw.vec.gz', limit=2).index_to_key == ['maji', 'moto']


@pytest.mark.parametrize('bad,msg', [
    (b'', 'empty'), (b'maji 0.1 0.2\n', 'first line must be `count dim`'),
    (b'3 4\nmaji 0 1 2 3\nmoto 4 5\n', 'line 3 does not hold a word and 4 numbers'),   # a short row
    (b'2 2\nb 3\nc 1 2\n', 'line 2 does not hold a word and 2 numbers'),               # a short row that gensim read as [3, 3]
    (b'2 2\nb 1 2 3\nc 1 2\n', 'line 2 does not hold'),                                # a long one
    (b'3 4\nmaji 0 1 2 3\n', 'the file has 1: truncated'),                             # fewer rows than announced
    (b'2 2\nb nan 1\nc 1 2\n', 'line 2 holds a number that is NaN or infinite'),
    (b'2 2\nb 1 2\nc -inf 2\n', 'line 3 holds a number that is NaN or infinite'),
    (b'2 2\nb 1 2\nc\xe9 1 2\n', 'line 3 is not valid UTF-8'),
])
def test_vectors_bad_input(tmp_path, bad, msg):
    f = tmp_path/'bad.vec'; f.write_bytes(bad)
    with pytest.raises(ValueError, match=msg) as e: D.read_vectors(f)
    assert str(f) in str(e.value)


def test_vectors_duplicate_word_keeps_its_first_vector(tmp_path):
    "gensim gave a repeated word a `None` key and a zero row; the one reader keeps the first vector and says so"
    f = tmp_path/'dup.vec'; f.write_bytes(b'3 2\nb 1 2\nc 3 4\nb 5 6\n')
    with pytest.warns(UserWarning, match="a word listed again keeps its first vector \\(1 repeated rows; the first, 'b' again in vector 3\\)"): kv = D.read_vectors(f)
    assert kv.index_to_key == ['b', 'c'] and kv['b'].tolist() == [1, 2] and None not in kv.key_to_index


def test_corpus_stats():
    assert D.corpus_stats(["Bwana ni mchungaji wangu.", "bwana, Bwana!"]) == dict(segments=2, tokens=6, vocab=4)
    assert D.words("Lord's house, it's") == ["lord's", 'house', "it's"]
