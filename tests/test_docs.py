"""The docs build with warnings as errors, and the Python examples on the guide pages run."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ["getting_started.md", "graphs.md", "gpu.md"]


def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    html = (tmp_path / "html" / "graphs.html").read_text()
    assert "seed_graph.svg" in html and "Receptive field and jump" in html
    api = (tmp_path / "html" / "api.html").read_text()
    for name in ("draw_graph", "summary", "conv2d_toeplitz", "Tensor", "conv2d"):
        assert name in api, name


def test_pictures_referenced_by_the_pages_exist():
    for page in ["index.md", *PAGES]:
        for ref in re.findall(r"\]\((_static/[^)]+)\)", (DOCS / page).read_text()):
            assert (DOCS / ref).is_file(), f"{page}: {ref}"


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_on_the_page_run(page, tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)
    assert blocks
    namespace = {"__name__": "__docs__"}  # later blocks on a page build on earlier ones
    for code in blocks:
        exec(compile(code, page, "exec"), namespace)
