"""What the HTTP service (``serving/service.py``) needs beyond BentoML: API keys and the
request guard (authentication, request ids, access log, metrics).
"""
