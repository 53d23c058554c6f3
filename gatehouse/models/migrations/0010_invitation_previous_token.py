from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_saml_metadata_refresh')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invitation',
            name='previous_token_hash',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
