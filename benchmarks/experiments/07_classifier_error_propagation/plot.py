"""Experiment 07's plots: plot.py RESULTS_DIR (holding exp_07's results.json).

gain_vs_error.png   post-test gain relative to perfect classification against
                    the error rate, one line per kind of error, with 95% bands
mechanism.png       misconceptions resolved and interventions wasted against
                    the error rate
ablations.png       the gain change at 50% error with each fix switched off,
                    down to the seed's own (invalid) simulator
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import plotting  # noqa: E402

KINDS = ["misidentification", "false_negative", "false_positive", "misroute"]
Z95 = 1.959963984540054


def main():
    folder, res = plotting.load()
    main = res["main"]
    base = main["perfect"]["gain"]

    fig, ax = plotting.figure(
        "Classifier error propagation (fixed simulator)", "error rate", "gain / perfect gain"
    )
    for kind in KINDS:
        pts = main["kinds"][kind]
        x = [p["rate"] for p in pts]
        y = [p["relative_gain"] for p in pts]
        half = [Z95 * p["drop_se"] / base for p in pts]
        ax.plot(x, y, marker="o", label=kind.replace("_", " "))
        ax.fill_between(x, [a - h for a, h in zip(y, half)], [a + h for a, h in zip(y, half)], alpha=0.15)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.legend()
    plotting.save(fig, folder, "gain_vs_error.png")

    fig, ax = plotting.figure("What the errors do", "error rate", "per learner")
    for kind in KINDS:
        pts = main["kinds"][kind]
        x = [p["rate"] for p in pts]
        (line,) = ax.plot(x, [p["resolution_share"] for p in pts], marker="o", label=f"{kind}: share resolved")
        ax.plot(x, [p["wasted_interventions"] for p in pts], linestyle="--", color=line.get_color(),
                label=f"{kind}: wasted interventions")
    ax.legend(fontsize=7)
    plotting.save(fig, folder, "mechanism.png")

    names = ["main"] + list(res["ablations"].keys())
    fig, ax = plotting.figure("Gain change at 50% error, fixes switched off", "", "gain change (%)")
    width = 0.2
    for i, kind in enumerate(KINDS):
        vals = []
        for name in names:
            sweep = main if name == "main" else res["ablations"][name]
            last = sweep["kinds"][kind][-1]
            vals.append(100.0 * (last["relative_gain"] - 1.0))
        ax.bar([j + (i - 1.5) * width for j in range(len(names))], vals, width, label=kind.replace("_", " "))
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.legend(fontsize=7)
    plotting.save(fig, folder, "ablations.png")


if __name__ == "__main__":
    main()
