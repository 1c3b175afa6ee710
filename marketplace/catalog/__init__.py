"""Produce for sale: categories, units, listings, photos, search. The blueprint is in views.py."""
