"""gallery picture renditions

Revision ID: b7c3e1f2a9d4
Revises: 80f0018c9054
Create Date: 2026-12-02 16:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b7c3e1f2a9d4'
down_revision: Union[str, Sequence[str], None] = '80f0018c9054'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('gallery_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('picture_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('picture_height', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('picture_widths', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('gallery_items', schema=None) as batch_op:
        batch_op.drop_column('picture_widths')
        batch_op.drop_column('picture_height')
        batch_op.drop_column('picture_width')
