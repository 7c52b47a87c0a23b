"""Metrics, figures and reports of trained experiments."""
