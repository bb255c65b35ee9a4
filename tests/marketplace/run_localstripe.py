"""Start localstripe (a fake but stateful Stripe server, from PyPI) for the test suite.

    python tests/marketplace/run_localstripe.py PORT

Unlike `python -m localstripe`, it listens on 127.0.0.1 only (not every address) and keeps
its objects in memory, without localstripe's shared /tmp/localstripe.pickle, so parallel
runs and earlier runs cannot leak into a test.
"""

import sys


def main() -> None:
    """Serve localstripe's app on 127.0.0.1:PORT until stopped."""
    port = int(sys.argv[1])
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store

    store.dump_to_disk = lambda: None  # see the module docstring
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
