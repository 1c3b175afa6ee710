"""Carts, checkout and orders. For now: the cart. The blueprint is in views.py."""
