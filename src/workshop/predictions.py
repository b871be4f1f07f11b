"""Predict, then measure: the learner writes a guess before a measurement, and the measurement cell compares.

A prediction left as `...` is not an error: the cell still measures, and says that guessing first is the point.
"""


def compare(name: str, predicted, measured, unit: str = "") -> str:
    """Print and return one line comparing the learner's prediction `name` with the measurement."""
    shown = f"{measured}{' ' + unit if unit else ''}"
    if predicted is Ellipsis:
        line = (f"Measured {shown}. You made no prediction: write one in `{name}` above and run both cells again "
                f"(a guess first makes the number mean something).")
    elif isinstance(predicted, (int, float)) and isinstance(measured, (int, float)) and not isinstance(predicted, bool):
        gap = measured - predicted
        closeness = "spot on" if abs(gap) <= 0.1 * max(abs(measured), 1e-9) else (
            f"{abs(gap):.3g}{' ' + unit if unit else ''} {'higher' if gap > 0 else 'lower'} than you thought")
        line = f"You predicted {predicted}{' ' + unit if unit else ''}; measured {shown}: {closeness}."
    else:
        verdict = "as you predicted" if predicted == measured else "not what you predicted"
        line = f"You predicted {predicted!r}; measured {measured!r}: {verdict}."
    print(line)
    return line
