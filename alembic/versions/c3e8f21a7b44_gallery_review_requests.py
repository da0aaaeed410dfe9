"""gallery items: the author's re-review request (review_requested_at, review_note, review_open)

Revision ID: c3e8f21a7b44
Revises: b7d41c2e9a10
Create Date: 2026-12-02 18:00:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c3e8f21a7b44"
down_revision: Union[str, Sequence[str], None] = "b7d41c2e9a10"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema. Plain ADD COLUMN, not a batch: on SQLite a batch may rebuild gallery_items,
    which would drop the search index's triggers (b7d41c2e9a10)."""
    op.add_column("gallery_items", sa.Column("review_requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("gallery_items", sa.Column("review_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
    op.add_column("gallery_items", sa.Column("review_open", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema (SQLite 3.35+ drops columns in place)."""
    op.drop_column("gallery_items", "review_open")
    op.drop_column("gallery_items", "review_note")
    op.drop_column("gallery_items", "review_requested_at")
