"""Turn the pinned int8 block-quantized (int8bq) ONNX graphs into plain fp32 graphs.

WHY: ONNX Runtime 1.32 loads the int8bq graphs but fails on the first run, because their
DequantizeLinear nodes carry a `block_size` attribute with one-element scales ("block_size must
be 0 for per-tensor quantization"). Every such node only dequantizes a constant weight, so we
fold it once, at fetch time, into an fp32 initializer: (q - zero_point) * scale, with the
scales repeated per block along `axis`. The result runs in ORT and in OpenCV alike.

SFace also lists weights as graph inputs (an old exporter habit) that shadow initializers or
that nothing reads any more; ORT would demand them as feeds, so those stale inputs are dropped. Fixed sizes become symbolic: SFace's batch (so faces embed
in batches) and YuNet's input height/width (so a 16:9 frame is padded to a multiple of 32,
not to a square).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_DQ = "DequantizeLinear"


def _attr(node: object, name: str, default: int) -> int:
    from onnx import helper

    for a in node.attribute:  # type: ignore[attr-defined]
        if a.name == name:
            return int(helper.get_attribute_value(a))
    return default


def dequantize_blocked(
    q: np.ndarray, scale: np.ndarray, zero_point: np.ndarray | None, axis: int, block_size: int
) -> np.ndarray:
    """(q - zero_point) * scale in float32, per ONNX DequantizeLinear semantics (opset 21):
    per-tensor when scale has one element, per-axis when block_size is 0, blocked otherwise."""
    qf = q.astype(np.float32)
    zp = (
        np.zeros_like(scale, dtype=np.float32)
        if zero_point is None
        else zero_point.astype(np.float32)
    )
    s = scale.astype(np.float32)
    if s.size == 1 and block_size == 0:
        return (qf - zp.reshape(())) * s.reshape(())
    axis = axis % q.ndim
    if block_size == 0:  # per-axis
        shape = [1] * q.ndim
        shape[axis] = q.shape[axis]
        return (qf - zp.reshape(shape)) * s.reshape(shape)
    if s.ndim != q.ndim:
        raise ValueError(f"blocked scale rank {s.ndim} != data rank {q.ndim}")
    s = np.repeat(s, block_size, axis=axis)
    zp = np.repeat(zp, block_size, axis=axis)
    index = [slice(None)] * q.ndim
    index[axis] = slice(0, q.shape[axis])
    s, zp = s[tuple(index)], zp[tuple(index)]
    if s.shape != q.shape:
        raise ValueError(
            f"blocked scale {scale.shape} does not cover data {q.shape} on axis {axis}"
        )
    return (qf - zp) * s


def _fold_constant_reshape(node: object, arrays: list[np.ndarray]) -> np.ndarray:
    shape = [int(d) for d in arrays[1]]
    return arrays[0].reshape([arrays[0].shape[i] if d == 0 else d for i, d in enumerate(shape)])


def _fold_constant_dequantize(node: object, arrays: list[np.ndarray]) -> np.ndarray:
    zp = arrays[2] if len(arrays) > 2 else None
    return dequantize_blocked(
        arrays[0], arrays[1], zp, _attr(node, "axis", 1), _attr(node, "block_size", 0)
    )


_FOLDERS = {_DQ: _fold_constant_dequantize, "Reshape": _fold_constant_reshape}


def fold_constants(model: object) -> int:
    """Replace every DequantizeLinear (and the weight Reshape after it) whose inputs are all
    initializers with an fp32 initializer, in graph order, then drop initializers nothing
    reads any more. Returns how many DequantizeLinear nodes were folded. Mutates `model`."""
    from onnx import numpy_helper

    graph = model.graph  # type: ignore[attr-defined]
    inits = {t.name: t for t in graph.initializer}
    folded = 0
    keep = []
    for node in graph.node:
        inputs = [name for name in node.input if name]
        folder = _FOLDERS.get(node.op_type)
        if folder is None or not all(name in inits for name in inputs):
            keep.append(node)
            continue
        value = folder(node, [numpy_helper.to_array(inits[name]) for name in inputs])
        inits[node.output[0]] = numpy_helper.from_array(value, node.output[0])
        folded += node.op_type == _DQ
    del graph.node[:]
    graph.node.extend(keep)
    used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
    del graph.initializer[:]
    graph.initializer.extend(t for name, t in inits.items() if name in used)
    return folded


def drop_stale_inputs(model: object) -> int:
    """Remove graph inputs that re-declare an initializer or that no node reads (SFace
    declares its original fp32 weights as inputs although the graph reads the dequantized
    copies); returns how many were dropped."""
    graph = model.graph  # type: ignore[attr-defined]
    inits = {t.name for t in graph.initializer}
    read = {name for node in graph.node for name in node.input}
    real = [i for i in graph.input if i.name not in inits and i.name in read]
    dropped = len(graph.input) - len(real)
    del graph.input[:]
    graph.input.extend(real)
    return dropped


def rewrite_prelu(model: object) -> int:
    """Rewrite PRelu(x, s) with a constant per-channel slope as Relu(x) * (1 - s) + x * s.

    WHY: the two are equal (x > 0: x(1 - s) + xs = x; x <= 0: xs), but ORT 1.32 runs PRelu
    through a generic broadcasting kernel outside its blocked (NCHWc) conv layout, which made
    SFace's 27 PRelus cost 2.5x its convolutions; Relu, Mul and Add stay on the fast path.
    Returns how many nodes were rewritten."""
    from onnx import helper, numpy_helper

    graph = model.graph  # type: ignore[attr-defined]
    inits = {t.name: t for t in graph.initializer}
    nodes = []
    rewritten = 0
    for node in graph.node:
        if node.op_type != "PRelu" or node.input[1] not in inits:
            nodes.append(node)
            continue
        x, slope_name = node.input[0], node.input[1]
        slope = numpy_helper.to_array(inits[slope_name]).astype(np.float32)
        keep_name = f"{slope_name}__one_minus"
        graph.initializer.append(
            numpy_helper.from_array((1.0 - slope).astype(np.float32), keep_name)
        )
        base = node.name or node.output[0]
        nodes += [
            helper.make_node("Relu", [x], [f"{base}__pos"], name=f"{base}__relu"),
            helper.make_node(
                "Mul", [f"{base}__pos", keep_name], [f"{base}__a"], name=f"{base}__mul_a"
            ),
            helper.make_node("Mul", [x, slope_name], [f"{base}__b"], name=f"{base}__mul_b"),
            helper.make_node(
                "Add", [f"{base}__a", f"{base}__b"], [node.output[0]], name=f"{base}__add"
            ),
        ]
        rewritten += 1
    del graph.node[:]
    graph.node.extend(nodes)
    return rewritten


def make_dims_symbolic(model: object, tensor: str, dims: dict[int, str], *, outputs: bool) -> None:
    """Rename fixed dims of the graph input `tensor` (and, if `outputs`, dim 0/1 of every
    output) to symbols; drops value_info, which would pin the old sizes."""
    graph = model.graph  # type: ignore[attr-defined]
    for value in graph.input:
        if value.name == tensor:
            for index, symbol in dims.items():
                value.type.tensor_type.shape.dim[index].dim_param = symbol
    if outputs:
        for value in graph.output:
            shape = value.type.tensor_type.shape.dim
            if 0 in dims:
                shape[0].dim_param = dims[0]
            elif len(shape) == 3:  # YuNet's per-stride outputs [1, anchors, k]
                shape[1].dim_param = f"anchors_{value.name}"
    del graph.value_info[:]


def convert(data: bytes, symbolic: dict[int, str], *, prelu: bool = True) -> bytes:
    """The whole conversion for one pinned int8bq model; deterministic bytes out."""
    import onnx

    model = onnx.load_from_string(data)
    if fold_constants(model) == 0:
        raise ValueError("no constant DequantizeLinear found: not the expected int8bq graph")
    drop_stale_inputs(model)
    remaining: Sequence[str] = [n.op_type for n in model.graph.node if n.op_type == _DQ]
    if remaining:
        raise ValueError(f"{len(remaining)} DequantizeLinear nodes left with non-constant inputs")
    first_input = model.graph.input[0].name
    make_dims_symbolic(model, first_input, symbolic, outputs=True)
    if prelu:
        rewrite_prelu(model)
    model.producer_name = "lfr.assets.convert"
    model.producer_version = "1"
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)
