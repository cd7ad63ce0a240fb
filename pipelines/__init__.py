"""Writers that turn link records into files: Parquet parts and WARC archives."""
