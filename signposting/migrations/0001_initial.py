"""The signposting models, moved here from search with their tables and data.

The tables were made by search/0003 and keep their names (`db_table`), so this migration
changes no table: it adds the models to this app's state, then points their content types at
this app, so the permissions and admin history that refer to them follow the models.
search/0004 (which depends on this one) then drops them from search's state.
"""

import django.db.models.deletion
import django.utils.timezone
import signposting.models
import uuid
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = [
    "alertsent",
    "enquiry",
    "professionalverification",
    "savedsearch",
    "shortlist",
    "shortlistcomment",
    "shortlistitem",
    "shortlistmember",
]


def _move_content_types(apps, schema_editor, *, from_label, to_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        old = content_types.filter(app_label=from_label, model=model).first()
        if old is None:
            continue  # a new database: post_migrate makes the content types afterwards
        # A bare one already made under the new label would clash (app_label, model is
        # unique); the old one carries the permissions and history, so it wins.
        content_types.filter(app_label=to_label, model=model).delete()
        old.app_label = to_label
        old.save(update_fields=["app_label"])


def content_types_to_signposting(apps, schema_editor):
    """search.<model> content types become signposting.<model>."""
    _move_content_types(apps, schema_editor, from_label="search", to_label="signposting")


def content_types_back_to_search(apps, schema_editor):
    """Undo: signposting.<model> content types become search.<model> again."""
    _move_content_types(apps, schema_editor, from_label="signposting", to_label="search")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables already exist: search/0003 made them.
        ("search", "0003_signposting"),
        ("directory", "0003_provider_area"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ProfessionalVerification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('organisation', models.CharField(blank=True, max_length=120)),
                        ('job_title', models.CharField(blank=True, max_length=120)),
                        ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('verified_at', models.DateTimeField(blank=True, null=True)),
                        ('method', models.CharField(blank=True, choices=[('coordinator', 'Checked by a coordinator'), ('email-domain', 'Work email address')], max_length=20)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='professional_verification', to=settings.AUTH_USER_MODEL)),
                        ('verified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'search_professionalverification',
                        'ordering': ['verified_at', '-requested_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SavedSearch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('querystring', models.CharField(max_length=1000)),
                        ('description', models.CharField(max_length=300)),
                        ('frequency', models.CharField(choices=[('immediate', 'As soon as there is a new match'), ('weekly', 'Once a week')], default='weekly', max_length=10)),
                        ('unsubscribe_token', models.CharField(default=signposting.models.new_token, editable=False, max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_sent_at', models.DateTimeField(blank=True, null=True)),
                        ('unsubscribed_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='saved_searches', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'saved searches',
                        'db_table': 'search_savedsearch',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Shortlist',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('title', models.CharField(help_text='For example "Options for Mrs P: getting out".', max_length=120)),
                        ('person_label', models.CharField(blank=True, help_text='Initials or a first name only: anyone with the link can see this.', max_length=60, verbose_name='who it is for')),
                        ('token', models.CharField(default=signposting.models.new_token, editable=False, max_length=64, unique=True)),
                        ('comments_open', models.BooleanField(default=False, help_text='Anyone with the link (the person, their family) can add comments.')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('opened_count', models.PositiveIntegerField(default=0, editable=False)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shortlists', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'search_shortlist',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Enquiry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('name', models.CharField(max_length=100)),
                        ('reply_to', models.CharField(help_text='An email address or phone number.', max_length=200, verbose_name='how to reply')),
                        ('message', models.TextField(max_length=2000)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('notified_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('responded_at', models.DateTimeField(blank=True, null=True)),
                        ('listing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='enquiries', to='directory.listingpage')),
                        ('shortlist', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='enquiries', to='signposting.shortlist')),
                    ],
                    options={
                        'verbose_name_plural': 'enquiries',
                        'db_table': 'search_enquiry',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ShortlistComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('author_name', models.CharField(max_length=60)),
                        ('text', models.TextField(max_length=1000)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('shortlist', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='signposting.shortlist')),
                    ],
                    options={
                        'db_table': 'search_shortlistcomment',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='AlertSent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('listing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.listingpage')),
                        ('saved_search', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts_sent', to='signposting.savedsearch')),
                    ],
                    options={
                        'db_table': 'search_alertsent',
                        'ordering': ['-sent_at'],
                        'constraints': [models.UniqueConstraint(fields=('saved_search', 'listing'), name='one_alert_per_search_and_listing')],
                    },
                ),
                migrations.CreateModel(
                    name='ShortlistItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('note', models.TextField(blank=True, max_length=500)),
                        ('note_shared', models.BooleanField(default=False, help_text='Show the note to the person. Otherwise only you see it.')),
                        ('added_at', models.DateTimeField(auto_now_add=True)),
                        ('listing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.listingpage')),
                        ('shortlist', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='signposting.shortlist')),
                    ],
                    options={
                        'db_table': 'search_shortlistitem',
                        'ordering': ['added_at', 'pk'],
                        'constraints': [models.UniqueConstraint(fields=('shortlist', 'listing'), name='listing_once_per_shortlist')],
                    },
                ),
                migrations.CreateModel(
                    name='ShortlistMember',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('joined_at', models.DateTimeField(auto_now_add=True)),
                        ('shortlist', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='members', to='signposting.shortlist')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='saved_shortlists', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'search_shortlistmember',
                        'ordering': ['-joined_at'],
                        'constraints': [models.UniqueConstraint(fields=('shortlist', 'user'), name='member_once_per_shortlist')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_signposting, content_types_back_to_search),
    ]
