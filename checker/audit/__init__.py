"""The live cluster audit (`dxguard audit`): list what a cluster holds, judge it like a scan.

    kinds.py    which kinds the bundle needs, and which API serves each (pure)
    cluster.py  the kubernetes client: credentials, identity, discovery, paginated lists (I/O)
    objects.py  listed objects as loader inputs: names, bytes, YAML lines (pure)
    run.py      the audit: list, load, then the scan's own evaluate-and-report
    command.py  the click command, registered in checker/cli.py

See docs/audit.md. Nothing here judges: every verdict is the bundle's, as for a scan.
"""
