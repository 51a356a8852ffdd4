"""The shape of the code (docs/architecture.md), held by tests: each rule fails when a change breaks it."""

import ast
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "sfumato"
MAX_LINES = 300


def modules(under: Path = SOURCE) -> Iterator[Path]:
    for path in sorted(under.rglob("*.py")):
        if "migrations" not in path.relative_to(SOURCE).parts:
            yield path


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def layer(path: Path) -> str:
    parts = path.relative_to(SOURCE).parts
    return parts[0] if len(parts) > 1 else path.stem


def test_no_module_is_over_300_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_only_db_speaks_sql() -> None:
    speaking = [
        str(p.relative_to(ROOT))
        for p in modules()
        if layer(p) != "db"
        and any(name == "sqlalchemy" or name.startswith("sqlalchemy.") for name in imports(p))
    ]
    assert speaking == []


@pytest.mark.parametrize(
    ("below", "forbidden"),
    [
        # The two HTTP edges are siblings on the kernel: neither imports the other, nor the roots above.
        ("api", ("sfumato.db", "sfumato.web.", "sfumato.roots", "sfumato.app")),
        ("web", ("sfumato.db", "sfumato.api", "sfumato.roots", "sfumato.app")),
        # The kernel below both edges knows neither, nor the database.
        ("http", ("sfumato.api", "sfumato.web.", "sfumato.db", "sfumato.roots", "sfumato.app")),
        (
            "domain",
            (
                "sfumato.api",
                "sfumato.services",
                "sfumato.db",
                "sfumato.engine",
                "sfumato.storage",
                "sfumato.webhooks",
                "sfumato.imaging",
                "sfumato.credentials",
                "sfumato.config",
                "sfumato.http",
                "sfumato.web.",
                "sfumato.roots",
            ),
        ),
        ("engine", ("sfumato.api", "sfumato.services", "sfumato.db", "sfumato.config", "sfumato.imaging")),
        ("db", ("sfumato.api", "sfumato.services", "sfumato.engine", "sfumato.config", "sfumato.http")),
        ("services", ("sfumato.api", "sfumato.web.", "sfumato.http", "sfumato.roots", "sfumato.app")),
        ("storage", ("sfumato.api", "sfumato.services", "sfumato.db")),
        ("imaging", ("sfumato.api", "sfumato.services", "sfumato.db", "sfumato.engine")),
        ("webhooks", ("sfumato.api", "sfumato.services", "sfumato.db")),
        # Content credentials sign and read bytes; what to sign and where the bytes live is the services'.
        (
            "credentials",
            (
                "sfumato.api",
                "sfumato.services",
                "sfumato.db",
                "sfumato.engine",
                "sfumato.storage",
                "sfumato.config",
            ),
        ),
    ],
)
def test_imports_flow_downward(below: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(name for name in imports(path) if name.startswith(forbidden))
        for path in modules(SOURCE / below)
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_only_the_command_line_and_the_app_build_a_process() -> None:
    """A composition root per process (sfumato/roots/): only `create_app` and the command line build one;
    the layers below receive what they need."""
    building = [
        str(path.relative_to(ROOT))
        for path in modules()
        if layer(path) not in ("roots", "cli", "app")
        and any(name == "sfumato.roots" or name.startswith("sfumato.roots.") for name in imports(path))
    ]
    assert building == []


def code_tokens(path: Path) -> Iterator[tuple[int, str]]:
    """The names, numbers and strings of a module's code: not its comments, not its docstrings."""
    previous = tokenize.NEWLINE
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
                continue
            docstring = token.type == tokenize.STRING and previous in (
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
            )
            if token.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING) and not docstring:
                yield token.start[0], token.string
            previous = token.type


HTTP = re.compile(r"^(fastapi|starlette|status_code)$|Retry-After|RateLimit-|Idempotency-Key")


def test_http_stays_in_the_api() -> None:
    """Status codes and header names belong to the HTTP edges and their kernel (api/, web/, http/): the
    layers below raise errors that carry data.
    (The webhook dispatcher is an HTTP client: it reads the status its receivers answer.)"""
    leaking = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in modules()
        if layer(path) in ("services", "db", "domain", "engine", "storage", "imaging", "credentials")
        and path != SOURCE / "services" / "webhooks.py"
        for line, text in code_tokens(path)
        if HTTP.search(text)
    ]
    assert leaking == []


def test_nothing_cites_a_document_outside_the_repository() -> None:
    outside = re.compile(r"\bAPI\.md\b|\bDESIGN\.md\b|\bSTYLE\.md\b|\.\./shared")
    files = [
        *modules(),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "bench").glob("*.py"),
        *(ROOT / "docs").glob("*.md"),
    ]
    files.append(ROOT / "README.md")
    citing = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path != Path(__file__)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if outside.search(line)
    ]
    assert citing == []
