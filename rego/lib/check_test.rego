package lib.check_test

import data.lib.check

m := {"custom": {"id": "DXG-T-ISO-001"}}

test_fail_subject_names_the_subject if {
	r := check.fail_subject(m, "r1", "normalized.vulnerabilities[0]", "CVE-2024-0001", "bad")
	r == {
		"check": "DXG-T-ISO-001", "resource": "r1", "path": "normalized.vulnerabilities[0]",
		"status": "fail", "message": "bad", "subject": "CVE-2024-0001",
	}
}

test_pass_has_no_message if {
	r := check.pass(m, "r1", "spec")
	not "message" in object.keys(r)
	r.status == "pass"
}
