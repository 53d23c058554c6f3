from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.delivery import LogStreamType, TargetState
from gatehouse.models.ids import new_dlv_id, new_ls_id, new_whe_id
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_dlv_id, unique=True, db_index=True, max_length=40)),
                ('target_id', fields.CharField(db_index=True, max_length=40)),
                ('event_id', fields.CharField(max_length=40)),
                ('event_position', fields.BigIntField()),
                ('succeeded', fields.BooleanField()),
                ('attempt', fields.IntField()),
                ('response_status', fields.IntField(null=True)),
                ('error', fields.CharField(null=True, max_length=300)),
            ],
            options={'table': 'deliveries', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One attempt to deliver one event to one target.'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='LogStream',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('organization_id', fields.CharField(null=True, db_index=True, max_length=40)),
                ('url', fields.CharField(max_length=2048)),
                ('state', fields.CharEnumField(default=TargetState.ACTIVE, description='ACTIVE: ACTIVE\nFAILING: FAILING\nDISABLED: DISABLED', enum_type=TargetState, max_length=8)),
                ('cursor', fields.BigIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_ls_id, unique=True, db_index=True, max_length=40)),
                ('type', fields.CharEnumField(description='HTTPS: HTTPS\nDATADOG: DATADOG\nSPLUNK_HEC: SPLUNK_HEC', enum_type=LogStreamType, max_length=10)),
                ('token', fields.CharField(null=True, max_length=512)),
            ],
            options={'table': 'log_streams', 'app': 'models', 'pk_attr': 'id'},
            bases=['DeliveryTarget'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('organization_id', fields.CharField(null=True, db_index=True, max_length=40)),
                ('url', fields.CharField(max_length=2048)),
                ('state', fields.CharEnumField(default=TargetState.ACTIVE, description='ACTIVE: ACTIVE\nFAILING: FAILING\nDISABLED: DISABLED', enum_type=TargetState, max_length=8)),
                ('cursor', fields.BigIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_whe_id, unique=True, db_index=True, max_length=40)),
                ('event_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.CharField(max_length=100)),
                ('previous_secret', fields.CharField(null=True, max_length=100)),
                ('previous_secret_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'models', 'pk_attr': 'id'},
            bases=['DeliveryTarget'],
        ),
        ops.AlterField(
            model_name='Event',
            name='occurred_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
        ),
        ops.AddField(
            model_name='Event',
            name='organization_sequence',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Event',
            name='position',
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.AddIndex(
            model_name='Event',
            index=Index(fields=['organization_id', 'organization_sequence']),
        ),
    ]
