from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.directory import DeprovisioningAction, DirectoryState, DirectoryType
from gatehouse.models.ids import new_dir_id, new_dirg_id, new_diru_id, new_grm_id
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_sso')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Directory',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_dir_id, unique=True, db_index=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='directories', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('type', fields.CharEnumField(default=DirectoryType.GENERIC_SCIM, description='GENERIC_SCIM: GENERIC_SCIM\nOKTA: OKTA\nENTRA: ENTRA\nONELOGIN: ONELOGIN\nJUMPCLOUD: JUMPCLOUD', enum_type=DirectoryType, max_length=16)),
                ('state', fields.CharEnumField(default=DirectoryState.LINKED, description='LINKED: LINKED\nUNLINKED: UNLINKED', enum_type=DirectoryState, max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('token_prefix', fields.CharField(max_length=16)),
                ('deprovisioning_action', fields.CharEnumField(default=DeprovisioningAction.DEACTIVATE, description='DEACTIVATE: DEACTIVATE\nDELETE: DELETE', enum_type=DeprovisioningAction, max_length=16)),
                ('last_activity_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'directories', 'app': 'models', 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='DirectoryGroup',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_dirg_id, unique=True, db_index=True, max_length=40)),
                ('directory', fields.ForeignKeyField('models.Directory', source_field='directory_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('display_name', fields.CharField(max_length=320)),
                ('display_name_lower', fields.CharField(max_length=320)),
                ('external_id', fields.CharField(null=True, db_index=True, max_length=320)),
                ('resource', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
            ],
            options={'table': 'directory_groups', 'app': 'models', 'unique_together': (('directory', 'display_name_lower'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='DirectoryUser',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_diru_id, unique=True, db_index=True, max_length=40)),
                ('directory', fields.ForeignKeyField('models.Directory', source_field='directory_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('user_name', fields.CharField(max_length=320)),
                ('user_name_lower', fields.CharField(max_length=320)),
                ('external_id', fields.CharField(null=True, db_index=True, max_length=320)),
                ('email', fields.CharField(null=True, db_index=True, max_length=320)),
                ('given_name', fields.CharField(null=True, max_length=200)),
                ('family_name', fields.CharField(null=True, max_length=200)),
                ('display_name', fields.CharField(null=True, max_length=320)),
                ('active', fields.BooleanField(default=True)),
                ('resource', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='directory_users', on_delete=OnDelete.SET_NULL)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='directory_users', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'directory_users', 'app': 'models', 'unique_together': (('directory', 'user_name_lower'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='DirectoryGroupMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.DirectoryGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('directory_user', fields.ForeignKeyField('models.DirectoryUser', source_field='directory_user_id', db_constraint=True, to_field='id', related_name='group_memberships', on_delete=OnDelete.CASCADE)),
                ('display', fields.CharField(null=True, max_length=320)),
            ],
            options={'table': 'directory_group_members', 'app': 'models', 'unique_together': (('group', 'directory_user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupRoleMapping',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_grm_id, unique=True, db_index=True, max_length=40)),
                ('directory', fields.ForeignKeyField('models.Directory', source_field='directory_id', db_constraint=True, to_field='id', related_name='role_mappings', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('models.DirectoryGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='role_mappings', on_delete=OnDelete.CASCADE)),
                ('role', fields.ForeignKeyField('models.Role', source_field='role_id', db_constraint=True, to_field='id', related_name='group_mappings', on_delete=OnDelete.CASCADE)),
                ('priority', fields.IntField(default=0)),
            ],
            options={'table': 'group_role_mappings', 'app': 'models', 'unique_together': (('directory', 'group'),), 'pk_attr': 'id'},
            bases=['TimestampedModel'],
        ),
    ]
