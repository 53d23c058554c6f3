from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.ids import new_cgrm_id, new_envrole_id, new_perm_id
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_one_person_one_record')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConnectionGroupRoleMapping',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_cgrm_id, unique=True, db_index=True, max_length=40)),
                ('connection', fields.ForeignKeyField('models.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='group_role_mappings', on_delete=OnDelete.CASCADE)),
                ('group', fields.CharField(max_length=256)),
                ('role', fields.ForeignKeyField('models.Role', source_field='role_id', db_constraint=True, to_field='id', related_name='connection_group_mappings', on_delete=OnDelete.CASCADE)),
                ('priority', fields.IntField(default=0)),
            ],
            options={'table': 'connection_group_role_mappings', 'app': 'models', 'unique_together': (('connection', 'group'),), 'pk_attr': 'id', 'table_description': 'An IdP group (as the SAML attribute or OIDC claim names it) → a role, evaluated at every'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='EnvironmentRole',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_envrole_id, unique=True, db_index=True, max_length=40)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=100)),
                ('permissions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_default', fields.BooleanField(default=False)),
            ],
            options={'table': 'environment_roles', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A role every organization has. Each organization holds a copy (`Role` with'},
            bases=['TimestampedModel'],
        ),
        ops.CreateModel(
            name='ProductPermission',
            fields=[
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('id', fields.CharField(primary_key=True, default=new_perm_id, unique=True, db_index=True, max_length=40)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'product_permissions', 'app': 'models', 'pk_attr': 'id', 'table_description': "A permission of the operator's own product (`videos:create`), which roles may hold"},
            bases=['TimestampedModel'],
        ),
        ops.AddField(
            model_name='Connection',
            name='groups_claim',
            field=fields.CharField(null=True, max_length=256),
        ),
        ops.AddField(
            model_name='Organization',
            name='default_role_inherited',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Role',
            name='environment_role',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Role',
            name='overridden',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # `admin` and `member` become environment roles (seeded on first use); an organization
        # that chose another default role keeps it.
        ops.RunSQL(
            [
                "UPDATE roles SET environment_role = TRUE WHERE system",
                "UPDATE organizations SET default_role_inherited = FALSE"
                " WHERE default_role_slug <> 'member'",
            ]
        ),
    ]
