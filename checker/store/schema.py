"""The store's tables as SQLAlchemy Core sees them at the newest schema revision.

Queries use these. The migrations in migrations/versions/ create and change the real tables and
never import this module (a migration is frozen at the revision it was written for); a test
proves a store built by the migrations matches these definitions.

- `records`: the hash chain, one row per record; `envelope` is the record's canonical JSON
  (RFC 8785) and `hash` its SHA-256. The other columns repeat what the envelope says so queries
  need not parse it; verify_chain checks they agree.
- `chain_head`: one row (id 1) naming the last record; appends lock it, so concurrent writers
  take turns, and removing records from the end of the chain is detectable.
- `blobs`: content-addressed bytes (reports, input files, policy files, evidence documents),
  keyed by the SHA-256 of their uncompressed content; records name them by digest.
- `findings`: the finding identities of each recorded report (derived from the report blob; a
  verified index) for drift between periods.
"""

from __future__ import annotations

import sqlalchemy as sa

# Alembic revisions this dxguard knows, oldest first; the last is the head.
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]

metadata = sa.MetaData()

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

records = sa.Table(
    "records",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
    sa.Column("scope", sa.Text(), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("envelope", sa.Text(), nullable=False),
)

chain_head = sa.Table(
    "chain_head",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", Seq, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.String(32), nullable=False),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("encoding", sa.String(16), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("seq", Seq, sa.ForeignKey("records.seq"), primary_key=True),
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("finding_id", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("check_id", sa.Text(), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("resource", sa.Text(), nullable=False),
)
