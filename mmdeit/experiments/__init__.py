"""Running experiments: jobs and their reuse, statistics over seeds, result
tables and figures. The demos in tools/ are thin scripts over this package."""
