"""Matrix product, with numpy's rules for 1-D operands and batch broadcasting."""

import numpy as np

from ..function import Function


class MatMul(Function):
    """out = a @ b;  d/da = grad @ b^T,  d/db = a^T @ grad"""
    name = "matmul"

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
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        g = grad_output
        if a.ndim == 1 and b.ndim == 1:                 # dot product
            return (g * b if need_a else None), (g * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if need_a:
            ga = np.matmul(g, b2.swapaxes(-1, -2))
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            g_b = g
            if b.ndim == 2 and a.ndim > 2:
                # rows in a batch times one matrix (a Linear on a sequence): one product
                # over all the rows, rather than one per batch entry and then a sum
                a2, g_b = a2.reshape(-1, a2.shape[-1]), g.reshape(-1, g.shape[-1])
            if b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
                # b is a transposed view (x @ W.T): its gradient in the same layout, so
                # that W's own gradient comes out contiguous, as W is
                gb = np.matmul(g_b.swapaxes(-1, -2), a2).T
            else:
                gb = np.matmul(a2.swapaxes(-1, -2), g_b)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb
