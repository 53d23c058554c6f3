from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.connection import ConnectionState, ConnectionType
from gatehouse.models.domain import DomainState, DomainStrategy
from gatehouse.models.ids import new_conn_id, new_dom_id, new_evt_id, new_key_id, new_om_id, new_org_id, new_role_id, new_sess_id, new_user_id
from gatehouse.models.user import MemberSource, MemberStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_evt_id, unique=True, db_index=True, max_length=40)),
                ('type', fields.CharField(db_index=True, max_length=64)),
                ('organization_id', fields.CharField(null=True, db_index=True, max_length=40)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'events', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_org_id, unique=True, db_index=True, max_length=40)),
                ('name', fields.CharField(max_length=200)),
                ('name_search', fields.CharField(db_index=True, max_length=200)),
                ('external_id', fields.CharField(null=True, unique=True, max_length=200)),
                ('metadata', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('jit_provisioning', fields.BooleanField(default=False)),
                ('join_by_verified_domain', fields.BooleanField(default=False)),
                ('restrict_invitations_to_verified_domains', fields.BooleanField(default=False)),
                ('require_sso', fields.BooleanField(default=False)),
                ('default_role_slug', fields.CharField(default='member', max_length=64)),
            ],
            options={'table': 'organizations', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_key_id, unique=True, db_index=True, max_length=40)),
                ('name', fields.CharField(max_length=100)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret_hash', fields.CharField(unique=True, max_length=64)),
                ('display_prefix', fields.CharField(max_length=16)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_keys', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Connection',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_conn_id, unique=True, db_index=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='connections', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('type', fields.CharEnumField(description='SAML: SAML\nOIDC: OIDC', enum_type=ConnectionType, max_length=8)),
                ('state', fields.CharEnumField(default=ConnectionState.DRAFT, description='DRAFT: DRAFT\nVALIDATING: VALIDATING\nACTIVE: ACTIVE\nINACTIVE: INACTIVE', enum_type=ConnectionState, max_length=16)),
                ('saml_idp_entity_id', fields.CharField(null=True, max_length=1024)),
                ('saml_idp_sso_url', fields.CharField(null=True, max_length=2048)),
                ('saml_idp_certificates', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('saml_name_id_format', fields.CharField(null=True, max_length=256)),
                ('saml_attribute_mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('saml_metadata_url', fields.CharField(null=True, max_length=2048)),
                ('saml_allow_idp_initiated', fields.BooleanField(default=False)),
                ('saml_allow_sha1', fields.BooleanField(default=False)),
                ('oidc_issuer', fields.CharField(null=True, max_length=2048)),
                ('oidc_client_id', fields.CharField(null=True, max_length=512)),
                ('oidc_client_secret_encrypted', fields.TextField(null=True, unique=False)),
                ('oidc_scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('oidc_discovery', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'connections', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Domain',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_dom_id, unique=True, db_index=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='domains', on_delete=OnDelete.CASCADE)),
                ('domain', fields.CharField(db_index=True, max_length=253)),
                ('verified_domain', fields.CharField(null=True, unique=True, max_length=253)),
                ('state', fields.CharEnumField(default=DomainState.PENDING, description='PENDING: PENDING\nVERIFIED: VERIFIED\nFAILED: FAILED', enum_type=DomainState, max_length=16)),
                ('strategy', fields.CharEnumField(default=DomainStrategy.DNS, description='DNS: DNS\nMANUAL: MANUAL', enum_type=DomainStrategy, max_length=16)),
                ('token', fields.CharField(max_length=64)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_check_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('failure_reason', fields.CharField(null=True, max_length=300)),
                ('attempts', fields.IntField(default=0)),
            ],
            options={'table': 'domains', 'app': 'models', 'unique_together': (('organization', 'domain'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Role',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_role_id, unique=True, db_index=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
                ('slug', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=100)),
                ('permissions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('system', fields.BooleanField(default=False)),
            ],
            options={'table': 'roles', 'app': 'models', 'unique_together': (('organization', 'slug'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_user_id, unique=True, db_index=True, max_length=40)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('email_verified', fields.BooleanField(default=False)),
                ('first_name', fields.CharField(null=True, max_length=100)),
                ('last_name', fields.CharField(null=True, max_length=100)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_om_id, unique=True, db_index=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.ForeignKeyField('models.Role', source_field='role_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=MemberStatus.ACTIVE, description='ACTIVE: ACTIVE\nINACTIVE: INACTIVE\nPENDING: PENDING', enum_type=MemberStatus, max_length=16)),
                ('source', fields.CharEnumField(default=MemberSource.MANUAL, description='MANUAL: MANUAL\nINVITATION: INVITATION\nJIT: JIT\nDOMAIN: DOMAIN\nDIRECTORY: DIRECTORY', enum_type=MemberSource, max_length=16)),
            ],
            options={'table': 'members', 'app': 'models', 'unique_together': (('organization', 'user'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_sess_id, unique=True, db_index=True, max_length=40)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sessions', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
    ]
