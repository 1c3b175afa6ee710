"""Residents' voice: local problems and suggestions, routed to the department responsible, followed in public."""
