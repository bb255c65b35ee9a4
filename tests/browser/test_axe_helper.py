"""The axe helper finds real problems, with JavaScript on and off, so a pass means something."""

import pytest

from tests.browser.axe import assert_no_axe_violations, axe_results

# Served by Playwright's request routing: no server, no network.
URL = "http://axe-self-test.invalid/page/"
PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>axe self-test</title></head>
<body><main>
  <h1>Self-test</h1>
  <p style="color: #aaaaaa; background: #ffffff">Text too pale to read</p>
  <noscript><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></noscript>
  <script>document.querySelector("main").insertAdjacentHTML("beforeend", "<button></button>");</script>
</main></body></html>"""


def _open(page):
    page.route(URL, lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE))
    page.goto(URL)


def _rule_ids(page):
    return {violation["id"] for violation in axe_results(page)["violations"]}


def test_with_javascript_axe_sees_what_scripts_added(page):
    _open(page)
    found = _rule_ids(page)
    assert "color-contrast" in found
    assert "button-name" in found  # the empty button a script inserted
    assert "image-alt" not in found  # <noscript> content is not shown with JavaScript on


def test_without_javascript_axe_sees_the_no_js_page(page_nojs):
    _open(page_nojs)
    found = _rule_ids(page_nojs)
    assert "color-contrast" in found
    assert "image-alt" in found  # the image inside <noscript>, shown when JavaScript is off
    assert "button-name" not in found  # the script never ran


def test_failure_message_names_the_rule_and_the_element(page):
    _open(page)
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_no_axe_violations(page)
    message = str(failure.value)
    assert "color-contrast [serious]" in message
    assert "Text too pale to read" in message
    assert URL in message


def test_rules_can_be_skipped_and_context_narrowed(page):
    _open(page)
    assert_no_axe_violations(page, context="h1")
    assert_no_axe_violations(page, rules_to_skip=["color-contrast", "button-name"])
