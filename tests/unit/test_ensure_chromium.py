"""`scripts/ensure-chromium`: the README's test command installs the browser the console's
tests drive when a fresh machine lacks it (root: apt-get; else passwordless sudo; neither: a
clear message). Run against stand-in `id`, `sudo` and `apt-get` on a PATH of their own."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import ROOT

SCRIPT = ROOT / "scripts" / "ensure-chromium"
BASH = shutil.which("bash") or "/bin/bash"


def _tool(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    d = tmp_path / "bin"
    d.mkdir()
    # apt-get logs its arguments; `install` puts a chromium on PATH, as the package does.
    _tool(
        d,
        "apt-get",
        f'echo "$*" >> {tmp_path}/apt.log\n'
        f'if [ "$1" = install ]; then printf "#!/bin/sh\\n" > {d}/chromium; '
        f"/bin/chmod +x {d}/chromium; fi",
    )
    return d


def _run(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)], env={"PATH": str(bin_dir)}, capture_output=True, text=True
    )


def _apt_calls(bin_dir: Path) -> list[str]:
    log = bin_dir.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_nothing_is_installed_when_chromium_is_there(bin_dir: Path) -> None:
    _tool(bin_dir, "chromium", "exit 0")
    _tool(bin_dir, "id", "echo 0")
    done = _run(bin_dir)
    assert done.returncode == 0, done.stderr
    assert _apt_calls(bin_dir) == []


def test_root_installs_it_with_apt_get(bin_dir: Path) -> None:
    _tool(bin_dir, "id", "echo 0")
    done = _run(bin_dir)
    assert done.returncode == 0, done.stderr
    assert _apt_calls(bin_dir) == ["update -q", "install -y -q chromium"]
    assert (bin_dir / "chromium").exists()


def test_a_user_installs_it_through_passwordless_sudo(bin_dir: Path) -> None:
    _tool(bin_dir, "id", "echo 1000")
    _tool(bin_dir, "sudo", f'echo "$*" >> {bin_dir.parent}/sudo.log\n[ "$1" = -n ] && shift\n"$@"')
    done = _run(bin_dir)
    assert done.returncode == 0, done.stderr
    assert _apt_calls(bin_dir) == ["update -q", "install -y -q chromium"]
    assert "-n apt-get install -y -q chromium" in (bin_dir.parent / "sudo.log").read_text()


def test_without_root_or_sudo_it_says_what_to_run(bin_dir: Path) -> None:
    _tool(bin_dir, "id", "echo 1000")
    done = _run(bin_dir)
    assert done.returncode == 1
    assert "sudo apt-get install -y chromium" in done.stderr
    assert _apt_calls(bin_dir) == []


def test_the_test_recipes_call_it_first() -> None:
    justfile = (ROOT / "justfile").read_text()
    for recipe in ("test", "test-integration"):
        body = re.search(rf"^{recipe} \*args:.*\n((?:    .*\n)+)", justfile, re.M)
        assert body is not None, recipe
        assert body.group(1).splitlines()[0].strip() == "scripts/ensure-chromium", recipe
