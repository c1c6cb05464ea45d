"""Shared test configuration: ``pytester`` for testing the pytest plugin as its users meet it."""

pytest_plugins = ["pytester"]
