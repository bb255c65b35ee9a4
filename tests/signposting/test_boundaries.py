"""The apps point one way: search never imports signposting; signposting and marketplace never
import each other (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_apps(app: str) -> set[str]:
    """The top-level packages every module of `app` imports (relative imports count as `app`)."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("app", "never"),
    [("search", "signposting"), ("signposting", "marketplace"), ("marketplace", "signposting")],
)
def test_app_does_not_import_the_other(app, never):
    assert never not in imported_apps(app)


def test_signposting_finds_listings_through_search():
    assert "search" in imported_apps("signposting")
