# METADATA
# title: Clinical pods run in a hardened sandbox runtime
# description: |
#   A sandboxed runtime (gVisor, Kata Containers) puts a second kernel boundary between a
#   clinical workload and the node, so a kernel exploit in one pod does not reach the others.
#   Each clinical pod spec must name an approved RuntimeClass; when that RuntimeClass object is
#   in the scan, its handler must be an approved sandbox handler too (a class named gvisor that
#   maps to runc fails).
# scope: package
# custom:
#   id: DXG-K8S-ISO-017
#   family: isolation
#   severity: medium
#   targets:
#     k8s: [Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, RuntimeClass]
#   parameters: [approved_runtime_classes, approved_runtime_handlers]
#   scope: object
#   inventory: [Namespace, RuntimeClass]
#   remediation: Set spec.runtimeClassName of every clinical pod to an approved sandbox RuntimeClass (e.g. gvisor with handler runsc, or kata-qemu) installed on the clinical node pool.
package dxguard.checks.k8s.runtime_class

import data.lib.check
import data.lib.k8s

meta := check.meta(rego.metadata.chain())

# The runtimeClassName of every clinical pod spec, examined once: the class must be approved
# and every RuntimeClass object of that name in the inventory must map to an approved handler.
subjects contains check.subject(ps.resource, concat(".", [ps.path, "runtimeClassName"]), problem(name)) if {
	some ps in k8s.clinical_pod_specs
	name := object.get(ps.spec, "runtimeClassName", "")
}

problem(name) := msg if {
	msg := k8s.setting_problem("clinical pod", "runtimeClassName", name, "string")
} else := sprintf("clinical pod runs in %s, not a hardened sandbox; set runtimeClassName to one of %s", [describe(name), concat(", ", k8s.params.approved_runtime_classes)]) if {
	not name in k8s.params.approved_runtime_classes
} else := check.problems([msg | some msg in handler_problems(name)])

# The problems of the RuntimeClass objects of a name whose handler is not approved (a set: two
# copies of one object have one problem).
handler_problems(name) := {msg |
	some rc in k8s.lookup("RuntimeClass", "", name)
	not rc.object.handler in k8s.params.approved_runtime_handlers
	msg := sprintf("RuntimeClass %q maps to handler %v, which is not an approved sandbox (%s); fix the RuntimeClass or use another", [name, object.get(rc.object, "handler", null), concat(", ", k8s.params.approved_runtime_handlers)])
}

describe(name) := "the node's default runtime (no runtimeClassName)" if name == ""

else := sprintf("RuntimeClass %q", [name])
