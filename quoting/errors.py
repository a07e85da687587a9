"""Errors a person can act on: which field, what was wrong, what is allowed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str
    # What is wrong, for code that must act on it without reading the message
    # ("client_name_on_record"), and its parameters; empty for plain input problems.
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class QuoteInputError(ValueError):
    """A request that cannot be priced; carries one problem per field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @classmethod
    def single(cls, field: str, message: str) -> QuoteInputError:
        return cls([FieldProblem(field, message)])


class RulesError(ValueError):
    """A pricing rules file that is malformed: names the file and the field."""
