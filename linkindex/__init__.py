"""linkindex: a backlink index of the web that anyone can run and query with SQL."""

__version__ = "0.1.0"
