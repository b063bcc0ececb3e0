"""What people read: the area report (content, charts, HTML/PDF) and the xlsx workbook.

Builds on the analysis (skills) and a bundle's frames and metadata; knows nothing of MLflow or the API.
"""
