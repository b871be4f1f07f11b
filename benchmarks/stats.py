"""How benchmark figures are summarised: the median, with every sample kept, and the target where there is one."""
import statistics


def median_of(samples: list[float], unit: str = "s", target: str | None = None) -> dict:
    figure = {"median": round(statistics.median(samples), 3), "unit": unit,
              "samples": [round(sample, 3) for sample in samples]}
    if target:
        figure["target"] = target
    return figure
