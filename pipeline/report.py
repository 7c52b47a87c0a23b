"""DVC stage report: the metrics, samples and losses of every experiment in RESULTS as a report in OUT.

Usage: python pipeline/report.py RESULTS OUT
"""

from gan.command import run_stage
from gan.evaluation.report import experiment_names, write_report


def main(results, out):
    return write_report(experiment_names("params.yaml"), results, out)


if __name__ == "__main__":
    run_stage(main)
