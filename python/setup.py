"""Puts the project's libattn_c.so into the package as it is built.

The library comes from the CMake build (target AttnCAPI): ATTN_LIBRARY if
set, else ../build/lib/libattn_c.so next to this folder. Build the project
first (scripts/test.sh, or `ninja -C build AttnCAPI`), then
`pip install ./python`.
"""
import os
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        lib = pathlib.Path(os.environ.get("ATTN_LIBRARY") or
                           HERE.parent / "build" / "lib" / "libattn_c.so")
        if not lib.exists():
            raise SystemExit(f"attn: {lib} does not exist; build the project "
                             "first (ninja -C build AttnCAPI) or set "
                             "ATTN_LIBRARY")
        dest = pathlib.Path(self.build_lib) / "attn"
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib, dest / "libattn_c.so")


setup(cmdclass={"build_py": BuildPyWithLibrary})
