"""Delete uploads never sent after MEDIA_UNSENT_HOURS (24 h): run it from cron, often."""

from django.core.management.base import BaseCommand

from attachments.services import attachments_purge_unsent


class Command(BaseCommand):
    help = "Delete uploads that were never attached to a message within MEDIA_UNSENT_HOURS."

    def handle(self, *args, **options):
        deleted = attachments_purge_unsent()
        self.stdout.write(f"Deleted {deleted} unsent upload(s).")
