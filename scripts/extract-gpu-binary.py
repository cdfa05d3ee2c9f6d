#!/usr/bin/env python3
"""Writes the object of the gpu.binary in an attn-opt output to a file.

Usage: extract-gpu-binary.py lowered.mlir out.{cubin,ptx}
(cubin from attn-gpu-pipeline{format=bin}, PTX from format=isa)."""
import re, sys

text = open(sys.argv[1]).read()
m = re.search(r'(?:bin|assembly) = "((?:[^"\\]|\\.)*)"', text, re.S)
if not m:
    sys.exit("no gpu.binary object in " + sys.argv[1])
raw, out, i = m.group(1), bytearray(), 0
while i < len(raw):  # MLIR string escapes: \\, \", \XX
    if raw[i] == "\\":
        if raw[i + 1] in "\\\"":
            out.append(ord(raw[i + 1])); i += 2
        else:
            out.append(int(raw[i + 1:i + 3], 16)); i += 3
    else:
        out += raw[i].encode(); i += 1
open(sys.argv[2], "wb").write(out)
