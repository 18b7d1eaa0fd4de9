"""A stand-in for Colab's ``google.colab`` module, for tests/test_colab_install.py.

In a Colab kernel ``google.colab`` is already imported when a notebook starts; ``sitecustomize.py`` next to this
package does the same for any Python started with this folder on PYTHONPATH. The course only tests for the module's
presence (``"google.colab" in sys.modules``), so nothing else is simulated.
"""
__version__ = "0.0.0-course-stub"
IS_STUB = True
