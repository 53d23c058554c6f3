"""Building clients/typescript outside the repository, with its npm packages cached between
runs (under the system temp dir, keyed by package.json), and running its Node tests."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
SCHEMA = ROOT / "gatehouse" / "schema" / "schema.graphql"
CACHE = Path(tempfile.gettempdir()) / "gatehouse-npm"
SOURCES = ("package.json", ".npmrc", "codegen.ts", "tsconfig.json", "src", "test")
INSTALL_TIMEOUT = 600
STEP_TIMEOUT = 180


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.skip("npm is not installed: the TypeScript client tests need Node 20 and npm")
    return found


def _run(args: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout + done.stderr


def build_client() -> Path:
    """A build directory with node_modules (installed once per package.json), the current
    sources copied in, types generated from the current schema, and `dist/` compiled."""
    tool = npm()
    key = hashlib.sha256((CLIENT / "package.json").read_bytes()).hexdigest()[:16]
    work = CACHE / f"typescript-{key}"
    work.mkdir(parents=True, exist_ok=True)
    marker = work / "node_modules" / ".gatehouse-installed"
    for name in SOURCES:
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        source = CLIENT / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("gql", "dist"))
        else:
            shutil.copy2(source, target)
    if not marker.exists():
        _run(
            [tool, "install", "--no-audit", "--no-fund", "--cache", str(CACHE / "npm-cache")],
            work,
            INSTALL_TIMEOUT,
        )
        marker.touch()
    shutil.rmtree(work / "dist", ignore_errors=True)
    bin_dir = work / "node_modules" / ".bin"
    _run(
        [str(bin_dir / "graphql-codegen"), "--config", "codegen.ts"],
        work,
        STEP_TIMEOUT,
        {"GATEHOUSE_SCHEMA": str(SCHEMA)},
    )
    _run([str(bin_dir / "tsc"), "-p", "tsconfig.json"], work, STEP_TIMEOUT)
    return work


def node_test(work: Path, test_file: str, **env: str) -> str:
    """Run one of the package's Node tests (node's own runner); its output on failure."""
    node = shutil.which("node")
    assert node is not None
    return _run([node, "--test", f"test/{test_file}"], work, STEP_TIMEOUT, env)
