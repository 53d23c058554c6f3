from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.directory import DirectoryMode
from gatehouse.models.ids import new_scimreq_id, new_sia_id
from gatehouse.models.recording import SignInOutcome
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScimRequestRecord',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_scimreq_id, unique=True, db_index=True, max_length=40)),
                ('directory', fields.ForeignKeyField('models.Directory', source_field='directory_id', db_constraint=True, to_field='id', related_name='request_records', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharField(max_length=8)),
                ('path', fields.CharField(max_length=2048)),
                ('status', fields.IntField()),
                ('duration_ms', fields.IntField()),
                ('scim_type', fields.CharField(null=True, max_length=32)),
                ('detail', fields.CharField(null=True, max_length=500)),
                ('body', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('changes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'scim_request_records', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One SCIM request as the directory sent it: never a header, never a token.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInAttempt',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_sia_id, unique=True, db_index=True, max_length=40)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='sign_in_attempts', on_delete=OnDelete.CASCADE)),
                ('outcome', fields.CharEnumField(description='SUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=SignInOutcome, max_length=16)),
                ('reason', fields.CharField(null=True, max_length=64)),
                ('message', fields.CharField(null=True, max_length=500)),
                ('issuer', fields.CharField(null=True, max_length=1024)),
                ('name_id_format', fields.CharField(null=True, max_length=256)),
                ('subject', fields.CharField(null=True, max_length=320)),
                ('attributes', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sign_in_attempts', 'app': 'models', 'pk_attr': 'id', 'table_description': "One response an IdP sent to a connection's ACS or callback, with its values masked."},
            bases=['Model'],
        ),
        # GOOGLE joins DirectoryType: only the field's description changes, and an AlterField
        # would make SQLite rebuild `directories`, whose DROP cascades into its users and groups.
        ops.AddField(
            model_name='Directory',
            name='mode',
            field=fields.CharEnumField(default=DirectoryMode.LIVE, description='LIVE: LIVE\nPREVIEW: PREVIEW', db_default='LIVE', enum_type=DirectoryMode, max_length=8),
        ),
    ]
