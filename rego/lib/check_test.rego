package lib.check_test

import data.lib.check

m := {"custom": {"id": "DXG-T-ISO-001"}}

test_a_subject_with_a_problem_is_one_failure_with_its_message if {
	r := check.row(m, check.named_subject("r1", "normalized.vulnerabilities[0]", "CVE-2024-0001", "bad"))
	r == {
		"check": "DXG-T-ISO-001", "resource": "r1", "path": "normalized.vulnerabilities[0]",
		"status": "fail", "message": "bad", "subject": "CVE-2024-0001",
	}
}

test_a_subject_without_a_problem_passes_without_a_message if {
	r := check.row(m, check.subject("r1", "spec", ""))
	r == {"check": "DXG-T-ISO-001", "resource": "r1", "path": "spec", "status": "pass"}
}

test_problems_join_into_one_message if {
	check.problems(["a", "b"]) == "a; b"
	check.problems([]) == ""
}

test_a_subject_with_a_problem_that_is_not_a_message_is_malformed if {
	check.row(m, {"resource": "r1", "path": "spec", "problem": true}).status == "malformed"
	check.row(m, {"resource": "r1", "path": "spec"}).status == "malformed"
	check.row(m, {"resource": "r1", "path": "spec", "problem": 7}).status == "malformed"
}
