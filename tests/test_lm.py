"""Language-model training as a user meets it: interrupted runs (a kill -9 in the middle of an epoch), resumption,
zoo export and loading, corrupt files, and data-parallel training on 2 CPU processes (gloo) under torchrun."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from lmcourse import lm, zoo
from lmcourse.corpus import prepare_corpus, bible_docs

SMALL = dict(emb_sz=32, n_hid=64, max_vocab=1500, bs=16, sl=32)      # tiny, made smaller: seconds per epoch


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp('corpus')/'zu'
    prepare_corpus(bible_docs('zu')[:120], d, sentences=False, progress=False)
    return d


def weights(learn): return [v.clone() for v in lm.get_model(learn.model).state_dict().values()]


@pytest.fixture(scope='module')
def full(corpus, tmp_path_factory):
    "Three uninterrupted epochs of the `micro` LM (the `tiny` settings with SMALL's sizes): the reference"
    assert lm.lm_config('micro', epochs=3) == lm.lm_config('tiny', epochs=3, **SMALL)
    return lm.train_lm(corpus, tmp_path_factory.mktemp('full'), 'micro', epochs=3, progress=False)


def test_interrupted_training_resumes_to_the_same_state(corpus, full, tmp_path):
    lm.train_lm(corpus, tmp_path/'cut', 'tiny', epochs=3, progress=False, cbs=[lm.StopAfter(2)], **SMALL)
    assert lm.load_torch(tmp_path/'cut'/'checkpoint.pth')['epoch'] == 1
    res = lm.train_lm(corpus, tmp_path/'cut', 'tiny', epochs=3, progress=False, **SMALL)
    assert all(torch.equal(a, b) for a, b in zip(weights(full), weights(res)))
    assert [r['epoch'] for r in res.train_log] == [0, 1, 2]
    assert [r['valid_loss'] for r in res.train_log] == [r['valid_loss'] for r in full.train_log]


def test_killed_training_resumes_to_the_same_bytes(corpus, full, tmp_path, lmc):
    """`lmcourse train` killed (as `kill -9` does) inside an epoch before any checkpoint, right after a checkpoint, inside
    an epoch resumed from it, and half-way through writing a checkpoint: each rerun continues, and the last one ends
    with the weights of an uninterrupted run, bit for bit; another schedule is refused, not mixed in"""
    out = tmp_path/'run'
    args = lambda n: ['train', '--corpus', corpus, '--lang', 'zu', '--size', 'micro', '--epochs', n, '--out', out]
    for fault in ('batch:40', 'checkpoint:1', 'batch:30', 'write:1'):
        r = lmc(*args(3), fault=fault)
        assert r.returncode == -signal.SIGKILL and 'Traceback' not in r.stderr, (fault, r.returncode, r.stderr[-2000:])
        assert not (out/'model').exists()
    assert lm.load_torch(out/'checkpoint.pth')['epoch'] == 0    # whole: the second epoch's checkpoint was killed before its rename
    r = lmc(*args(4))
    assert r.returncode == 1 and 'other settings' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = lmc(*args(3))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out/'model'/'card.json').read_text())['epochs'] == 3
    done = lm.load_torch(out/'model'/'model.pth')
    assert all(torch.equal(done[k], v) for k, v in lm.get_model(full.model).state_dict().items())
    assert not [p for p in out.rglob('*') if '.tmp' in p.name]


def test_zoo_roundtrip_and_refusals(corpus, tmp_path):
    learn = lm.train_lm(corpus, tmp_path/'t', 'tiny', epochs=1, progress=False, **SMALL)
    z = zoo.export_lm(learn, tmp_path/'zoo'/'zu-test', lang='zu', corpus_note='test')
    card = json.loads((z/'card.json').read_text())
    assert card['lang'] == 'zu' and card['vocab'] == len(learn.vocab) and card['valid_perplexity'] > 1
    assert set(card['files']) == {'model.pth', 'vocab.json', 'config.json'}
    m = zoo.load_lm(z)
    assert m.generate('UJesu wathi', 15, seed=7) == lm.generate(learn.model, learn.vocab, 'UJesu wathi', 15, seed=7)
    assert m.generate('UJesu wathi', 15, seed=7) == zoo.load_lm(z).generate('UJesu wathi', 15, seed=7)
    # truncated weights
    bad = Path(shutil.copytree(z, tmp_path/'bad'))
    with open(bad/'model.pth', 'r+b') as f: f.truncate(500)
    with pytest.raises(ValueError, match='SHA-256'): zoo.load_lm(bad)
    # a missing file, a folder without a card
    shutil.copy(z/'model.pth', bad/'model.pth'); (bad/'vocab.json').unlink()
    with pytest.raises(FileNotFoundError, match='missing'): zoo.load_lm(bad)
    with pytest.raises(FileNotFoundError, match='card.json'): zoo.load_lm(tmp_path)
    # a corrupt checkpoint: clear error, not an unpickling traceback
    ck = tmp_path/'t'/'checkpoint.pth'; ck.write_bytes(ck.read_bytes()[:300])
    with pytest.raises(ValueError, match='not a readable checkpoint'): lm.train_lm(corpus, tmp_path/'t', 'tiny', epochs=1, progress=False, **SMALL)


def test_checkpoint_cannot_run_code(tmp_path):
    class Evil:
        def __reduce__(self): return (os.system, ('echo pwned',))
    torch.save({'x': Evil()}, tmp_path/'evil.pth')
    with pytest.raises(ValueError, match='not a readable checkpoint'): lm.load_torch(tmp_path/'evil.pth')


def test_data_parallel_on_two_cpu_processes(corpus, tmp_path):
    "torchrun, 2 processes, gloo: each trains on half the batches, the weights stay identical"
    import socket
    with socket.socket() as so: so.bind(('127.0.0.1', 0)); port = so.getsockname()[1]
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(port),
           '-m', 'lmcourse.cli', 'train', '--corpus', str(corpus), '--lang', 'zu', '--epochs', '1', '--out', str(tmp_path/'ddp'),
           '--max-vocab', '1500', '--bs', '16', '--device', 'cpu']
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr[-3000:]
    assert '2 processes, weights identical in all' in r.stdout
    card = json.loads((tmp_path/'ddp'/'model'/'card.json').read_text())
    assert card['epochs'] == 1 and card['valid_perplexity'] > 1


def test_bad_corpus_and_vocab(tmp_path):
    with pytest.raises(ValueError, match='must not be empty'):
        d = tmp_path/'one'; prepare_corpus([('a', 'only one document here')], d, valid=0, test=0, progress=False)
        lm.lm_data(d)
    with pytest.raises(ValueError, match='unknown size'): lm.lm_config('huge')
    with pytest.raises(ValueError, match='too few'): lm.LMStream([torch.arange(10)], bs=8, sl=4)


def test_bits_per_character_counts_every_token_and_spells_unknown_words(corpus, full):
    "A uniform model costs log2(V) bits a token; every token after the first is scored; `xxunk` pays for its spelling"
    import math
    from lmcourse.corpus import read_split, tokenize
    texts = read_split(corpus, 'valid'); toks = [d for d in tokenize(texts) if d]
    vocab = full.vocab; num = lm.Numericalizer(vocab); ids = [num(d) for d in toks]
    m = lm.new_lm(len(vocab), 'micro'); m[1].decoder.weight.data.zero_(); m[1].decoder.bias.data.zero_()   # logits all 0
    b = lm.token_bits(m, ids, sl=50)
    assert len(b) == sum(len(d) for d in ids) - 1 and torch.allclose(b, torch.full_like(b, math.log2(len(vocab))))
    spell = lm.spelling_bits(['maji', 'moto', 'mti'])
    assert spell('xyz') > spell('maji') > 0 and spell('maji') < spell('majimaji')
    r = lm.bits_per_char(b, texts, toks, vocab, spell)
    unk = sum(t not in set(vocab) for d in toks for t in d)
    assert r['chars'] == sum(map(len, texts)) and r['unk_rate'] == unk / r['tokens'] > 0
    assert abs(r['bpc'] * r['chars'] - (float(b.double().sum()) + sum(spell(t) for d in toks for t in d if t not in set(vocab)))) < 1e-6
    trained = lm.text_bpc(full.model, texts, vocab, read_split(corpus, 'train'))
    assert trained['bpc'] < lm.bits_per_char(lm.unigram_bits(full.dls.train.docs, ids, len(vocab)), texts, toks, vocab,
                                             lm.spelling_bits([t for d in tokenize(read_split(corpus, 'train')) for t in d]))['bpc'] < r['bpc']
