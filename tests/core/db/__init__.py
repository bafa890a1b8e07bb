"""Tests of switchboard.db (a package so that module names like test_models stay unique)."""
