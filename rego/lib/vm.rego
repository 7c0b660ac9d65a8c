# METADATA
# title: VM helpers
# description: |
#   The VM-family resources of the input and their normalized model (checker/schemas/
#   vm-model.schema.json), computed once per query and shared by the rego/vm checks. A fact the
#   format cannot express is absent from the model; one it leaves unknown is null.
package lib.vm

import data.lib.tier

# Roles that describe a machine: a VM, a template VMs are stamped from, or an image build.
machine_roles := {"vm", "template", "image-build"}

# Every VM-family resource that has a model.
models contains res if {
	some res in input.resources
	res.family == "vm"
	is_object(res.normalized)
}

# VMs, VM templates and image builds.
machines contains res if {
	some res in models
	res.normalized.role in machine_roles
}

# Models of one role (e.g. "log-storage", "toolchain").
of_role(role) := {res | some res in models; res.normalized.role == role}

clinical(res) if tier.of[res.id] == "clinical"

# How messages name a resource: its kind and name.
label(res) := sprintf("%s %q", [res.kind, res.name])

# A fact group of the model, when the format expresses it.
fact(res, key) := res.normalized[key] if is_object(res.normalized[key])

# Where a fact came from, for messages: " (from X)" or "".
from(group) := sprintf(" (from %s)", [group.from]) if is_string(group.from)

else := ""

# The checks' parameters.
param(name) := data.dxguard.config.parameters[name]
