"""My activity: one page, newest first, of everything a person has going on across the domains."""
