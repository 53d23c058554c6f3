from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0017_directory_preview')]

    initial = False

    # members(asOf:) over a long history: its page walks periods in member order instead of
    # sorting all that hold at the moment, and its count is answered from an index alone.
    operations = [
        ops.RemoveIndex(model_name='MembershipPeriod', fields=['organization_id', 'valid_from', 'valid_to']),
        ops.AddIndex(model_name='MembershipPeriod', index=Index(fields=['organization_id', 'member_id', 'valid_from'])),
        ops.AddIndex(model_name='MembershipPeriod', index=Index(fields=['organization_id', 'valid_to', 'valid_from', 'user_id'])),
    ]
