"""Matrix product, with numpy's rules for 1-D operands and batch broadcasting; bias + product."""

import numpy as np

from ..function import Function
from ..graph import Rebuild


class MatMul(Function):
    """out = a @ b;  d/da = grad @ b^T,  d/db = a^T @ grad"""
    name = "matmul"
    record_min_bytes = 0            # (a copy of a small factor pays at any size)

    @staticmethod
    def explain(args, kwargs):
        sa, sb = (tuple(np.shape(getattr(x, "data", x))) for x in args)
        if not sa or not sb:
            return f"both operands must have at least one dimension, got shapes {sa} @ {sb}"
        k_a = sa[-1]
        k_b = sb[-2] if len(sb) > 1 else sb[0]
        if k_a != k_b:
            return (f"inner dimensions differ: {sa} @ {sb} multiplies {k_a} columns "
                    f"with {k_b} rows")
        return f"batch dimensions of {sa} and {sb} do not broadcast"

    @staticmethod
    def forward(ctx, a, b, b_rows=None):
        # b_rows: b's values laid out row-major, to multiply by (see `row_major`)
        ctx.save_for_backward(a, b)
        return np.matmul(a, b if b_rows is None else b_rows)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (_grad_a(grad_output, a.ndim, b) if need_a else None,
                _grad_b(grad_output, a, b.ndim, _transposed(b)) if need_b else None)

    @staticmethod
    def record_grads(ctx, grads, grad_output):
        return _product_records(ctx, *grads, grad_output)


class Addmm(Function):
    """out = bias + a @ b, as PyTorch's addmm: a (n, k) and b (k, m) matrices, bias
    broadcast to (n, m);  d/dbias = grad, d/da = grad @ b^T, d/db = a^T @ grad

    One node for a layer's x W^T + b (PyTorch records nn.Linear the same way), and
    the bias is added into the product's own array rather than into a new one: for
    the input projection of a whole sequence (T*B rows, 3.3 MB on W3) the second
    array was a fifth of the product's time (1.06 against 0.88 ms).
    """
    name = "addmm"
    record_min_bytes = 0

    @staticmethod
    def explain(args, kwargs):
        sbias, sa, sb = (tuple(np.shape(getattr(x, "data", x))) for x in args)
        if len(sa) != 2 or len(sb) != 2:
            return f"mat1 and mat2 must be matrices (2-D), got shapes {sa} and {sb}"
        if sa[1] != sb[0]:
            return (f"inner dimensions differ: {sa} @ {sb} multiplies {sa[1]} columns "
                    f"with {sb[0]} rows")
        return (f"input of shape {sbias} does not broadcast to the product's shape "
                f"{(sa[0], sb[1])}")

    @staticmethod
    def forward(ctx, bias, a, b, b_rows=None):
        if type(a) is not np.ndarray or type(b) is not np.ndarray:
            a, b = np.asarray(a), np.asarray(b)      # (Scalars' floats, lists: refused below)
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError("addmm takes matrices")
        ctx.save_for_backward(a, b)
        out = np.matmul(a, b if b_rows is None else b_rows)   # (see `row_major`)
        dtype = getattr(bias, "dtype", None)          # (a Python number keeps out's dtype)
        out_dtype = out.dtype
        if dtype is not out_dtype and (dtype is not None and dtype != out_dtype
                                       or out_dtype.kind not in "fc"):
            dtype = np.result_type(out, bias)         # the dtype `out + bias` would have
            if dtype != out_dtype:
                out = out.astype(dtype)
        out += bias                       # a bias that would widen the shape: ValueError
        return out

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_bias, need_a, need_b = ctx.needs_input_grad
        return (grad_output if need_bias else None,
                _grad_a(grad_output, 2, b) if need_a else None,
                _grad_b(grad_output, a, 2, _transposed(b)) if need_b else None)

    @staticmethod
    def record_grads(ctx, grads, grad_output):
        g_bias, ga, gb = grads                    # the bias's is the output's own
        return ((None if g_bias is None else grad_output,)
                + _product_records(ctx, ga, gb, grad_output))


def row_major(b, rows, products):
    """A row-major copy of the matrix `b` for `products` forward products `a @ b`
    of `rows` rows each, or None where it would not pay.

    A weight enters a layer as W^T, a transposed view, and numpy's OpenBLAS
    multiplies a small batch by such a view up to 1.5x slower than by the same
    values laid out row-major (h (32, 128) @ W^T, W (512, 128): 54 against 37
    µs). A recurrent layer makes that product at every time step with one
    W_hh, so it copies W_hh^T once per call (59 µs) and passes the copy as
    `b_rows=` to MatMul or Addmm: their forward multiplies by it, while the
    graph, its saved values and backward keep the view (whose own transpose,
    W_hh, is the row-major factor of d/dh = g W_hh). Not for one row (a
    vector product gains nothing), a few products (the copy costs about four
    products' gain), or a matrix over 1 MiB (its transposing copy grows
    slower than the gain).
    """
    if products < 8 or rows < 2 or b.ndim != 2 or b.nbytes > 1 << 20 or b.flags.c_contiguous:
        return None
    return np.ascontiguousarray(b)


def _product_records(ctx, ga, gb, grad_output):
    """Keep a gradient as the product that made it when its other factor is small.

    h @ W with h (batch, n) and W (n, m): d/dW = h^T g is (n, m), per call; an
    RNN makes one per time step, each summed into W's gradient and then, but
    for the record, freed (its memory still warm for the next step's). The
    record keeps a copy of h (the factor may change in place later: an
    optimizer's step, a user's edit) and makes d/dW again, by the same code,
    when read. Only where it pays: a copy at most a quarter of the product's
    size (a copy costs time too, and a product that becomes a .grad, as in an
    MLP, is kept anyway) and a contiguous factor (its copy multiplies as it
    did: numpy takes the same path for it). Otherwise the product is kept as
    made.
    """
    a, b = ctx.saved_tensors
    if ga is not None and _worth_copying(b, ga):
        ga = Rebuild(_grad_a, grad_output, a.ndim, b.copy(order="K"))
    if gb is not None and _worth_copying(a, gb):
        gb = Rebuild(_grad_b, grad_output, a.copy(order="K"), b.ndim, _transposed(b))
    return ga, gb


def _grad_a(g, a_ndim, b):
    """d/da = g @ b^T (a's shape: 1-D a drops its row axis again)."""
    if a_ndim == 1 and b.ndim == 1:                 # dot product
        return g * b
    b2 = b[:, None] if b.ndim == 1 else b
    if a_ndim == 1:
        g = np.expand_dims(g, -2)
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
    ga = np.matmul(g, b2.swapaxes(-1, -2))
    if a_ndim == 1:
        ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    return ga


def _grad_b(g, a, b_ndim, b_transposed):
    """d/db = a^T @ g (b's shape, or a batch of them); `b_transposed`: b is a
    transposed view, and its gradient comes out in that layout."""
    if a.ndim == 1 and b_ndim == 1:                 # dot product
        return g * a
    a2 = a[None, :] if a.ndim == 1 else a
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    if b_ndim == 1:
        g = np.expand_dims(g, -1)
    if b_ndim == 2 and a.ndim > 2:
        # rows in a batch times one matrix (a Linear on a sequence): one product
        # over all the rows, rather than one per batch entry and then a sum
        a2, g = a2.reshape(-1, a2.shape[-1]), g.reshape(-1, g.shape[-1])
    if b_transposed:
        # b is a transposed view (x @ W.T): its gradient in the same layout, so
        # that W's own gradient comes out contiguous, as W is
        gb = np.matmul(g.swapaxes(-1, -2), a2).T
    else:
        gb = np.matmul(a2.swapaxes(-1, -2), g)
    if b_ndim == 1:
        gb = gb[..., 0]
    return gb


def _transposed(b):
    """Whether b is a transposed view of a contiguous matrix (W.T)."""
    return b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous


def _worth_copying(factor, grad):
    """Whether a record should keep `factor` (copied) rather than `grad`, made from it."""
    size = grad.size
    return (4 * factor.size <= size
            and (factor.flags.c_contiguous or factor.flags.f_contiguous))
