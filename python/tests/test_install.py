# SPDX-License-Identifier: MIT
"""`pip install ./python` works offline and the installed package carries
the library it was built with."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_pip_install_offline(tmp_path, build_dir):
    venv = tmp_path / "venv"
    # --system-site-packages: numpy, pip and setuptools from Debian (so no
    # pip is copied into the venv, and nothing is fetched)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    "--without-pip", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["SHMSEQ_LIBRARY"] = os.path.join(build_dir, "libshmseq.so")
    src = tmp_path / "src"  # a copy: the install must not write into the tree
    subprocess.run(["cp", "-r", os.path.join(ROOT, "python"), str(src)], check=True)
    p = subprocess.run([py, "-m", "pip", "install", "--no-index", "--no-deps",
                        "--no-cache-dir", "-q", str(src)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    del env["SHMSEQ_LIBRARY"]  # from now on, the installed copy
    p = subprocess.run([py, "-c", "import shmseq, os; print(shmseq.LIBRARY_PATH); "
                        "print(shmseq.__file__); w = shmseq.Writer('py-inst-%d' % "
                        "os.getpid(), 2); w.close(); shmseq.remove(w.name)"],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    lib, pkg = p.stdout.split()
    assert lib.startswith(str(venv)) and lib.endswith("libshmseq.so.0.1")
    assert pkg.startswith(str(venv))
