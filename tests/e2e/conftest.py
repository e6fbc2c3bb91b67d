import os

# Playwright's sync API runs an event loop in the test thread (from the session-scoped fixture
# on), while Django's ORM is still used synchronously by fixtures and the live server.
# Subprocesses started by tests drop this variable again (tests/conftest.py: child_env).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
