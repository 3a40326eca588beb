"Embedding-freeze transfer: the transplant, the freezing and the lexicon evaluation, on small models of real Bible vocabularies"
from collections import Counter
import pytest, torch
from fastai.text.all import AWD_LSTM, get_language_model, make_vocab, TextLearner, CrossEntropyLossFlat, DataLoaders
from lmcourse.corpus import bible_docs, tokenize
from lmcourse.lm import lm_config, awd_config, LMStream, Numericalizer
from lmcourse.transfer import transplant
from lmcourse.freeze import freeze_but_embedding, frozen_state, changed, param_counts, transfer_run
from lmcourse.retrieval import bli, retrieve, SPECIAL

CFG = lm_config('tiny', emb_sz=16, n_hid=32)

def _vocab(lang, n=40):
    toks = tokenize([t for _, t in bible_docs(lang, nt=True)[:n]])
    return toks, make_vocab(Counter(w for d in toks for w in d), min_freq=2, max_vocab=2000)

@pytest.fixture(scope='module')
def en_sw():
    torch.manual_seed(0)
    (_, en), (sw_toks, sw) = _vocab('en'), _vocab('sw')
    model = get_language_model(AWD_LSTM, len(en), config=awd_config(CFG), drop_mult=0.1)
    return model, en, sw, sw_toks

def test_transplant_keeps_shared_rows(en_sw):
    model, en, sw, _ = en_sw
    m = transplant(model, en, sw, CFG)
    E, W = m[0].encoder.weight.detach(), model[0].encoder.weight.detach()
    shared = [w for w in sw if w in en]
    assert set(SPECIAL) & set(shared) and {'.', ','} <= set(shared) and m.shared == shared
    for w in set(shared) - {'xxfake'}: assert torch.equal(E[sw.index(w)], W[en.index(w)]), w   # xxfake: padding, repeated
    for w in [w for w in sw if w not in en][:50]: assert torch.allclose(E[sw.index(w)], W.mean(0))
    assert torch.equal(m[1].decoder.bias[sw.index('.')], model[1].decoder.bias[en.index('.')])
    assert m[1].decoder.weight is m[0].encoder.weight
    for k, v in model.state_dict().items():
        if not k.startswith(('0.encoder', '1.decoder')): assert torch.equal(m.state_dict()[k], v), k

def test_transplant_random_init(en_sw):
    model, en, sw, _ = en_sw
    a, b = (transplant(model, en, sw, CFG, init='random', seed=s)[0].encoder.weight.detach() for s in (1, 2))
    new = [i for i, w in enumerate(sw) if w not in en]
    assert not torch.equal(a[new], b[new])
    assert abs(a[new].std().item() / model[0].encoder.weight.std().item() - 1) < 0.1

def test_transplant_refuses_bad_vocabularies(en_sw):
    model, en, sw, _ = en_sw
    with pytest.raises(ValueError, match='empty'): transplant(model, en, [], CFG)
    with pytest.raises(ValueError, match='wrong vocabulary'): transplant(model, en + ['extra'], sw, CFG)
    with pytest.raises(ValueError, match='shares 0 tokens'): transplant(model, en, list(SPECIAL) + ['ṫṡ', 'ḳḳ'], CFG)
    assert len(transplant(model, en, list(SPECIAL) + ['ṫṡ'], CFG, min_shared=0).vocab) == len(SPECIAL) + 1
    with pytest.raises(ValueError, match='init'): transplant(model, en, sw, CFG, init='zeros')
    with pytest.raises(RuntimeError, match='size mismatch'): transplant(model, en, sw, lm_config('tiny'))

def test_freezing_really_freezes(en_sw):
    model, en, sw, sw_toks = en_sw
    m = transplant(model, en, sw, CFG)
    pc = freeze_but_embedding(m)
    assert pc == dict(trainable=len(sw) * 16 + len(sw), frozen=param_counts(model)['frozen'] + param_counts(model)['trainable'] - len(en) * 17)
    before, e0 = frozen_state(m), m[0].encoder.weight.detach().clone()
    num = Numericalizer(sw)
    ids = [num(d) for d in sw_toks[:4]]                   # four chapters: a few dozen steps show what changes
    dls = DataLoaders(LMStream(ids, 4, 16, shuffle=True), LMStream(ids, 4, 16))
    learn = TextLearner(dls, m, loss_func=CrossEntropyLossFlat())
    with learn.no_logging(), learn.no_bar(): learn.fit(1, 1e-1)
    assert changed(m, before) == []
    assert all(p.grad is None for n, p in m.named_parameters() if n in before)
    assert not torch.equal(m[0].encoder.weight.detach(), e0)
    with torch.no_grad(): m[0].rnns[0].weight_hh_l0_raw.add_(1)
    assert changed(m, before) == ['0.rnns.0.weight_hh_l0_raw']

def test_transfer_run_unknown_condition(en_sw):
    model, en, sw, _ = en_sw
    with pytest.raises(ValueError, match='unknown condition'): transfer_run('frozen_fr', model, en, None, CFG)

def test_bli_and_csls():
    torch.manual_seed(0)
    X = torch.randn(500, 32); R = torch.linalg.qr(torch.randn(32, 32))[0]
    w = lambda p, i: p + ''.join('abcdefghij'[int(c)] for c in str(i))   # words are letters
    src, tgt = [w('s', i) for i in range(500)], [w('t', i) for i in range(500)]
    pairs = [(src[i], tgt[i]) for i in range(0, 500, 5)]
    r = bli(X @ R, src, X, tgt, pairs, csls=0)                 # rotated: the rotation is not undone: far from 1
    assert r['n'] == 100 and r['coverage'] == 1 and r['p@1'] < 0.1
    assert bli(X, src, X + 0.01 * torch.randn(500, 32), tgt, pairs, csls=10)['p@1'] == 1
    assert bli(X, src, X, tgt, pairs + [('sb', 'missing')])['coverage'] == 100 / 101
    # CSLS as defined (Conneau et al. 2018): 2 cos - mean cos of the query's k nearest targets - of the target's k nearest queries
    Q, K = torch.randn(300, 16), torch.randn(400, 16)
    S = torch.nn.functional.normalize(Q, dim=1) @ torch.nn.functional.normalize(K, dim=1).T
    C = 2 * S - S.topk(10, dim=1).values.mean(1)[:, None] - S.T.topk(10, dim=1).values.mean(1)[None]
    assert torch.equal(retrieve(Q, K, 5, csls=10), C.topk(5, dim=1).indices)
    assert torch.equal(retrieve(Q, K, 5, csls=10, bs=33), C.topk(5, dim=1).indices)
    assert not torch.equal(retrieve(Q, K, 5), C.topk(5, dim=1).indices)
    # bli measures a target's hubness against every source word (as VecMap's eval_translation.py), not only the queries
    P = torch.cat([Q, torch.randn(700, 16)]); Pn = torch.nn.functional.normalize(P, dim=1)
    Kn = torch.nn.functional.normalize(K, dim=1)
    C = 2 * S - S.topk(10, dim=1).values.mean(1)[:, None] - (Kn @ Pn.T).topk(10, dim=1).values.mean(1)[None]
    assert torch.equal(retrieve(Q, K, 5, csls=10, pool=P), C.topk(5, dim=1).indices)
    src, tgt = [w('s', i) for i in range(1000)], [w('t', i) for i in range(400)]
    pairs = [(src[i], tgt[j]) for i, j in enumerate(C.argmax(1).tolist())]       # the CSLS-best target of each of the 300 queries
    assert bli(P, src, K, tgt, pairs, csls=10)['p@1'] == 1                       # scored against all 1000 sources
    assert bli(Q, src[:300], K, tgt, pairs, csls=10)['p@1'] < 1                  # only 300 sources: other hubness, other answers
