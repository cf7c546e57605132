"""The visits service: sales staff visiting customers (S5, issue 14)."""
