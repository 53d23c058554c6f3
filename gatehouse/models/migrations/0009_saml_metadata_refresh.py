from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_encrypt_delivery_secrets')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Connection',
            name='saml_metadata_refreshed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
