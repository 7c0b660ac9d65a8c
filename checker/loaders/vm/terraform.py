"""Terraform plan JSON (`terraform show -json PLAN`) as VM and logging resources.

What it does: recognise a plan by its content (format_version with planned_values or
resource_changes), walk every module's planned resources, and build the normalized VM model for
the VM types it knows (aws_instance, aws_launch_template, google_compute_instance and instance
templates, azurerm_linux/windows_virtual_machine) and the logging resources checks need (S3
buckets with Object Lock, CloudTrail, GCS buckets with retention). The plan as a whole becomes a
`TerraformPlan` resource carrying its provider version constraints. Any other resource type is
kept as a resource with no model, so the report lists it as not examined, never as passed.
What it must not do: judge, or guess a value the plan leaves unknown (it stays null).
"""

from __future__ import annotations

import re
from typing import Any

from checker.errors import InputError
from checker.loaders.vm import guest
from checker.loaders.vm.model import os_facts, string_map, validate
from checker.loaders.yamldocs import Document
from checker.model import Resource, Source

VM_TYPES = {
    "aws_instance": ("vm", "aws"),
    "aws_launch_template": ("template", "aws"),
    "google_compute_instance": ("vm", "gcp"),
    "google_compute_instance_template": ("template", "gcp"),
    "google_compute_region_instance_template": ("template", "gcp"),
    "azurerm_linux_virtual_machine": ("vm", "azure"),
    "azurerm_windows_virtual_machine": ("vm", "azure"),
}
LOG_TYPES = ("aws_s3_bucket", "google_storage_bucket", "aws_cloudtrail")
PURPOSE_KEYS = ("dxguard.io/purpose", "dxguard-purpose")
LOG_PURPOSES = ("audit-logs", "logs")
SOLE_TENANT_KEYS = ("compute.googleapis.com/node-group-name", "compute.googleapis.com/node-name")
_INDEX = re.compile(r"\[[^\]]*\]")
_DATA_AMI = re.compile(r"^((?:module\.[^.]+\.)*data\.aws_ami\.[^.\[]+)")


def is_plan(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("format_version"), str)
        and ("planned_values" in value or "resource_changes" in value)
    )


def load_document(doc: Document, ctx: Any) -> list[Resource] | None:
    plan = doc.value
    if not is_plan(plan):
        return None
    major = plan["format_version"].split(".")[0]
    if major != "1":
        raise InputError(
            f"{ctx.file}:{doc.line}: Terraform plan JSON format_version "
            f"{plan['format_version']!r} is not supported (dxguard reads 1.x)",
            hint="produce the plan with a Terraform 1.x `terraform show -json`",
        )
    return _Plan(plan, doc, ctx.file).resources()


def _config_key(address: str) -> str:
    """module.a["x"].aws_instance.b[0] → module.a.aws_instance.b (the configuration address)."""
    return _INDEX.sub("", address)


def _first(value: Any) -> dict[str, Any]:
    """Terraform nested blocks are lists of objects; the first one, or {}."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _blocks(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return (
        [(i, b) for i, b in enumerate(value) if isinstance(b, dict)]
        if isinstance(value, list)
        else []
    )


class _Plan:
    def __init__(self, plan: dict[str, Any], doc: Document, file: str):
        self.plan = plan
        self.doc = doc
        self.file = file
        self.planned: list[tuple[tuple[str | int, ...], str, dict[str, Any]]] = []
        planned_values = plan.get("planned_values")
        if isinstance(planned_values, dict):
            self._walk(planned_values.get("root_module"), ("planned_values", "root_module"))
        else:
            for i, rc in enumerate(plan.get("resource_changes") or []):
                after = rc.get("change", {}).get("after") if isinstance(rc, dict) else None
                if isinstance(after, dict) and "delete" not in rc["change"].get("actions", []):
                    self.planned.append((("resource_changes", i), "change.after", rc))
        self.config: dict[str, dict[str, Any]] = {}
        conf = plan.get("configuration")
        if isinstance(conf, dict):
            self._walk_config(conf.get("root_module"), "")
        self.prior: dict[str, dict[str, Any]] = {}
        prior = plan.get("prior_state")
        if isinstance(prior, dict):
            self._walk_prior(_dig(prior, "values", "root_module"))
        self.by_address = {
            _config_key(r.get("address", "")): (ptr, vp, r) for ptr, vp, r in self.planned
        }

    # -- indexes ----------------------------------------------------------------------------
    def _walk(self, module: Any, pointer: tuple[str | int, ...]) -> None:
        if not isinstance(module, dict):
            return
        resources = module.get("resources")
        if resources is not None and not isinstance(resources, list):
            raise InputError(f"{self.file}:{self.doc.line}: plan resources must be a list")
        for i, r in enumerate(resources or []):
            if not isinstance(r, dict) or not isinstance(r.get("type"), str):
                raise InputError(
                    f"{self.file}:{self.doc.line}: planned resource {i} of "
                    f"{module.get('address', 'the root module')} has no type",
                    hint="pass the unmodified output of `terraform show -json PLAN`",
                )
            if r.get("mode", "managed") == "managed":
                self.planned.append(((*pointer, "resources", i), "values", r))
        for j, child in enumerate(module.get("child_modules") or []):
            self._walk(child, (*pointer, "child_modules", j))

    def _walk_config(self, module: Any, prefix: str) -> None:
        if not isinstance(module, dict):
            return
        for r in module.get("resources") or []:
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.config[prefix + r["address"]] = r
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self._walk_config(call.get("module"), f"{prefix}module.{name}.")

    def _walk_prior(self, module: Any) -> None:
        if not isinstance(module, dict):
            return
        for r in module.get("resources") or []:
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.prior[_config_key(r["address"])] = r
        for child in module.get("child_modules") or []:
            self._walk_prior(child)

    def references(self, address: str, attribute: str) -> list[str]:
        """Addresses an attribute's configuration expression refers to (module-qualified)."""
        key = _config_key(address)
        conf = self.config.get(key, {})
        expr = _dig(conf, "expressions", attribute)
        refs = expr.get("references", []) if isinstance(expr, dict) else []
        module = key.rsplit(".", 2)[0] + "." if key.startswith("module.") else ""
        return [module + r for r in refs if isinstance(r, str)]

    def constant(self, address: str, attribute: str) -> Any:
        expr = _dig(self.config.get(address, {}), "expressions", attribute)
        return expr.get("constant_value") if isinstance(expr, dict) else None

    # -- resources --------------------------------------------------------------------------
    def resources(self) -> list[Resource]:
        out = [self._toolchain()]
        log_purpose = self._log_purposes()
        for pointer, vp, r in self.planned:
            rtype = r["type"]
            address = str(r.get("address", rtype))
            res = Resource(
                id=f"{self.file}#{self.doc.index}:{address}",
                family="vm",
                kind=rtype,
                api_version="terraform",
                name=address,
                namespace=None,
                source=Source(self.file, self.doc.index, self.doc.line, None, pointer),
                object=r,
            )
            values = _dig(r, *vp.split("."))
            values = values if isinstance(values, dict) else {}
            model = None
            if rtype in VM_TYPES:
                model = self._vm(rtype, address, values, vp)
            elif rtype in ("aws_s3_bucket", "google_storage_bucket"):
                purpose = log_purpose.get(_config_key(address)) or _purpose_label(values)
                if purpose:
                    model = self._bucket(rtype, address, values, vp, purpose)
            elif rtype == "aws_cloudtrail":
                model = self._base("audit-trail", "aws", values)
                model["audit_trail"] = {
                    "log_file_validation": values.get("enable_log_file_validation", False),
                    "logging": values.get("enable_logging", True),
                    "path": f"{vp}.enable_log_file_validation",
                }
            if model is not None:
                validate(model, self.file, lambda _p: None)
            res.normalized = model
            out.append(res)
        return out

    def _toolchain(self) -> Resource:
        providers = []
        seen = set()
        pc = _dig(self.plan, "configuration", "provider_config")
        pc = pc if isinstance(pc, dict) else {}
        for key in sorted(pc):
            entry = pc[key] if isinstance(pc[key], dict) else {}
            constraint = entry.get("version_constraint")
            source = entry.get("full_name")
            seen.add(source)
            providers.append(
                {
                    "name": key,
                    "source": source,
                    "constraint": constraint,
                    "path": f"configuration.provider_config.{key}",
                }
            )
        for _, _, r in self.planned:
            used = r.get("provider_name")
            if isinstance(used, str) and used not in seen:
                seen.add(used)
                providers.append(
                    {
                        "name": used.rsplit("/", 1)[-1],
                        "source": used,
                        "constraint": None,
                        "path": "configuration",
                    }
                )
        obj = {
            "format_version": self.plan.get("format_version"),
            "terraform_version": self.plan.get("terraform_version"),
            "configuration": {"provider_config": pc},
        }
        model = {
            "role": "toolchain",
            "format": "terraform-plan",
            "platform": "other",
            "namespace": None,
            "labels": {},
            "providers": providers,
        }
        validate(model, self.file, lambda _p: None)
        return Resource(
            id=f"{self.file}#{self.doc.index}:plan",
            family="vm",
            kind="TerraformPlan",
            api_version="terraform",
            name=self.file.rsplit("/", 1)[-1],
            namespace=None,
            source=Source(self.file, self.doc.index, self.doc.line),
            object=obj,
            normalized=model,
        )

    def _base(self, role: str, platform: str, values: dict[str, Any]) -> dict[str, Any]:
        labels = string_map(values.get("tags")) or string_map(values.get("labels"))
        return {
            "role": role,
            "format": "terraform-plan",
            "platform": platform,
            "namespace": None,
            "labels": labels,
        }

    def _log_purposes(self) -> dict[str, str]:
        """Buckets (config addresses) that receive logs: CloudTrail targets, log sinks."""
        out: dict[str, str] = {}
        names: dict[str, str] = {}
        for _, vp, r in self.planned:
            values = _dig(r, *vp.split(".")) or {}
            address = str(r.get("address", ""))
            if r["type"] in ("aws_s3_bucket", "google_storage_bucket"):
                name = values.get("bucket") or values.get("name")
                if isinstance(name, str):
                    names[name] = _config_key(address)
        for _, vp, r in self.planned:
            values = _dig(r, *vp.split(".")) or {}
            address = str(r.get("address", ""))
            if r["type"] == "aws_cloudtrail":
                purpose = f"CloudTrail {address} delivers its logs here"
                target = values.get("s3_bucket_name")
                for ref in self.references(address, "s3_bucket_name"):
                    out[_config_key(ref.rsplit(".", 1)[0])] = purpose
                if isinstance(target, str) and target in names:
                    out[names[target]] = purpose
            elif r["type"] == "google_logging_project_sink":
                dest = values.get("destination")
                purpose = f"log sink {address} exports logs here"
                for ref in self.references(address, "destination"):
                    out[_config_key(ref.rsplit(".", 1)[0])] = purpose
                if isinstance(dest, str) and dest.startswith("storage.googleapis.com/"):
                    name = dest.split("/", 1)[1]
                    if name in names:
                        out[names[name]] = purpose
        return out

    def _lock_config(self, address: str, bucket: str | None) -> tuple[tuple, dict[str, Any]] | None:
        for pointer, vp, r in self.planned:
            if r["type"] != "aws_s3_bucket_object_lock_configuration":
                continue
            values = _dig(r, *vp.split(".")) or {}
            refs = self.references(str(r.get("address", "")), "bucket")
            if any(ref.startswith(_config_key(address) + ".") for ref in refs) or (
                bucket and values.get("bucket") == bucket
            ):
                return pointer, values
        return None

    def _bucket(
        self, rtype: str, address: str, values: dict[str, Any], vp: str, purpose: str
    ) -> dict[str, Any]:
        if rtype == "google_storage_bucket":
            model = self._base("log-storage", "gcp", values)
            policy = _first(values.get("retention_policy"))
            period = policy.get("retention_period")
            locked = policy.get("is_locked", False)
            model["log_storage"] = {
                "retention_policy": bool(policy),
                "locked": locked,
                "retention_days": _days(period, 86400),
                "purpose": purpose,
                "path": f"{vp}.retention_policy" if policy else vp,
            }
            return model
        model = self._base("log-storage", "aws", values)
        enabled = values.get("object_lock_enabled", False)
        retention = _first(
            _first(_first(values.get("object_lock_configuration")).get("rule")).get(
                "default_retention"
            )
        )
        path = f"{vp}.object_lock_enabled"
        lock = self._lock_config(address, values.get("bucket"))
        if lock is not None:
            retention = _first(_first(lock[1].get("rule")).get("default_retention"))
            path = f"{vp}.object_lock_enabled"
        mode = retention.get("mode")
        days = retention.get("days")
        years = retention.get("years")
        model["log_storage"] = {
            "object_lock_enabled": enabled,
            "mode": mode if isinstance(mode, str) else None,
            "retention_days": days
            if isinstance(days, int | float) and days
            else (years * 365 if isinstance(years, int | float) and years else None),
            "purpose": purpose,
            "path": path,
        }
        return model

    def _vm(self, rtype: str, address: str, values: dict[str, Any], vp: str) -> dict[str, Any]:
        role, platform = VM_TYPES[rtype]
        model = self._base(role, platform, values)
        if platform == "aws":
            self._aws(model, rtype, address, values, vp)
        elif platform == "gcp":
            self._gcp(model, rtype, values, vp)
        else:
            self._azure(model, address, values, vp)
        return model

    # -- AWS --------------------------------------------------------------------------------
    def _ami(self, address: str, attribute: str, ami: Any, vp: str) -> tuple[dict, dict]:
        """The image entry, and what the plan knows about the AMI (boot mode, TPM, IMDS)."""
        path = f"{vp}.{attribute}"
        for ref in self.references(address, attribute):
            m = _DATA_AMI.match(ref)
            if m is None:
                continue
            target = m.group(1)
            conf = self.config.get(target)
            if conf is None:
                continue
            prior = _dig(self.prior.get(target, {}), "values") or {}
            if self.constant(target, "most_recent") is True:
                entry = {
                    "ref": ami if isinstance(ami, str) else target,
                    "kind": "ami",
                    "data_source": target,
                    "most_recent": True,
                    "path": path,
                }
                return entry, prior
            return self._ami_entry(ami, path), prior
        managed = next(
            (
                r
                for _, v, r in self.planned
                if r["type"] == "aws_ami" and _dig(r, *v.split(".")).get("id") == ami
            ),
            None,
        )
        return self._ami_entry(ami, path), (_dig(managed, "values") or {}) if managed else {}

    @staticmethod
    def _ami_entry(ami: Any, path: str) -> dict[str, Any]:
        return {"ref": ami if isinstance(ami, str) else None, "kind": "ami", "path": path}

    def _aws(self, model: dict, rtype: str, address: str, values: dict, vp: str) -> None:
        template = rtype == "aws_launch_template"
        attribute = "image_id" if template else "ami"
        image, ami = self._ami(address, attribute, values.get(attribute), vp)
        model["images"] = [image]
        model["os"] = os_facts([model["labels"], string_map(ami.get("tags"))], f"{vp}.tags")
        tpm, mode = ami.get("tpm_support"), ami.get("boot_mode")
        known = bool(ami)
        model["boot"] = {
            "secure_boot": (mode == "uefi" and bool(ami.get("uefi_data"))) if known else None,
            "vtpm": (tpm == "v2.0") if known else None,
            "from": f"the AMI ({image['ref'] or 'unknown'})",
            "path": f"{vp}.{attribute}",
        }
        meta = _first(values.get("metadata_options"))
        tokens = meta.get("http_tokens")
        required = True if tokens == "required" else (False if tokens == "optional" else None)
        if required is None and ami.get("imds_support") == "v2.0":
            required = True
        enabled = meta.get("http_endpoint")
        model["metadata_service"] = {
            "enabled": None if enabled is None else enabled == "enabled",
            "tokens_required": required,
            "path": f"{vp}.metadata_options[0].http_tokens" if meta else vp,
        }
        disks = []
        if template:
            for i, bdm in _blocks(values.get("block_device_mappings")):
                ebs = _first(bdm.get("ebs"))
                enc = ebs.get("encrypted")
                disks.append(
                    {
                        "name": str(bdm.get("device_name") or f"block-device-{i}"),
                        "encrypted": None if enc in (None, "") else str(enc).lower() == "true",
                        "path": f"{vp}.block_device_mappings[{i}].ebs[0].encrypted",
                    }
                )
            nics = _blocks(values.get("network_interfaces"))
            public = [str(n.get("associate_public_ip_address", "")).lower() for _, n in nics]
            model["network"] = {
                "public_ip": True
                if "true" in public
                else (False if public and all(p == "false" for p in public) else None),
                "path": f"{vp}.network_interfaces" if nics else vp,
            }
            placement = _first(values.get("placement"))
            tenancy = placement.get("tenancy")
            tenancy_path = f"{vp}.placement[0].tenancy" if placement else vp
            user_data = ("base64", values.get("user_data"), f"{vp}.user_data")
        else:
            root = _first(values.get("root_block_device"))
            disks.append(
                {
                    "name": "root",
                    "encrypted": root.get("encrypted"),
                    "path": f"{vp}.root_block_device[0].encrypted" if root else vp,
                }
            )
            for i, ebs in _blocks(values.get("ebs_block_device")):
                disks.append(
                    {
                        "name": str(ebs.get("device_name") or f"ebs-{i}"),
                        "encrypted": ebs.get("encrypted"),
                        "path": f"{vp}.ebs_block_device[{i}].encrypted",
                    }
                )
            model["network"] = {
                "public_ip": values.get("associate_public_ip_address"),
                "path": f"{vp}.associate_public_ip_address",
            }
            tenancy = values.get("tenancy")
            if values.get("host_id") or values.get("host_resource_group_arn"):
                tenancy = "host"
            tenancy_path = f"{vp}.tenancy"
            if isinstance(values.get("user_data_base64"), str):
                user_data = ("base64", values["user_data_base64"], f"{vp}.user_data_base64")
            else:
                text = self.constant(_config_key(address), "user_data")
                user_data = ("text", text, f"{vp}.user_data")
                if text is None and isinstance(values.get("user_data"), str):
                    user_data = ("hash", values["user_data"], f"{vp}.user_data")
        model["disks"] = disks
        model["tenancy"] = {
            "kind": tenancy,
            "path": tenancy_path,
        }
        model["passthrough"] = []
        model["guest"] = self._guest(address, [user_data], vp)

    def _guest(self, address: str, sources: list[tuple[str, Any, str]], vp: str) -> dict:
        facts = guest.GuestFacts()
        for how, value, path in sources:
            if not isinstance(value, str) or not value:
                continue
            where = f"{self.file}: {address} {path}"
            if how == "hash":
                facts.sources.append({"kind": "user-data-hash-only", "path": path})
            elif how == "shell":
                facts.add(guest.from_shell(value, "startup-script", path))
            else:
                text = guest.decode_base64(value, where) if how == "base64" else value
                facts.add(guest.from_user_data(text, where, path))
        return facts.to_model(sources[0][2] if sources else vp)

    # -- GCP --------------------------------------------------------------------------------
    def _gcp(self, model: dict, rtype: str, values: dict, vp: str) -> None:
        meta = values.get("metadata") if isinstance(values.get("metadata"), dict) else {}
        if rtype == "google_compute_instance":
            boot = _first(values.get("boot_disk"))
            image = _first(boot.get("initialize_params")).get("image")
            image_path = f"{vp}.boot_disk[0].initialize_params[0].image"
            disks = [
                {
                    "name": "boot",
                    "encrypted": True,  # Compute Engine encrypts every disk at rest
                    "path": f"{vp}.boot_disk[0]",
                }
            ]
        else:
            image, image_path, disks = None, f"{vp}.disk", []
            for i, d in _blocks(values.get("disk")):
                if d.get("boot") and image is None:
                    image, image_path = d.get("source_image"), f"{vp}.disk[{i}].source_image"
                disks.append(
                    {
                        "name": str(d.get("device_name") or f"disk-{i}"),
                        "encrypted": True,
                        "path": f"{vp}.disk[{i}]",
                    }
                )
        model["images"] = [
            {
                "ref": image if isinstance(image, str) else None,
                "kind": "gce-image",
                "path": image_path,
            }
        ]
        model["os"] = os_facts([model["labels"], string_map(meta)], f"{vp}.labels")
        shielded = _first(values.get("shielded_instance_config"))
        model["boot"] = {
            "secure_boot": shielded.get("enable_secure_boot", False),
            "vtpm": shielded.get("enable_vtpm", True),
            "integrity_monitoring": shielded.get("enable_integrity_monitoring", True),
            "path": f"{vp}.shielded_instance_config" if shielded else vp,
        }
        nics = _blocks(values.get("network_interface"))
        model["network"] = {
            "public_ip": any(bool(n.get("access_config")) for _, n in nics),
            "path": f"{vp}.network_interface",
        }
        affinities = _blocks(_first(values.get("scheduling")).get("node_affinities"))
        sole = any(
            a.get("key") in SOLE_TENANT_KEYS and a.get("operator") == "IN" for _, a in affinities
        )
        model["tenancy"] = {
            "kind": "sole-tenant" if sole else "shared",
            "path": f"{vp}.scheduling",
        }
        serial = meta.get("serial-port-enable")
        model["serial_console"] = {
            "enabled": str(serial).lower() in ("true", "1"),
            "path": f"{vp}.metadata",
        }
        model["disks"] = disks
        model["passthrough"] = [
            {
                "kind": "accelerator",
                "name": str(a.get("type")),
                "device": a.get("type"),
                "path": f"{vp}.guest_accelerator[{i}]",
            }
            for i, a in _blocks(values.get("guest_accelerator"))
        ]
        model["guest"] = self._guest(
            "",
            [
                ("text", meta.get("user-data"), f"{vp}.metadata.user-data"),
                ("shell", values.get("metadata_startup_script"), f"{vp}.metadata_startup_script"),
                ("shell", meta.get("startup-script"), f"{vp}.metadata.startup-script"),
            ],
            vp,
        )

    # -- Azure ------------------------------------------------------------------------------
    def _azure(self, model: dict, address: str, values: dict, vp: str) -> None:
        ref = _first(values.get("source_image_reference"))
        if isinstance(values.get("source_image_id"), str):
            model["images"] = [
                {
                    "ref": values["source_image_id"],
                    "kind": "azure-image",
                    "path": f"{vp}.source_image_id",
                }
            ]
        elif ref:
            version = ref.get("version")
            urn = ":".join(str(ref.get(k)) for k in ("publisher", "offer", "sku", "version"))
            model["images"] = [
                {
                    "ref": urn,
                    "kind": "azure-image",
                    "version": version,
                    "path": f"{vp}.source_image_reference[0].version",
                }
            ]
        else:
            model["images"] = []
        model["os"] = os_facts([model["labels"]], f"{vp}.tags")
        model["boot"] = {
            "secure_boot": values.get("secure_boot_enabled", False),
            "vtpm": values.get("vtpm_enabled", False),
            "path": f"{vp}.secure_boot_enabled",
        }
        model["disks"] = [
            {"name": "os", "encrypted": True, "path": f"{vp}.os_disk[0]"}  # platform-managed keys
        ]
        dedicated = bool(values.get("dedicated_host_id") or values.get("dedicated_host_group_id"))
        model["tenancy"] = {
            "kind": "dedicated-host" if dedicated else "shared",
            "path": f"{vp}.dedicated_host_id",
        }
        public: bool | None = None
        for ref_addr in self.references(address, "network_interface_ids"):
            nic_key = _config_key(ref_addr.rsplit(".", 1)[0])
            nic = self.by_address.get(nic_key)
            if nic is None:
                continue
            nic_values = _dig(nic[2], *nic[1].split(".")) or {}
            ip_refs = self.references(nic_key, "ip_configuration")
            has_ip = any(
                c.get("public_ip_address_id")
                for _, c in _blocks(nic_values.get("ip_configuration"))
            )
            conf_ip = any(".azurerm_public_ip." in f".{r}" for r in ip_refs) or any(
                "azurerm_public_ip" in str(r)
                for _, c in _blocks(
                    _dig(self.config.get(nic_key, {}), "expressions", "ip_configuration") or []
                )
                for r in _dig(c, "public_ip_address_id", "references") or []
            )
            public = bool(public) or has_ip or conf_ip
        model["network"] = {"public_ip": public, "path": f"{vp}.network_interface_ids"}
        model["passthrough"] = []
        model["guest"] = self._guest(
            address,
            [
                ("base64", values.get("custom_data"), f"{vp}.custom_data"),
                ("base64", values.get("user_data"), f"{vp}.user_data"),
            ],
            vp,
        )


def _purpose_label(values: dict[str, Any]) -> str | None:
    labels = {**string_map(values.get("labels")), **string_map(values.get("tags"))}
    for key in PURPOSE_KEYS:
        if labels.get(key) in LOG_PURPOSES:
            return f"labelled {key}={labels[key]}"
    return None


def _days(value: Any, unit_seconds: int) -> float | None:
    try:
        return int(value) / unit_seconds if value is not None else None
    except (TypeError, ValueError):
        return None


def _dig(value: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(k)
    return value
