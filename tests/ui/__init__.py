"""Browser tests of the admin UI (see conftest.py)."""
