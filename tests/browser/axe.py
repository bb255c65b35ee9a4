"""Accessibility checks with axe-core, for every browser test to reuse.

    from tests.browser.axe import assert_no_axe_violations

    page.goto(url)
    assert_no_axe_violations(page)

axe-core comes from npm (node_modules/axe-core, installed by `npm ci`). It runs the WCAG 2.0,
2.1 and 2.2 level A and AA rules (not "best-practice") in the real page, with the site's real
styles, so colour contrast, target size and the like are judged on what people see.

Pages with JavaScript turned off
--------------------------------
axe needs JavaScript: it waits on timers between rules, and in a context with JavaScript off
timers never fire, so `axe.run` would hang. (Playwright can still read the DOM there, because
its own evaluation bypasses the page's script setting; that is all we use it for.)

So for a no-JS page we check a faithful copy instead:

1. take the DOM the no-JS browser built (its current state, after any clicks the test made);
2. drop every `<script>` element and unwrap every `<noscript>` element, so the copy renders
   as it does without JavaScript (page scripts cannot run and change it; `<noscript>` content
   is shown, as a no-JS browser shows it);
3. serve that HTML at the same URL to a fresh JavaScript-enabled context (Playwright's
   request routing; stylesheets and images still come from the live server, so styles are
   real) and run axe there.

What this does not cover: form values typed into the no-JS page (properties, not attributes,
so not copied) and anything a no-JS browser does differently outside the DOM. The no-JS
*behaviour* (links work, forms submit) is for the tests themselves to check.
"""

from pathlib import Path

import pytest

from tests.needs import missing

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# How many failing elements to quote per rule in a failure message.
NODES_SHOWN = 3
HTML_SHOWN = 300

# True unless the document was parsed with scripting disabled: the fragment parser treats
# <noscript> content as markup only when scripting is off.
_SCRIPTING_ENABLED = """() => {
  const probe = document.createElement("div");
  probe.innerHTML = "<noscript><i></i></noscript>";
  return probe.querySelector("i") === null;
}"""

_NOJS_SNAPSHOT = """() => {
  const root = document.documentElement.cloneNode(true);
  for (const script of root.querySelectorAll("script")) script.remove();
  for (const noscript of root.querySelectorAll("noscript")) noscript.replaceWith(...noscript.childNodes);
  const doctype = document.doctype ? `<!DOCTYPE ${document.doctype.name}>` : "";
  return doctype + root.outerHTML;
}"""

_RUN_AXE = """async ([context, options]) => {
  const results = await window.axe.run(context == null ? document : context, options);
  return {
    version: results.testEngine.version,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    })),
  };
}"""


def _axe_source() -> str:
    if not AXE_JS.exists():
        missing("axe-core not installed: run npm ci")
    return AXE_JS.read_text(encoding="utf-8")


def _run_axe(page, context, rules_to_skip) -> dict:
    """Inject axe (unless already there) and run it in a JavaScript-enabled page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol rather than a <script> tag, so a strict
        # Content-Security-Policy on the page cannot block the injection.
        page.evaluate(_axe_source())
    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in rules_to_skip},
    }
    return page.evaluate(_RUN_AXE, [context, options])


def _run_axe_on_nojs_copy(page, context, rules_to_skip) -> dict:
    """Check the no-JS page's DOM by replaying it in a JavaScript-enabled context (see above)."""
    html = page.evaluate(_NOJS_SNAPSHOT)
    url = page.url
    address = url.split("#", 1)[0]
    replay_context = page.context.browser.new_context(viewport=page.viewport_size, locale="en-GB")
    try:
        replay = replay_context.new_page()
        replay.route(
            lambda requested: requested.split("#", 1)[0] == address,
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
        )
        replay.goto(url)
        return _run_axe(replay, context, rules_to_skip)
    finally:
        replay_context.close()


def axe_results(page, *, context=None, rules_to_skip=()) -> dict:
    """Run axe on the page as it is now: {"version": "4.x", "violations": [...]}.

    `context` is anything `axe.run` takes as its context (a CSS selector, or
    {"include": [...], "exclude": [...]}); by default the whole document.
    `rules_to_skip` are axe rule ids to turn off; say why wherever you use it.
    """
    if page.evaluate(_SCRIPTING_ENABLED):
        return _run_axe(page, context, tuple(rules_to_skip))
    return _run_axe_on_nojs_copy(page, context, tuple(rules_to_skip))


def format_violations(violations, *, url="", version="") -> str:
    """A readable list of violations: rule, impact, help, and the first few elements."""
    count = len(violations)
    lines = [
        f"{count} accessibility rule{'s' if count != 1 else ''} failed "
        f"(axe-core {version}, WCAG 2.2 A and AA) on {url}:"
    ]
    for violation in violations:
        lines.append("")
        lines.append(f"{violation['id']} [{violation['impact']}]: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        nodes = violation["nodes"]
        for node in nodes[:NODES_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            html = node["html"] if len(node["html"]) <= HTML_SHOWN else node["html"][:HTML_SHOWN] + "…"
            lines.append(f"  - {target}")
            lines.append(f"    {html}")
            if node.get("summary"):
                lines.extend(f"    {line}" for line in node["summary"].splitlines())
        if len(nodes) > NODES_SHOWN:
            lines.append(f"  … and {len(nodes) - NODES_SHOWN} more element(s)")
    return "\n".join(lines)


def assert_no_axe_violations(page, *, context=None, rules_to_skip=()):
    """Fail the test, listing each problem, if axe finds any WCAG 2.2 A/AA violation.

    Works with JavaScript on or off (off: axe checks a replayed copy of the no-JS DOM; see
    this module's docstring). Skips the test if axe-core is not installed.
    """
    results = axe_results(page, context=context, rules_to_skip=rules_to_skip)
    if results["violations"]:
        pytest.fail(
            format_violations(results["violations"], url=page.url, version=results["version"]),
            pytrace=False,
        )
