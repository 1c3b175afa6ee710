"""People, roles and regions. The blueprint is in views.py."""
