"""Pages for everyone, signed in or not: the home page."""
