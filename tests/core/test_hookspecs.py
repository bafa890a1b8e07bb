"""Every hookspec is documented (docstring and docs/hooks.md) and exercised by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from switchboard import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOK_NAMES = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("switchboard_") and inspect.isfunction(value)
)
THIS_FILE = Path(__file__).resolve()


def test_hookspecs_exist_and_are_prefixed() -> None:
    assert len(HOOK_NAMES) >= 20
    for name, value in vars(hookspecs).items():
        if inspect.isfunction(value) and not name.startswith("_"):
            assert name.startswith("switchboard_"), name


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_hookspec_docstring_says_when_returns_and_combines(name: str) -> None:
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    assert doc.startswith("Called"), f"{name}: the docstring must start with when it is called"
    options = spec.switchboard_spec  # set by pluggy's HookspecMarker
    if options.get("firstresult"):
        assert "Stops at first non-None result." in doc, name
    else:
        assert "Every implementation is called" in doc, name
    assert re.search(r"Sync|may return an awaitable", doc), f"{name}: say which async rule holds"
    if "Awaitable" in str(inspect.signature(spec).return_annotation):
        assert not options.get("firstresult"), f"{name}: firstresult hooks cannot be async"
        assert "may return an awaitable" in doc, name
    hints = inspect.signature(spec)
    assert hints.return_annotation is not inspect.Signature.empty, f"{name}: no return type"
    for parameter in hints.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, f"{name}.{parameter.name}"


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_hook_is_documented_in_docs(name: str) -> None:
    text = (ROOT / "docs" / "hooks.md").read_text()
    assert f"### {name}\n" in text, f"docs/hooks.md has no section for {name}"


def test_docs_do_not_describe_hooks_that_do_not_exist() -> None:
    text = (ROOT / "docs" / "hooks.md").read_text()
    documented = set(re.findall(r"^### (switchboard_\w+)$", text, flags=re.MULTILINE))
    assert documented == set(HOOK_NAMES)


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_hook_has_a_test(name: str) -> None:
    """A hook counts as tested when a test is named after it and implements it."""
    short = name.removeprefix("switchboard_")
    for path in (ROOT / "tests").rglob("test_*.py"):
        if path.resolve() == THIS_FILE:
            continue
        text = path.read_text()
        if re.search(rf"def test_\w*{short}\w*\(", text) and f"def {name}(" in text:
            return
    pytest.fail(f"no test exercises {name}: add a test named after it that implements it")
