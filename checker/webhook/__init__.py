"""The admission webhook: the same bundle, the same verdicts, enforced as objects enter a cluster.

The door is thin. `review.py` reads and answers `admission.k8s.io/v1` AdmissionReview (pure);
`judge.py` turns one object into a verdict on the long-lived evaluation core (checker/bundle.py)
exactly as `dxguard scan` would judge the same object, then `decision.py` applies the config's
enforcement by tier (pure); `inventory.py` keeps what object-scope checks read about other objects
current (list and watch, or a static folder); `decisions.py` writes every decision as evidence
(JSON Lines and the evidence store, off the request path); `metrics.py` is the Prometheus view;
`server.py` serves it all over HTTPS (Starlette on uvicorn); `commands.py` is `dxguard webhook`.
See docs/webhook.md.
"""
