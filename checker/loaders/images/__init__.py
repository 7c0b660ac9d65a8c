"""Image metadata loaders: scan reports, SBOMs, signatures, provenance and image configuration.

Each format module recognises its documents by content (never by file name), turns what it
finds into Contributions about an image digest (evidence.py), and claims the document. The
finalizer in record.py merges every contribution about the same digest, from any number of
files, into ONE normalized image record (schemas/image-record.schema.json) and yields it as a
resource of family "image". These modules describe evidence; they never judge it (rego/image/
does), and they never fetch anything: what was not given as input is absent.
"""
