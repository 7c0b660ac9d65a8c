"""Deterministic benchmark corpus: a monorepo-shaped tree of manifests, VMs and image metadata.

`python benchmarks/generate.py --resources 10000 --out benchmarks/.corpus/10k` writes the same
bytes for the same size and seed on every machine. The mix follows a real platform repository:
workloads of every kind (1–4 containers, 0–2 init containers), Namespaces, NetworkPolicies, RBAC,
Services, ConfigMaps, a share of KubeVirt VirtualMachines, and Trivy scan reports and CycloneDX
SBOMs for a share of the images. About a fifth of the workloads break one rule or another.
Files hold 1–40 documents and sit in team/service folders, as in a monorepo.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from pathlib import Path

import yaml

GENERATOR_VERSION = 2

WORKLOAD_KINDS = [
    ("Deployment", 40),
    ("StatefulSet", 10),
    ("DaemonSet", 5),
    ("Job", 10),
    ("CronJob", 10),
    ("Pod", 10),
    ("ReplicaSet", 10),
    ("ReplicationController", 5),
]
# Share of all resources, by kind of document.
MIX = [
    ("workload", 45),
    ("Namespace", 4),
    ("NetworkPolicy", 5),
    ("ServiceAccount", 4),
    ("RoleBinding", 4),
    ("ClusterRoleBinding", 1),
    ("Service", 15),
    ("ConfigMap", 15),
    ("VirtualMachine", 3),
]
TEAMS = ["pathology", "genomics", "imaging", "platform", "research-ml", "data", "lab-ops"]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Writes shared objects out in full: real manifests (helm, kustomize) have no aliases."""

    def ignore_aliases(self, data):
        return True


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights=weights)[0]


class Corpus:
    def __init__(self, total: int, seed: int):
        self.rng = random.Random(seed)
        self.total = total
        self.namespaces = []
        for i in range(max(4, total // 400)):
            team = TEAMS[i % len(TEAMS)]
            tier = "research" if team in ("research-ml", "data") else "clinical"
            self.namespaces.append(f"{tier}-{team}-{i}")
        self.images = [self._image(i) for i in range(max(20, total // 25))]

    def _image(self, i: int) -> dict:
        team = TEAMS[i % len(TEAMS)]
        repo = f"registry.dx.example/{team}/svc-{i}"
        version = f"{1 + i % 5}.{i % 13}.{i % 7}"
        return {"repo": repo, "tag": version, "digest": _digest(f"{repo}:{version}")}

    def image_ref(self, bad: bool) -> str:
        img = self.rng.choice(self.images)
        if bad:
            return self.rng.choice(
                [f"{img['repo']}:latest", img["repo"], f"{img['repo']}:{img['tag']}"]
            )
        return f"{img['repo']}:{img['tag']}@{img['digest']}"

    def container(self, name: str, bad: bool) -> dict:
        rng = self.rng
        c: dict = {"name": name, "image": self.image_ref(bad and rng.random() < 0.5)}
        sc: dict = {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        if bad and rng.random() < 0.3:
            sc["privileged"] = True
        if bad and rng.random() < 0.3:
            sc["runAsUser"] = 0
        c["securityContext"] = sc
        cpu, mem = rng.choice([("250m", "256Mi"), ("1", "1Gi"), ("2", "4Gi"), ("4", "16Gi")])
        if not (bad and rng.random() < 0.4):
            c["resources"] = {
                "requests": {"cpu": cpu, "memory": mem},
                "limits": {"cpu": cpu, "memory": mem},
            }
        if rng.random() < 0.5:
            c["ports"] = [{"containerPort": rng.choice([8080, 8443, 9090, 11112]), "name": "http"}]
        if rng.random() < 0.4:
            c["env"] = [
                {"name": f"VAR_{k}", "value": str(rng.randrange(10**6))}
                for k in range(rng.randint(1, 6))
            ]
        return c

    def pod_spec(self, bad: bool) -> dict:
        rng = self.rng
        spec: dict = {
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10000 + rng.randrange(1000),
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [self.container(f"c{i}", bad) for i in range(rng.randint(1, 4))],
        }
        n_init = rng.choice([0, 0, 1, 2])
        if n_init:
            spec["initContainers"] = [self.container(f"init{i}", bad) for i in range(n_init)]
        if bad and rng.random() < 0.2:
            spec[rng.choice(["hostNetwork", "hostPID", "hostIPC"])] = True
        if bad and rng.random() < 0.3:
            del spec["securityContext"]["runAsNonRoot"]
        return spec

    def workload(self, kind: str, name: str, ns: str) -> dict:
        rng = self.rng
        bad = rng.random() < 0.2
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/version": "1.0.0"}
        meta = {"name": name, "namespace": ns, "labels": labels}
        template = {"metadata": {"labels": labels}, "spec": self.pod_spec(bad)}
        selector = {"matchLabels": {"app.kubernetes.io/name": name}}
        if kind == "Pod":
            return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]}
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            spec = {"selector": selector, "template": template}
            if kind != "DaemonSet":
                spec["replicas"] = rng.randint(1, 5)
            if kind == "Deployment":
                spec["revisionHistoryLimit"] = rng.choice([3, 10, 10])
            if kind == "StatefulSet":
                spec["serviceName"] = name
            return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
        if kind == "ReplicationController":
            return {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": meta,
                "spec": {
                    "replicas": 1,
                    "selector": {"app.kubernetes.io/name": name},
                    "template": template,
                },
            }
        template["spec"]["restartPolicy"] = "Never"
        job = {"backoffLimit": 2, "template": template}
        if kind == "Job":
            return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job}
        return {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {
                "schedule": f"{rng.randrange(60)} {rng.randrange(24)} * * *",
                "jobTemplate": {"spec": job},
            },
        }

    def other(self, kind: str, name: str, ns: str) -> dict:
        rng = self.rng
        meta = {"name": name, "namespace": ns}
        if kind == "Namespace":
            tier = "clinical" if ns.startswith("clinical") else "research"
            return {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns,
                    "labels": {
                        "dxguard.io/tier": tier,
                        "pod-security.kubernetes.io/enforce": "restricted",
                    },
                },
            }
        if kind == "NetworkPolicy":
            return {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"default-deny-{name}", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            }
        if kind == "ServiceAccount":
            return {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": meta,
                "automountServiceAccountToken": False,
            }
        if kind in ("RoleBinding", "ClusterRoleBinding"):
            role = rng.choice(["view", "edit", "cluster-admin"]) if rng.random() < 0.1 else "view"
            out = {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": dict(meta) if kind == "RoleBinding" else {"name": name},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": role,
                },
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
            }
            return out
        if kind == "Service":
            return {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta,
                "spec": {
                    "selector": {"app.kubernetes.io/name": name},
                    "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
                },
            }
        if kind == "ConfigMap":
            return {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": meta,
                "data": {
                    f"key{i}": f"value-{rng.randrange(10**9)}" for i in range(rng.randint(1, 8))
                },
            }
        if kind == "VirtualMachine":
            bad = rng.random() < 0.2
            img = self.rng.choice(self.images)
            disk_img = (
                f"{img['repo']}-vm:{img['tag']}"
                if bad
                else f"{img['repo']}-vm:{img['tag']}@{img['digest']}"
            )
            cpu: dict = {"cores": rng.choice([2, 4, 8])}
            if not bad:
                cpu.update({"dedicatedCpuPlacement": True, "isolateEmulatorThread": True})
            return {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachine",
                "metadata": meta,
                "spec": {
                    "runStrategy": "Always",
                    "template": {
                        "metadata": {"labels": {"kubevirt.io/vm": name}},
                        "spec": {
                            "domain": {
                                "cpu": cpu,
                                "memory": {"guest": rng.choice(["4Gi", "8Gi", "16Gi"])},
                                "firmware": {"bootloader": {"efi": {"secureBoot": not bad}}},
                                "features": {"smm": {"enabled": True}},
                                "devices": {
                                    "disks": [{"name": "rootdisk", "disk": {"bus": "virtio"}}]
                                },
                            },
                            "volumes": [{"name": "rootdisk", "containerDisk": {"image": disk_img}}],
                        },
                    },
                },
            }
        raise ValueError(kind)

    def trivy(self, img: dict) -> dict:
        rng = self.rng
        vulns = []
        for k in range(rng.randint(0, 12)):
            sev = rng.choice(["LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "CRITICAL"])
            vulns.append(
                {
                    "VulnerabilityID": f"CVE-20{rng.randint(19, 26)}-{rng.randint(1000, 99999)}",
                    "PkgName": f"lib{k}",
                    "InstalledVersion": f"1.{k}.0",
                    **({"FixedVersion": f"1.{k}.1"} if rng.random() < 0.6 else {}),
                    "Severity": sev,
                    "Title": f"issue in lib{k}",
                }
            )
        days = rng.randint(0, 60)
        return {
            "SchemaVersion": 2,
            "CreatedAt": f"2026-{10 + days // 31:02d}-{1 + days % 28:02d}T08:00:00Z",
            "ArtifactName": f"{img['repo']}@{img['digest']}",
            "ArtifactType": "container_image",
            "Metadata": {
                "OS": {"Family": "debian", "Name": "12.8"},
                "ImageID": _digest("config" + img["digest"]),
                "RepoDigests": [f"{img['repo']}@{img['digest']}"],
                "RepoTags": [f"{img['repo']}:{img['tag']}"],
            },
            "Results": [
                {
                    "Target": f"{img['repo']}:{img['tag']} (debian 12.8)",
                    "Class": "os-pkgs",
                    "Type": "debian",
                    "Vulnerabilities": vulns,
                }
            ],
        }

    def cyclonedx(self, img: dict) -> dict:
        rng = self.rng
        comps = []
        for k in range(rng.randint(5, 40)):
            comp = {
                "type": "library",
                "name": f"lib{k}",
                "version": f"1.{k}.0",
                "purl": f"pkg:deb/debian/lib{k}@1.{k}.0?distro=debian-12",
            }
            if rng.random() < 0.9:
                comp["supplier"] = {"name": "Debian"}
            comps.append(comp)
        return {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "serialNumber": "urn:uuid:"
            + hashlib.md5(img["digest"].encode()).hexdigest()[:8]
            + "-0000-4000-8000-000000000000",
            "metadata": {
                "timestamp": "2026-11-20T08:00:00Z",
                "component": {"type": "container", "name": img["repo"], "version": img["digest"]},
            },
            "components": comps,
        }


def generate(total: int, out: Path, seed: int = 20261126) -> dict:
    corpus = Corpus(total, seed)
    rng = corpus.rng
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    docs_by_file: dict[Path, list[dict]] = {}
    count = 0
    file_no = 0
    while count < total:
        team = rng.choice(TEAMS)
        ns = rng.choice(corpus.namespaces)
        folder = out / "apps" / team / f"service-{rng.randrange(max(1, total // 200))}"
        path = folder / f"manifests-{file_no}.yaml"
        file_no += 1
        n_docs = min(total - count, rng.choice([1, 1, 2, 3, 5, 8, 13, 20, 40]))
        docs = []
        for i in range(n_docs):
            kind = _pick(rng, MIX)
            name = f"{team}-{file_no}-{i}"
            if kind == "workload":
                docs.append(corpus.workload(_pick(rng, WORKLOAD_KINDS), name, ns))
            else:
                docs.append(corpus.other(kind, name, ns))
        docs_by_file[path] = docs
        count += n_docs
    for path, docs in docs_by_file.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, width=120), encoding="utf-8"
        )
    metadata_files = 0
    for i, img in enumerate(corpus.images):
        if i % 3 == 0:  # scan reports and SBOMs for a third of the images
            stem = out / "image-metadata" / img["repo"].rsplit("/", 1)[-1]
            stem.parent.mkdir(parents=True, exist_ok=True)
            (stem.with_suffix(".trivy.json")).write_text(json.dumps(corpus.trivy(img), indent=1))
            (stem.with_suffix(".cdx.json")).write_text(json.dumps(corpus.cyclonedx(img), indent=1))
            metadata_files += 2
    summary = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "resources": count,
        "manifest_files": len(docs_by_file),
        "image_metadata_files": metadata_files,
        "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
    }
    (out / "CORPUS.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    print(json.dumps(generate(args.resources, args.out, args.seed)))


if __name__ == "__main__":
    main()
