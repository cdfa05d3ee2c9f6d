"""The examples in python/examples run and agree with their PyTorch
formulations."""
import importlib.util
import pathlib

import pytest

# CPU tensors throughout: skipped where libattn_c has only the CUDA target.
pytestmark = pytest.mark.skipif("not __import__('conftest').cpu_target_built()",
                                reason="libattn_c without the CPU target")

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", ["nanogpt", "llama", "performer"])
def test_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.check()
