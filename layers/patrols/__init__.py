"""Incident hot spots (statistics, queries, service) and patrol plans."""
