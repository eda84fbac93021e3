"""Facilities, the walk network, service circles, walking times, coverage and siting."""
