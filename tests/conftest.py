"""Fixtures: compiled guest programs, and the ways to run them (harness.py).

`guest("NAME")` compiles tests/guests/NAME.c once (cached by content hash
under ~/.cache/violet or $VIOLET_CACHE, see violet.cli.build_cached) and
returns the binary's absolute path.  `violet` is a runner parametrized over
the CLI and the Python API, so a test using it runs once for each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from harness import GUESTS, VIOLET_RUNNERS, Runner, run_api, run_cli, run_native
from violet.cli import build_cached


@pytest.fixture(scope="session")
def guest() -> Callable[[str], Path]:
    """guest("NAME") -> the compiled tests/guests/NAME.c (built once per session)."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            source = GUESTS / f"{name}.c"
            if not source.is_file():
                raise FileNotFoundError(f"no guest program {source}")
            built[name] = build_cached(source, quiet=True).resolve()
        return built[name]

    return get


@pytest.fixture(params=sorted(VIOLET_RUNNERS))
def violet(request: pytest.FixtureRequest) -> Runner:
    """A way to run a program under Violet; the test runs once per way."""
    return VIOLET_RUNNERS[request.param]


@pytest.fixture
def native() -> Runner:
    return run_native


@pytest.fixture
def api() -> Runner:
    return run_api


@pytest.fixture
def cli() -> Runner:
    return run_cli
