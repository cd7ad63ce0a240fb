"""Signals of the linkindex crawler, beside Scrapy's own (``scrapy.signals``)."""

#: Sent by the spider when it is done with a request that leaves no records
#: (refused by robots.txt or a middleware, or with an unparseable URL).
#: Args: request.
request_finished = object()

#: Sent by the Parquet pipeline after a flush: every record handed to it so
#: far is on disk. Args: leases (the lease ids of the items written).
records_flushed = object()

#: Sent to ask the Parquet pipeline to write what it buffers now. No args.
flush_requested = object()
