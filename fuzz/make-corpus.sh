#!/usr/bin/env bash
# Seed corpora for the three fuzzers (fuzz/README.md), written under
# OUT_DIR (default build-fuzz/corpus-seeds): spec/ from examples/*.mlir,
# test/**/*.mlir (split on `// -----` and into single functions, comment
# lines dropped) and bench/specs/*.mlir; npy/ valid and broken .npy files (headers written by
# hand, no numpy needed); jit/ byte strings that make one valid call per
# fixed spec of jit_fuzzer.cpp plus a few broken ones. Deterministic and
# idempotent: files are named by content hash.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/build-fuzz/corpus-seeds}"
mkdir -p "$OUT_DIR/spec" "$OUT_DIR/npy" "$OUT_DIR/jit"

python3 - "$ROOT" "$OUT_DIR" <<'PY'
import glob, hashlib, os, struct, sys

root, out = sys.argv[1], sys.argv[2]
MAX_SPEC = 16 * 1024  # spec_fuzzer ignores larger inputs


def put(kind, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data)


# --- spec: MLIR text -------------------------------------------------------
def strip(chunk):
    lines = [l for l in chunk.splitlines() if not l.lstrip().startswith("//")]
    return "\n".join(l for l in lines if l.strip()) + "\n"


def pieces(text):
    """The top-level functions of a chunk, one seed each, where the chunk is
    nothing but functions (spec_fuzzer runs the pipelines on modules with
    one attention op, as a spec has); else the chunk whole."""
    top = [l for l in text.splitlines() if l and not l[0].isspace()]
    if not all(l.startswith("func.func") or l.startswith("}") for l in top):
        return [text]
    cur, out = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("func.func") and cur:
            out.append("".join(cur))
            cur = []
        cur.append(line)
    out.append("".join(cur))
    return out


files = sorted(glob.glob(os.path.join(root, "examples", "*.mlir")) +
               glob.glob(os.path.join(root, "test", "**", "*.mlir"),
                         recursive=True) +
               glob.glob(os.path.join(root, "bench", "specs", "*.mlir")))
count = 0
for path in files:
    with open(path) as f:
        text = f.read()
    for chunk in text.split("// -----"):
        chunk = strip(chunk)
        if not chunk.strip():
            continue
        for piece in pieces(chunk):
            if piece.strip() and len(piece) <= MAX_SPEC:
                put("spec", piece.encode())
                count += 1
print(f"spec: {count} seeds from {len(files)} files")


# --- npy: first byte = the dtype readNpy is asked for, then the file -------
def npy(descr, shape, payload, version=1, fortran="False", pad=True):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, fortran, dims)
    prefix = 10 if version == 1 else 12
    if pad:
        header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64)
    header += "\n"
    h = header.encode()
    length = struct.pack("<H", len(h)) if version == 1 else struct.pack(
        "<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + length + h + payload


def elems(shape):
    n = 1
    for d in shape:
        n *= d
    return n


samples = []
for descr, size in (("<f4", 4), ("<f2", 2), ("<f8", 8), ("<i4", 4),
                    ("<i8", 8), ("|b1", 1), ("|u1", 1)):
    for shape in ((), (0,), (3,), (2, 3), (1, 2, 2, 2), (2, 0, 5)):
        payload = bytes((i * 37 + 11) % 256 for i in range(elems(shape) * size))
        samples.append(npy(descr, shape, payload))
samples += [
    npy("<f4", (2, 2), struct.pack("<4f", 1, -2, 0.5, float("inf")), version=2),
    npy("<f4", (2, 2), b"\0" * 16, fortran="True"),
    npy("<f4", (4,), b"\0" * 8),                      # data truncated
    npy("<i8", (1 << 62, 4), b"\0" * 8),              # count past int64
    npy("<f4", (-1, 3), b""),                         # negative dim
    npy(">f4", (2,), b"\0" * 8),                      # big-endian
    npy("<f4", (2,), b"\0" * 8, pad=False),
    npy("<f4", (2,), b"\0" * 8)[:20],                 # header truncated
    b"\x93NUMPY\x03\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{}",
    b"\x93NUMP",
    b"not a npy file at all",
]
for s in samples:
    for want in range(7):  # none, f32, f16, bf16, i32, i64, bool
        put("npy", bytes([want]) + s)
print(f"npy: {len(samples) * 7} seeds")


# --- jit: FuzzedDataProvider reads integers from the end ---------------------
# Order of jit_fuzzer.cpp: spec, B, Hkv, group - 1, Lq, Lk, (Lk = Lq? for the
# specs with equalLengths), fill mode, count damage, 8 seed bytes, then one
# damage byte per argument and result (0: none) and index data.
NUM_SPECS = 12
EQUAL_LENGTHS = {5}  # global_window


def jit(spec, b=2, hkv=1, group=1, lq=17, lk=70, fill=0, count=0,
        damage=(), tail=64):
    back = [spec, b, hkv, group - 1, lq, lk]
    back += [1] if spec in EQUAL_LENGTHS else []
    back += [fill, count] + [7] * 8
    back += list(damage) + [0] * tail
    return bytes(reversed(back))


seeds = []
for spec in range(NUM_SPECS):
    seeds.append(jit(spec))
    seeds.append(jit(spec, b=1, hkv=2, group=2, lq=65, lk=1, fill=1))
    seeds.append(jit(spec, b=0, lq=0, lk=0))
    seeds.append(jit(spec, hkv=3, group=3, lq=80, lk=0, fill=2))
    seeds.append(jit(spec, damage=(2, 0, 3, 0, 0, 0, 0)))   # padded, broadcast
    seeds.append(jit(spec, damage=(0, 40, 0, 0, 0, 0, 0)))  # null data
    seeds.append(jit(spec, damage=(0, 0, 4, 8, 0, 0, 0)))   # stride 2, dim off
    seeds.append(jit(spec, count=1 + spec % 4))
for s in seeds:
    put("jit", s)
print(f"jit: {len(seeds)} seeds")
PY
