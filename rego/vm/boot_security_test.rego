package dxguard.checks.vm.boot_security_test

import data.dxguard.checks.vm.boot_security
import data.lib.check
import data.lib.vm_fixtures_test as fx

# The rows of the check's subjects, as dxguard.main derives them.
results := [check.row(boot_security.meta, s) | some s in boot_security.subjects]

test_secure_boot_and_vtpm_pass if {
	boot := {"secure_boot": true, "vtpm": true, "integrity_monitoring": true, "path": "spec.preference"}
	res := results with input as fx.input_of([fx.vm("v", {"boot": boot})])
	fx.statuses(res, "v") == {"pass"}
	fx.passed_paths(res) == {"spec.preference"}
}

test_bios_boot_fails if {
	boot := {"secure_boot": false, "vtpm": false, "path": "spec.template.spec.domain.firmware"}
	res := results with input as fx.input_of([fx.vm("v", {"boot": boot})])
	some msg in fx.messages(res)
	contains(msg, "Secure Boot is off, vTPM is off")
}

test_unknown_boot_settings_fail_and_say_where_they_come_from if {
	boot := {"secure_boot": null, "vtpm": null, "from": "the AMI (ami-0abc)", "path": "values.ami"}
	res := results with input as fx.input_of([fx.vm("a", {"platform": "aws", "boot": boot})])
	some msg in fx.messages(res)
	contains(msg, "not visible in the input (from the AMI (ami-0abc))")
}

test_integrity_monitoring_off_fails if {
	boot := {"secure_boot": true, "vtpm": true, "integrity_monitoring": false, "path": "values.shielded_instance_config"}
	res := results with input as fx.input_of([fx.vm("g", {"boot": boot})])
	fx.statuses(res, "g") == {"fail"}
}
