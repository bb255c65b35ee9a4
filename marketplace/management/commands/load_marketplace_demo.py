"""`manage.py load_marketplace_demo`: the demo holder's budget, plan, spending, helper and a
group activity (after `load_demo`; see marketplace/demo.py). Running it again changes nothing."""

from django.core.management.base import BaseCommand

from marketplace.demo import load_marketplace_demo


class Command(BaseCommand):
    help = "Give the demo holder a budget, plan, spending and a helper; offer a demo group activity."

    def handle(self, *args, **options):
        made = load_marketplace_demo()
        if not made.get("budgets"):
            self.stdout.write(
                "The marketplace demo is already loaded (or load_demo has not run): nothing changed."
            )
            return
        summary = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in made.items())
        self.stdout.write(self.style.SUCCESS(f"Marketplace demo loaded: {summary}."))
