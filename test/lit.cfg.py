# lit configuration for the attn tests: attn-opt plus LLVM's FileCheck/not.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

config.substitutions.append(("%attn_src_root", config.attn_src_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["attn-opt", "attn-run"], [config.attn_tools_dir])

# The GPU pipeline links libdevice from the CUDA toolkit.
if os.path.exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"):
    config.available_features.add("libdevice")

# ptxas turns the PTX into a cubin (format=bin).
if os.path.exists("/usr/local/cuda/bin/ptxas"):
    config.available_features.add("ptxas")
