"""Open data: the produce price index and service performance, computed by SQL into their own tables."""
