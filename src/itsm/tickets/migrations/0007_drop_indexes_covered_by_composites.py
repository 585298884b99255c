# Foreign keys whose column leads a composite index lose their own index (one less index to
# maintain on every write); the constraints stay as they are.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from itsm.core.schema import DropForeignKeyIndex


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('tickets', '0006_open_group_queue_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        DropForeignKeyIndex(
            model_name='journalentry',
            name='ticket',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='journal', to='tickets.ticket'),
        ),
        DropForeignKeyIndex(
            model_name='ticket',
            name='assignee',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_tickets', to=settings.AUTH_USER_MODEL, verbose_name='assignee'),
        ),
        DropForeignKeyIndex(
            model_name='ticket',
            name='assignment_group',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='tickets', to='accounts.group', verbose_name='assignment group'),
        ),
        DropForeignKeyIndex(
            model_name='ticket',
            name='organization',
            field=models.ForeignKey(blank=True, db_index=False, help_text="The requester's organisation when the ticket was opened.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='accounts.organization', verbose_name='organisation'),
        ),
        DropForeignKeyIndex(
            model_name='ticket',
            name='requester',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requested_tickets', to=settings.AUTH_USER_MODEL, verbose_name='requester'),
        ),
    ]
