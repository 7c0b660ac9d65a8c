"""Load and validate the user's configuration (dxguard.yaml).

The config is data for the policies (data.dxguard.config) and a record in the report. An invalid
config stops the run with exit 2, naming the file, the line and the key at fault.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from checker.errors import ConfigError, InputError
from checker.loaders.locate import line_of_path
from checker.loaders.yamldocs import parse_documents
from checker.schema_util import first_error, load_schema


@dataclass
class Config:
    data: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    file_sha256: str | None = None

    @property
    def frameworks(self) -> list[str]:
        return list(self.data.get("frameworks", []))

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.data.get("parameters", {}))

    def policy_data(self) -> dict[str, Any]:
        """What the policies see as data.dxguard.config."""
        return {"parameters": self.parameters}

    @property
    def sha256(self) -> str:
        """Digest of the effective configuration (canonical JSON), file or not."""
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(path: str | None) -> Config:
    if path is None:
        return Config()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config: {err.strerror or err}") from None
    try:
        docs = parse_documents(raw.decode("utf-8-sig"), path)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text") from None
    except InputError as err:
        raise ConfigError(err.message, hint=err.hint) from None
    content = [d for d in docs if d.value is not None]
    if len(content) != 1:
        raise ConfigError(
            f"{path}: a config file holds exactly one YAML document, found {len(content)}"
        )
    doc = content[0]
    data = doc.value
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:{doc.line}: the config must be a mapping of keys")
    validator = jsonschema.Draft202012Validator(load_schema("config.schema.json"))
    err = first_error(validator, data)
    if err is not None:
        keys = list(err.absolute_path)
        line = line_of_path(doc.node, keys) or doc.line
        where = ".".join(str(k) for k in keys) or "(top level)"
        raise ConfigError(
            f"{path}:{line}: invalid config at {where}: {err.message}",
            hint="see `dxguard init` for a commented example of every key",
        )
    return Config(data=data, file=path, file_sha256=hashlib.sha256(raw).hexdigest())
