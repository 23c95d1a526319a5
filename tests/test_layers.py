"""The package's layers (pyproject's import-linter contract) and its small public API."""

from __future__ import annotations

import os

import pytest

from qa.settings import PROJECT_ROOT


def test_stages_import_one_way(capsys):
    from importlinter.cli import lint_imports

    cwd = os.getcwd()
    os.chdir(PROJECT_ROOT)  # the contract lives in pyproject.toml
    try:
        status = lint_imports(no_cache=True, no_logo=True)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "1 kept, 0 broken" in out


def test_public_api_is_re_exported_from_the_package():
    import qa

    assert set(qa.__all__) == {"Engine", "Settings", "ask", "compare", "Answer", "Hit", "Filters"}
    for name in qa.__all__:
        assert getattr(qa, name).__module__.startswith("qa."), name


@pytest.mark.parametrize("package", ["qa.ingest", "qa.models", "qa.search", "qa.serve", "qa.eval", "qa.bench"])
def test_init_files_only_re_export(package):
    import ast
    import importlib

    path = importlib.import_module(package).__file__
    tree = ast.parse(open(path, encoding="utf-8").read())
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Import", "Assign"}, kinds  # docstring, imports, __all__
