"""Experiment 05's plots: plot.py RESULTS_DIR (holding exp_05's results.json).

learning_curves.png      post-test gain against the budget per item selection,
                         and each selection minus easiest-first (paired, 95% CI)
difficulty_targeting.png the desirable-difficulty hit rate and accuracy per
                         selection at each budget, and IRT's p_target sweep
bank_size_scaling.png    gain per selection against the bank size at each
                         budget, and IRT minus easiest-first per bank size
population.png           IRT minus easiest-first against the class's strength
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import plotting  # noqa: E402

Z95 = 1.959963984540054
COLOR = {"irt": "tab:blue", "easiest": "tab:green", "hardest": "tab:red", "random": "tab:gray"}
LABEL = {
    "irt": "IRT-targeted (P = 0.70)",
    "easiest": "easiest first",
    "hardest": "hardest first",
    "random": "random",
}
BUDGET_STYLE = ["-", "--", ":"]


def band(ax, x, mean, se, color):
    ax.fill_between(
        x,
        [m - Z95 * s for m, s in zip(mean, se)],
        [m + Z95 * s for m, s in zip(mean, se)],
        color=color,
        alpha=0.15,
        linewidth=0,
    )


def panels(n, title):
    fig, axes = plotting.plt.subplots(1, n, figsize=(6.2 * n, 4.6), dpi=100)
    fig.suptitle(title)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return fig, axes


def learning_curves(folder, res):
    conds = res["design"]["conditions"]
    lc = res["learning_curves"]
    budgets = lc["budgets"]
    pts = lc["points"]
    fig, (a, b) = panels(
        2,
        f"Experiment 05: learning curves ({res['design']['students']} learners per "
        "selection, same learners, domain bank)",
    )
    a.set_title("post-test gain (95% bands)")
    a.set_xlabel("interactions per learner (5-concept block)")
    a.set_ylabel("post - pre (expected correctness)")
    for c in conds:
        m = [p["conditions"][c]["gain"]["mean"] for p in pts]
        s = [p["conditions"][c]["gain"]["se"] for p in pts]
        a.plot(budgets, m, marker="o", color=COLOR[c], label=LABEL[c])
        band(a, budgets, m, s, COLOR[c])
    a.axvline(res["design"]["default_budget"], color="black", linewidth=0.8, linestyle="-.")
    a.legend(fontsize=8)
    b.set_title("minus easiest first, paired (95% CI); labels: Cohen's d")
    b.set_xlabel("interactions per learner")
    b.set_ylabel("gain difference")
    b.axhline(0, color=COLOR["easiest"], linewidth=1)
    for c in conds:
        if c == res["design"]["reference"]:
            continue
        m = [p["vs_easiest"][c]["diff"] for p in pts]
        s = [p["vs_easiest"][c]["diff_se"] for p in pts]
        b.errorbar(budgets, m, yerr=[Z95 * x for x in s], marker="o", capsize=3,
                   color=COLOR[c], label=LABEL[c])
        if c == "irt":
            for x, p in zip(budgets, pts):
                b.annotate(f"d={p['vs_easiest'][c]['d_pooled']:+.2f}",
                           (x, p["vs_easiest"][c]["diff"]), textcoords="offset points",
                           xytext=(4, 6), fontsize=7, color=COLOR[c])
    b.legend(fontsize=8)
    plotting.save(fig, folder, "learning_curves.png")


def difficulty_targeting(folder, res):
    conds = res["design"]["conditions"]
    lo, hi = res["design"]["hit_band"]
    fig, (a, b) = panels(2, "Experiment 05: difficulty targeting (domain bank)")
    a.set_title(f"answers at a true P(right) in [{lo}, {hi}] (bars), accuracy (dots)")
    a.set_ylabel("share of answers")
    mains = res["main"]
    width = 0.8 / len(mains)
    for j, m in enumerate(mains):
        xs = [i + (j - (len(mains) - 1) / 2) * width for i in range(len(conds))]
        hits = [m["conditions"][c]["difficulty_hit_rate"] for c in conds]
        acc = [m["conditions"][c]["accuracy"] for c in conds]
        a.bar(xs, hits, width=width * 0.9, color=[COLOR[c] for c in conds],
              alpha=0.9 if j == 0 else 0.5, edgecolor="black",
              hatch=None if j == 0 else "//", label=f"budget {m['budget']}")
        a.plot(xs, acc, "o", color="black", markersize=4)
        for x, h in zip(xs, hits):
            a.text(x, h + 0.01, f"{h:.2f}", ha="center", fontsize=7)
    a.set_xticks(range(len(conds)))
    a.set_xticklabels([LABEL[c] for c in conds], fontsize=8)
    a.set_ylim(0, 1)
    a.legend(fontsize=8)

    b.set_title("IRT's p_target: IRT minus easiest first (paired, 95% CI)")
    b.set_xlabel("p_target (on the tutor's scale: theta = logit(BKT estimate))")
    b.set_ylabel("gain difference")
    b.axhline(0, color=COLOR["easiest"], linewidth=1)
    b.axvline(res["design"]["p_target"], color="black", linewidth=0.8, linestyle="-.")
    for j, sweep in enumerate(res["p_target"]):
        x = [p["p_target"] for p in sweep["points"]]
        m = [p["vs_easiest"]["diff"] for p in sweep["points"]]
        s = [p["vs_easiest"]["diff_se"] for p in sweep["points"]]
        b.errorbar(x, m, yerr=[Z95 * v for v in s], marker="o", capsize=3, color=COLOR["irt"],
                   linestyle=BUDGET_STYLE[j % 3], label=f"budget {sweep['budget']}")
    b2 = b.twinx()
    b2.set_ylabel("IRT's hit rate", color="tab:purple")
    for j, sweep in enumerate(res["p_target"]):
        x = [p["p_target"] for p in sweep["points"]]
        h = [p["irt"]["difficulty_hit_rate"] for p in sweep["points"]]
        b2.plot(x, h, color="tab:purple", linestyle=BUDGET_STYLE[j % 3], alpha=0.6)
    b.legend(fontsize=8, loc="lower left")
    plotting.save(fig, folder, "difficulty_targeting.png")


def bank_size_scaling(folder, res):
    conds = res["design"]["conditions"]
    sweeps = res["bank_size"]

    def xlabel(p):
        if p["bank_size"] == 0:
            return f"domain\n({p['items_per_concept']:.1f})"
        return f"{p['bank_size']}\n({p['distinct_difficulties_per_concept']:.1f} b)"

    fig, axes = panels(
        len(sweeps) + 1,
        "Experiment 05: bank size (templates fill each concept's bank; "
        "x: items asked per concept (distinct difficulties per concept))",
    )
    xs = list(range(len(sweeps[0]["points"])))
    labels = [xlabel(p) for p in sweeps[0]["points"]]
    for ax, sw in zip(axes, sweeps):
        ax.set_title(f"post-test gain at budget {sw['budget']} (95% bands)")
        ax.set_ylabel("post - pre")
        for c in conds:
            m = [p["conditions"][c]["gain"]["mean"] for p in sw["points"]]
            s = [p["conditions"][c]["gain"]["se"] for p in sw["points"]]
            ax.plot(xs, m, marker="o", color=COLOR[c], label=LABEL[c])
            band(ax, xs, m, s, COLOR[c])
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, fontsize=8)
    axes[0].legend(fontsize=8)
    b = axes[-1]
    b.set_title("IRT minus easiest first, paired (95% CI); labels: d")
    b.set_ylabel("gain difference")
    b.axhline(0, color=COLOR["easiest"], linewidth=1)
    for j, sw in enumerate(sweeps):
        m = [p["vs_easiest"]["irt"]["diff"] for p in sw["points"]]
        s = [p["vs_easiest"]["irt"]["diff_se"] for p in sw["points"]]
        off = [x + (j - 0.5) * 0.08 for x in xs]
        b.errorbar(off, m, yerr=[Z95 * v for v in s], marker="o", capsize=3, color=COLOR["irt"],
                   linestyle=BUDGET_STYLE[j % 3], label=f"budget {sw['budget']}")
        for x, p in zip(off, sw["points"]):
            b.annotate(f"{p['vs_easiest']['irt']['d_pooled']:+.2f}",
                       (x, p["vs_easiest"]["irt"]["diff"]), textcoords="offset points",
                       xytext=(4, 6), fontsize=7)
    b.set_xticks(xs)
    b.set_xticklabels(labels, fontsize=8)
    b.legend(fontsize=8)
    plotting.save(fig, folder, "bank_size_scaling.png")


def population(folder, res):
    designs = res["population"]
    fig, ax = plotting.figure(
        "Experiment 05: IRT minus easiest first by class strength (paired, 95% CI)",
        "learner.initial_logit (weaker to stronger classes; default -0.6)",
        "gain difference (labels: Cohen's d)",
    )
    ax.axhline(0, color=COLOR["easiest"], linewidth=1)
    for j, dsg in enumerate(designs):
        x = [p["initial_logit"] for p in dsg["points"]]
        m = [p["vs_easiest"]["irt"]["diff"] for p in dsg["points"]]
        s = [p["vs_easiest"]["irt"]["diff_se"] for p in dsg["points"]]
        bank = "domain bank" if dsg["bank_size"] == 0 else f"bank {dsg['bank_size']}"
        ax.errorbar(x, m, yerr=[Z95 * v for v in s], marker="o", capsize=3,
                    color=["tab:blue", "tab:cyan", "tab:purple"][j % 3],
                    linestyle=BUDGET_STYLE[j % 3], label=f"budget {dsg['budget']}, {bank}")
        for xi, p in zip(x, dsg["points"]):
            ax.annotate(f"{p['vs_easiest']['irt']['d_pooled']:+.2f}",
                        (xi, p["vs_easiest"]["irt"]["diff"]), textcoords="offset points",
                        xytext=(4, 5), fontsize=7)
    ax.legend(fontsize=8)
    plotting.save(fig, folder, "population.png")


def main():
    folder, res = plotting.load()
    learning_curves(folder, res)
    difficulty_targeting(folder, res)
    bank_size_scaling(folder, res)
    population(folder, res)


if __name__ == "__main__":
    main()
