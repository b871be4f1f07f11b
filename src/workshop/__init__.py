"""Helpers that the workshop notebooks import."""
import sys

if "IPython" in sys.modules:  # in a notebook: exercises get their guard and the %%reference magic
    from IPython import get_ipython

    if get_ipython() is not None:
        from workshop.exercises import register

        register(get_ipython())
