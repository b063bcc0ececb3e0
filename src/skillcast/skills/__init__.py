"""The skills analysis: demand by qualification, cohort supply, gaps with simulated
intervals, apprenticeship priorities and scenarios.

Imports ``skillcast.engine`` and ``skillcast.data``.
"""
