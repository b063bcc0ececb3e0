"""The tests, one folder a layer of src/skillcast (docs/architecture.md) and serving/.

A package (each folder has an ``__init__.py``) so every test module has a unique dotted name
(``tests.serving.test_service``, never a bare ``serving`` that would shadow the real package)
and ``from tests.helpers import ...`` works from any folder.
"""
