package dxguard.checks.vm.guest_audit_time_test

import data.dxguard.checks.vm.guest_audit_time
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(guest_audit_time.meta, s) | some s in guest_audit_time.subjects]

g(auditd, time_sync, sources) := {"configured": count(sources) > 0, "auditd": auditd, "time_sync": time_sync, "sources": sources, "path": "spec.template.spec.volumes"}

ci := [{"kind": "cloud-init", "path": "spec.template.spec.volumes[2].cloudInitNoCloud.userData"}]

test_auditd_and_chrony_pass if {
	res := results with input as fx.input_of([fx.vm("v", {"guest": g(true, true, ci)})])
	fx.statuses(res, "v") == {"pass"}
}

test_missing_time_sync_fails_naming_it if {
	res := results with input as fx.input_of([fx.vm("v", {"guest": g(true, false, ci)})])
	some msg in fx.messages(res)
	contains(msg, "time synchronisation")
	not contains(msg, "auditd")
}

test_no_guest_setup_fails if {
	res := results with input as fx.input_of([fx.vm("v", {"guest": g(false, false, [])})])
	some msg in fx.messages(res)
	contains(msg, "no cloud-init, script or provisioner is visible")
}

test_standalone_cloud_config_is_examined if {
	cc := object.union(fx.vm("cc", {"role": "guest-config", "format": "cloud-init", "guest": g(true, true, ci)}), {"kind": "CloudConfig"})
	res := results with input as fx.input_of([cc])
	fx.statuses(res, "cc") == {"pass"}
}
