"""The quarterly evidence export: one signed bundle (zip) of a period's evidence.

period.py summarises the period from its records (pure); build.py reads the store and writes
the bundle; html.py and oscal.py render the summary; manifest.py names the files and builds
the in-toto Statement; zipout.py writes the zip deterministically; verify.py checks a bundle;
commands.py holds `dxguard export`, `dxguard verify` and `dxguard keygen`. Signing lives in
checker/signing.py. See docs/export.md.
"""
