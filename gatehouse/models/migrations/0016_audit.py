from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gatehouse.models.audit import AuditExportKind, AuditSource
from gatehouse.models.ids import new_aact_id, new_aexp_id, new_audit_id
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0015_enterprise_sso')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditAction',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_aact_id, unique=True, db_index=True, max_length=40)),
                ('action', fields.CharField(unique=True, max_length=100)),
                ('target_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('metadata_schema', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'audit_actions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An action reported by the operator product (`registerAuditAction`), deployment-wide as'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_audit_id, unique=True, db_index=True, max_length=40)),
                ('organization_id', fields.CharField(max_length=40)),
                ('action', fields.CharField(max_length=100)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('source', fields.CharEnumField(description='GATEHOUSE: GATEHOUSE\nOPERATOR: OPERATOR', enum_type=AuditSource, max_length=10)),
                ('actor', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor_id', fields.CharField(null=True, max_length=200)),
                ('targets', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('context', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('metadata', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('event_id', fields.CharField(null=True, max_length=40)),
                ('idempotency_key', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'audit_entries', 'app': 'models', 'unique_together': (('organization_id', 'idempotency_key'),), 'indexes': [Index(fields=['organization_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'Append-only: rows are inserted, and changed only by erasure (personal data scrubbed,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditExport',
            fields=[
                ('id', fields.CharField(primary_key=True, default=new_aexp_id, unique=True, db_index=True, max_length=40)),
                ('organization_id', fields.CharField(db_index=True, max_length=40)),
                ('kind', fields.CharEnumField(description='AUDIT_LOG: AUDIT_LOG\nACCESS_REVIEW: ACCESS_REVIEW', enum_type=AuditExportKind, max_length=16)),
                ('filters', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('entry_count', fields.IntField(default=0)),
                ('csv', fields.TextField(unique=False)),
                ('jsonl', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_exports', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A finished export: the files are kept as written (a snapshot), served through signed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditSettings',
            fields=[
                ('organization_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('retention_days', fields.IntField(default=365)),
            ],
            options={'table': 'audit_settings', 'app': 'models', 'pk_attr': 'organization_id', 'table_description': 'Per organization: one without a row keeps entries DEFAULT_RETENTION_DAYS.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MembershipPeriod',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_id', fields.CharField(max_length=40)),
                ('member_id', fields.CharField(max_length=40)),
                ('user_id', fields.CharField(max_length=40)),
                ('role_id', fields.CharField(null=True, max_length=40)),
                ('role_slug', fields.CharField(null=True, max_length=100)),
                ('status', fields.CharField(max_length=16)),
                ('source', fields.CharField(max_length=16)),
                ('valid_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_to', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'membership_periods', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'valid_from', 'valid_to']), Index(fields=['member_id', 'valid_from'])], 'pk_attr': 'id', 'table_description': 'One state of one membership over [valid_from, valid_to): valid_to null while current.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Event',
            name='actor',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Event',
            name='context',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        # Memberships that exist before the audit trail: their history starts at their creation
        # (their state since then is not known, only their state now).
        ops.RunSQL([
            "INSERT INTO membership_periods "
            "(organization_id, member_id, user_id, role_id, role_slug, status, source, valid_from) "
            "SELECT m.organization_id, m.id, m.user_id, m.role_id, r.slug, m.status, m.source, "
            "m.created_at FROM members m JOIN roles r ON r.id = m.role_id"
        ]),
    ]
