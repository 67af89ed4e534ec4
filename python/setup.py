# SPDX-License-Identifier: MIT
"""Install the shmseq Python package: `pip install ./python`.

Offline, with Debian's setuptools: there is no pyproject.toml on purpose,
so pip builds with the setuptools already installed instead of fetching
one into an isolated environment.

The C library it calls is found at install time and copied into the
package, so the installed package keeps working with the library it was
installed with: the file named by SHMSEQ_LIBRARY, else the build tree's
build/release/ or build/dev/ libshmseq.so (release first). With none of
them, the package uses the system's libshmseq.so.0.1 (`cmake --install`)
at run time, and says so here.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

SONAME = "libshmseq.so.0.1"
HERE = os.path.dirname(os.path.abspath(__file__))


def built_library():
    env = os.environ.get("SHMSEQ_LIBRARY")
    if env:
        if not os.path.exists(env):
            raise SystemExit(f"shmseq: SHMSEQ_LIBRARY={env} does not exist")
        return env
    for preset in ("release", "dev"):
        path = os.path.join(HERE, "..", "build", preset, SONAME)
        if os.path.exists(path):
            return path
    return None


class BuildPy(build_py):
    """build_py that also copies libshmseq.so into the package."""

    def run(self):
        super().run()
        lib = built_library()
        if lib is None:
            print("shmseq: no built libshmseq.so found (set SHMSEQ_LIBRARY or "
                  "build first); the package will load the system's " + SONAME)
            return
        dest = os.path.join(self.build_lib, "shmseq", SONAME)
        shutil.copyfile(os.path.realpath(lib), dest)  # the file, not a link
        os.chmod(dest, 0o755)
        print(f"shmseq: packaging {os.path.realpath(lib)} as shmseq/{SONAME}")


setup(
    name="shmseq",
    version="0.1.0",
    description="float64 samples in shared memory (seqlock ring), from Python and numpy",
    license="MIT",
    packages=["shmseq"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    cmdclass={"build_py": BuildPy},
    zip_safe=False,
)
