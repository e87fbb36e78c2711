"""Test-session defaults for the whole repository.

Tests and sandboxes live on loopback and on made-up hosts (``http://trendyol.sandbox``), which
production mode refuses as connection destinations (see kervan.security.destinations): the
suite runs in development mode unless a test (or the caller's environment) says otherwise.
Tests of the production rules build their own ``DestinationPolicy(mode="production")``.
"""

import os

os.environ.setdefault("KERVAN_MODE", "development")
