"""KubeVirt manifests (kubevirt.io/v1, instancetype.kubevirt.io) as VM resources.

What it does: claim KubeVirt documents before the plain Kubernetes loader (reusing it for names,
namespaces, `kind: List` unpacking and source lines), and build the normalized VM model of each
VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet, instancetype and
preference. A finalizer then resolves what a VM takes from other objects in the same scan: its
instancetype and preference, and the StorageClass behind its disks.
What it must not do: judge. Defaults are KubeVirt's own (BIOS boot, serial console attached).
"""

from __future__ import annotations

from typing import Any

from checker.errors import InputError
from checker.loaders.kubernetes import resources_from_document
from checker.loaders.locate import line_of_path, parse_path
from checker.loaders.vm import guest
from checker.loaders.vm.model import os_facts, string_map, validate
from checker.loaders.yamldocs import Document
from checker.model import LoadResult, Resource

GROUPS = ("kubevirt.io/", "instancetype.kubevirt.io/")
VMI_SPEC = {
    "VirtualMachine": ("spec.template.spec", "vm"),
    "VirtualMachineInstance": ("spec", "vm"),
    "VirtualMachineInstanceReplicaSet": ("spec.template.spec", "template"),
}
INSTANCETYPES = ("VirtualMachineInstancetype", "VirtualMachineClusterInstancetype")
PREFERENCES = ("VirtualMachinePreference", "VirtualMachineClusterPreference")
EPHEMERAL_VOLUMES = ("containerDisk", "emptyDisk", "ephemeral")
NOT_DISKS = (
    "cloudInitNoCloud",
    "cloudInitConfigDrive",
    "secret",
    "configMap",
    "serviceAccount",
    "downwardAPI",
    "downwardMetrics",
    "sysprep",
    "hostDisk",
    "memoryDump",
)
# StorageClass parameters by which common CSI drivers encrypt volumes at rest.
EXTRAS_KEY = "vm.kubevirt"


def is_kubevirt(value: Any) -> bool:
    api = value.get("apiVersion") if isinstance(value, dict) else None
    return isinstance(api, str) and api.startswith(GROUPS)


def load_document(doc: Document, ctx: Any) -> list[Resource] | None:
    value = doc.value
    if not isinstance(value, dict):
        return None
    items = value.get("items") if isinstance(value.get("items"), list) else None
    if not is_kubevirt(value) and not (items and any(is_kubevirt(i) for i in items)):
        return None
    resources = resources_from_document(doc, ctx.file, ctx.result.skipped)
    for res in resources:
        if is_kubevirt(res.object):
            prefix: list[str | int] = [] if res.source.item is None else ["items", res.source.item]

            def line_of(path: str, doc=doc, prefix=prefix) -> int | None:
                node = doc.node  # composed only when a line is asked for
                return line_of_path(node, [*prefix, *parse_path(path)]) if node else None

            _to_vm(res, line_of)
    ctx.result.extras.setdefault(EXTRAS_KEY, True)
    return resources


def _to_vm(res: Resource, line_of: Any) -> None:
    res.family = "vm"
    obj = res.object
    kind = res.kind
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    labels = string_map(meta.get("labels"))
    model: dict[str, Any] | None = None
    if kind in VMI_SPEC:
        base, role = VMI_SPEC[kind]
        template = _get(obj, "spec.template.metadata") if base.startswith("spec.template") else {}
        template = template if isinstance(template, dict) else {}
        labels = {**labels, **string_map(template.get("labels"))}
        model = _vm_model(obj, base, role, res, labels, meta, template)
    elif kind in INSTANCETYPES:
        cpu = _as_dict(_get(obj, "spec.cpu"))
        model = _base("instancetype", res, labels)
        model["cpu"] = {
            "dedicated": cpu.get("dedicatedCPUPlacement", False),
            "isolate_emulator_thread": cpu.get("isolateEmulatorThread", False),
            "path": "spec.cpu",
        }
    elif kind in PREFERENCES:
        model = _base("preference", res, labels)
        model["boot"] = _preference_boot(obj)
        serial = _get(obj, "spec.devices.preferredAutoattachSerialConsole")
        if serial is not None:
            model["serial_console"] = {"enabled": serial, "path": "spec.devices"}
    if model is not None:
        validate(model, res.source.file, line_of)
    res.normalized = model


def _base(role: str, res: Resource, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "role": role,
        "format": "kubevirt",
        "platform": "kubevirt",
        "namespace": res.namespace,
        "labels": labels,
    }


def _get(obj: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(value: Any, where: str, res: Resource) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{res.source.file}:{res.source.line}: {res.kind} {where} must be a list")
    return value


def _vm_model(
    obj: dict[str, Any],
    base: str,
    role: str,
    res: Resource,
    labels: dict[str, str],
    meta: dict[str, Any],
    template: dict[str, Any],
) -> dict[str, Any]:
    spec = _get(obj, base)
    if spec is not None and not isinstance(spec, dict):
        raise InputError(
            f"{res.source.file}:{res.source.line}: {res.kind} {base} must be a mapping"
        )
    spec = spec or {}
    domain = spec.get("domain") if isinstance(spec.get("domain"), dict) else {}
    devices = domain.get("devices") if isinstance(domain.get("devices"), dict) else {}
    model = _base(role, res, labels)
    model["os"] = os_facts(
        [
            string_map(meta.get("annotations")),
            string_map(meta.get("labels")),
            string_map(template.get("annotations")),
            string_map(template.get("labels")),
        ],
        "metadata",
    )
    images: list[dict[str, Any]] = []
    disks: list[dict[str, Any]] = []
    passthrough: list[dict[str, Any]] = []
    facts = guest.GuestFacts()
    templates = (
        {
            t.get("metadata", {}).get("name"): (j, t)
            for j, t in enumerate(
                _list(
                    _as_dict(obj.get("spec")).get("dataVolumeTemplates"),
                    "spec.dataVolumeTemplates",
                    res,
                )
            )
            if isinstance(t, dict)
            and isinstance(t.get("metadata"), dict)
            and isinstance(t["metadata"].get("name"), str)
        }
        if res.kind == "VirtualMachine"
        else {}
    )
    for i, vol in enumerate(_list(spec.get("volumes"), f"{base}.volumes", res)):
        if not isinstance(vol, dict):
            continue
        name = str(vol.get("name", f"volume-{i}"))
        vpath = f"{base}.volumes[{i}]"
        if isinstance(vol.get("containerDisk"), dict):
            ref = vol["containerDisk"].get("image")
            images.append(
                {"ref": ref, "kind": "container-disk", "path": f"{vpath}.containerDisk.image"}
            )
            disks.append(
                {"name": name, "image": ref, "encrypted": None, "ephemeral": True, "path": vpath}
            )
        elif isinstance(vol.get("hostDisk"), dict):
            passthrough.append(
                {
                    "kind": "host-disk",
                    "name": name,
                    "device": vol["hostDisk"].get("path"),
                    "path": f"{vpath}.hostDisk",
                }
            )
        for ci in ("cloudInitNoCloud", "cloudInitConfigDrive"):
            if isinstance(vol.get(ci), dict):
                facts.add(_cloud_init(vol[ci], f"{vpath}.{ci}", res))
        if any(k in vol for k in EPHEMERAL_VOLUMES) and "containerDisk" not in vol:
            disks.append({"name": name, "encrypted": None, "ephemeral": True, "path": vpath})
        elif isinstance(vol.get("dataVolume"), dict) and vol["dataVolume"].get("name") in templates:
            j, tmpl = templates[vol["dataVolume"]["name"]]
            images.extend(_dv_images(tmpl, f"spec.dataVolumeTemplates[{j}]"))
            dv_spec = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
            sc = _get(dv_spec, "storage.storageClassName") or _get(dv_spec, "pvc.storageClassName")
            disks.append(
                {
                    "name": name,
                    "encrypted": None,
                    "storage_class": sc,
                    "ephemeral": False,
                    "path": f"spec.dataVolumeTemplates[{j}].spec",
                }
            )
        elif isinstance(vol.get("dataVolume"), dict) or isinstance(
            vol.get("persistentVolumeClaim"), dict
        ):
            disks.append(
                {
                    "name": name,
                    "encrypted": None,
                    "storage_class": None,
                    "ephemeral": False,
                    "path": vpath,
                }
            )
    for field_name, kind in (("hostDevices", "host-device"), ("gpus", "gpu")):
        for k, dev in enumerate(_list(devices.get(field_name), f"devices.{field_name}", res)):
            if isinstance(dev, dict):
                passthrough.append(
                    {
                        "kind": kind,
                        "name": str(dev.get("name", f"{field_name}-{k}")),
                        "device": dev.get("deviceName"),
                        "path": f"{base}.domain.devices.{field_name}[{k}]",
                    }
                )
    model["images"] = images
    model["disks"] = disks
    model["passthrough"] = passthrough
    model["boot"] = _boot(domain, devices, f"{base}.domain")
    cpu = domain.get("cpu") if isinstance(domain.get("cpu"), dict) else {}
    model["cpu"] = {
        "dedicated": cpu.get("dedicatedCpuPlacement", False),
        "isolate_emulator_thread": cpu.get("isolateEmulatorThread", False),
        "path": f"{base}.domain.cpu" if cpu else f"{base}.domain",
    }
    model["serial_console"] = {
        "enabled": devices.get("autoattachSerialConsole", True),
        "path": f"{base}.domain.devices",
    }
    model["guest"] = facts.to_model(f"{base}.volumes")
    refs = {}
    if res.kind == "VirtualMachine":
        for key, default_kind in (
            ("instancetype", "VirtualMachineClusterInstancetype"),
            ("preference", "VirtualMachineClusterPreference"),
        ):
            ref = _get(obj, f"spec.{key}")
            if isinstance(ref, dict) and isinstance(ref.get("name"), str):
                refs[key] = f"{ref.get('kind') or default_kind}/{ref['name']}"
    if refs:
        model["references"] = refs
    return model


def _boot(domain: dict[str, Any], devices: dict[str, Any], path: str) -> dict[str, Any]:
    bootloader = _get(domain, "firmware.bootloader")
    secure: Any = False  # KubeVirt boots with BIOS unless EFI is asked for
    if isinstance(bootloader, dict) and isinstance(bootloader.get("efi"), dict):
        secure = bootloader["efi"].get("secureBoot", True)  # EFI defaults to Secure Boot
    tpm = devices.get("tpm")
    vtpm: Any = isinstance(tpm, dict) and tpm.get("enabled", True) is not False
    return {"secure_boot": secure, "vtpm": vtpm, "path": f"{path}.firmware"}


def _preference_boot(obj: dict[str, Any]) -> dict[str, Any]:
    efi = _get(obj, "spec.firmware.preferredEfi")
    secure = efi.get("secureBoot") if isinstance(efi, dict) else None
    if secure is None:
        secure = _get(obj, "spec.firmware.preferredUseSecureBoot")
    tpm = _get(obj, "spec.devices.preferredTPM")
    vtpm = (tpm.get("enabled", True) is not False) if isinstance(tpm, dict) else None
    return {"secure_boot": secure, "vtpm": vtpm, "path": "spec.firmware"}


def _dv_images(tmpl: dict[str, Any], path: str) -> list[dict[str, Any]]:
    source = _get(tmpl, "spec.source")
    out = []
    if isinstance(source, dict):
        registry = source.get("registry")
        if isinstance(registry, dict):
            out.append(
                {
                    "ref": registry.get("url"),
                    "kind": "registry-import",
                    "path": f"{path}.spec.source.registry.url",
                }
            )
        http = source.get("http")
        if isinstance(http, dict):
            out.append(
                {
                    "ref": http.get("url"),
                    "kind": "http-import",
                    "path": f"{path}.spec.source.http.url",
                }
            )
    ref = _get(tmpl, "spec.sourceRef")
    if isinstance(ref, dict):
        out.append(
            {
                "ref": f"{ref.get('kind', 'DataSource')}/{ref.get('name')}",
                "kind": "data-source",
                "path": f"{path}.spec.sourceRef",
            }
        )
    return out


def _cloud_init(ci: dict[str, Any], path: str, res: Resource) -> guest.GuestFacts:
    where = f"{res.source.file}:{res.source.line}: {res.kind} {res.name or ''} {path}"
    if isinstance(ci.get("userData"), str):
        return guest.from_user_data(ci["userData"], where, f"{path}.userData")
    if isinstance(ci.get("userDataBase64"), str):
        text = guest.decode_base64(ci["userDataBase64"], where)
        return guest.from_user_data(text, where, f"{path}.userDataBase64")
    if isinstance(ci.get("secretRef"), dict) or isinstance(ci.get("userDataSecretRef"), dict):
        return guest.GuestFacts(sources=[{"kind": "cloud-init-secret", "path": path}])
    return guest.GuestFacts()


# -- across the scan ---------------------------------------------------------------------------


def finalize(result: LoadResult) -> None:
    """Resolve instancetypes, preferences and storage classes that VMs refer to by name."""
    if EXTRAS_KEY not in result.extras:
        return
    join(result.resources, result.resources)


# The kinds a VM's model is completed from (by name): what `join` reads from its context.
JOIN_KINDS = frozenset(
    {*INSTANCETYPES, *PREFERENCES, "StorageClass", "PersistentVolumeClaim", "DataVolume"}
)


def join(resources: list[Resource], context: list[Resource]) -> None:
    """Complete the KubeVirt VMs among `resources` from the instancetypes, preferences, storage
    classes and claims in `context` (the rest of a scan's inputs; the webhook's inventory), as a
    scan of them together would. Copies facts only; rego/vm judges them."""
    by_ref: dict[tuple[str, str | None, str], Resource] = {}
    storage_classes: dict[str, dict[str, Any]] = {}
    claims: dict[tuple[str | None, str], str | None] = {}
    for res in context:
        if res.name is None:
            continue
        if res.family == "vm" and (res.kind in INSTANCETYPES or res.kind in PREFERENCES):
            ns = None if "Cluster" in res.kind else res.namespace
            by_ref[(res.kind, ns, res.name)] = res
        elif res.family == "k8s" and res.kind == "StorageClass":
            storage_classes[res.name] = res.object
        elif res.family == "k8s" and res.kind in ("PersistentVolumeClaim", "DataVolume"):
            spec = res.object.get("spec") if isinstance(res.object.get("spec"), dict) else {}
            sc = spec.get("storageClassName") or _get(spec, "storage.storageClassName")
            claims[(res.namespace, res.name)] = sc or _get(spec, "pvc.storageClassName")
    for res in resources:
        model = res.normalized
        if res.family != "vm" or not model or model.get("role") not in ("vm", "template"):
            continue
        if model.get("format") != "kubevirt":
            continue
        _resolve_references(res, model, by_ref)
        _resolve_disks(res, model, storage_classes, claims)


def _lookup(ref: str, ns: str | None, by_ref: dict) -> Resource | None:
    kind, _, name = ref.partition("/")
    return by_ref.get((kind, None if "Cluster" in kind else ns, name))


def _resolve_references(res: Resource, model: dict[str, Any], by_ref: dict) -> None:
    refs = model.get("references", {})
    if "instancetype" in refs:
        it = _lookup(refs["instancetype"], res.namespace, by_ref)
        if it is not None and it.normalized:
            model["cpu"] = {**it.normalized["cpu"], "from": refs["instancetype"]}
        else:
            model["cpu"] = {
                "dedicated": None,
                "isolate_emulator_thread": None,
                "from": f"{refs['instancetype']} (not in the scanned input)",
                "path": "spec.instancetype",
            }
        model["cpu"]["path"] = "spec.instancetype"
    if "preference" in refs:
        pref = _lookup(refs["preference"], res.namespace, by_ref)
        own = model["boot"]
        bootloader_set = _get(res.object, "spec.template.spec.domain.firmware.bootloader")
        tpm_set = _get(res.object, "spec.template.spec.domain.devices.tpm")
        if pref is None or not pref.normalized:
            if not bootloader_set or not tpm_set:
                model["boot"] = {
                    "secure_boot": own["secure_boot"] if bootloader_set else None,
                    "vtpm": own["vtpm"] if tpm_set else None,
                    "from": f"{refs['preference']} (not in the scanned input)",
                    "path": "spec.preference",
                }
            return
        preferred = pref.normalized.get("boot", {})
        boot = dict(own)
        if not bootloader_set and preferred.get("secure_boot") is not None:
            boot["secure_boot"] = preferred["secure_boot"]
            boot["from"] = refs["preference"]
            boot["path"] = "spec.preference"
        if not tpm_set and preferred.get("vtpm") is not None:
            boot["vtpm"] = preferred["vtpm"]
            boot["from"] = refs["preference"]
            boot["path"] = "spec.preference"
        model["boot"] = boot
        serial = pref.normalized.get("serial_console")
        devices = _as_dict(_get(res.object, "spec.template.spec.domain.devices"))
        if serial is not None and "autoattachSerialConsole" not in devices:
            model["serial_console"] = {"enabled": serial["enabled"], "path": "spec.preference"}


def _resolve_disks(
    res: Resource,
    model: dict[str, Any],
    storage_classes: dict[str, dict[str, Any]],
    claims: dict[tuple[str | None, str], str | None],
) -> None:
    base = "spec.template.spec" if res.kind != "VirtualMachineInstance" else "spec"
    volumes = _as_items(_get(res.object, f"{base}.volumes"))
    by_name = {
        v["name"]: v for v in volumes if isinstance(v, dict) and isinstance(v.get("name"), str)
    }
    for disk in model.get("disks", []):
        if disk.get("ephemeral"):
            continue
        sc = disk.get("storage_class")
        if sc is None:
            vol = by_name.get(disk["name"], {})
            claim = _get(vol, "persistentVolumeClaim.claimName") or _get(vol, "dataVolume.name")
            sc = claims.get((res.namespace, claim)) if isinstance(claim, str) else None
            disk["storage_class"] = sc
        obj = storage_classes.get(sc) if isinstance(sc, str) else None
        if obj is not None:
            # the StorageClass's parameters as its file gives them; whether they encrypt is
            # decided in rego/lib/vm.rego (storage_class_encrypts)
            params = obj.get("parameters") if isinstance(obj.get("parameters"), dict) else {}
            disk["storage_class_parameters"] = {str(k): v for k, v in params.items()}


def _as_dict(value: Any) -> dict[str, Any]:
    """A mapping the loader reads, or {} when the input has something else there."""
    return value if isinstance(value, dict) else {}


def _as_items(value: Any) -> list[Any]:
    """A list the loader reads, or [] when the input has something else there."""
    return value if isinstance(value, list) else []
