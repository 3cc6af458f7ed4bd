"""enable and force row-level security with a tenant policy

Revision ID: 0002b2c3d4e5
Revises: 0001a1b2c3d4
Create Date: 2024-02-01 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op

revision: str = "0002b2c3d4e5"
down_revision: Union[str, Sequence[str], None] = "0001a1b2c3d4"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ("tenants", "invoices"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = current_setting('app.tenant_id', true))")


def downgrade() -> None:
    for table in ("tenants", "invoices"):
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
