"""`quoting serve`: what `make run` starts after `quoting demo`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from quoting.cli import main


def test_serve_is_a_quoting_command_listening_on_localhost_by_default() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output
    assert "127.0.0.1" in result.output


def test_serve_refuses_a_database_that_was_never_migrated_and_says_what_to_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "quoting db upgrade" in result.output
