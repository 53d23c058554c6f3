from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_policy_at_every_door')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DirectoryUser',
            name='awaiting_proof',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='external_id',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='User',
            name='metadata',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='User',
            name='pending_email',
            field=fields.CharField(null=True, max_length=320),
        ),
        # Unique per deployment. An index rather than a column constraint: SQLite adds a UNIQUE
        # column only by rebuilding the table, whose DROP would cascade into every membership.
        ops.RunSQL(["CREATE UNIQUE INDEX users_external_id_uniq ON users (external_id)"]),
    ]
