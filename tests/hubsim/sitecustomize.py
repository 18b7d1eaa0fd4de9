"""Test-only: with ``COURSE_HUBSIM_DIR`` set and this folder on ``PYTHONPATH``, every Python process (pytest and
the notebook kernels it starts) answers ``datasets.load_dataset(hub_id, ...)`` from hub-shaped local files.
See ``course_hubsim.py`` beside this file. Learners never have this folder on their path."""
import os

if os.environ.get("COURSE_HUBSIM_DIR"):
    from course_hubsim import install

    install(os.environ["COURSE_HUBSIM_DIR"])
