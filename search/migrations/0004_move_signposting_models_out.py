"""The signposting models moved to the signposting app: forget them here, keep their tables.

State only: the tables (search_shortlist and the rest) stay as they are and now belong to
signposting's models (`db_table`). signposting/0001 adds the models to its own state first.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0003_signposting"),
        ("signposting", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='enquiry',
                    name='listing',
                ),
                migrations.RemoveField(
                    model_name='enquiry',
                    name='shortlist',
                ),
                migrations.RemoveField(
                    model_name='professionalverification',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='professionalverification',
                    name='verified_by',
                ),
                migrations.RemoveField(
                    model_name='savedsearch',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='shortlist',
                    name='owner',
                ),
                migrations.RemoveField(
                    model_name='shortlistmember',
                    name='shortlist',
                ),
                migrations.RemoveField(
                    model_name='shortlistcomment',
                    name='shortlist',
                ),
                migrations.RemoveField(
                    model_name='shortlistitem',
                    name='shortlist',
                ),
                migrations.RemoveField(
                    model_name='shortlistcomment',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='shortlistitem',
                    name='listing',
                ),
                migrations.RemoveField(
                    model_name='shortlistmember',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='AlertSent',
                ),
                migrations.DeleteModel(
                    name='Enquiry',
                ),
                migrations.DeleteModel(
                    name='ProfessionalVerification',
                ),
                migrations.DeleteModel(
                    name='SavedSearch',
                ),
                migrations.DeleteModel(
                    name='Shortlist',
                ),
                migrations.DeleteModel(
                    name='ShortlistComment',
                ),
                migrations.DeleteModel(
                    name='ShortlistItem',
                ),
                migrations.DeleteModel(
                    name='ShortlistMember',
                ),
            ],
            database_operations=[],
        ),
    ]
