# METADATA
# title: Instance metadata service requires session tokens (IMDSv2)
# description: |
#   The instance metadata service hands out cloud credentials. Without session tokens (IMDSv1) a
#   server-side request forgery in any workload on the VM can read them. Require IMDSv2, or turn
#   the endpoint off.
# scope: package
# custom:
#   id: DXG-VM-ISO-004
#   family: isolation
#   severity: high
#   targets:
#     vm: [aws_instance, aws_launch_template, PackerSource]
#   scope: object
#   remediation: Set metadata_options { http_tokens = "required" } on instances and launch templates, and imds_support = "v2.0" on AMIs that Packer builds.
package dxguard.checks.vm.imds_v2

import data.lib.check
import data.lib.vm

meta := check.meta(rego.metadata.chain())

protected(md) if md.enabled == false

protected(md) if md.tokens_required == true

# The metadata service of every machine, examined once.
subjects contains check.subject(res.id, md.path, problem(res, md)) if {
	some res in vm.machines
	md := vm.fact(res, "metadata_service")
}

problem(res, md) := sprintf("%s: the instance metadata service %s; require IMDSv2 session tokens (http_tokens = \"required\", or imds_support = \"v2.0\" on the AMI)", [vm.label(res), why(md)]) if {
	not protected(md)
} else := ""

why(md) := "accepts IMDSv1 requests without a token" if md.tokens_required == false

else := "does not visibly require tokens (the default depends on the AMI and account)"
