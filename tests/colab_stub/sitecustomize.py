# Colab kernels start with google.colab imported; mimic that for any interpreter with this folder on PYTHONPATH.
import os

import google.colab  # noqa: F401

os.environ.setdefault("COLAB_RELEASE_TAG", "course-stub")
