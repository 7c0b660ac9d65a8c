package dxguard.checks.k8s.allowed_registries_test

import data.dxguard.checks.k8s.allowed_registries
import data.lib.check
import data.lib.fixtures_test as fx

# The check's rows, as dxguard.main derives them from its subjects.
results := [check.row(allowed_registries.meta, s) | some s in allowed_registries.subjects]

run(ref, registries) := res if {
	c := object.union(fx.good_container, {"image": ref})
	res := results with input as fx.input_of([fx.pod("p", {"containers": [c]})])
		with data.dxguard.config as fx.config_with({"allowed_registries": registries})
}

test_unconfigured_allow_list_examines_nothing if {
	count(run("nginx:1.27", [])) == 0
}

test_allowed_registry_passes if {
	fx.statuses(run(fx.pinned_image, ["registry.example"]), "p") == {"pass"}
}

test_allowed_path_prefix_passes_and_other_paths_fail if {
	fx.statuses(run(fx.pinned_image, ["registry.example/pathology/"]), "p") == {"pass"}
	fx.statuses(run("registry.example/research/nb:1", ["registry.example/pathology"]), "p") == {"fail"}
}

test_docker_hub_short_name_is_docker_io if {
	res := run("nginx:1.27", ["registry.example"])
	some r in res
	contains(r.message, "docker.io")
	fx.statuses(run("nginx:1.27", ["docker.io"]), "p") == {"pass"}
}
