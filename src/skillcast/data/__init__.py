"""The data layer: the long-format contract, qualifications, geography, the readers of
published sources, the processed store and the synthetic demo panel.

It imports nothing else of skillcast; every other layer builds on it.
"""
