"""Building blocks for marketplace tests: budgets, plans, ready providers, requests and orders,
made through the real services so every row is one the site itself would write."""

from datetime import timedelta

from django.utils import timezone

from cms.models import Role
from directory.models import Outcome
from marketplace import services
from marketplace.models import Budget, PlanOutcome, ProviderPaymentAccount, SupportPlan
from tests import factories


def outcome(slug="get-out-and-about") -> Outcome:
    """A broad outcome (the seeded one, or a stand-in when a test emptied the tables)."""
    found = Outcome.objects.filter(slug=slug).first()
    if found:
        return found
    return Outcome.objects.create(
        slug=slug,
        label=slug.replace("-", " ").capitalize(),
        vocabulary=Outcome.Vocabulary.WELLBEING,
        statutory_wording=slug,
    )


def make_holder(**fields):
    """A person in the Budget holders group."""
    return factories.UserFactory(role=Role.BUDGET_HOLDER, **fields)


def make_budget(
    *,
    holder=None,
    amount_pence=50_000,
    contribution_pence=0,
    period=Budget.Period.FOUR_WEEKS,
    starts_on=None,
    contingency_weeks=0,
    own_words="Go swimming every week",
) -> Budget:
    """A budget whose current period has begun, with one plan outcome."""
    holder = holder or make_holder()
    budget = services.set_up_budget(
        holder=holder,
        amount_pence=amount_pence,
        period=period,
        first_period_starts_on=starts_on or timezone.localdate(),
        client_contribution_pence=contribution_pence,
        contingency_weeks=contingency_weeks,
    )
    services.open_periods(budget=budget)
    if own_words:
        add_plan_outcome(budget, own_words)
    return budget


def add_plan_outcome(budget, own_words="Go swimming every week", slug="get-out-and-about") -> PlanOutcome:
    """An outcome in the budget's support plan."""
    plan, _ = SupportPlan.objects.get_or_create(budget=budget)
    return PlanOutcome.objects.create(plan=plan, own_words=own_words, outcome=outcome(slug))


def make_provider_member(provider=None, **user_fields):
    """A person in a provider's team (and the provider, made if not given)."""
    provider = provider or factories.ProviderFactory()
    user = factories.UserFactory(role=Role.PROVIDER, **user_fields)
    provider.members.add(user)
    return provider, user


def make_ready_account(provider, account_id=None) -> ProviderPaymentAccount:
    """A connected account with charges and payouts enabled (as after onboarding)."""
    return ProviderPaymentAccount.objects.create(
        provider=provider,
        account_id=account_id or f"acct_ready{provider.pk:08d}",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )


def make_connected_account(provider, stripe_server) -> ProviderPaymentAccount:
    """A connected account made on the Stripe test server and onboarded there."""
    from marketplace.gateways import get_payment_gateway

    status = get_payment_gateway().create_account(provider=provider)
    stripe_server.enable_account(status.account_id, deliver=False)
    return make_ready_account(provider, account_id=status.account_id)


def make_listing(provider, *, price_pence=2000, title="Swimming buddy"):
    """A published listing for the provider."""
    factories.home_page()
    factories.directory_page()
    return factories.make_listing(title=title, provider=provider, price_pence=price_pence)


def make_request(*, budget, listing, quantity=3, days_ahead=7, plan_outcome=None, by=None):
    """A request for support sent by the holder (weekday price)."""
    start = timezone.localdate() + timedelta(days=days_ahead)
    return services.request_support(
        budget=budget,
        by=by or budget.holder,
        listing=listing,
        price=listing.prices.first(),
        quantity=quantity,
        starts_on=start,
        ends_on=start + timedelta(days=14),
        plan_outcome=plan_outcome or budget.plan.outcomes.first(),
    )


def make_order(*, budget, listing, provider_user, quantity=3, days_ahead=7):
    """A request the provider has accepted: an order awaiting payment (committed)."""
    support_request = make_request(budget=budget, listing=listing, quantity=quantity, days_ahead=days_ahead)
    return services.accept_request(support_request=support_request, by=provider_user)


class World:
    """A holder with a budget, a provider ready for payments with a listing, and their people."""

    def __init__(self, *, amount_pence=50_000, price_pence=2000, account_id=None, budget=None):
        self.budget = budget or make_budget(amount_pence=amount_pence)
        self.holder = self.budget.holder
        self.provider, self.provider_user = make_provider_member()
        self.account = make_ready_account(self.provider, account_id=account_id)
        self.listing = make_listing(self.provider, price_pence=price_pence)
        self.plan_outcome = self.budget.plan.outcomes.first()

    def order(self, quantity=3, **kwargs):
        """A new order awaiting payment."""
        return make_order(
            budget=self.budget,
            listing=self.listing,
            provider_user=self.provider_user,
            quantity=quantity,
            **kwargs,
        )


def connected_world(stripe_server, **kwargs) -> World:
    """A world whose provider's connected account exists on the Stripe test server, onboarded."""
    world = World(**kwargs)
    world.account.delete()
    world.account = make_connected_account(world.provider, stripe_server)
    return world


CHECKOUT_SUCCESS_URL = "http://testserver/orders/x/paid/"
CHECKOUT_CANCEL_URL = "http://testserver/orders/x/payment-cancelled/"


def start_checkout(world, order) -> str:
    """The holder starts paying for the order (a Checkout Session on the test server)."""
    return services.start_checkout(
        order=order, by=world.holder, success_url=CHECKOUT_SUCCESS_URL, cancel_url=CHECKOUT_CANCEL_URL
    )
