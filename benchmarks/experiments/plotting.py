"""Shared plotting helpers for the experiments' plot.py scripts.

Every plot.py takes the results folder (holding results.json) as its only
argument and writes its PNGs beside results.json.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load():
    """The results folder named on the command line and its results.json."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} RESULTS_DIR")
    folder = sys.argv[1]
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
        return folder, json.load(f)


def figure(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def save(fig, folder, name):
    fig.tight_layout()
    path = os.path.join(folder, name)
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")
