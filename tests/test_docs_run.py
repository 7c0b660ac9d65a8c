"""The commands and snippets in README.md and docs/ run as written.

Every fenced `sh` and `yaml` block of README.md and docs/**/*.md says, after its language, what
this test does with it (the words after the language are ignored by Markdown renderers):

  ```sh dxguard-run         each command is run with bash in a workspace (below); it must exit 0,
                            or the code its trailing comment states (`# … exit 1 …`)
  ```sh dxguard-parse       commands that need what a test cannot have here (helm, Docker, a Git
                            server, an install from the network): every `dxguard` command in it is
                            parsed by dxguard's real command line, so no option can drift
  ```sh dxguard-make        `make` targets: each must be a target of the Makefile
  ```yaml dxguard-file=PATH written to PATH in the workspace, for the blocks after it
  ```yaml dxguard-config    a config (or a fragment of one): loaded with `dxguard checks list -c`
  ```yaml dxguard-waivers   a waiver file: applied by a scan of the workspace
  ```yaml dxguard-catalog   a catalog: loaded with `dxguard controls list --controls`
  ```yaml dxguard-action    steps using the GitHub Action: their inputs must be the action's

An unmarked sh or yaml block fails the test, so a new example is either run or says why not.
A page may name the repository it talks to with `<!-- dxguard-workspace: fixtures/FOLDER -->`
(the CI quick start: fixtures/app-repo, an application repository); its blocks then run in a
copy of that folder. Otherwise the workspace, one per page, is laid out like the repository the
docs talk to: `deploy/` (the
compliant platform manifests), `evidence/` (their images' scans, SBOMs, signatures and
provenance), `dxguard.yaml` (who the organisation trusts to sign and build), `policy/` and
`catalogs/` (a team's own checks and catalogs), `waivers.yaml`, and `rendered.yaml` (a `helm
template` output). `dxguard` and `.venv/bin/dxguard` are this checkout's, and DXGUARD_AS_OF fixes
the evaluation time the fixtures' dated evidence (scan ages, waiver expiries) was written for.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
import yaml

from checker.cli import cli

from conftest import AS_OF, FIXTURES, ROOT, opa_path

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^(`{3,})([\w+-]*)[ \t]*(.*)$")
MARKED = ("sh", "yaml")
TAGS = {
    "sh": {"dxguard-run", "dxguard-parse", "dxguard-make"},
    "yaml": {"dxguard-file", "dxguard-config", "dxguard-waivers", "dxguard-catalog",
             "dxguard-action"},
}  # fmt: skip


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence
    lang: str
    tags: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    out: list[Block] = []
    current: Block | None = None
    fence = ""
    lines: list[str] = []
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if current is None:
            m = FENCE.match(line)
            if m:
                fence = m.group(1)
                tags = dict(
                    (w.split("=", 1) + [""])[:2] for w in m.group(3).split() if w.startswith("dx")
                )
                current, lines = Block(page, n, m.group(2), tags), []
            continue
        if line.strip() == fence:
            current.text = "\n".join(lines) + "\n"
            out.append(current)
            current = None
            continue
        lines.append(line)
    assert current is None, f"{page.relative_to(ROOT)}: a code block is not closed"
    return out


ALL = [b for page in PAGES for b in blocks(page)]


def commands(text: str) -> list[tuple[str, int]]:
    """Logical command lines (backslash continuations joined) and the exit code each expects."""
    out: list[tuple[str, int]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.rstrip() if not buf else raw.strip()
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            buf += line[:-1].rstrip() + " "
            continue
        buf += line
        comment = re.search(r"\s#\s[^'\"]*$", buf)
        expected = 0
        if comment:
            m = re.search(r"\bexit (\d+)\b", comment.group(0))
            expected = int(m.group(1)) if m else 0
        out.append((buf, expected))
        buf = ""
    return out


def dxguard_argvs(command: str) -> list[list[str]]:
    """The argument lists of every `dxguard` in a (possibly piped) shell command."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words = list(lexer)
    out: list[list[str]] = []
    current: list[str] = []
    for w in [*words, "|"]:
        if w and set(w) <= set("|&;<>"):
            if current:
                out.append(current)
            current = []
            continue
        current.append(w)
    argvs = []
    for argv in out:
        while argv and re.fullmatch(r"[A-Z_]+=.*", argv[0]):  # VAR=value before the program
            argv = argv[1:]
        if argv and Path(argv[0]).name == "dxguard":
            argvs.append(argv[1:])
        elif argv[:2] == ["docker", "run"]:  # docker run [options] IMAGE dxguard-arguments
            image = next(
                (i for i, w in enumerate(argv) if re.match(r"[\w./-]*dxguard[:@]", w)), None
            )
            if image is not None:
                argvs.append(argv[image + 1 :])
    return argvs


def parse_with_cli(args: list[str]) -> None:
    """Parse the arguments with dxguard's real command line, down to the subcommand."""
    ctx = cli.make_context("dxguard", list(args))
    command: click.Command = cli
    rest = [*ctx._protected_args, *ctx.args]
    while isinstance(command, click.Group) and rest:
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None, f"no subcommand {name}"
        ctx = sub.make_context(name, list(rest), parent=ctx)
        command = sub
        rest = [*ctx._protected_args, *ctx.args] if isinstance(sub, click.Group) else []


WORKSPACE = re.compile(r"<!-- dxguard-workspace: (\S+) -->")


def make_workspace(base: Path, page: Path | None = None) -> Path:
    ws = base / "workspace"
    named = WORKSPACE.search(page.read_text(encoding="utf-8")) if page else None
    if named:
        shutil.copytree(ROOT / named.group(1), ws)
        (ws / ".venv").symlink_to(ROOT / ".venv")
        return ws
    shutil.copytree(FIXTURES / "k8s" / "compliant", ws / "deploy")
    shutil.copytree(FIXTURES / "images" / "compliant", ws / "evidence")
    shutil.copy(FIXTURES / "images" / "dxguard.yaml", ws / "dxguard.yaml")
    shutil.copytree(FIXTURES / "custom" / "policy", ws / "policy")
    shutil.copytree(FIXTURES / "custom" / "controls", ws / "catalogs")
    shutil.copy(FIXTURES / "waivers" / "research-waivers.yaml", ws / "waivers.yaml")
    shutil.copy(FIXTURES / "stdin" / "helm-template.yaml", ws / "rendered.yaml")
    (ws / ".venv").symlink_to(ROOT / ".venv")
    return ws


def run_env() -> dict[str, str]:
    venv_bin = ROOT / ".venv" / "bin"
    return {
        **{k: v for k, v in os.environ.items() if k != "DXGUARD_HOME"},
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "DXGUARD_OPA": str(opa_path()),
        "DXGUARD_AS_OF": AS_OF,  # the fixtures' evidence is dated: scans age, waivers expire
        "NO_COLOR": "1",
    }


def bash(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=cwd, env=run_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def explain(block: Block, command: str, proc: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{block.where}: `{command}` exited {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
    )


# -- every block is marked ----------------------------------------------------------------------


def test_every_sh_and_yaml_block_in_the_docs_says_how_it_is_tested():
    unmarked = [
        b.where
        for b in ALL
        if b.lang in MARKED and not (set(b.tags) & TAGS[b.lang])
    ]  # fmt: skip
    assert not unmarked, f"code blocks without a dxguard-… mark (see {__name__}): {unmarked}"
    wrong = [
        f"{b.where} {sorted(b.tags)}" for b in ALL if b.tags and not set(b.tags) <= TAGS[b.lang]
    ]
    assert not wrong, f"marks that do not fit the block's language: {wrong}"
    assert sum(1 for b in ALL if "dxguard-run" in b.tags) >= 5


# -- sh blocks ----------------------------------------------------------------------------------

RUN_PAGES = sorted({b.page for b in ALL if "dxguard-run" in b.tags})


@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_runnable_blocks_run_with_the_exit_codes_they_document(page, tmp_path):
    ws = make_workspace(tmp_path, page)
    for block in blocks(page):
        if "dxguard-file" in block.tags:
            target = ws / block.tags["dxguard-file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text)
        if "dxguard-run" not in block.tags:
            continue
        for command, expected in commands(block.text):
            proc = bash(command, ws)
            assert proc.returncode == expected, explain(block, command, proc)
            if expected == 2:
                assert proc.stderr.startswith("dxguard: "), explain(block, command, proc)


def test_parse_only_commands_are_valid_dxguard_command_lines():
    seen = 0
    for block in ALL:
        if block.lang != "sh" or "dxguard-run" in block.tags or "dxguard-make" in block.tags:
            continue
        for command, _ in commands(block.text):
            for argv in dxguard_argvs(command):
                seen += 1
                try:
                    parse_with_cli(argv)
                except click.ClickException as err:
                    pytest.fail(f"{block.where}: `{command}`: {err.format_message()}")
    assert seen >= 3


INLINE = re.compile(r"`((?:\.venv/bin/)?dxguard [^`]+)`")


def prose(page: Path) -> list[tuple[int, str]]:
    """The lines of a page outside its code blocks."""
    out, inside, fence = [], False, ""
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        m = FENCE.match(line)
        if not inside and m:
            inside, fence = True, m.group(1)
        elif inside and line.strip() == fence:
            inside = False
        elif not inside:
            out.append((n, line))
    return out


def test_dxguard_commands_quoted_in_the_prose_are_valid_command_lines():
    """`dxguard …` in running text: a whole command line parses; a bare command name exists."""
    seen = 0
    for page in PAGES:
        for n, line in prose(page):
            for span in INLINE.findall(line):
                argv = shlex.split(span.replace("…", "PLACEHOLDER"))[1:]
                seen += 1
                try:
                    parse_with_cli(argv)
                except click.MissingParameter:
                    # naming a command (`dxguard scan`), not a whole invocation of it
                    assert all(not a.startswith("-") for a in argv), f"{page}:{n}: `{span}`"
                except click.ClickException as err:
                    pytest.fail(f"{page.relative_to(ROOT)}:{n}: `{span}`: {err.format_message()}")
    assert seen >= 10


def test_make_targets_in_the_docs_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    for block in ALL:
        if "dxguard-make" not in block.tags:
            continue
        for command, _ in commands(block.text):
            argv = shlex.split(command, comments=True)
            assert argv[0] == "make", f"{block.where}: {command}"
            assert set(argv[1:]) <= targets, f"{block.where}: no make target in {command}"


def test_commands_split_and_expect_the_exit_codes_their_comments_state():
    text = "a --x \\\n  --y  # note, exit 1: fails\n# only a comment\nb | c  # exit 2\nd\n"
    assert commands(text) == [("a --x --y  # note, exit 1: fails", 1), ("b | c  # exit 2", 2),
                              ("d", 0)]  # fmt: skip
    assert dxguard_argvs("helm template c/ | .venv/bin/dxguard scan -c x.yaml -  # s") == [
        ["scan", "-c", "x.yaml", "-"]
    ]
    assert dxguard_argvs('docker run --rm -v "$PWD:/src" dxguard:dev scan deploy/') == [
        ["scan", "deploy/"]
    ]
    parse_with_cli(["scan", "-c", "x.yaml", "deploy/"])
    with pytest.raises(click.ClickException):
        parse_with_cli(["scan", "--no-such-option", "deploy/"])
    with pytest.raises(click.ClickException):
        parse_with_cli(["controls", "nonsense"])


# -- yaml blocks --------------------------------------------------------------------------------


def _blocks_tagged(tag: str) -> list[Block]:
    return [b for b in ALL if tag in b.tags]


@pytest.mark.parametrize(
    "block", _blocks_tagged("dxguard-config"), ids=lambda b: b.where.replace("/", "_")
)
def test_config_snippets_load(block, tmp_path):
    ws = make_workspace(tmp_path)
    data = yaml.safe_load(block.text)
    text = block.text if "version" in data else "version: 1\n" + block.text
    (ws / "snippet.dxguard.yaml").write_text(text)
    proc = bash("dxguard checks list -c snippet.dxguard.yaml", ws)
    assert proc.returncode == 0, explain(block, "dxguard checks list -c <snippet>", proc)


@pytest.mark.parametrize(
    "block", _blocks_tagged("dxguard-waivers"), ids=lambda b: b.where.replace("/", "_")
)
def test_waiver_snippets_are_valid_waiver_files(block, tmp_path):
    ws = make_workspace(tmp_path)
    (ws / "snippet-waivers.yaml").write_text(block.text)
    proc = bash("dxguard scan -q deploy/ --waivers snippet-waivers.yaml --fail-on none", ws)
    assert proc.returncode == 0, explain(block, "dxguard scan --waivers <snippet>", proc)


@pytest.mark.parametrize(
    "block", _blocks_tagged("dxguard-catalog"), ids=lambda b: b.where.replace("/", "_")
)
def test_catalog_snippets_load(block, tmp_path):
    ws = make_workspace(tmp_path)
    (ws / "snippet-catalogs").mkdir()
    (ws / "snippet-catalogs" / "snippet.yaml").write_text(block.text)
    command = "dxguard controls list --policy policy/ --controls snippet-catalogs/"
    proc = bash(command, ws)
    assert proc.returncode == 0, explain(block, command, proc)


def test_action_snippets_use_the_actions_inputs():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    blocks_ = _blocks_tagged("dxguard-action")
    assert blocks_
    for block in blocks_:
        steps = yaml.safe_load(block.text)
        for step in steps if isinstance(steps, list) else [steps]:
            assert step["uses"].split("@")[0].endswith("/dxguard"), block.where
            unknown = set(step.get("with", {})) - set(action["inputs"])
            assert not unknown, f"{block.where}: the action has no input {sorted(unknown)}"
