"""The ``chainatlas`` command line. Each command lives in its own module with ``register(app)``."""
