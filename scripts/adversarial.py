#!/usr/bin/env python3
"""Adversarial run of the tools: does any input crash or hang them?

Unlike the libFuzzer targets (fuzz/), this drives the released tools as a
user would, through their command lines:

- attn-opt on mutated specs (the examples and every lit test input, cut at
  `// -----`), in its three modes: parse and verify, --attn-cpu-pipeline,
  --attn-gpu-pipeline (with random, partly bad pipeline options);
- attn-run on bad .npy inputs (corrupt headers, wrong dtypes, shapes that
  overflow, truncated data) and on bad options (negative, zero and huge
  sizes, impossible tilings, unknown targets).

An error message with exit 1 (attn-run: 2 for a --check mismatch) is the
expected answer to bad input. A crash is a signal, an LLVM crash banner
("PLEASE submit a bug report", "Stack dump") or any other exit code; a hang
is a run over --timeout seconds (20 by default). Each finding is written to
--out with its command line; the tally is printed as a Markdown row.

  scripts/adversarial.py --seconds 600 --seed 1
  scripts/adversarial.py --seconds 60 --only run    # attn-run part only

Runs get an address-space limit (--memory-gb, 8 by default) so that a size
the tools accept but cannot back fails as an allocation would, not by
swapping the host.
"""
import argparse, glob, os, random, re, resource, shutil, struct, subprocess
import sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

INTS = ["0", "-1", "1", "2", "3", "7", "17", "255", "256", "257", "1024",
        "4096", "16384", "65536", "2147483647", "2147483648", "-2147483648",
        "4294967296", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999"]
FLOATS = ["0.0", "-0.0", "1.0e+39", "-1.0e+39", "1.0e-45", "3.4e+38",
          "0x7FC00000", "0x7F800000", "0xFF800000", "1.0e+300", "-1.0"]
TYPES = ["f32", "f16", "bf16", "f64", "i1", "i8", "i32", "i64", "index",
         "f8E4M3FN", "complex<f32>"]
WORDS = ["causal", "causal = #attn.causal<bottom_right>",
         "causal = #attn.causal<top_left>", "window = [-1, 0]",
         "window = [9223372036854775807, 9223372036854775807]",
         "scale = 1.0e+39 : f32", "return_lse", "layout = #attn.layout<bshd>",
         "feature_map = #attn.feature_map<favor_plus>",
         "feature_map = #attn.feature_map<softmax>", "local_heads = 3",
         "kernel_eps = -1.0 : f32", "eps = 0.0 : f32", "?", "x", "->", ",",
         ":", "(", ")", "{", "}", "<", ">", "%q", "%k", "%v", "%o", "%0",
         "tensor<?x?x?x?xf32>", "tensor<1x1x1x1xf16>", "memref<4xf32>",
         "attn.attention", "attn.linear_attention", "attn.online_step",
         "attn.yield", "func.return", "return", "mask(", "bias(",
         "kv_lengths(", "documents(", "global_tokens(", "projection("]
GPU_OPTIONS = ["chip=sm_90a", "chip=sm_80", "chip=sm_90", "chip=", "chip=x}",
               "format=isa", "format=bin", "format=bogus", "block-q=0",
               "block-q=4096", "block-q=4294967297", "block-kv=1",
               "block-kv=100000", "hopper-stages=0", "hopper-stages=99",
               "linear-chunk=7", "linear-chunk=128", "linear-value-tile=3",
               "bogus=1", "chip=sm_90a format=isa"]
CPU_OPTIONS = ["", "block-q=0", "block-q=100000", "block-kv=3",
               "target-features=+avx2", "target-features=bogus",
               "results-as-out-params=true", "bogus=1"]


def seeds():
    """Spec texts: examples and each lit test input's split chunks."""
    out = []
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "*.mlir")) +
                   glob.glob(os.path.join(ROOT, "bench", "specs", "*.mlir")) +
                   glob.glob(os.path.join(ROOT, "test", "**", "*.mlir"),
                             recursive=True))
    for f in files:
        with open(f) as fh:
            text = fh.read()
        for chunk in re.split(r"^// -----\s*$", text, flags=re.M):
            chunk = "\n".join(l for l in chunk.splitlines()
                              if not l.lstrip().startswith("//"))
            if "attn." in chunk:
                out.append(chunk)
    return out


def mutate(rng, text):
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.randrange(9)
        lines = text.splitlines()
        if kind == 0:  # an integer literal
            ms = list(re.finditer(r"(?<![\w%#.])-?\d+(?![\w.])", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + rng.choice(INTS) + text[m.end():]
        elif kind == 1:  # a float literal
            ms = list(re.finditer(r"-?\d+\.\d*(e[+-]?\d+)?", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + rng.choice(FLOATS) + text[m.end():]
        elif kind == 2:  # an element type
            ms = list(re.finditer(r"\b(f32|f16|bf16|i32|i64|i1)\b", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + rng.choice(TYPES) + text[m.end():]
        elif kind == 3:  # a dim of a shaped type
            ms = list(re.finditer(r"(?<=[<x])(\?|\d+)(?=x)", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + rng.choice(["?", "0", "1", "3",
                    "100000", "65536", "4611686018427387904"]) + text[m.end():]
        elif kind == 4 and len(lines) > 1:  # drop a line
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif kind == 5 and lines:  # duplicate a line
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == 6:  # insert a word
            i = rng.randrange(len(text) + 1)
            text = text[:i] + " " + rng.choice(WORDS) + " " + text[i:]
        elif kind == 7:  # drop a token
            ms = list(re.finditer(r"\S+", text))
            if ms:
                m = rng.choice(ms)
                text = text[:m.start()] + text[m.end():]
        else:  # truncate
            text = text[:rng.randrange(len(text) + 1)]
    return text


def npy(descr, shape, data, fortran=False, header=None, magic=b"\x93NUMPY",
        version=(1, 0)):
    if header is None:
        header = ("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"
                  % (descr, fortran, shape))
    h = header.encode("latin1")
    if len(h) > 60000:  # version 2.0: a 4-byte header length
        version = (2, 0)
    size = 4 if version[0] >= 2 else 2
    pad = 64 - (len(magic) + 2 + size + len(h) + 1) % 64
    h += b" " * (pad % 64) + b"\n"
    return (magic + bytes(version) +
            struct.pack("<I" if size == 4 else "<H", len(h)) + h + data)


def bad_npy(rng, shape, descr):
    """A .npy of `shape` (a tuple) and `descr` with one defect, or none."""
    n = 1
    for d in shape:
        n *= d
    size = {"<f4": 4, "<f2": 2, "<i4": 4, "<i8": 8, "|b1": 1}.get(descr, 4)
    data = os.urandom(n * size) if descr != "<f4" else b"".join(
        struct.pack("<f", rng.uniform(-2, 2)) for _ in range(n))
    kind = rng.randrange(14)
    if kind == 0:
        return npy(descr, shape, data[:rng.randrange(len(data) + 1)])
    if kind == 1:
        return npy(descr, shape, data + b"\0" * rng.randrange(1, 64))
    if kind == 2:
        return npy(rng.choice(["<f8", ">f4", "<c8", "|u1", "<U4", "|O",
                               "<f4x", ""]), shape, data)
    if kind == 3:
        bad = list(shape)
        bad[rng.randrange(len(bad))] = rng.choice(
            [-1, 0, 2 ** 31, 2 ** 62, 2 ** 63 - 1, 2 ** 64, 10 ** 30])
        return npy(descr, tuple(bad), data)
    if kind == 4:
        return npy(descr, shape, data, fortran=True)
    if kind == 5:
        return npy(descr, shape, data, magic=b"\x93NUMPX")
    if kind == 6:
        return npy(descr, shape, data, version=rng.choice([(9, 0), (2, 0),
                                                           (3, 0)]))
    if kind == 7:
        return npy(descr, shape, data, header=rng.choice([
            "", "{", "{'descr': '<f4'}", "{'shape': (1,2), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,2,3,4,5,6,"
            "7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,"
            "28,29,30,31,32,33), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 2], }",
            "x" * 70000]))
    if kind == 8:
        full = npy(descr, shape, data)
        return full[:rng.randrange(len(full) + 1)]
    if kind == 9:  # header length past the file
        full = bytearray(npy(descr, shape, data))
        full[8:10] = struct.pack("<H", 65535)
        return bytes(full)
    if kind == 10 and descr == "<f4":  # NaN and inf values
        vals = [float("nan"), float("inf"), -float("inf"), 3.4e38, 1e-45]
        return npy(descr, shape, b"".join(
            struct.pack("<f", rng.choice(vals)) for _ in range(n)))
    if kind == 11:
        return os.urandom(rng.randrange(200))
    if kind == 12:
        return b""
    return npy(descr, shape, data)  # a valid one among the bad


class Runner:
    def __init__(self, args):
        self.args = args
        self.tally = {}
        self.findings = 0
        os.makedirs(args.out, exist_ok=True)

    def limit(self):
        gb = self.args.memory_gb << 30
        resource.setrlimit(resource.RLIMIT_AS, (gb, gb))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def run(self, what, cmd, spec_text=None, files=()):
        t = self.tally.setdefault(what, {"runs": 0, "crashes": 0, "hangs": 0,
                                         "ok": 0, "errors": 0})
        t["runs"] += 1
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               errors="replace", timeout=self.args.timeout,
                               preexec_fn=self.limit)
            out = p.stdout[-4000:] + p.stderr[-4000:]
            expected = (0, 1, 2) if "attn-run" in cmd[0] else (0, 1)
            crash = (p.returncode not in expected or
                     "PLEASE submit a bug report" in out or
                     "Stack dump" in out)
            kind = "crash" if crash else None
            t["ok" if p.returncode == 0 else "errors"] += not crash
        except subprocess.TimeoutExpired:
            out, kind = "", "hang"
        if kind:
            t["crashes" if kind == "crash" else "hangs"] += 1
            self.findings += 1
            d = os.path.join(self.args.out, f"{what}-{kind}-{self.findings}")
            os.makedirs(d, exist_ok=True)
            if spec_text is not None:
                with open(os.path.join(d, "spec.mlir"), "w") as f:
                    f.write(spec_text)
            for fpath in files:
                shutil.copy(fpath, d)
            with open(os.path.join(d, "command"), "w") as f:
                f.write(" ".join(cmd) + "\n\n" + out)
            print(f"{kind}: {' '.join(cmd)} -> {d}", flush=True)


def opt_round(r, rng, texts, tmp):
    text = mutate(rng, rng.choice(texts))
    spec = os.path.join(tmp, "spec.mlir")
    with open(spec, "w") as f:
        f.write(text)
    opt = r.args.attn_opt
    mode = rng.randrange(3)
    if mode == 0:
        r.run("opt-verify", [opt, spec, "-o", os.devnull], text)
    elif mode == 1:
        o = rng.choice(CPU_OPTIONS)
        flag = "--attn-cpu-pipeline" + (f"={o}" if o else "")
        r.run("opt-cpu", [opt, spec, flag, "-o", os.devnull], text)
    else:
        o = " ".join(rng.sample(GPU_OPTIONS, rng.choice([1, 1, 2])))
        r.run("opt-gpu", [opt, spec, f"--attn-gpu-pipeline={o}", "-o",
                          os.devnull], text)


RUN_SPECS = ["mha_lse", "key_padding", "linear_elu", "performer_favor",
             "llama_gqa_causal", "explicit_mask", "bshd_layout",
             "documents_packed"]
BAD_OPTIONS = [["--batch=-1"], ["--batch=0"], ["--batch=4611686018427387904"],
               ["--q-len=-5"], ["--q-len=9223372036854775807"],
               ["--kv-len=0"], ["--heads=0"], ["--heads=3", "--kv-heads=2"],
               ["--kv-heads=-1"], ["--block-q=0"], ["--block-q=1000000000"],
               ["--block-kv=-3"], ["--block-kv=1000000000"], ["--target=tpu"], ["--target=cuda"],
               ["--cpu=bogus"], ["--cpu=x86-64-v4"], ["--repeats=-1"],
               ["--check-budget=-1"], ["--input-scale=1e39"],
               ["--input-scale=nan"], ["--func=nope"], ["--serial"],
               ["--linear-chunk=7"], ["--hopper-stages=-2"],
               ["--input=/nonexistent.npy"], ["--output=/proc/none/x.npy"],
               ["--seed=4294967295"], ["--bench", "--repeats=0"],
               ["--q-len=1", "--kv-len=1"], ["--heads=1000000"]]


def run_round(r, rng, tmp):
    name = rng.choice(RUN_SPECS)
    spec = os.path.join(ROOT, "examples", name + ".mlir")
    runner = r.args.attn_run
    sizes = ["--batch=1", "--heads=2", "--kv-heads=2", "--q-len=33",
             "--kv-len=33"]
    if rng.random() < 0.5:  # bad options
        cmd = [runner, spec, "--check"] + sizes
        for _ in range(rng.choice([1, 1, 2])):
            cmd += rng.choice(BAD_OPTIONS)
        r.run("run-options", cmd)
        return
    # bad .npy inputs: one to four files, each maybe defective
    files = []
    for i in range(rng.choice([1, 3, 4])):
        descr = rng.choice(["<f4", "<f4", "<f2", "<i4", "<i8", "|b1"])
        shape = tuple(rng.choice([1, 2, 3, 33]) for _ in
                      range(rng.choice([4, 4, 4, 1, 2, 3, 5])))
        path = os.path.join(tmp, f"in{i}.npy")
        with open(path, "wb") as f:
            f.write(bad_npy(rng, shape, descr))
        files.append(path)
    cmd = [runner, spec, "--check"] + [f"--input={p}" for p in files]
    if rng.random() < 0.3:
        cmd.append("--output=" + os.path.join(tmp, "out.npy"))
    r.run("run-npy", cmd, files=files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--memory-gb", type=int, default=8)
    ap.add_argument("--only", choices=["opt", "run"])
    ap.add_argument("--attn-opt", default=os.path.join(ROOT, "build", "bin",
                                                       "attn-opt"))
    ap.add_argument("--attn-run", default=os.path.join(ROOT, "build", "bin",
                                                       "attn-run"))
    ap.add_argument("--out", default="adversarial-findings")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    texts = seeds()
    r = Runner(args)
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        while time.time() - start < args.seconds:
            part = args.only or ("opt" if rng.random() < 0.75 else "run")
            (opt_round(r, rng, texts, tmp) if part == "opt"
             else run_round(r, rng, tmp))
    print(f"\n{len(texts)} seed specs, seed {args.seed}, "
          f"{time.time() - start:.0f} s, timeout {args.timeout:g} s\n")
    print("| part | runs | exit 0 | errors (exit 1/2) | crashes | hangs |")
    print("|---|---|---|---|---|---|")
    for what, t in sorted(r.tally.items()):
        print(f"| {what} | {t['runs']} | {t['ok']} | {t['errors']} | "
              f"{t['crashes']} | {t['hangs']} |")
    sys.exit(1 if r.findings else 0)


if __name__ == "__main__":
    main()
