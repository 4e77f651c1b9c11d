"""Set-up: the demo needs no Java; the Spark path takes any Java from 17 up."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"


def _java_major(tmp_path: Path, banner: str) -> int:
    """java_major of setup.sh with a stand-in `java` that prints ``banner``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    java = bin_dir / "java"
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\nexit 1\n")
    java.chmod(0o755)
    text = SETUP.read_text()
    function = re.search(r"^java_major\(\) \{.*?^\}", text, re.S | re.M)
    assert function is not None
    script = f"set -euo pipefail\n{function.group(0)}\njava_major\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True,
                         env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    return int(out.stdout.strip())


@pytest.mark.parametrize(("banner", "major"), [
    ('openjdk version "17.0.15" 2025-04-15', 17),
    ('openjdk version "21.0.2" 2024-01-16', 21),
    ('openjdk version "25" 2025-09-16', 25),
    ('java version "1.8.0_392"', 8),
    ('openjdk version "11.0.22" 2024-01-16', 11),
    ("Error: could not find libjava.so", 0),
])
def test_the_java_version_is_read_as_a_number(tmp_path: Path, banner: str,
                                              major: int) -> None:
    assert _java_major(tmp_path, banner) == major


def test_only_the_tests_ask_for_java() -> None:
    tasks = (ROOT / "run").read_text()
    demo = re.search(r"^\s*demo\)(.*)$", tasks, re.M)
    test = re.search(r"^\s*test\)(.*)$", tasks, re.M)
    assert demo and test
    assert "scripts/setup.sh;" in demo.group(1) and "--spark" not in demo.group(1)
    assert "scripts/setup.sh --spark" in test.group(1)
    text = SETUP.read_text()
    assert re.search(r'\[ \$spark = 1 \] && \[ "\$\(java_major\)" -lt 17 \]', text)
