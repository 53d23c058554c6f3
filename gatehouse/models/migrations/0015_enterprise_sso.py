from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_product_roles')]

    initial = False

    # Only added columns (nullable or with database defaults): SQLite rebuilds tables on any
    # other change. Connections created before this get their SP key on first use.
    operations = [
        ops.AddField(
            model_name='Connection',
            name='saml_sp_keys',
            field=fields.JSONField(default=list, null=True),
        ),
        ops.AddField(
            model_name='Connection',
            name='saml_sign_authn_requests',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Connection',
            name='saml_certificate_notices',
            field=fields.JSONField(default=dict, null=True),
        ),
        ops.AddField(
            model_name='Directory',
            name='previous_token_hash',
            field=fields.CharField(max_length=64, null=True, db_index=True),
        ),
        ops.AddField(
            model_name='Directory',
            name='previous_token_prefix',
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name='Directory',
            name='previous_token_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
