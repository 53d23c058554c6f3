from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_portal')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='LogStream',
            name='token',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AlterField(
            model_name='WebhookEndpoint',
            name='previous_secret',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AlterField(
            model_name='WebhookEndpoint',
            name='secret',
            field=fields.TextField(unique=False),
        ),
    ]
