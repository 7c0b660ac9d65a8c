"""Errors that end a run with exit code 2.

Every error that reaches the user says which file (and line, where there is one) is at fault and
what to do about it. An error is never turned into a pass: the CLI maps each of these to exit 2.
"""

from __future__ import annotations


class DxguardError(Exception):
    """A failure that stops the run with exit code 2 and a message for the user."""

    exit_code = 2
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(DxguardError):
    kind = "usage error"


class InputError(DxguardError):
    """An input file that cannot be read or parsed; the message names file and line."""

    kind = "input error"


class ConfigError(DxguardError):
    kind = "config error"


class CatalogError(DxguardError):
    kind = "catalog error"


class PolicyError(DxguardError):
    """A custom policy (--policy) that cannot join the bundle; the message names file and line."""

    kind = "policy error"


class EngineError(DxguardError):
    """OPA is missing, failed, timed out or answered something unexpected: never a pass."""

    kind = "engine error"


class StoreError(DxguardError):
    """The evidence store cannot be opened, written or read (checker/store/)."""

    kind = "store error"
