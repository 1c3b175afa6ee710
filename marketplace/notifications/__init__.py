"""One outbox for every message the product sends, and the channels that deliver it."""
