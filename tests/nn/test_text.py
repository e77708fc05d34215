"""nn.text: vocabularies, one-hot codes and corpus streams for truncated BPTT."""

import numpy as np
import pytest

import autograd as ag
from nn.text import Vocab, batchify, bptt_batches, one_hot


def test_char_vocab_round_trips_text():
    text = "hello world"
    vocab = Vocab.build(text)
    assert vocab.itos == sorted(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert [vocab.itos[i] for i in ids] == list(text)
    assert vocab.decode(ids) == text
    assert vocab.decode(ag.Tensor(ids)) == text


def test_word_vocab_splits_on_whitespace_and_joins_with_spaces():
    vocab = Vocab.build("the cat saw the dog", level="word")
    assert vocab.itos == ["cat", "dog", "saw", "the"]
    assert vocab.encode("the dog").tolist() == [3, 1]
    assert vocab.decode([3, 0]) == "the cat"


def test_specials_come_first_and_unknown_tokens_map_to_unk():
    vocab = Vocab.build("abcabd", specials=["<eos>"], unk="<unk>", min_freq=2)
    assert vocab.itos == ["<eos>", "<unk>", "a", "b"]         # c and d: seen once, below min_freq
    assert vocab.encode("abc").tolist() == [2, 3, 1]
    assert vocab.encode(["<eos>", "a"]).tolist() == [0, vocab.stoi["a"]]


def test_one_hot_codes_ids_as_floats():
    x = one_hot(np.array([[2, 0], [1, 2]]), 3)
    assert x.shape == (2, 2, 3) and x.dtype == ag.get_default_dtype()
    np.testing.assert_array_equal(x.data.argmax(-1), [[2, 0], [1, 2]])
    np.testing.assert_array_equal(x.data.sum(-1), np.ones((2, 2)))
    assert one_hot([1], 2, dtype=np.float64).dtype == np.float64


def test_batchify_lays_the_corpus_out_as_contiguous_columns():
    streams = batchify(np.arange(23), 4)
    assert streams.shape == (5, 4)
    np.testing.assert_array_equal(streams[:, 1], np.arange(5, 10))
    np.testing.assert_array_equal(streams.T.reshape(-1), np.arange(20))   # the tail 20..22 dropped


def test_bptt_batches_cover_the_streams_with_targets_one_step_ahead():
    streams = batchify(np.arange(40), 2)                     # (20, 2)
    chunks = list(bptt_batches(streams, 6))
    assert [x.shape for x, _ in chunks] == [(6, 2), (6, 2), (6, 2), (1, 2)]
    inputs = np.concatenate([x for x, _ in chunks])
    targets = np.concatenate([y for _, y in chunks])
    np.testing.assert_array_equal(inputs, streams[:-1])
    np.testing.assert_array_equal(targets, streams[1:])


@pytest.mark.parametrize("call,error,words", [
    (lambda: Vocab.build("abc").encode("abz"), ValueError, ["'z'", "not in the vocabulary"]),
    (lambda: Vocab.build("abc").decode([0, 5]), ValueError, ["[5]", "0..2"]),
    (lambda: Vocab(["a", "b", "a"]), ValueError, ["'a'", "twice"]),
    (lambda: Vocab([]), ValueError, ["at least one"]),
    (lambda: Vocab(["a"], unk="?"), ValueError, ["'?'"]),
    (lambda: Vocab.build("ab", level="byte"), ValueError, ["'char' or 'word'"]),
    (lambda: Vocab.build(b"ab"), TypeError, ["str"]),
    (lambda: one_hot(np.array([0.5]), 2), TypeError, ["integers"]),
    (lambda: one_hot(np.array([3]), 3), ValueError, ["one_hot"]),
    (lambda: one_hot(np.array([0]), 0), ValueError, ["num_classes"]),
    (lambda: batchify(np.arange(3), 4), ValueError, ["3 ids", "4 streams"]),
    (lambda: batchify(np.zeros((2, 2), dtype=int), 1), ValueError, ["1-D"]),
    (lambda: bptt_batches(np.arange(10)[:, None], 0), ValueError, ["chunk_len"]),
    (lambda: bptt_batches(np.arange(1)[:, None], 2), ValueError, ["2 steps"]),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"
