# Foreign keys whose column leads a composite index lose their own index (one less index to
# maintain on every write); the constraints stay as they are.

import django.db.models.deletion
from django.db import migrations, models

from itsm.core.schema import DropForeignKeyIndex


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_outbox_attachments'),
        ('tickets', '0006_open_group_queue_index'),
    ]

    operations = [
        DropForeignKeyIndex(
            model_name='outboxmessage',
            name='ticket',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outbox_messages', to='tickets.ticket', verbose_name='ticket'),
        ),
    ]
