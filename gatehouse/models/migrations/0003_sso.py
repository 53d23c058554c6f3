from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.ids import new_idn_id, new_said_id, new_ssoc_id, new_ssor_id
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_domain_pending_since')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkedIdentity',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_idn_id, unique=True, db_index=True, max_length=40)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(max_length=512)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'linked_identities', 'app': 'models', 'unique_together': (('connection', 'subject'),), 'pk_attr': 'id', 'table_description': "A user's identity at one connection's IdP, keyed on the IdP's stable subject."},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='SamlAssertionId',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_said_id, unique=True, db_index=True, max_length=40)),
                ('connection_id', fields.CharField(max_length=40)),
                ('assertion_id', fields.CharField(max_length=256)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'saml_assertion_ids', 'app': 'models', 'unique_together': (('connection_id', 'assertion_id'),), 'pk_attr': 'id', 'table_description': 'Replay cache: each assertion ID is accepted once, until it would have expired anyway.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SsoCode',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_ssoc_id, unique=True, db_index=True, max_length=40)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='sso_codes', on_delete=OnDelete.CASCADE)),
                ('profile', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sso_codes', 'app': 'models', 'pk_attr': 'id', 'table_description': "The one-time code handed to the operator's redirect URI, exchanged at POST /sso/token."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SsoRequest',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_ssor_id, unique=True, db_index=True, max_length=40)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='sso_requests', on_delete=OnDelete.CASCADE)),
                ('lookup', fields.CharField(unique=True, max_length=128)),
                ('redirect_uri', fields.CharField(max_length=2048)),
                ('client_state', fields.CharField(null=True, max_length=1024)),
                ('nonce', fields.CharField(null=True, max_length=128)),
                ('code_verifier', fields.CharField(null=True, max_length=128)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sso_requests', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An SP-initiated sign-in in flight: the SAML AuthnRequest ID or the OIDC state.'},
            bases=['Model'],
        ),
    ]
