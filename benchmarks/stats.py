"""How benchmark figures are summarised: the median, with every sample kept."""
import statistics


def median_of(samples: list[float], unit: str = "s") -> dict:
    return {"median": round(statistics.median(samples), 3), "unit": unit,
            "samples": [round(sample, 3) for sample in samples]}
