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


# Methods whose behaviour is their class's own: a one-line docstring, with the class's example
# exercising them (a layer's forward and repr, a mapping container's views, a dataset's batches).
PROTOCOL_METHODS = {"forward", "extra_repr", "keys", "values", "items", "get_batch"}


def _public_api():
    """(name, object) for every public class, function, method and property of the API."""
    import inspect

    import tinygrad_cnn as tg
    from tinygrad_cnn import autograd, data, models, nn, optim
    from tinygrad_cnn.nn import functional, init, utils

    seen = set()
    for prefix, module in [("tinygrad_cnn", tg), ("nn", nn), ("F", functional), ("init", init),
                           ("utils", utils), ("optim", optim), ("data", data), ("autograd", autograd),
                           ("models", models)]:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            yield f"{prefix}.{name}", obj
            if not inspect.isclass(obj) or not obj.__module__.startswith("tinygrad_cnn"):
                continue
            for klass in obj.__mro__:  # public members defined by the library's classes
                if not klass.__module__.startswith("tinygrad_cnn"):
                    continue
                for attr, value in vars(klass).items():
                    member = value.fget if isinstance(value, property) else value
                    if attr.startswith("_") or not callable(member) or id(member) in seen:
                        continue
                    seen.add(id(member))
                    yield f"{prefix}.{name}.{attr}", member


def test_every_public_name_has_a_docstring_with_a_runnable_example():
    """The API page shows only documented members, and doctest runs every example."""
    import inspect

    missing = []
    for name, obj in _public_api():
        doc = inspect.getdoc(obj) or ""
        protocol = name.rsplit(".", 1)[-1] in PROTOCOL_METHODS
        if not doc or (">>>" not in doc and not protocol):
            missing.append(name)
    assert not missing, f"{len(missing)} public names lack a docstring example: {missing}"
