"""The fresh-machine entry points: .ci/run and the Makefile's browser target, run for
real against a PATH of fake system tools (`id`, `apt-get`) in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _fake_bin(tmp_path: Path, *, uid: int) -> Path:
    """A PATH with make and a shell, no chromium, an `id` that says `uid` and an
    `apt-get` that records how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "sh", "bash"):
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(found)
    scripts = {"id": f"#!/bin/sh\necho {uid}\n",
               "apt-get": f'#!/bin/sh\necho "$@" >> "{tmp_path}/apt-get.log"\n'}
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def _make_browser(tmp_path: Path, uid: int) -> subprocess.CompletedProcess[str]:
    bin_dir = _fake_bin(tmp_path, uid=uid)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    return subprocess.run(["make", "--no-print-directory", "-f", str(ROOT / "Makefile"),
                           "browser"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)


def test_ci_refuses_to_run_with_update_golden_set(tmp_path: Path) -> None:
    env = {**os.environ, "UPDATE_GOLDEN": "1", "PATH": str(_fake_bin(tmp_path, uid=0))}
    proc = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "UPDATE_GOLDEN" in proc.stderr
    # Refused before installing or running anything.
    assert not (tmp_path / "apt-get.log").exists()
    assert proc.stdout == ""


def test_make_test_tells_a_non_root_user_the_package_in_one_line(tmp_path: Path) -> None:
    proc = _make_browser(tmp_path, uid=1000)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("make:")]
    assert len(lines) == 1, proc.stderr
    assert "chromium" in lines[0] and "apt-get install chromium" in lines[0]
    assert not (tmp_path / "apt-get.log").exists()


def test_make_test_installs_chromium_as_root(tmp_path: Path) -> None:
    proc = _make_browser(tmp_path, uid=0)
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "apt-get.log").read_text().splitlines()
    assert calls[0].startswith("update")
    assert calls[1].split()[-1] == "chromium" and calls[1].startswith("install")


def test_make_test_runs_the_browser_and_image_checks_before_the_tests() -> None:
    dry = subprocess.run(["make", "-n", "--no-print-directory", "-f",
                          str(ROOT / "Makefile"), "test", "VENV=/nonexistent-venv"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    text = dry.stdout
    assert text.index("command -v chromium") < text.index("prediction-monitor check-config") \
        < text.index("-m pytest")
