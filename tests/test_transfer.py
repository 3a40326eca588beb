"""Starts of a new-language LM (notebooks 03b and 07) beyond what the notebooks show: mixes on small models of real Bible
vocabularies, the frequency bias, and an aligned start that sees no valid or test verse of a user's own corpus."""
from collections import Counter
import pandas as pd, pytest, torch
from fastai.text.all import AWD_LSTM, get_language_model, make_vocab
from lmcourse.corpus import bible_docs, tokenize, prepare_corpus, read_split, normalize
from lmcourse.data import read_bible
from lmcourse.lm import lm_config, awd_config, token_counts
from lmcourse.transfer import transplant, mix_ids, mix_rows, unigram_bias
from lmcourse.align import aligned_mix, aligned_transplant, train_verses, lm_lexicon

CFG = lm_config('tiny', emb_sz=16, n_hid=32)


@pytest.fixture(scope='module')
def en_sw():
    torch.manual_seed(0)
    vocab = lambda lang: make_vocab(Counter(w for d in tokenize([t for _, t in bible_docs(lang, nt=True)[:40]]) for w in d), min_freq=2)
    en, sw = vocab('en'), vocab('sw')
    return get_language_model(AWD_LSTM, len(en), config=awd_config(CFG), drop_mult=0.1), en, sw


def test_mix_rows_sets_named_rows_only(en_sw):
    model, en, sw = en_sw
    a, b, new = en[20], en[30], [w for w in sw if w not in en]
    j, rows, wt = mix_ids({new[0]: {a: 1., b: 3.}, new[1]: {a: 2.}, new[2]: {'not-a-token': 1.}, 'not-swahili': {a: 1.}}, en, sw)
    assert j.tolist() == [sw.index(new[0]), sw.index(new[1])] and rows.shape == (2, 2)
    torch.testing.assert_close(wt, torch.tensor([[0.25, 0.75], [1., 0.]]))
    m = transplant(model, en, sw, CFG, min_shared=0); before = m[0].encoder.weight.detach().clone()
    assert mix_rows(m, model, j, rows, wt) == 2
    E, W, bias = m[0].encoder.weight.detach(), model[0].encoder.weight.detach(), model[1].decoder.bias.detach()
    torch.testing.assert_close(E[sw.index(new[0])], 0.25 * W[en.index(a)] + 0.75 * W[en.index(b)])
    torch.testing.assert_close(m[1].decoder.bias[sw.index(new[1])].detach(), bias[en.index(a)])
    changed = (E != before).any(1).nonzero().ravel().tolist()
    assert changed == sorted(j.tolist()) and m[1].decoder.weight is m[0].encoder.weight


def test_unigram_bias_recovers_a_planted_line(en_sw):
    model, en, sw = en_sw
    g = torch.Generator().manual_seed(0)
    old, new = torch.randint(1, 1000, (len(en),), generator=g).double(), torch.randint(1, 1000, (len(sw),), generator=g).double()
    with torch.no_grad(): model[1].decoder.bias.copy_(0.5 * (old / old.sum()).log() + 2)
    m = transplant(model, en, sw, CFG, min_shared=0)
    a, c = unigram_bias(m, model, old, new)
    assert a == pytest.approx(0.5, abs=1e-4) and c == pytest.approx(2, abs=1e-3)
    torch.testing.assert_close(m[1].decoder.bias.detach(), (0.5 * (new / new.sum()).log() + 2).float(), atol=1e-3, rtol=0)
    assert token_counts([torch.tensor([0, 2, 2])], 4).tolist() == [2, 1, 3, 1]


def test_aligned_mix_keeps_words_for_words_and_drops_specials():
    lex = pd.DataFrame(dict(src=['water', ',', 'the', 'water', 'xxunk', ','], tgt=['maji', 'maji', 'maji', 'xxunk', 'xxmaj', ','],
                            score=[6., 3., 1., 5., 5., 9.]))
    mix = aligned_mix(lex, k=10, min_p=0.05)
    assert set(mix) == {'maji', ','}                      # fastai's special tokens keep the English rows
    assert mix['maji'] == {'water': 0.6, 'the': 0.1}       # the comma's share is left out of a word's mix
    assert aligned_mix(lex, min_p=0.2)['maji'] == {'water': 0.6}
    assert aligned_mix(lex, words_only=False)['maji'] == {'water': 0.6, ',': 0.3, 'the': 0.1}


def test_aligned_start_sees_only_training_verses(tmp_path):
    "A user's corpus made from a Bible: its valid and test verses take no part in the alignment"
    docs = bible_docs('sw', nt=True)
    prepare_corpus(docs, tmp_path/'c', sentences=False, progress=False)
    ids = train_verses('sw', tmp_path/'c')
    train = {l for d in read_split(tmp_path/'c', 'train') for l in d.split('\n')}
    held = {l for s in ('valid', 'test') for d in read_split(tmp_path/'c', s) for l in d.split('\n')} - train
    sw = read_bible('sw')
    assert held and ids and all(normalize(sw[k]) in train for k in ids) and not any(normalize(sw[k]) in held for k in ids)
    lex = lm_lexicon('en', 'sw', tmp_path/'c')
    held_words = {w for l in held for w in tokenize([l])[0]} - {w for l in train for w in tokenize([l])[0]}
    assert held_words and not (set(lex.tgt) & held_words)   # a word only in held-out verses is not in the dictionary
