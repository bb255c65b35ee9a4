"""A helper invitation can be accepted only by a signed-in account whose email address is
verified and equals the invited address, case aside (issue 14)."""

import pytest
from allauth.account.models import EmailAddress

from marketplace.models import Delegate
from marketplace.services import delegation
from marketplace.services.delegation import hash_token
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


def _invite(budget, email):
    delegate = delegation.invite_delegate(budget=budget, by=budget.holder, name="Alex", email=email)
    token = f"known-{delegate.public_id}"
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token(token))
    return delegate, token


def test_an_account_whose_address_is_not_verified_cannot_accept(client):
    budget = mf.make_budget()
    user = factories.UserFactory(email="alex@example.org")
    EmailAddress.objects.filter(user=user).update(verified=False)
    delegate, token = _invite(budget, "alex@example.org")

    with pytest.raises(delegation.WrongAccount, match="confirm your email address"):
        delegation.accept_invitation(token=token, user=user)

    # Through the page: the reason, and the invitation still waiting.
    client.force_login(user)
    response = client.post(delegation.accept_path(token))
    assert response.status_code == 400  # the page's answer to a problem, with the reason
    assert "confirm your email address" in response.content.decode()
    delegate.refresh_from_db()
    assert delegate.status == Delegate.Status.INVITED
    assert delegate.user is None


def test_a_verified_address_that_is_not_the_invited_one_cannot_accept():
    budget = mf.make_budget()
    user = factories.UserFactory(email="someone.else@example.org")
    _, token = _invite(budget, "alex@example.org")

    with pytest.raises(delegation.WrongAccount, match=r"was sent to alex@example\.org"):
        delegation.accept_invitation(token=token, user=user)


def test_the_verified_invited_address_accepts_whatever_its_case():
    budget = mf.make_budget()
    user = factories.UserFactory(email="Alex@Example.org")
    _, token = _invite(budget, "alex@example.ORG")

    delegate = delegation.accept_invitation(token=token, user=user)

    assert (delegate.status, delegate.user) == (Delegate.Status.ACTIVE, user)
