"""Linli (邻里): grid-based community governance and service."""
