"""What people read: the area report (content, charts, HTML/PDF) and the xlsx workbook.

Builds on the analysis and the bundle; knows nothing of MLflow or the API.
"""
