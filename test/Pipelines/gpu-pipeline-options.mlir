// Options that cannot make a GPU binary are errors with a failing exit,
// before any pass runs (an empty chip used to crash inside upstream
// verification, an unknown format to print an error and exit 0).
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=sm_90a}" 2>&1 | FileCheck %s --check-prefix=BRACE
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=volta" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not attn-opt %s --attn-gpu-pipeline="chip=sm_35" 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not attn-opt %s --attn-gpu-pipeline="format=bogus" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not attn-opt %s --attn-gpu-pipeline="block-q=4096" 2>&1 | FileCheck %s --check-prefix=THREADS

// EMPTY: error: attn-gpu-pipeline: chip must name an NVIDIA GPU as sm_<version>[a] (sm_80, sm_90a, ...; sm_50 or newer), got ''
// BRACE: error: attn-gpu-pipeline: chip must name an NVIDIA GPU as sm_<version>[a] (sm_80, sm_90a, ...; sm_50 or newer), got 'sm_90a}'
// NAME: error: attn-gpu-pipeline: chip must name an NVIDIA GPU as sm_<version>[a] (sm_80, sm_90a, ...; sm_50 or newer), got 'volta'
// OLD: error: attn-gpu-pipeline: chip must name an NVIDIA GPU as sm_<version>[a] (sm_80, sm_90a, ...; sm_50 or newer), got 'sm_35'
// FORMAT: error: attn-gpu-pipeline: format must be isa (PTX), bin (cubin) or fatbin, got 'bogus'
// THREADS: error: attn-to-gpu: block-q must be in [1, 1024] (threads per block)
func.func @full(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = attn.attention %q, %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
