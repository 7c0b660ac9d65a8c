# METADATA
# title: Terraform providers and Packer plugins are pinned exactly
# description: |
#   A provider or plugin release changes how infrastructure is built. Reproducible VM
#   infrastructure pins each one to a single version ("= 5.72.1"), not a range ("~> 5.0").
# scope: package
# custom:
#   id: DXG-VM-PIN-003
#   family: pinning
#   severity: medium
#   targets:
#     vm: [TerraformPlan, PackerTemplate]
#   scope: object
#   remediation: Pin every provider in required_providers (Terraform) or required_plugins (Packer HCL2) to one exact version, e.g. version = "= 5.72.1"; legacy JSON Packer templates cannot pin plugins, so migrate them to HCL2.
package dxguard.checks.vm.provider_pinned

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

# Every provider or plugin of every toolchain, examined once.
subjects contains check.named_subject(res.id, p.path, p.name, problem(res, p)) if {
	some res in vm.of_role("toolchain")
	some p in res.normalized.providers
}

problem(res, p) := sprintf("%s: %s %q %s; pin it to one exact version (e.g. \"= 1.2.3\")", [vm.label(res), noun(res), p.name, constraint(p)]) if {
	not vm.exact_version(p.constraint)
} else := ""

noun(res) := "plugin" if res.normalized.format == "packer"

else := "provider"

constraint(p) := sprintf("allows a range of versions (%s)", [p.constraint]) if is_string(p.constraint)

else := "has no version constraint"
