"""Fetching and reading web pages into link records: spiders, settings, link extraction."""
