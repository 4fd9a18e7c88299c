"""The suite's own layout: what several test modules share lives once, in conftest.py or
a helper module of tests/, never in a test module that others import."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in a file, functions' imports included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.append((node.lineno, base))
            # `from tests import test_x` imports a module too.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def is_test_module(module: str) -> bool:
    return any(part.startswith("test_") for part in module.split(".") if part)


def test_test_modules_do_not_import_each_other() -> None:
    modules = sorted(TESTS.glob("test_*.py"))
    assert len(modules) > 40  # the glob found the suite
    crossing = [f"{path.name}:{line}: imports {module}"
                for path in modules for line, module in imported_modules(path)
                if is_test_module(module)]
    assert crossing == [], ("move what is shared to conftest.py or a helper module of "
                            "tests/:\n" + "\n".join(crossing))


def test_the_layout_check_sees_every_way_to_import_a_test_module(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("import tests.test_a\nfrom tests.test_b import x\n"
                      "from tests import test_c\nfrom .test_d import y\n"
                      "def f():\n    from tests.test_e import z\n"
                      "from tests.contract import ContractDB\nimport pytest\n")
    flagged = sorted({line for line, module in imported_modules(sample)
                      if is_test_module(module)})
    assert flagged == [1, 2, 3, 4, 6]


def test_the_slack_fake_is_started_in_one_place() -> None:
    """The conftest's `slack` fixture starts and stops it for every test that needs it."""
    starting = sorted(path.name for path in TESTS.glob("*.py")
                      if path.name != Path(__file__).name
                      and "start_fake_slack(" in path.read_text())
    assert starting == ["conftest.py"]
