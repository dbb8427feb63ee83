"""Sphinx configuration: Markdown pages (MyST) plus an API reference from the docstrings.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # document the checkout, installed or not

import tinygrad_cnn  # noqa: E402

project = "tinygrad_cnn"
author = "the tinygrad_cnn authors"
copyright = "the tinygrad_cnn authors"  # noqa: A001  (Sphinx's name)
release = version = tinygrad_cnn.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["cupy", "graphviz"]
napoleon_numpy_docstring = True
napoleon_google_docstring = False

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"tinygrad_cnn {release}"
