"""DuckDB SQL, one file per table of the link index (shipped as package data)."""
