"""The findings index: each recorded report's finding identities, for drift between periods.

Records written before this revision are indexed from their report blobs here, so a store
upgraded from 0001 computes drift over its whole history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import json
import zlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    findings = op.create_table(
        "findings",
        sa.Column("seq", Seq, sa.ForeignKey("records.seq"), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("finding_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("check_id", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
    )
    op.create_index("findings_fingerprint", "findings", ["fingerprint"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT seq, envelope FROM records ORDER BY seq")).all()
    for seq, envelope in rows:
        ref = json.loads(envelope).get("blobs", {}).get("report")
        if not ref:
            continue
        blob = conn.execute(
            sa.text("SELECT encoding, data FROM blobs WHERE sha256 = :d"), {"d": ref["sha256"]}
        ).first()
        if blob is None:  # a missing report is verify_chain's to report, not the upgrade's
            continue
        data = zlib.decompress(blob.data) if blob.encoding == "zlib" else bytes(blob.data)
        try:
            report = json.loads(data)
        except ValueError:
            continue
        entries = {}
        for f in report.get("findings", []):
            res = f.get("resource", {})
            entries[f["fingerprint"]] = {
                "seq": seq,
                "fingerprint": f["fingerprint"],
                "finding_id": f["id"],
                "status": f["status"],
                "check_id": f["check"],
                "severity": f["severity"],
                "resource": "/".join(str(res.get(k) or "") for k in ("kind", "namespace", "name")),
            }
        if entries:
            op.bulk_insert(findings, list(entries.values()))
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER findings_append_only BEFORE UPDATE OR DELETE ON findings "
            "FOR EACH ROW EXECUTE FUNCTION dxguard_append_only()"
        )
        op.execute(
            "CREATE TRIGGER findings_no_truncate BEFORE TRUNCATE ON findings "
            "FOR EACH STATEMENT EXECUTE FUNCTION dxguard_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER findings_append_only_{action.lower()} BEFORE {action} ON "
                f"findings BEGIN SELECT RAISE(ABORT, 'dxguard store: findings is append-only "
                f"({action} refused)'); END"
            )


def downgrade() -> None:
    op.drop_table("findings")
