from django.db import migrations, models
from django.db.models.functions import Now


def mark_existing_accounts_verified(apps, schema_editor):
    # Accounts made before verification existed count as verified: they signed up and
    # have been receiving their invitations, resets and receipts at this address, and
    # refusing them invitations and checkout now would lock paying customers out of
    # what they already do. Only accounts created from here on are asked for the link.
    User = apps.get_model("accounts", "User")
    User.objects.filter(email_verified_at__isnull=True).update(email_verified_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_password_reset_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="tokenfamily",
            name="ip_address",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="tokenfamily",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="tokenfamily",
            name="user_agent",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_accounts_verified, migrations.RunPython.noop),
    ]
