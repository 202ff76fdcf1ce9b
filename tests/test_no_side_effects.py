"""A run of ``pbtlint check`` writes nothing in the analyzed tree, never opens the network, and never
executes code found in the tree.

The command runs as CI runs it: the installed ``pbtlint`` console script in a subprocess, with the
working directory inside the analyzed repository. A ``sitecustomize`` module put first on
``PYTHONPATH`` guards the network: every connect, name lookup and datagram send is logged and
refused. The tree holds Python modules named like pbtlint's own dependencies, ``sitecustomize``,
``conftest.py``, and pickled files where a cache might look for them; each would leave a marker
file outside the tree if it were ever run.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo-app"

GUARD = textwrap.dedent("""
    import os, socket
    LOG = os.environ["PBTLINT_TEST_NET_LOG"]
    with open(LOG, "a") as f:
        f.write("guard loaded\\n")

    def _refuse(name):
        def refuse(*args, **kwargs):
            with open(LOG, "a") as f:
                f.write(f"NETWORK {name} {args[1:] if name.startswith('socket.') else args}\\n")
            raise OSError(f"network access refused by the test guard ({name})")
        return refuse

    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        setattr(socket.socket, name, _refuse("socket." + name))
    socket.create_connection = _refuse("create_connection")
    socket.getaddrinfo = _refuse("getaddrinfo")
    socket.gethostbyname = _refuse("gethostbyname")
""")


class _Plant:
    """A pickle that, when loaded, creates a marker directory."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def plant_traps(tree: Path, markers: Path) -> list[Path]:
    """Code in the tree that would leave a marker in ``markers`` if executed; the markers to look for."""
    expected: list[Path] = []

    def python_trap(rel: str) -> None:
        marker = markers / rel.replace("/", "_")
        expected.append(marker)
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import os\nos.makedirs({str(marker)!r}, exist_ok=True)\n", encoding="utf-8")

    for rel in ("lark.py", "click.py", "networkx.py", "sarif_om.py", "sitecustomize.py", "usercustomize.py",
                "conftest.py", "setup.py", "app/lark.py", "app/src/click.py", "pbtlint.py", "rules/__init__.py"):
        python_trap(rel)
    for rel in (".pbtlint-cache/v1/stats.pickle", ".pbtlint-cache/v1/index.pickle",
                ".pbtlint-cache/v1/index-delta.pickle", "app/.pbtlint-cache/v1/index-delta.pickle",
                ".pbtlint-cache/v1/run/0123.pickle", ".pbtlint-cache/v1/ast/01/0123.pickle",
                "app/.pbtlint-cache/v1/stats.pickle", "app/.pbtlint-cache/v1/index.pickle",
                "app/.pbtlint-cache/v1/run/0123.pickle", "app/.pbtlint-cache/v1/ast/01/0123.pickle"):
        marker = markers / rel.replace("/", "_")
        expected.append(marker)
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(_Plant(str(marker))))
    (tree / ".pbtlint.toml").write_text("# an empty configuration\n", encoding="utf-8")
    return expected


def snapshot(tree: Path) -> dict[str, tuple]:
    """Every entry under ``tree``: kind, size, mode, modification time (ns) and content hash."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            out[path.relative_to(tree).as_posix()] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    st = tree.stat()
    out["."] = (st.st_mode, st.st_size, st.st_mtime_ns, "")
    return out


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    tree = tmp_path / "repo"
    shutil.copytree(DEMO, tree / "app")
    (tree / "app" / "src" / "Broken.Codeunit.al").write_bytes(b'codeunit 50198 "Broken"\n{\n    trigger OnRun()\n')
    return tree


def pbtlint_command() -> list[str]:
    script = shutil.which("pbtlint")
    if script is None:
        pytest.skip("the pbtlint console script is not installed (pip install -e .)")
    return [script]


def test_check_writes_nothing_opens_no_socket_and_runs_no_code_from_the_tree(repo: Path, tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    traps = plant_traps(repo, markers)
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    net_log = tmp_path / "net.log"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(guard_dir),
        "PBTLINT_TEST_NET_LOG": str(net_log),
        "PBTLINT_CACHE_DIR": str(tmp_path / "cache"),  # the one place pbtlint may write besides its output
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    before = snapshot(repo)
    runs = [
        ["check", "."],
        ["check", "app", "-f", "sarif", "-o", str(out_dir / "report.sarif")],
        ["check", "app/src/DemoContainers.Page.al", "-f", "json"],
        ["parse", "app"],
        ["graph", "app"],
    ]
    for args in runs:
        run = subprocess.run([*pbtlint_command(), *args], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode in (0, 1), (args, run.stderr)
        assert "Traceback" not in run.stderr, run.stderr
    assert snapshot(repo) == before, "pbtlint changed the analyzed tree"
    assert (out_dir / "report.sarif").stat().st_size > 0
    log = net_log.read_text(encoding="utf-8")
    assert "guard loaded" in log, "the network guard did not load: the test would prove nothing"
    assert "NETWORK" not in log, log
    executed = [m.name for m in traps if m.exists()]
    assert not executed, f"code from the analyzed tree was executed: {executed}"


def test_network_guard_works(tmp_path: Path) -> None:
    """The guard really refuses a connection (so the test above means something)."""
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "net.log"
    code = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError as e:\n    print(e)\n"
    env = {**os.environ, "PYTHONPATH": str(guard_dir), "PBTLINT_TEST_NET_LOG": str(log)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "refused by the test guard" in run.stdout, run.stderr
    assert "NETWORK create_connection" in log.read_text(encoding="utf-8")


def test_traps_are_live(repo: Path, tmp_path: Path) -> None:
    """The planted modules and pickles do leave their markers when run (so their absence means something)."""
    markers = tmp_path / "markers"
    traps = plant_traps(repo, markers)
    subprocess.run([sys.executable, "-c", "import lark"], cwd=repo, capture_output=True, timeout=60)
    assert (markers / "lark.py").exists()
    with open(repo / ".pbtlint-cache" / "v1" / "stats.pickle", "rb") as f:
        pickle.load(f)  # noqa: S301 - the point: this is what a pickle cache in the tree would do
    assert (markers / ".pbtlint-cache_v1_stats.pickle").exists()
    assert len(traps) == 22
