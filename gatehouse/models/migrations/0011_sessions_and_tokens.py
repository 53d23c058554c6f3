from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.ids import new_jwk_id, new_pauth_id, new_rt_id, new_sic_id
from gatehouse.models.session import AuthenticationMethod
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_invitation_previous_token')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PendingAuthentication',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_pauth_id, unique=True, db_index=True, max_length=40)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='pending_authentications', on_delete=OnDelete.CASCADE)),
                ('authentication_method', fields.CharEnumField(description='SSO: SSO\nEMAIL_CODE: EMAIL_CODE\nINVITATION: INVITATION', enum_type=AuthenticationMethod, max_length=16)),
                ('connection_id', fields.CharField(null=True, max_length=40)),
                ('ip_address', fields.CharField(null=True, max_length=64)),
                ('user_agent', fields.CharField(null=True, max_length=512)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pending_authentications', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A proven sign-in that waits for the person to choose one of their organizations.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_rt_id, unique=True, db_index=True, max_length=40)),
                ('session', fields.ForeignKeyField('models.Session', source_field='session_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'refresh_tokens', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Single use: refreshing marks it used and issues the next one (RFC 9700 §4.14).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInCode',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_sic_id, unique=True, db_index=True, max_length=40)),
                ('email', fields.CharField(db_index=True, max_length=320)),
                ('code_hash', fields.CharField(max_length=64)),
                ('redirect_uri', fields.CharField(null=True, max_length=2048)),
                ('ip_address', fields.CharField(null=True, db_index=True, max_length=64)),
                ('user_agent', fields.CharField(null=True, max_length=512)),
                ('attempts', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sign_in_codes', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A 6-digit code mailed to an address: 10 minutes, one use, five tries.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_jwk_id, unique=True, db_index=True, max_length=40)),
                ('algorithm', fields.CharField(max_length=16)),
                ('public_jwk', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('private_key', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signing_keys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An ES256 key pair, whose id is the JWT `kid`. The private half is encrypted at rest.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invitation',
            name='redirect_uri',
            field=fields.CharField(null=True, max_length=2048),
        ),
        ops.AlterField(
            model_name='Session',
            name='token_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Session',
            name='authentication_method',
            field=fields.CharEnumField(null=True, description='SSO: SSO\nEMAIL_CODE: EMAIL_CODE\nINVITATION: INVITATION', enum_type=AuthenticationMethod, max_length=16),
        ),
        ops.AddField(
            model_name='Session',
            name='connection_id',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Session',
            name='ip_address',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Session',
            name='last_refreshed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='revoked_reason',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Session',
            name='user_agent',
            field=fields.CharField(null=True, max_length=512),
        ),
        ops.AlterModelOptions(
            name='SsoCode',
            options={'table': 'sso_codes', 'app': 'models', 'pk_attr': 'id', 'table_description': "The one-time code handed to the operator's redirect URI, exchanged at POST /sso/token:"},
        ),
        ops.AlterField(
            model_name='SsoCode',
            name='connection',
            field=fields.ForeignKeyField('models.Connection', source_field='connection_id', null=True, db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='SsoCode',
            name='member',
            field=fields.ForeignKeyField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='sso_codes', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='SsoCode',
            name='authentication_method',
            field=fields.CharEnumField(default=AuthenticationMethod.SSO, description='SSO: SSO\nEMAIL_CODE: EMAIL_CODE\nINVITATION: INVITATION', db_default=AuthenticationMethod.SSO, enum_type=AuthenticationMethod, max_length=16),
        ),
        ops.AddField(
            model_name='SsoCode',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='sign_in_handoffs', on_delete=OnDelete.CASCADE),
        ),
    ]
