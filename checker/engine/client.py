"""Talk to OPA through opa-python-client: an inventory, batches of objects, strict answers.

What this module does: load the inventory into OPA (data.inventory), ask OPA for
data.dxguard.main.object_answer for a batch of objects and for cluster_results once, check that
every answer has exactly the expected shape (as a whole: the objects it judged, one status per
subject, rows only for known checks and resources), and identify the engine (OPA version, digest of
the policy modules it holds). What it must not do: interpret results. Any deviation — OPA gone,
timed out, an HTTP error, a body of the wrong shape, a result naming an unknown check or
resource — is an EngineError, so an engine failure can never read as a pass.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jsonschema
import orjson
import requests
from opa_client.opa import OpaClient

from checker.errors import EngineError
from checker.model import CheckMeta, CheckResult
from checker.schema_util import first_error, load_schema
from checker.timing import stage

ENTRY_PACKAGE = "dxguard/main"
TIERS = ("clinical", "research", "other")


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class _Client(OpaClient):
    """opa-python-client, with the one batch query (tens of megabytes of JSON each way at 10k
    resources) encoded and decoded by orjson instead of the standard library. Same request, same
    response handling: raise_for_status, then the decoded body."""

    def query_rule(
        self,
        input_data: dict,
        package_path: str,
        rule_name: str | None = None,
        query_params: dict | None = None,
    ) -> dict:
        path = package_path.replace(".", "/") + (f"/{rule_name}" if rule_name else "")
        url = f"{self.root_url}/data/{path}"
        if query_params:
            url = f"{url}?{urlencode(query_params)}"
        try:
            with stage("engine.encode"):
                payload = orjson.dumps({"input": input_data}, option=orjson.OPT_NON_STR_KEYS)
        except TypeError as err:  # a value JSON cannot carry: never sent, never passed
            raise ValueError(f"the input cannot be encoded as JSON: {err}") from None
        headers = {"Content-Type": "application/json"}
        if self.host in _LOOPBACK:
            # OPA gzips large answers when asked to; on loopback that is CPU spent twice (Go
            # compresses, urllib3 decompresses: 2.5 s at 100k resources) for no transfer gain.
            headers["Accept-Encoding"] = "identity"
        with stage("engine.opa"):  # sending, OPA's evaluation, receiving
            response = self._session.post(url, data=payload, headers=headers, timeout=self.timeout)
            response.raise_for_status()
            body = response.content
        with stage("engine.decode"):
            return orjson.loads(body)


@dataclass
class Evaluation:
    """The answer of the batch query: failures (one record each) and passes (counted)."""

    failures: list[CheckResult]
    passes: Counter[tuple[str, str]]  # (check id, resource id) → subjects that passed


@dataclass
class EngineInfo:
    opa_version: str
    bundle_sha256: str
    modules: int
    endpoint: str  # "managed" or the URL given with --opa-url


class Engine:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl: bool = False,
        timeout: float = 300.0,
        endpoint: str = "managed",
        watchdog: Any = None,
        module_files: list[Path] | None = None,
    ):
        self.client = _Client(host=host, port=port, ssl=ssl, timeout=timeout, retries=0)
        self.endpoint = endpoint
        self.timeout = timeout
        self._watchdog = watchdog  # ManagedOpa, to tell "crashed" from other failures
        self._module_files = module_files  # the policy files a managed OPA was started with
        self._info: EngineInfo | None = None
        self._checks: list[CheckMeta] | None = None

    @classmethod
    def from_url(cls, url: str, timeout: float) -> Engine:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"--opa-url {url!r} is not an http(s) URL like http://127.0.0.1:8181")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        engine = cls(
            parts.hostname, port, ssl=parts.scheme == "https", timeout=timeout, endpoint=url
        )
        if not engine.client.check_health():
            raise EngineError(
                f"OPA at {url} is not healthy or not reachable (GET /health failed)",
                hint="start OPA with the dxguard bundle (`opa run --server rego/`) or drop "
                "--opa-url to let dxguard run its own",
            )
        return engine

    def close(self) -> None:
        self.client.close_connection()

    def clone(self) -> Engine:
        """Another client of the same OPA, with a connection of its own: for one of several
        threads that query it at once (OPA evaluates concurrent queries on several cores; an
        HTTP session is not shared between threads). It knows what this one knows (checks,
        identity); close it when done."""
        other = Engine(
            self.client.host,
            self.client.port,
            ssl=self.client.ssl,
            timeout=self.timeout,
            endpoint=self.endpoint,
            watchdog=self._watchdog,
            module_files=self._module_files,
        )
        other._checks = self.checks()
        other._info = self._info
        return other

    # -- requests -------------------------------------------------------------------------

    def _fail(self, what: str, err: Exception | None = None) -> EngineError:
        # A dropped connection and the process's exit race: give the exit a moment to show.
        code = self._watchdog.exited(grace=1.0) if self._watchdog is not None else None
        if code is not None:
            tail = self._watchdog.log_tail()
            return EngineError(
                f"OPA stopped unexpectedly (exit {code}) during {what}"
                + (f":\n{tail}" if tail else ""),
                hint="no results were used; rerun, and report the OPA output above if it repeats",
            )
        detail = f": {err}" if err else ""
        return EngineError(
            f"OPA failed during {what}{detail}",
            hint="no results were used; nothing was reported as passing",
        )

    def _query(self, input_data: dict[str, Any], what: str, rule: str | None = None) -> Any:
        try:
            body = self.client.query_rule(input_data, ENTRY_PACKAGE, rule)
        except requests.Timeout:
            raise EngineError(
                f"OPA did not answer the {what} within {self.timeout:g}s",
                hint="raise --opa-timeout for very large inputs",
            ) from None
        except requests.HTTPError as err:
            msg = _opa_error_message(err.response)
            raise EngineError(f"OPA rejected the {what}: {msg}") from None
        except (requests.RequestException, ValueError) as err:
            raise self._fail(f"the {what}", err) from None
        if not isinstance(body, dict) or "result" not in body:
            raise EngineError(
                f"OPA's answer to the {what} has no result: the dxguard policy bundle "
                "(package dxguard.main) is not loaded in this OPA",
                hint="load rego/ into the OPA you point --opa-url at",
            )
        return body["result"]

    def info(self) -> EngineInfo:
        """OPA's version and the digest of the policy modules it evaluates with.

        For an OPA dxguard started, the modules are exactly the files it was started with, so
        they are hashed from disk (asking OPA would transfer every module's syntax tree). For an
        OPA at --opa-url, they are read from the engine itself (GET /v1/policies).
        """
        if self._info is None:
            try:
                if self._module_files is None:
                    resp = self.client._session.get(  # noqa: SLF001 - no raw list in the client
                        f"{self.client.root_url}/policies", timeout=self.timeout
                    )
                    resp.raise_for_status()
                    modules = [m["raw"].encode() for m in resp.json().get("result", [])]
                else:
                    modules = [p.read_bytes() for p in self._module_files]
                version = self.client.ad_hoc_query("x := opa.runtime().version")
            except (requests.RequestException, ValueError, OSError) as err:
                raise self._fail("identification", err) from None
            except (KeyError, TypeError, AttributeError):
                raise EngineError(
                    "OPA answered the policies query with an unexpected shape"
                ) from None
            try:
                opa_version = version["result"][0]["x"]
            except (KeyError, IndexError, TypeError):
                raise EngineError(
                    "OPA answered the identification query with an unexpected shape"
                ) from None
            raws = sorted(hashlib.sha256(raw).hexdigest() for raw in modules)
            digest = hashlib.sha256("\n".join(raws).encode()).hexdigest()
            self._info = EngineInfo(str(opa_version), digest, len(raws), self.endpoint)
        return self._info

    def config_data(self) -> Any:
        """data.dxguard.config as the engine holds it (None when absent)."""
        try:
            resp = self.client._session.get(  # noqa: SLF001 - plain GET of a data document
                f"{self.client.root_url}/data/dxguard/config", timeout=self.timeout
            )
            resp.raise_for_status()
            return resp.json().get("result")
        except (requests.RequestException, ValueError) as err:
            raise self._fail("the config query", err) from None

    def check_packages(self) -> tuple[set[str], set[str]]:
        """Packages under data.dxguard.checks that define `meta`, and enabled ones that define
        `subjects` (evaluated without input or inventory, so no check examines anything)."""
        query = (
            'm := {concat(".", ["dxguard.checks", f, n]) | some f, n; '
            "data.dxguard.checks[f][n].meta}; "
            'r := {concat(".", ["dxguard.checks", f, n]) | some f, n; '
            "x := data.dxguard.checks[f][n].meta; "
            "not x.custom.id in data.dxguard.main.disabled; "
            "data.dxguard.checks[f][n].subjects}"
        )
        try:
            body = self.client.ad_hoc_query(query)
            row = body["result"][0]
            return set(row["m"]), set(row["r"])
        except requests.HTTPError as err:
            msg = _opa_error_message(err.response)
            raise EngineError(f"OPA rejected the package query: {msg}") from None
        except (requests.RequestException, ValueError) as err:
            raise self._fail("the package query", err) from None
        except (KeyError, IndexError, TypeError):
            raise EngineError("OPA answered the package query with an unexpected shape") from None

    def checks(self) -> list[CheckMeta]:
        """Metadata of every check in the loaded bundle, validated against the metadata schema."""
        if self._checks is None:
            result = self._query({}, "metadata query", "checks")
            if not isinstance(result, list):
                raise EngineError(
                    "OPA's answer has no checks list under data.dxguard.main",
                    hint="the loaded bundle is not dxguard's, or rego/main.rego was changed",
                )
            self._checks = parse_checks(result)
        return self._checks

    def load_index(self, checks: list[CheckMeta], disabled: set[str]) -> None:
        """Put the index of the checks to evaluate, by scope, into OPA's data (data.dxguard.index,
        read by rego/main.rego), so that a query need not read every check's metadata again.
        Derived from the metadata OPA itself gave (checks()): it changes nothing but cost."""
        self._put("data/dxguard/index", check_index(checks, disabled), "the check index")

    def _put(self, path: str, value: Any, what: str) -> None:
        try:
            resp = self.client._session.put(  # noqa: SLF001 - plain PUT of a data document
                f"{self.client.root_url}/{path}",
                data=orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
            resp.raise_for_status()
        except requests.HTTPError as err:
            raise EngineError(f"OPA rejected {what}: {_opa_error_message(err.response)}") from None
        except (requests.RequestException, TypeError) as err:
            raise self._fail(f"loading {what}", err) from None

    def load_inventory(self, inventory: dict[str, Any]) -> None:
        """Put the inventory into OPA's data (data.inventory), replacing what it held: what the
        object-scope checks look up about other objects, and what the cluster-scope checks
        judge. Loaded once per scan (the webhook and an audit keep it current)."""
        try:
            with stage("engine.inventory"):
                payload = orjson.dumps(inventory, option=orjson.OPT_NON_STR_KEYS)
                resp = self.client._session.put(  # noqa: SLF001 - plain PUT of a data document
                    f"{self.client.root_url}/data/inventory",
                    data=payload,
                    headers={"Content-Type": "application/json"},
                    timeout=self.timeout,
                )
                resp.raise_for_status()
        except requests.HTTPError as err:
            msg = _opa_error_message(err.response)
            raise EngineError(f"OPA rejected the inventory: {msg}") from None
        except (requests.RequestException, TypeError) as err:
            raise self._fail("loading the inventory", err) from None

    def evaluate(
        self,
        resources: list[dict[str, Any]],
        context: dict[str, Any],
        *,
        workloads: frozenset[str] = frozenset(),
    ) -> Evaluation:
        """Judge the objects under review with every check of scope `object`: the failures as
        records, the passes as counts per (check, resource) — reports count passing subjects,
        and at 100k resources millions of pass records would only cost memory.

        The answer is validated as a whole: it must say it judged exactly these objects (their
        ids, in order), every row must name a resource of this batch and a known check, no
        (check, resource, path, subject) may be stated twice, and a batch holding a workload
        (`workloads`: ids of the objects with a pod spec, which the built-in checks always
        examine) cannot have no rows at all."""
        known_checks = {c.id for c in self.checks() if c.scope == "object"}
        result = self._query(
            {"resources": resources, "context": context}, "evaluation", "object_answer"
        )
        ids = [r["id"] for r in resources]
        rows = _object_rows(result, ids)
        if not rows and workloads:
            sample = sorted(workloads)[0]
            raise EngineError(
                f"OPA answered the batch of {len(ids)} object(s) with no result rows at all, "
                f"though it holds {len(workloads)} workload(s) (e.g. {sample!r}) that the checks "
                "always examine: the engine did not evaluate the checks",
                hint="no results were used; nothing was reported as passing. Check that the OPA "
                "holds dxguard's whole policy bundle (rego/), unmodified",
            )
        with stage("engine.rows"):
            return self._read_rows(rows, set(ids), known_checks, "the batch")

    def review(
        self, resources: list[dict[str, Any]], context: dict[str, Any]
    ) -> tuple[Evaluation, dict[str, str]]:
        """As evaluate, and the tier of each object (the admission webhook enforces by tier):
        one query (data.dxguard.main.review). Every object must have a tier of its own."""
        known_checks = {c.id for c in self.checks() if c.scope == "object"}
        ids = {r["id"] for r in resources}
        result = self._query({"resources": resources, "context": context}, "review", "review")
        if not isinstance(result, dict) or not isinstance(result.get("tiers"), dict):
            raise EngineError(
                "OPA's answer to the review has no tiers (data.dxguard.main.review)",
                hint="the loaded bundle is not this dxguard's, or rego/main.rego was changed",
            )
        tiers = result["tiers"]
        if set(tiers) != ids or not all(t in TIERS for t in tiers.values()):
            raise EngineError(f"OPA's answer to the review names unexpected tiers: {tiers!r}")
        with stage("engine.rows"):
            evaluation = self._read_rows(
                _rows(result.get("results")), ids, known_checks, "the batch"
            )
        return evaluation, tiers

    def evaluate_cluster(self, context: dict[str, Any], known_resources: set[str]) -> Evaluation:
        """Judge the inventory as a whole with every check of scope `cluster` (once per run).
        Every row must name a resource the run knows (`known_resources`)."""
        known_checks = {c.id for c in self.checks() if c.scope == "cluster"}
        result = self._query({"context": context}, "cluster evaluation", "cluster_results")
        with stage("engine.rows"):
            return self._read_rows(_rows(result), known_resources, known_checks, "the inventory")

    def _read_rows(
        self, rows: list[Any], known_resources: set[str], known_checks: set[str], where: str
    ) -> Evaluation:
        out: list[CheckResult] = []
        passes: Counter[tuple[str, str]] = Counter()
        seen: set[tuple[Any, ...]] = set()
        # Each row's check and resource id become the caller's own string objects: the answer's
        # copies (one per row, millions at 100k resources) are dropped with the answer.
        resource_ids = {r: r for r in known_resources}
        check_ids = {c: c for c in known_checks}
        for i, row in enumerate(rows):
            try:
                check, resource, path, status = (
                    row["check"],
                    row["resource"],
                    row["path"],
                    row["status"],
                )
            except (KeyError, TypeError):
                raise _bad_row(i, row, "it lacks check, resource, path or status") from None
            message = row.get("message")
            subject = row.get("subject")
            if subject is not None and not isinstance(subject, str):
                raise _bad_row(i, row, "subject must be a string")
            if status not in ("pass", "fail"):
                raise _bad_row(i, row, f"status {status!r} is neither pass nor fail")
            if not isinstance(path, str) or not isinstance(resource, str):
                raise _bad_row(i, row, "path and resource must be strings")
            if status == "fail" and not (isinstance(message, str) and message):
                raise _bad_row(i, row, "a failure must carry a message")
            if check not in check_ids:
                raise _bad_row(
                    i, row, f"check {check!r} has no metadata of this scope in the bundle"
                )
            if resource not in resource_ids:
                raise _bad_row(i, row, f"resource {resource!r} is not in {where}")
            check, resource = check_ids[check], resource_ids[resource]
            key = (check, resource, path, subject)
            if key in seen:
                raise _bad_row(
                    i,
                    row,
                    "another row already states this (check, resource, path, subject): one "
                    "subject has exactly one status",
                )
            seen.add(key)
            if status == "pass":
                passes[(check, resource)] += 1
            else:
                out.append(CheckResult(check, resource, path, status, message, subject))
        return Evaluation(out, passes)


def _object_rows(result: Any, ids: list[str]) -> list[Any]:
    """The rows of an object query's answer, once it says it judged exactly `ids`."""
    if not isinstance(result, dict) or set(result) != {"judged", "rows"}:
        raise EngineError(
            "OPA's answer to the batch is not {judged, rows} (data.dxguard.main.object_answer)",
            hint="the loaded bundle is not this dxguard's, or rego/main.rego was changed",
        )
    judged = result["judged"]
    if judged != ids:
        n = len(judged) if isinstance(judged, list) else "?"
        raise EngineError(
            f"OPA's answer is about {n} object(s) that are not the {len(ids)} sent in the batch: "
            "the engine judged another input (or none)",
            hint="no results were used; nothing was reported as passing. Check that nothing "
            "between dxguard and OPA changes the request",
        )
    return _rows(result["rows"])


def _rows(result: Any) -> list[Any]:
    if not isinstance(result, list):
        raise EngineError(
            "OPA's answer is not a list of result rows (data.dxguard.main)",
            hint="the loaded bundle is not dxguard's, or rego/main.rego was changed",
        )
    return result


def _bad_row(i: int, row: Any, why: str) -> EngineError:
    text = repr(row)
    if len(text) > 200:
        text = text[:200] + "…"
    return EngineError(
        f"OPA returned a malformed result #{i}: {why}: {text}",
        hint="a check in the bundle must emit results through lib.check",
    )


def _opa_error_message(response: requests.Response | None) -> str:
    if response is None:
        return "no response"
    try:
        body = response.json()
        msg = body.get("message", "")
        errs = body.get("errors") or []
        details = "; ".join(
            f"{e.get('location', {}).get('file', '?')}:{e.get('location', {}).get('row', '?')}: "
            f"{e.get('message', '')}"
            for e in errs
            if isinstance(e, dict)
        )
        return f"HTTP {response.status_code}: {msg}" + (f" ({details})" if details else "")
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"


def check_index(checks: list[CheckMeta], disabled: set[str]) -> dict[str, list[dict[str, str]]]:
    """The checks to evaluate by scope, as rego/main.rego reads data.dxguard.index."""
    index: dict[str, list[dict[str, str]]] = {"object": [], "cluster": []}
    for c in checks:
        if c.id in disabled:
            continue
        family, name = c.package.split(".")[-2:]
        index.setdefault(c.scope, []).append({"family": family, "name": name, "id": c.id})
    for entries in index.values():
        entries.sort(key=lambda e: (e["family"], e["name"]))
    return index


def parse_checks(raw: list[Any]) -> list[CheckMeta]:
    schema = load_schema("check-metadata.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    out: list[CheckMeta] = []
    seen: dict[str, str] = {}
    for meta in raw:
        package = meta.get("package", "?") if isinstance(meta, dict) else "?"
        err = first_error(validator, meta)
        if err is not None:
            where = ".".join(str(p) for p in err.absolute_path) or "(metadata)"
            raise EngineError(
                f"check package {package}: METADATA {where}: {err.message}",
                hint="every check's METADATA needs title, description and custom: id, family, "
                "severity, targets, remediation (see docs/writing-checks.md)",
            )
        custom = meta["custom"]
        if custom["id"] in seen:
            raise EngineError(
                f"check id {custom['id']} is declared by two packages: {seen[custom['id']]} "
                f"and {package}; ids must be unique"
            )
        seen[custom["id"]] = package
        out.append(
            CheckMeta(
                id=custom["id"],
                title=meta["title"],
                description=meta["description"].strip(),
                family=custom["family"],
                severity=custom["severity"],
                targets={k: list(v) for k, v in custom["targets"].items()},
                remediation=custom["remediation"].strip(),
                package=package,
                parameters=tuple(custom.get("parameters", [])),
                scope=custom["scope"],
                inventory=tuple(custom.get("inventory", [])),
            )
        )
    return sorted(out, key=lambda c: c.id)
