from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from gatehouse.models.domain import DomainEnrollment
from tortoise import fields

class DropColumn(ops.RemoveField):
    """Drops the column in place. Tortoise removes a column on SQLite by rebuilding the table,
    and the rebuild's DROP TABLE cascades into every table whose foreign key points at it: on
    organizations, that deletes every member, role and domain. SQLite 3.35+ drops columns."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        table = old_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
        await state_editor._run_sql(f'ALTER TABLE "{table}" DROP COLUMN "{self.name}"')


class Migration(migrations.Migration):
    dependencies = [('models', '0011_sessions_and_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Connection',
            name='jit_provisioning',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Domain',
            name='enrollment',
            field=fields.CharEnumField(default=DomainEnrollment.NONE, description='NONE: NONE\nAUTOMATIC: AUTOMATIC\nREQUEST: REQUEST', db_default=DomainEnrollment.NONE, enum_type=DomainEnrollment, max_length=16),
        ),
        ops.AddField(
            model_name='Member',
            name='may_bypass_sso',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='email_code_allowed',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Organization',
            name='sso_allowed',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        # requireSso becomes "SSO only"; everyone else keeps both ways in.
        ops.RunSQL(
            [
                "UPDATE organizations SET email_code_allowed = FALSE WHERE require_sso",
                # joinByVerifiedDomain admitted the organization's verified domains: AUTOMATIC.
                """UPDATE domains SET enrollment = 'AUTOMATIC' WHERE state = 'VERIFIED'
                   AND organization_id IN
                       (SELECT id FROM organizations WHERE join_by_verified_domain)""",
            ]
        ),
        DropColumn(model_name='Organization', name='join_by_verified_domain'),
        DropColumn(model_name='Organization', name='require_sso'),
    ]
