"""Structure rules the layer contracts (import-linter) do not cover."""

from __future__ import annotations

import ast
import re

from tests.paths import ROOT


def _imports(path) -> set[str]:  # type: ignore[no-untyped-def]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
    return out


def test_migrations_are_frozen_snapshots_that_import_no_live_code() -> None:
    offenders = {
        path.name: sorted(m for m in _imports(path) if m == "src" or m.startswith("src."))
        for path in sorted((ROOT / "migrations/versions").glob("*.py"))
    }
    assert not {name: mods for name, mods in offenders.items() if mods}


def test_the_domain_has_no_import_cycle() -> None:
    domain = ROOT / "src/domain"
    graph = {
        f"src.domain.{p.stem}": {m for m in _imports(p) if m.startswith("src.domain.")}
        for p in domain.glob("*.py")
        if p.stem != "__init__"
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, "import cycle: " + " -> ".join([*visiting, module])
        if module in done:
            return
        visiting.append(module)
        for dep in graph.get(module, ()):
            visit(dep)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_every_document_the_code_cites_is_in_the_repository() -> None:
    cited = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b")
    missing = []
    for top in ("src", "bench", "migrations", "tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                # Line numbers of YClients' own blueprint (`[DOC S1 l.5369]`) point outside.
                if re.search(r"\bS\d+ l\.\d", line):
                    missing.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
                for name in cited.findall(line):
                    if not (ROOT / name).is_file() and not (path.parent / name).is_file():
                        missing.append(f"{path.relative_to(ROOT)}:{number}: {name}")
    missing = [
        m
        for m in missing
        if not m.startswith(("tests/unit/test_self_contained.py", "tests/unit/test_structure.py"))
    ]
    assert not missing, "cites documents that are not in the repository:\n" + "\n".join(missing)
