"""Spiders of the linkindex crawler."""
