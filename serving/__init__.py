"""The BentoML prediction service (``serving.service``) and its static ``/ui`` page."""
