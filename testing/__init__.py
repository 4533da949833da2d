"""Test doubles (the scripted model and its policy): loaded by tests, and by the model factory
only for a ``scripted`` spec; the product never imports this package otherwise."""
