"""Text for language models: a vocabulary, one-hot codes, and a corpus cut into streams.

    vocab = Vocab.build("hello world")             # characters; level="word" for words
    ids = vocab.encode("hello")                    # np.ndarray of int64
    vocab.decode(ids) == "hello"
    x = one_hot(ids, len(vocab))                   # Tensor (5, len(vocab))
    streams = batchify(vocab.encode(corpus), 8)    # (T, 8): 8 contiguous pieces of the corpus
    for inputs, targets in bptt_batches(streams, 25): ...   # (<=25, 8) each, targets one ahead

`batchify` lays the corpus out as `batch_size` parallel streams, so chunk k+1
of each column continues chunk k: the state a recurrent model ends a chunk
with is the right state to start the next one (truncated BPTT, see nn.tbptt).
"""

from collections import Counter

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from ._checks import check_int

__all__ = ["Vocab", "one_hot", "batchify", "bptt_batches"]


class Vocab:
    """A bijection between tokens (characters or words) and ids 0..len-1.

    `Vocab(tokens, level='char', unk=None)`: ids in the order given. With `unk`
    (a token of the vocabulary), tokens not in it encode as `unk`; without it
    they raise a ValueError naming them.
    """

    def __init__(self, tokens, level="char", unk=None):
        if level not in ("char", "word"):
            raise ValueError(f"Vocab: level must be 'char' or 'word', got {level!r}")
        self.level = level
        self.itos = list(tokens)
        if not self.itos:
            raise ValueError("Vocab: needs at least one token")
        self.stoi = {}
        for i, tok in enumerate(self.itos):
            if not isinstance(tok, str):
                raise TypeError(f"Vocab: tokens must be str, got {type(tok).__name__} {tok!r}")
            if tok in self.stoi:
                raise ValueError(f"Vocab: token {tok!r} appears twice (ids {self.stoi[tok]} and {i})")
            self.stoi[tok] = i
        if unk is not None and unk not in self.stoi:
            raise ValueError(f"Vocab: the unknown token {unk!r} must be one of the tokens")
        self.unk = unk

    @classmethod
    def build(cls, text, level="char", min_freq=1, specials=(), unk=None):
        """The tokens of `text` seen at least `min_freq` times, sorted, after `specials`.

        Characters for level='char', whitespace-separated words for level='word'.
        `unk`, if given, is added to the specials when missing.
        """
        if not isinstance(text, str):
            raise TypeError(f"Vocab.build: text must be a str, got {type(text).__name__}")
        specials = list(specials)
        if unk is not None and unk not in specials:
            specials.append(unk)
        counts = Counter(_tokenize(text, level))
        tokens = sorted(t for t, n in counts.items() if n >= min_freq and t not in specials)
        return cls(specials + tokens, level=level, unk=unk)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __repr__(self):
        shown = ", ".join(repr(t) for t in self.itos[:10]) + (", ..." if len(self) > 10 else "")
        return f"Vocab({len(self)} {self.level}s: {shown})"

    def tokenize(self, text):
        return _tokenize(text, self.level)

    def encode(self, text):
        """A str (or a list of tokens) as an int64 array of ids."""
        tokens = self.tokenize(text) if isinstance(text, str) else list(text)
        unk_id = None if self.unk is None else self.stoi[self.unk]
        ids = []
        for tok in tokens:
            i = self.stoi.get(tok, unk_id)
            if i is None:
                raise ValueError(f"Vocab.encode: {tok!r} is not in the vocabulary of {len(self)} "
                                 f"{self.level}s (build it with unk=... to map unknown ones)")
            ids.append(i)
        return np.array(ids, dtype=np.int64)

    def decode(self, ids):
        """Ids (ints, an array or a Tensor) back to text: characters joined by '', words by ' '."""
        raw = ids.data if isinstance(ids, Tensor) else ids
        flat = np.asarray(raw).reshape(-1)
        if flat.size and flat.dtype.kind not in "iu":
            raise TypeError(f"Vocab.decode: ids must be integers, got dtype {flat.dtype}")
        bad = [int(i) for i in flat if not 0 <= i < len(self)]
        if bad:
            raise ValueError(f"Vocab.decode: ids {bad[:5]} are outside 0..{len(self) - 1}")
        sep = "" if self.level == "char" else " "
        return sep.join(self.itos[int(i)] for i in flat)


def _tokenize(text, level):
    return list(text) if level == "char" else text.split()


def one_hot(ids, num_classes, dtype=None):
    """Float one-hot codes, as a recurrent layer takes them: ids.shape + (num_classes,).

    F.one_hot's, in the default float dtype (or `dtype`); no gradient.
    """
    num_classes = check_int(num_classes, "num_classes", "one_hot")
    ids = ids if isinstance(ids, Tensor) else Tensor(np.asarray(ids))
    dtype = np.dtype(dtype) if dtype is not None else ag.get_default_dtype()
    return Tensor(F.one_hot(ids, num_classes).data.astype(dtype))


def batchify(ids, batch_size):
    """Cut a 1-D corpus of ids into `batch_size` contiguous streams: an array (T, batch_size).

    Column b is ids[b*T:(b+1)*T], T = len(ids) // batch_size; the tail that does
    not fill a row is dropped.
    """
    arr = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(f"batchify: expected a 1-D array of int ids, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    batch_size = check_int(batch_size, "batch_size", "batchify")
    T = len(arr) // batch_size
    if T == 0:
        raise ValueError(f"batchify: a corpus of {len(arr)} ids cannot fill {batch_size} streams")
    return arr[:T * batch_size].reshape(batch_size, T).T.copy()


def bptt_batches(streams, chunk_len):
    """Consecutive (inputs, targets) chunks of a (T, B) array of streams, targets one step ahead.

    inputs = streams[i : i + chunk_len], targets = streams[i + 1 : i + 1 + chunk_len],
    for i = 0, chunk_len, 2 chunk_len, ...; the last chunk may be shorter.
    """
    arr = np.asarray(streams.data if isinstance(streams, Tensor) else streams)
    if arr.ndim < 1 or len(arr) < 2:
        raise ValueError(f"bptt_batches: needs streams of at least 2 steps, got shape {arr.shape}")
    return _chunks(arr, check_int(chunk_len, "chunk_len", "bptt_batches"))       # checked above, now; iterated later


def _chunks(arr, chunk_len):
    for i in range(0, len(arr) - 1, chunk_len):
        n = min(chunk_len, len(arr) - 1 - i)
        yield arr[i:i + n], arr[i + 1:i + 1 + n]
