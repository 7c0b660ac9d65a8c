"""Packer templates (HCL2 `.pkr.hcl`, HCL2 JSON syntax `.pkr.json`, legacy JSON) as image builds.

What it does: parse each file (HCL2 with python-hcl2, keeping block and attribute lines; JSON by
content), gather the files of one template (Packer reads every .pkr.hcl and .pkr.json file of a
folder as one template; a legacy JSON template stands alone), and after all input is loaded build
one `PackerSource` resource per source a build uses — with the provisioners that run on it — and
one `PackerTemplate` resource with the plugin version constraints. Cloud-init user-data and shell
scripts that a template names are read relative to the template, as Packer does.
What it must not do: judge, run Packer, or evaluate HCL beyond plain `var.x`/`local.x` values.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.loaders.locate import line_of_path
from checker.loaders.vm import guest
from checker.loaders.vm.model import os_facts, string_map, validate
from checker.loaders.yamldocs import Document, YamlLoader
from checker.model import LoadResult, Resource, Source

EXTRAS_KEY = "vm.packer"
HCL_KEYS = {"source", "build", "packer", "variable", "variables", "locals", "local", "data"}
BUILDER_PLUGIN = {
    "amazon-ebs": "amazon",
    "amazon-ebssurrogate": "amazon",
    "googlecompute": "googlecompute",
    "azure-arm": "azure",
    "qemu": "qemu",
    "virtualbox-iso": "virtualbox",
    "vmware-iso": "vmware",
    "vsphere-iso": "vsphere",
}
ISO_BUILDERS = ("qemu", "virtualbox-iso", "vmware-iso", "vsphere-iso", "hyperv-iso")
_VAR = re.compile(r"^\$\{(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\}$")
_USER = re.compile(r"^\{\{\s*user\s+`([^`]+)`\s*\}\}$")

Lines = Callable[[tuple[Any, ...]], "int | None"]


@dataclass
class _Part:
    """One source block or build block of a template, with where it came from."""

    file: str
    doc_path: tuple[Any, ...]  # path of the block in its file (HCL: our own key; JSON: the path)
    body: dict[str, Any]
    lines: Lines


@dataclass
class _Template:
    key: str
    kind: str  # hcl | legacy
    files: list[str] = field(default_factory=list)
    sources: dict[tuple[str, str], _Part] = field(default_factory=dict)
    builds: list[_Part] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    plugins: list[tuple[str, dict[str, Any], _Part]] = field(default_factory=list)
    packer_part: _Part | None = None


# -- reading ---------------------------------------------------------------------------------


def _templates(result: LoadResult) -> dict[str, _Template]:
    return result.extras.setdefault(EXTRAS_KEY, {})


def load_hcl(ctx: Any) -> list[Resource]:
    """A .pkr.hcl (or .hcl) file: parse it and keep its blocks for the finalizer."""
    import hcl2
    from lark.exceptions import UnexpectedInput

    name = Path(ctx.file).name.lower()
    if name.endswith(".pkrvars.hcl") and not name.endswith(".auto.pkrvars.hcl"):
        ctx.result.skipped.append(
            _skip(ctx.file, "Packer variable file; Packer reads it only when passed with -var-file")
        )
        return []
    try:
        tree = hcl2.parses_to_tree(ctx.text)
        data = hcl2.serialize(
            hcl2.transform(tree, discard_comments=True),
            serialization_options=hcl2.SerializationOptions(
                with_comments=False, explicit_blocks=False, strip_string_quotes=True
            ),
        )
    except UnexpectedInput as err:
        raise InputError(
            f"{ctx.file}:{err.line}:{err.column}: malformed HCL: unexpected "
            f"{str(getattr(err, 'token', '') or 'input').strip()!r}",
            hint="fix the HCL syntax at that position; `packer validate` shows the same error",
        ) from None
    except Exception as err:  # python-hcl2 raises plain errors for a few invalid constructs
        raise InputError(f"{ctx.file}: malformed HCL: {err}") from None
    lines = _hcl_lines(tree)
    template_key = str(Path(ctx.file).parent)
    if name.endswith(".auto.pkrvars.hcl"):
        tpl = _templates(ctx.result).setdefault(template_key, _Template(template_key, "hcl"))
        tpl.variables.update({k: v for k, v in data.items() if not isinstance(v, list)})
        return []
    if not any(k in data for k in ("source", "build", "packer")):
        ctx.result.skipped.append(
            _skip(ctx.file, "HCL file without Packer source, build or packer blocks")
        )
        return []
    tpl = _templates(ctx.result).setdefault(template_key, _Template(template_key, "hcl"))
    _add_hcl(tpl, data, ctx.file, lambda p: lines.get(tuple(p)), hcl=True)
    return []


def load_document(doc: Document, ctx: Any) -> list[Resource] | None:
    """A JSON document that is a Packer template (HCL2 JSON syntax or legacy), by content."""
    value = doc.value
    if not isinstance(value, dict) or not ctx.file.lower().endswith(".json"):
        return None
    node_cache: list[Any] = []

    def lines(path: tuple[Any, ...]) -> int | None:
        if not node_cache:
            node_cache.append(_compose(ctx.text))
        return line_of_path(node_cache[0], list(path)) if node_cache[0] is not None else None

    builders = value.get("builders")
    if (
        isinstance(builders, list)
        and builders
        and all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in builders)
    ):
        tpl = _Template(ctx.file, "legacy", [ctx.file])
        variables = value.get("variables") if isinstance(value.get("variables"), dict) else {}
        tpl.variables = dict(variables)
        for i, b in enumerate(builders):
            name = b.get("name") or b["type"]
            tpl.sources[(b["type"], name)] = _Part(ctx.file, ("builders", i), b, lines)
        provisioners = value.get("provisioners") or []
        if not isinstance(provisioners, list):
            raise InputError(
                f"{ctx.file}:{lines(('provisioners',)) or 1}: provisioners must be a list"
            )
        build = {"provisioner": [{p.get("type"): p} for p in provisioners if isinstance(p, dict)]}
        tpl.builds.append(_Part(ctx.file, ("provisioners",), build, lines))
        _templates(ctx.result)[ctx.file] = tpl
        return []
    if set(value) <= HCL_KEYS | {"//"} and ("source" in value or "build" in value):
        key = str(Path(ctx.file).parent)
        tpl = _templates(ctx.result).setdefault(key, _Template(key, "hcl"))
        _add_hcl(tpl, value, ctx.file, lines, hcl=False)
        return []
    return None


def _skip(file: str, reason: str) -> Any:
    from checker.model import Skipped

    return Skipped(file, reason)


def _compose(text: str) -> Any:
    loader = YamlLoader(text)
    try:
        return loader.get_single_node()
    except Exception:
        return None
    finally:
        loader.dispose()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _add_hcl(tpl: _Template, data: dict[str, Any], file: str, lines: Lines, *, hcl: bool) -> None:
    """Blocks of one file. HCL gives every block as a list; the JSON syntax may not."""
    tpl.files.append(file)
    for block in _as_list(data.get("source")):
        if not isinstance(block, dict):
            continue
        for btype, named in block.items():
            for name, body in (named or {}).items():
                if isinstance(body, list):  # JSON syntax allows a list of bodies
                    body = body[0] if body and isinstance(body[0], dict) else {}
                if not isinstance(body, dict):
                    raise InputError(f"{file}: source {btype}.{name} must be a block")
                tpl.sources[(btype, name)] = _Part(file, ("source", btype, name), body, lines)
    for k, block in enumerate(_as_list(data.get("build"))):
        if isinstance(block, dict):
            path = ("build", k) if hcl or isinstance(data.get("build"), list) else ("build",)
            tpl.builds.append(_Part(file, path, block, lines))
    for block in _as_list(data.get("variable")):
        if isinstance(block, dict):
            for name, body in block.items():
                body = body[0] if isinstance(body, list) and body else body
                if isinstance(body, dict) and "default" in body:
                    tpl.variables[name] = body["default"]
    for block in _as_list(data.get("locals")):
        if isinstance(block, dict):
            tpl.variables.update({f"local.{k}": v for k, v in block.items()})
    for block in _as_list(data.get("packer")):
        if not isinstance(block, dict):
            continue
        tpl.packer_part = _Part(file, ("packer", 0) if hcl else ("packer",), block, lines)
        for rp in _as_list(block.get("required_plugins")):
            if isinstance(rp, dict):
                for pname, spec in rp.items():
                    tpl.plugins.append(
                        (pname, spec if isinstance(spec, dict) else {}, tpl.packer_part)
                    )


def _hcl_lines(tree: Any) -> dict[tuple[Any, ...], int]:
    """Block and attribute lines, keyed like the HCL2 JSON syntax path of each.

    Top-level source blocks: ("source", type, name); other top-level blocks: (name, k) with k
    counting blocks of that name; nested blocks: (*parent, name, k); attributes: (*parent, name).
    """
    from lark import Token, Tree

    out: dict[tuple[Any, ...], int] = {}

    def ident(t: Any) -> str:
        if isinstance(t, Token):
            return str(t)
        return "".join(ident(c) for c in t.children if isinstance(c, Token | Tree))

    def label(t: Any) -> str:
        parts = [c for c in t.children if isinstance(c, Tree) and c.data == "string_part"]
        return "".join(ident(p) for p in parts) if parts else ident(t)

    def body(node: Any, parent: tuple[Any, ...], top: bool) -> None:
        counts: dict[str, int] = {}
        for child in node.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                out[(*parent, ident(child.children[0]))] = child.meta.line
            elif child.data == "block":
                name = ident(child.children[0])
                labels = [
                    label(c)
                    for c in child.children[1:]
                    if isinstance(c, Tree) and c.data in ("string", "identifier")
                ]
                if top and name == "source" and len(labels) == 2:
                    key = (*parent, "source", *labels)
                else:
                    k = counts.get(name, 0)
                    counts[name] = k + 1
                    key = (*parent, name, k)
                out[key] = child.meta.line
                inner = next(
                    (c for c in child.children if isinstance(c, Tree) and c.data == "body"), None
                )
                if inner is not None:
                    body(inner, key, False)
            elif child.data == "body":
                body(child, parent, top)

    body(tree, (), True)
    return out


# -- building resources ---------------------------------------------------------------------


def finalize(result: LoadResult) -> None:
    templates: dict[str, _Template] = result.extras.get(EXTRAS_KEY, {})
    counts: dict[str, int] = {}
    for key in sorted(templates):
        tpl = templates[key]
        if not tpl.sources and not tpl.builds and not tpl.plugins:
            continue
        built = _Builder(tpl, result.line_tables).resources()
        for res in built:
            counts[res.source.file] = counts.get(res.source.file, 0) + 1
        result.resources.extend(built)
    if counts:
        result.inputs[:] = [
            dataclasses.replace(i, resources=i.resources + counts[i.path])
            if i.path in counts
            else i
            for i in result.inputs
        ]


class _Builder:
    def __init__(self, tpl: _Template, line_tables: dict[str, dict[str, int]]):
        self.tpl = tpl
        self.line_tables = line_tables  # LoadResult.line_tables: HCL lines for the Locator

    def value(self, v: Any) -> Any:
        """A plain `${var.x}` / `${local.x}` / `{{user `x`}}` resolved to its default."""
        if not isinstance(v, str):
            return v
        m = _VAR.match(v)
        if m:
            key = m.group(2) if m.group(1) == "var" else f"local.{m.group(2)}"
            return self.tpl.variables.get(key, v)
        m = _USER.match(v)
        if m:
            return self.tpl.variables.get(m.group(1), v)
        return v

    def resources(self) -> list[Resource]:
        out = []
        used: dict[tuple[str, str], list[tuple[_Part, int, str, dict[str, Any]]]] = {}
        for build in self.tpl.builds:
            refs = self._build_sources(build)
            for key in refs:
                used.setdefault(key, [])
            for k, (ptype, pbody, ppath) in enumerate(self._provisioners(build)):
                for key in refs:
                    if _applies(pbody, key, self.tpl.kind):
                        used[key].append((build, k, ptype, {"path": ppath, "body": pbody}))
        for key, part in sorted(self.tpl.sources.items()):
            if key not in used:
                continue
            out.append(self._source(key, part, used[key]))
        out.append(self._toolchain())
        return out

    def _build_sources(self, build: _Part) -> list[tuple[str, str]]:
        if self.tpl.kind == "legacy":
            return list(self.tpl.sources)
        refs = []
        for s in _as_list(build.body.get("sources")):
            if isinstance(s, str) and s.startswith("source."):
                parts = s.split(".", 2)
                if len(parts) == 3:
                    refs.append((parts[1], parts[2]))
        for block in _as_list(build.body.get("source")):
            if isinstance(block, dict):
                for ref in block:
                    parts = str(ref).split(".", 2)
                    if len(parts) == 3:
                        refs.append((parts[1], parts[2]))
        return [r for r in refs if r in self.tpl.sources]

    def _provisioners(self, build: _Part) -> list[tuple[str, dict[str, Any], tuple[Any, ...]]]:
        out = []
        counts: dict[str, int] = {}
        for k, block in enumerate(_as_list(build.body.get("provisioner"))):
            if not isinstance(block, dict):
                continue
            for ptype, pbody in block.items():
                for body in _as_list(pbody):
                    if not isinstance(body, dict):
                        continue
                    if self.tpl.kind == "legacy":
                        path = (*build.doc_path, k)
                    elif build.file.lower().endswith(".json"):
                        path = (*build.doc_path, "provisioner", k, ptype)
                    else:
                        n = counts.get("provisioner", 0)
                        counts["provisioner"] = n + 1
                        path = (*build.doc_path, "provisioner", n)
                    out.append((str(ptype), body, path))
        return out

    # -- one source -------------------------------------------------------------------------
    def _source(
        self,
        key: tuple[str, str],
        part: _Part,
        provisioners: list[tuple[_Part, int, str, dict[str, Any]]],
    ) -> Resource:
        btype, name = key
        body = {
            k: (self.value(v) if not isinstance(v, list | dict) else v)
            for k, v in part.body.items()
        }
        obj = {
            "builder": btype,
            "name": name,
            "source": _normal_blocks(body),
            "provisioners": [
                {"type": ptype, "config": p["body"]} for _, _, ptype, p in provisioners
            ],
        }
        table: dict[str, int] = {}

        def note(obj_path: str, doc_path: tuple[Any, ...], lines: Lines) -> None:
            line = lines(doc_path)
            if line:
                table[obj_path] = line

        note("source", part.doc_path, part.lines)
        for attr, val in obj["source"].items():
            if isinstance(val, list) and val and all(isinstance(v, dict) for v in val):
                for i, blk in enumerate(val):
                    base = (
                        (*part.doc_path, attr, i)
                        if part.file.endswith(".hcl")
                        else (*part.doc_path, attr)
                    )
                    note(f"source.{attr}[{i}]", base, part.lines)
                    for a in blk:
                        note(f"source.{attr}[{i}].{a}", (*base, a), part.lines)
            else:
                note(f"source.{attr}", (*part.doc_path, attr), part.lines)
        for i, (build, _, _, p) in enumerate(provisioners):
            if build.file != part.file:
                continue  # lines of another file cannot be given in this resource's file
            note(f"provisioners[{i}]", p["path"], build.lines)
            for a in p["body"]:
                note(f"provisioners[{i}].config.{a}", (*p["path"], a), build.lines)
        model = self._model(btype, obj, part)
        res = Resource(
            id=f"{part.file}#source.{btype}.{name}",
            family="vm",
            kind="PackerSource",
            api_version="packer",
            name=f"{btype}.{name}",
            namespace=None,
            source=Source(part.file, 0, table.get("source", 1)),
            object=obj,
            normalized=model,
        )
        if model is not None:
            validate(model, part.file, lambda p: _table_line(table, p))
        self.line_tables[res.id] = table
        return res

    def _model(self, btype: str, obj: dict[str, Any], part: _Part) -> dict[str, Any] | None:
        src = obj["source"]
        platform = {
            "amazon-ebs": "aws",
            "amazon-ebssurrogate": "aws",
            "googlecompute": "gcp",
            "azure-arm": "azure",
            "qemu": "qemu",
        }.get(btype)
        if platform is None and btype in ISO_BUILDERS:
            platform = "vsphere" if btype == "vsphere-iso" else "other"
        if platform is None:
            return None
        labels = {
            **string_map(src.get("tags")),
            **string_map(src.get("labels")),
            **string_map(src.get("image_labels")),
            **string_map(src.get("azure_tags")),
        }
        model: dict[str, Any] = {
            "role": "image-build",
            "format": "packer",
            "platform": platform,
            "namespace": None,
            "labels": labels,
            "os": os_facts([labels], "source.tags" if "tags" in src else "source"),
            "passthrough": [],
        }
        if platform == "aws":
            self._aws(model, src)
        elif platform == "gcp":
            model["images"] = [_gce_image(src)]
            model["boot"] = {
                "secure_boot": src.get("enable_secure_boot", False),
                "vtpm": src.get("enable_vtpm", False),
                "integrity_monitoring": src.get("enable_integrity_monitoring", False),
                "path": "source.enable_secure_boot",
            }
            model["disks"] = [{"name": "boot", "encrypted": True, "path": "source"}]
        elif platform == "azure":
            model["images"] = [
                {
                    "ref": ":".join(
                        str(src.get(k))
                        for k in ("image_publisher", "image_offer", "image_sku", "image_version")
                    ),
                    "kind": "azure-image",
                    "version": src.get("image_version"),
                    "path": "source.image_version" if "image_version" in src else "source",
                }
            ]
            model["boot"] = {
                "secure_boot": src.get("secure_boot_enabled", False),
                "vtpm": src.get("vtpm_enabled", False),
                "path": "source.secure_boot_enabled",
            }
        else:
            model["images"] = [_iso_image(src)]
            if btype == "qemu":
                code = str(src.get("efi_firmware_code", ""))
                model["boot"] = {
                    "secure_boot": bool(src.get("efi_boot")) and "secboot" in code.lower(),
                    "vtpm": src.get("vtpm", False),
                    "path": "source.efi_boot" if "efi_boot" in src else "source",
                }
        model["guest"] = self._guest(obj, part).to_model(
            "provisioners" if obj["provisioners"] else "source"
        )
        return model

    def _aws(self, model: dict[str, Any], src: dict[str, Any]) -> None:
        filt = _first(src.get("source_ami_filter"))
        if filt:
            filters = filt.get("filters") if isinstance(filt.get("filters"), dict) else {}
            most_recent = filt.get("most_recent") is True
            image = {
                "ref": str(filters.get("image-id") or filters.get("name") or "source_ami_filter"),
                "kind": "ami",
                "filters": sorted(str(k) for k in filters),
                "most_recent": most_recent,
                "path": "source.source_ami_filter[0].most_recent"
                if most_recent
                else "source.source_ami_filter[0]",
            }
        else:
            ami = src.get("source_ami")
            image = {
                "ref": ami if isinstance(ami, str) else None,
                "kind": "ami",
                "path": "source.source_ami" if "source_ami" in src else "source",
            }
        model["images"] = [image]
        mode = src.get("boot_mode")
        model["boot"] = {
            "secure_boot": mode == "uefi" and bool(src.get("uefi_data")),
            "vtpm": src.get("tpm_support") == "v2.0",
            "path": "source.tpm_support" if "tpm_support" in src else "source",
        }
        imds = src.get("imds_support")
        model["metadata_service"] = {
            "enabled": True,
            "tokens_required": imds == "v2.0",
            "path": "source.imds_support" if "imds_support" in src else "source",
        }
        disks = [
            {
                "name": "root",
                "encrypted": src.get("encrypt_boot", False),
                "path": "source.encrypt_boot" if "encrypt_boot" in src else "source",
            }
        ]
        for field_name in ("ami_block_device_mappings", "launch_block_device_mappings"):
            for i, m in enumerate(_as_list(src.get(field_name))):
                if isinstance(m, dict):
                    disks.append(
                        {
                            "name": str(m.get("device_name") or f"{field_name}-{i}"),
                            "encrypted": m.get("encrypted", False),
                            "path": f"source.{field_name}[{i}]",
                        }
                    )
        model["disks"] = disks

    def _guest(self, obj: dict[str, Any], part: _Part) -> guest.GuestFacts:
        facts = guest.GuestFacts()
        base = Path(part.file).parent
        src = obj["source"]
        where = f"{part.file}: source {obj['builder']}.{obj['name']}"
        if isinstance(src.get("user_data"), str):
            facts.add(guest.from_user_data(src["user_data"], where, "source.user_data"))
        if isinstance(src.get("user_data_file"), str):
            facts.add(self._file(base, src["user_data_file"], "source.user_data_file", where, True))
        for i, p in enumerate(obj["provisioners"]):
            cfg, path = p["config"], f"provisioners[{i}]"
            if p["type"] in ("shell", "shell-local"):
                inline = cfg.get("inline")
                if isinstance(inline, list):
                    text = "\n".join(str(x) for x in inline)
                    facts.add(guest.from_shell(text, "packer-shell", f"{path}.config.inline"))
                for sk in ("script", "scripts"):
                    for script in _as_list(cfg.get(sk)):
                        if isinstance(script, str):
                            facts.add(self._file(base, script, f"{path}.config.{sk}", where, False))
            elif p["type"] in ("ansible", "ansible-local") and isinstance(
                cfg.get("playbook_file"), str
            ):
                facts.add(
                    self._file(
                        base,
                        cfg["playbook_file"],
                        f"{path}.config.playbook_file",
                        where,
                        False,
                        ansible=True,
                    )
                )
        return facts

    def _file(
        self, base: Path, name: str, path: str, where: str, user_data: bool, ansible: bool = False
    ) -> guest.GuestFacts:
        target = base / self.value(name)
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return guest.GuestFacts(sources=[{"kind": "file-not-readable", "path": path}])
        if user_data:
            return guest.from_user_data(text, f"{target.as_posix()} (named by {where})", path)
        if ansible:
            return guest.GuestFacts(
                auditd=bool(re.search(r"\bauditd?\b", text)),
                time_sync=bool(re.search(r"\b(chronyd?|ntpd?|systemd-timesyncd|timesync)\b", text)),
                sources=[{"kind": "ansible-playbook", "path": path}],
            )
        return guest.from_shell(text, "packer-script", path)

    # -- the template as a whole --------------------------------------------------------------
    def _toolchain(self) -> Resource:
        providers = []
        declared = set()
        for pname, spec, _part in self.tpl.plugins:
            declared.add(pname)
            constraint = spec.get("version")
            providers.append(
                {
                    "name": pname,
                    "source": spec.get("source"),
                    "constraint": constraint,
                    "path": f"packer.required_plugins.{pname}",
                }
            )
        for btype, _ in sorted(self.tpl.sources):
            plugin = BUILDER_PLUGIN.get(btype, btype)
            if plugin in declared:
                continue
            declared.add(plugin)
            providers.append(
                {
                    "name": plugin,
                    "source": None,
                    "constraint": None,
                    "path": "packer" if self.tpl.kind == "hcl" else "builders",
                }
            )
        anchor = self.tpl.packer_part or next(iter(self.tpl.sources.values()), None)
        file = anchor.file if anchor else self.tpl.files[0]
        line = (anchor.lines(anchor.doc_path) if anchor else None) or 1
        model = {
            "role": "toolchain",
            "format": "packer",
            "platform": "other",
            "namespace": None,
            "labels": {},
            "providers": providers,
        }
        validate(model, file, lambda _p: None)
        obj = {
            "packer": {
                "required_plugins": {p: s for p, s, _ in self.tpl.plugins},
            },
            "builders": sorted(f"{t}.{n}" for t, n in self.tpl.sources),
        }
        res = Resource(
            id=f"{file}#template",
            family="vm",
            kind="PackerTemplate",
            api_version="packer",
            name=self.tpl.key.rsplit("/", 1)[-1] if self.tpl.kind == "hcl" else Path(file).name,
            namespace=None,
            source=Source(file, 0, line),
            object=obj,
            normalized=model,
        )
        table = {"packer": line}
        if self.tpl.packer_part is not None:
            part = self.tpl.packer_part
            for pname, _, _ in self.tpl.plugins:
                rp = (
                    (*part.doc_path, "required_plugins", 0)
                    if file.endswith(".hcl")
                    else (*part.doc_path, "required_plugins")
                )
                got = part.lines((*rp, pname)) or part.lines(rp)
                if got:
                    table[f"packer.required_plugins.{pname}"] = got
        self.line_tables[res.id] = table
        return res


def _table_line(table: dict[str, int], path: str) -> int | None:
    while path:
        if path in table:
            return table[path]
        path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
    return None


def _first(value: Any) -> dict[str, Any]:
    items = _as_list(value)
    return items[0] if items and isinstance(items[0], dict) else {}


def _normal_blocks(body: dict[str, Any]) -> dict[str, Any]:
    """Nested blocks as lists of objects in both syntaxes (JSON may give one object)."""
    out = {}
    for k, v in body.items():
        if isinstance(v, dict) and k in _NESTED_BLOCKS:
            v = [v]
        out[k] = v
    return out


# Nested block names of the builders dxguard reads (HCL gives them as lists; JSON as objects).
_NESTED_BLOCKS = {
    "source_ami_filter",
    "metadata_options",
    "ami_block_device_mappings",
    "launch_block_device_mappings",
}


def _applies(body: dict[str, Any], key: tuple[str, str], kind: str) -> bool:
    name = f"{key[0]}.{key[1]}" if kind == "hcl" else key[1]
    only, exc = _as_list(body.get("only")), _as_list(body.get("except"))
    if only and name not in only:
        return False
    return name not in exc


def _gce_image(src: dict[str, Any]) -> dict[str, Any]:
    if isinstance(src.get("source_image"), str):
        return {"ref": src["source_image"], "kind": "gce-image", "path": "source.source_image"}
    family = src.get("source_image_family")
    return {
        "ref": family if isinstance(family, str) else None,
        "kind": "gce-image",
        "family": family if isinstance(family, str) else None,
        "path": "source.source_image_family" if "source_image_family" in src else "source",
    }


def _iso_image(src: dict[str, Any]) -> dict[str, Any]:
    url = src.get("iso_url") or _first_str(src.get("iso_urls"))
    checksum = src.get("iso_checksum")
    return {
        "ref": url if isinstance(url, str) else None,
        "kind": "iso",
        "checksum": str(checksum) if checksum else None,
        "path": "source.iso_checksum" if "iso_checksum" in src else "source",
    }


def _first_str(value: Any) -> str | None:
    items = _as_list(value)
    return items[0] if items and isinstance(items[0], str) else None
