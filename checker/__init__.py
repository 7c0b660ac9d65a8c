"""dxguard: compliance policy-as-code for clinical-grade AI diagnostics infrastructure.

The import package is `checker`; the distribution and the command are `dxguard`.
"""

__version__ = "0.1.0"
