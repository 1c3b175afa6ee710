"""The public, read-only open-data API under /api/v1, its OpenAPI description and its human page."""
