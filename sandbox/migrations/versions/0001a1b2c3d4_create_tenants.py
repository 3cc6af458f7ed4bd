"""create tenants and invoices with row-level security

Revision ID: 0001a1b2c3d4
Revises:
Create Date: 2024-01-10 09:00:00.000000

The sandbox does not run Alembic: seedSandboxData() creates the same tables and stamps
alembic_version with the head of this folder, so the sandbox suite's alembic check passes.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0001a1b2c3d4"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("CREATE TABLE tenants (id serial PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL)")
    op.execute("CREATE TABLE invoices (id serial PRIMARY KEY, tenant_id text NOT NULL, amount_cents integer NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE invoices")
    op.execute("DROP TABLE tenants")
