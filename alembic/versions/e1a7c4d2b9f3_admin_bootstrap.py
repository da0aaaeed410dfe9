"""admin_bootstrap: the single row claimed by the first admin

Revision ID: e1a7c4d2b9f3
Revises: d5a90b7e3c61
Create Date: 2026-12-05 12:00:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e1a7c4d2b9f3"
down_revision: Union[str, Sequence[str], None] = "d5a90b7e3c61"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema; a site that already has an admin has its first-admin role taken."""
    op.create_table(
        "admin_bootstrap",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO admin_bootstrap (id, user_id, created_at) "
        "SELECT 1, MIN(id), CURRENT_TIMESTAMP FROM users WHERE is_admin HAVING COUNT(*) > 0"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("admin_bootstrap")
