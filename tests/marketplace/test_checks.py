"""The system checks that catch a half-configured Stripe."""

from marketplace.checks import check_stripe_settings


def test_keys_without_a_webhook_secret_are_flagged(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert [w.id for w in check_stripe_settings()] == ["marketplace.W001"]


def test_a_complete_configuration_passes(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert check_stripe_settings() == []


def test_no_stripe_at_all_passes(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert check_stripe_settings() == []
