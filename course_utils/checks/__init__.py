"""Exercise checks, one module per chapter: ``from course_utils.checks import ch00``."""
