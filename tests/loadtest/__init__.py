"""`make prod-local` and `make loadtest`: the production topology on one machine, and a mixed load on it."""
