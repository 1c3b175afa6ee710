"""Government e-services. For now: departments, which officials belong to."""
