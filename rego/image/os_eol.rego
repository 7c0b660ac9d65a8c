# METADATA
# title: The image's operating system is still supported
# description: |
#   An operating system past its end of security support gets no more fixes, so its
#   vulnerabilities can only grow. The OS of every image record in scope (from its scan
#   reports, else its SBOM) fails when a scanner flags it as end of support (Trivy EOSL) or
#   when image_os_end_of_life dates its release's end of support at or before the as-of time.
#   An image whose scans found no OS (scratch, distroless static) passes; an image with neither
#   a scan nor an SBOM naming its OS is not examined (DXG-IMG-SCN-002 reports the missing scan).
# scope: package
# custom:
#   id: DXG-IMG-SCN-005
#   family: scanning
#   severity: high
#   targets:
#     image: [Image]
#   scope: object
#   inventory: [image_users]
#   remediation: Rebuild the image on a supported release of its base OS (or a distroless base) and redeploy the new digest.
#   parameters: [image_os_end_of_life]
package dxguard.checks.image.os_eol

import data.dxguard.config
import data.lib.check
import data.lib.supply_chain as sc

meta := check.meta(rego.metadata.chain())

release_of(entry, os) if {
	entry.family == os.family
	os.name == entry.version
}

release_of(entry, os) if {
	entry.family == os.family
	startswith(os.name, concat("", [entry.version, "."]))
}

# Configured end-of-support dates that have passed for this OS, at the as-of time.
ended(os) := [entry |
	some entry in config.parameters.image_os_end_of_life
	release_of(entry, os)
	time.parse_rfc3339_ns(concat("", [entry.date, "T00:00:00Z"])) <= sc.as_of_ns
]

examined(res) if res.normalized.os != null

examined(res) if count(res.normalized.scans) > 0

end_of_life(res) := sprintf("%s flags %s %s as end of support", [res.normalized.os.file, res.normalized.os.family, res.normalized.os.name]) if {
	res.normalized.os.eol == true
} else := sprintf("security support for %s %s ended on %s (image_os_end_of_life)", [res.normalized.os.family, ended(res.normalized.os)[0].version, ended(res.normalized.os)[0].date]) if {
	count(ended(res.normalized.os)) > 0
}

# Every image record in scope whose OS is known or was scanned, examined once.
subjects contains check.subject(res.id, "normalized.os", problem(res)) if {
	some res in sc.in_scope
	examined(res)
}

problem(res) := sprintf(
	"%s (%s) runs an end-of-life OS: %s; rebuild it on a supported base image and redeploy the new digest",
	[sc.label(res), sc.usage(res), end_of_life(res)],
) if {
	end_of_life(res)
} else := ""
