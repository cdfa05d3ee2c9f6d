#!/usr/bin/env python3
"""Random differential tester: random valid specs against the fp64 reference.

Each case is a spec drawn across the variants (softmax attention: dtypes,
layouts, causal kinds, windows, key padding, documents, global tokens,
explicit masks, bias, scale, LSE, GQA/MQA, D != Dv, static or dynamic dims,
rotary embeddings;
linear attention: every feature map, projections, causal, GQA, layouts,
dtypes, Performer's mixed heads) with random odd sizes, run by
`attn-run --check` (random inputs, poisoned outputs, the fp64 reference).
A case passes when attn-run exits 0; exit 2 is a mismatch, anything else an
error. Every spec is first verified by attn-opt: one the verifier rejects is
a generator bug, reported as such.

  scripts/difftest.py --cases 40 --seed 1        # quick mode (CI)
  scripts/difftest.py --cases 10000 --seed 7     # long mode
  scripts/difftest.py --target cuda ...          # on a GPU host

Failing specs and their command lines are written to --out (default
difftest-failures/) so that each can be re-run by hand.
"""
import argparse, os, random, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tensor(shape, elem):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{elem}>"


class Case:
    def __init__(self, rng, target):
        self.rng = rng
        self.target = target
        r = rng
        self.linear = r.random() < 0.35
        types = ["f32", "f16", "bf16"]
        self.dtype = r.choice(types)
        self.bshd = r.random() < 0.3
        self.B = r.choice([1, 2, 3])
        self.Hkv = r.choice([1, 2, 3])
        self.Hq = self.Hkv * r.choice([1, 1, 2, 3])
        self.Lq = r.choice([1, 2, 7, 16, 33, 63, 64, 65, 100, 129, 257, 300])
        self.Lk = self.Lq if r.random() < 0.6 else r.choice([1, 5, 31, 64, 97, 200, 333])
        dims8 = [8, 16, 24, 32, 40, 64, 72, 128]
        self.D = r.choice(dims8 if self.dtype != "f32" or r.random() < 0.7
                          else [3, 5, 12, 20, 33])
        self.Dv = self.D if r.random() < 0.7 else r.choice([8, 16, 40, 64])
        self.static = {k: r.random() < 0.3 for k in ("B", "H", "L")}
        self.operands = []  # (name, type) after q, k, v
        self.attrs = []
        self.clauses = []
        self.lse = False
        if self.linear:
            self.build_linear()
        else:
            self.build_softmax()

    def qkv_shape(self, H, L, D):
        b = self.B if self.static["B"] else "?"
        h = H if self.static["H"] else "?"
        l = L if self.static["L"] else "?"
        return [b, l, h, D] if self.bshd else [b, h, l, D]

    def build_softmax(self):
        r = self.rng
        extra = r.random()
        globals_ = extra >= 0.27 and extra < 0.37 and self.Lq == self.Lk
        # a global query sees every key: no causal mask with global tokens
        causal = None if globals_ else r.choice([None, None, "bottom_right",
                                                 "top_left"])
        if causal:
            self.attrs.append(f"causal = #attn.causal<{causal}>")
        if r.random() < 0.2 or globals_:  # global tokens widen a window
            left, right = r.choice([0, 1, 5, 31, 100]), r.choice([0, 3, 17, 64])
            self.attrs.append(f"window = #attn.window<left = {left}, right = {right}>")
        if r.random() < 0.2:
            self.attrs.append(f"scale = {r.choice([0.05, 0.3, 1.0, 2.5])}")
        b = self.B if self.static["B"] else "?"
        lq = self.Lq if self.static["L"] else "?"
        lk = self.Lk if self.static["L"] else "?"
        h = self.Hq if self.static["H"] else "?"
        if extra < 0.15:
            idx = r.choice(["i32", "i64"])
            self.clauses.append(("kv_lengths", [("kv_lengths", tensor([b], idx))]))
        elif extra < 0.27:
            self.clauses.append(("documents", [("doc_q", tensor([b, lq], "i32")),
                                               ("doc_k", tensor([b, lk], "i32"))]))
        elif extra < 0.37 and self.Lq == self.Lk:
            self.clauses.append(("global_tokens", [("global", tensor([b, lq], "i1"))]))
        elif extra < 0.5:
            mb = r.choice([b, 1])
            mh = r.choice([h, 1])
            self.clauses.append(("mask", [("mask", tensor([mb, mh, lq, lk], "i1"))]))
        elif extra < 0.6:
            mb = r.choice([b, 1])
            mh = r.choice([h, 1])
            self.clauses.append(("bias", [("bias", tensor([mb, mh, lq, lk], "f32"))]))
        self.lse = r.random() < 0.25
        if self.D >= 2 and r.random() < 0.2:
            dim = r.choice([self.D - self.D % 2, 2 * r.randint(1, self.D // 2)])
            style = r.choice(["half_split", "interleaved"])
            theta = r.choice(["10000.0", "500000", "100.5"])
            self.attrs.append(f"rotary = #attn.rotary<style = {style}, "
                              f"dim = {dim}, theta = {theta}>")

    def build_linear(self):
        r = self.rng
        self.map = r.choice(["elu_plus_one", "relu", "favor_plus", "softmax"])
        self.attrs.append(f"feature_map = #attn.feature_map<{self.map}>")
        self.causal = r.random() < 0.5
        if self.causal:
            self.attrs.append("causal")
        self.M = 0
        if self.map == "favor_plus" or (self.map == "relu" and r.random() < 0.5):
            self.M = r.choice([self.D, 2 * self.D, 16, 44, 266])
            self.clauses.append(("projection", [("projection",
                                                 tensor([self.M, self.D], "f32"))]))
        if self.map == "softmax":
            self.Dv = self.D if r.random() < 0.5 else self.Dv
        if r.random() < 0.15 and self.static["H"] and self.Hq == self.Hkv and self.Hq > 1:
            self.attrs.append(f"local_heads = {r.randint(1, self.Hq - 1)}")
            self.attrs.append(f"local_window = {r.choice([1, 7, 31])}")

    def text(self):
        q = tensor(self.qkv_shape(self.Hq, self.Lq, self.D), self.dtype)
        k = tensor(self.qkv_shape(self.Hkv, self.Lk, self.D), self.dtype)
        v = tensor(self.qkv_shape(self.Hkv, self.Lk, self.Dv), self.dtype)
        o = tensor(self.qkv_shape(self.Hq, self.Lq, self.Dv), self.dtype)
        if self.bshd:
            self.attrs.append("layout = #attn.layout<bshd>")
        args = [f"%q: {q}", f"%k: {k}", f"%v: {v}"]
        clause_text = ""
        for kw, ops in self.clauses:
            args += [f"%{n}: {t}" for n, t in ops]
            clause_text += (f" {kw}(" + ", ".join(f"%{n}" for n, _ in ops) + " : " +
                            ", ".join(t for _, t in ops) + ")")
        b = self.B if self.static["B"] else "?"
        h = self.Hq if self.static["H"] else "?"
        lq = self.Lq if self.static["L"] else "?"
        lse_t = tensor([b, h, lq], "f32")
        results = [o] + ([lse_t] if self.lse else [])
        op = "attn.linear_attention" if self.linear else "attn.attention"
        attrs = (" {" + ", ".join(self.attrs) + "}") if self.attrs else ""
        names = "%o, %lse" if self.lse else "%o"
        res_ty = ", ".join(results)
        return (f"func.func @case({', '.join(args)}) -> ({res_ty}) {{\n"
                f"  {names} = {op} %q, %k, %v{clause_text}{attrs}\n"
                f"      : {q}, {k}, {v} -> {res_ty}\n"
                f"  return {names} : {res_ty}\n}}\n")

    def sizes(self):
        return ["--batch", str(self.B), "--heads", str(self.Hq), "--kv-heads",
                str(self.Hkv), "--q-len", str(self.Lq), "--kv-len", str(self.Lk)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target", default="cpu")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--out", default="difftest-failures")
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    run, opt = os.path.join(args.bin, "attn-run"), os.path.join(args.bin, "attn-opt")
    os.makedirs(args.out, exist_ok=True)
    spec_path = os.path.join(args.out, "current.mlir")
    counts = {"ok": 0, "mismatch": 0, "error": 0, "invalid": 0}
    start = time.time()
    for i in range(args.cases):
        case = Case(rng, args.target)
        text = case.text()
        with open(spec_path, "w") as f:
            f.write(text)
        verify = subprocess.run([opt, spec_path, "-o", os.devnull],
                                capture_output=True, text=True)
        if verify.returncode != 0:
            kind, why = "invalid", verify.stderr.strip().splitlines()[:1]
        else:
            cmd = [run, spec_path, "--target", args.target, "--check",
                   "--seed", str(1000 + i)] + case.sizes()
            try:
                res = subprocess.run(cmd, capture_output=True, text=True,
                                     timeout=args.timeout)
                kind = {0: "ok", 2: "mismatch"}.get(res.returncode, "error")
                why = (res.stdout + res.stderr).strip().splitlines()[-2:]
            except subprocess.TimeoutExpired:
                kind, why = "error", [f"timeout after {args.timeout} s"]
        counts[kind] += 1
        if kind != "ok":
            path = os.path.join(args.out, f"case{i}-{kind}.mlir")
            with open(path, "w") as f:
                f.write(f"// seed {args.seed} case {i}: {kind}\n// sizes: "
                        f"{' '.join(case.sizes())} --seed {1000 + i}\n")
                f.write("".join(f"// {line}\n" for line in why))
                f.write(text)
            print(f"case {i}: {kind}: {path}: {' | '.join(why)}", flush=True)
    os.remove(spec_path)
    total = time.time() - start
    print(f"difftest: {args.cases} cases (seed {args.seed}, {args.target}) in "
          f"{total:.0f} s: {counts['ok']} ok, {counts['mismatch']} mismatches, "
          f"{counts['error']} errors, {counts['invalid']} invalid specs")
    sys.exit(0 if counts["ok"] == args.cases else 1)


if __name__ == "__main__":
    main()
