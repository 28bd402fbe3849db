"""Experiment 08's plots: plot.py RESULTS_DIR (holding exp_08's results.json).

rmse_over_time.png      RMSE of the BKT estimate against true knowledge per step,
                        domain priors vs fitted, BKT vs random concept selection,
                        and the static (never updated) prior; budgets 12 and 40
perturbation.png        Parts B and C: gain, agreement with the oracle rule and
                        final RMSE against the factor each parameter is scaled by
selection_accuracy.png  agreement with the oracle rule against chance, and the
                        post-test gain by concept selection (95% CIs)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import plotting  # noqa: E402

Z95 = 1.959963984540054
PARAM_COLOR = {
    "priors": "tab:blue",
    "fitted": "tab:orange",
    "fitted_wide": "tab:green",
}
PARAM_LABEL = {
    "priors": "domain priors",
    "fitted": "fitted (guess, slip <= 0.3)",
    "fitted_wide": "fitted (guess, slip <= 0.45)",
}
COND_STYLE = {
    "bkt": dict(linestyle="-"),
    "random": dict(linestyle="--"),
    "oracle": dict(linestyle="-."),
    "static": dict(linestyle=":"),
}
SERIES_COLOR = {
    "p_init": "tab:blue",
    "p_learn": "tab:green",
    "p_guess": "tab:orange",
    "p_slip": "tab:red",
    "all": "black",
}
SEED_RMSE = (0.376, 0.358)  # seed 003, experiment 08: RMSE after 0 and 40 interactions
SEED_AGREEMENT = 0.264


def part_a(res, budget, params):
    for p in res["part_a"]:
        if p["budget"] == budget and p["params"] == params:
            return p["conditions"]
    raise KeyError((budget, params))


def rmse_plot(folder, res):
    budgets = res["design"]["budgets"]
    fig, axes = plotting.plt.subplots(1, len(budgets), figsize=(6.5 * len(budgets), 4.5), dpi=100)
    for ax, b in zip(axes, budgets):
        students = res["design"]["students"]
        ax.set_title(f"RMSE(BKT estimate, true k), budget {b}, {students} learners")
        for params in res["design"]["params"]:
            conds = part_a(res, b, params)
            shown = ("bkt", "random") if params == "fitted_wide" else ("bkt", "random", "static")
            for c in shown:
                r = conds[c]["rmse"]
                label = {"bkt": "BKT selection", "random": "random selection",
                         "static": "static prior (no update)"}[c]
                ax.plot(range(len(r)), r, color=PARAM_COLOR[params],
                        label=f"{PARAM_LABEL[params]}: {label}", **COND_STYLE[c])
        if b >= 40:
            ax.plot([0, 40], SEED_RMSE, "kx", markersize=8, clip_on=False,
                    label="seed 003 (0.376 -> 0.358)")
        ax.set_xlabel("interactions")
        ax.set_ylabel("RMSE over the block's concepts")
        ax.set_xlim(0, b)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    plotting.save(fig, folder, "rmse_over_time.png")


def perturbation_plot(folder, res):
    budgets = [p["budget"] for p in res["part_b"]]
    fig, axes = plotting.plt.subplots(len(budgets), 4, figsize=(21, 4.4 * len(budgets)), dpi=100,
                                      squeeze=False)
    factors = res["design"]["factors"]
    for row, b in enumerate(budgets):
        series = [s for p in res["part_b"] if p["budget"] == b for s in p["series"]]
        series += [s for p in res["part_c"]
                   if p["budget"] == b and p["channel"] == "both" for s in p["series"]]
        conds = part_a(res, b, "priors")
        ax_g, ax_c, ax_a, ax_r = axes[row]
        for s in series:
            f = [pt["factor"] for pt in s["points"]]
            g = [pt["result"]["gain"] for pt in s["points"]]
            style = dict(color=SERIES_COLOR[s["param"]], marker="o", markersize=4,
                         linewidth=2.2 if s["param"] == "all" else 1.4)
            label = "all four (Part C)" if s["param"] == "all" else s["param"]
            ax_g.errorbar(f, [x["mean"] for x in g], yerr=[Z95 * x["se"] for x in g], capsize=2,
                          label=label, **style)
            ax_a.plot(f, [pt["result"]["agreement"] for pt in s["points"]], label=label, **style)
            ax_r.plot(f, [pt["result"]["rmse_end"] for pt in s["points"]], label=label, **style)
        for c, color in (("random", "gray"), ("oracle", "purple")):
            ax_g.axhline(conds[c]["gain"]["mean"], color=color, linestyle="--", linewidth=1,
                         label=f"{c} concept selection")
        ax_a.axhline(conds["bkt"]["chance"], color="gray", linestyle="--", linewidth=1,
                     label="chance")
        ax_r.axhline(conds["static"]["rmse_end"], color="gray", linestyle=":", linewidth=1,
                     label="static prior (random selection)")
        channel_style = {
            "both": dict(color="black", linestyle="-", label="both (BKT concepts + IRT items)"),
            "concept": dict(color="tab:blue", linestyle="--", label="concept only (items random)"),
            "item": dict(color="tab:red", linestyle=":", label="item only (concepts random)"),
        }
        for p in res["part_c"]:
            if p["budget"] != b:
                continue
            pts = p["series"][0]["points"]
            d = [pt["gain_vs_base"] for pt in pts]
            ax_c.errorbar([pt["factor"] for pt in pts], [x["mean"] for x in d],
                          yerr=[Z95 * x["se"] for x in d], capsize=2, marker="o", markersize=4,
                          **channel_style[p["channel"]])
        ax_c.axhline(0.0, color="gray", linewidth=0.8)
        ax_g.set_title(f"post-test gain, BKT selection (budget {b}, 95% CI)")
        ax_c.set_title(f"Part C: gain change vs x1 by channel (budget {b}, paired 95% CI)")
        ax_a.set_title(f"agreement with the oracle rule (budget {b})")
        ax_r.set_title(f"RMSE after the last interaction (budget {b})")
        for ax, yl in ((ax_g, "gain"), (ax_c, "gain - gain at x1"), (ax_a, "agreement"),
                       (ax_r, "RMSE")):
            ax.set_xscale("log")
            ax.set_xticks(factors)
            ax.set_xticklabels([f"{x:g}" for x in factors])
            ax.minorticks_off()
            ax.set_xlabel("factor on the domain's prior")
            ax.set_ylabel(yl)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7)
    plotting.save(fig, folder, "perturbation.png")


def selection_plot(folder, res):
    budgets = res["design"]["budgets"]
    params = res["design"]["params"]
    fig, (ax1, ax2) = plotting.plt.subplots(1, 2, figsize=(15, 5), dpi=100)
    groups = [(b, p) for b in budgets for p in params]
    width = 0.26
    colors = {"bkt": "tab:blue", "random": "tab:gray", "oracle": "purple"}
    for i, c in enumerate(("bkt", "random", "oracle")):
        xs = [g + (i - 1) * width for g in range(len(groups))]
        ax1.bar(xs, [part_a(res, b, p)[c]["agreement"] for b, p in groups], width,
                color=colors[c], label=f"{c} selection")
    for i, c in enumerate(("bkt", "oracle")):
        xs = [g + (i - 0.5) * width for g in range(len(groups))]
        d = [part_a(res, b, p)[c]["gain_vs_random"] for b, p in groups]
        ax2.bar(xs, [x["mean"] for x in d], width, yerr=[Z95 * x["se"] for x in d], capsize=3,
                color=colors[c], label=f"{c} selection - random selection")
    ax2.axhline(0.0, color="black", linewidth=0.8)
    chance = part_a(res, budgets[0], "priors")["random"]["chance"]
    ax1.axhline(chance, color="black", linestyle="--", linewidth=1, label=f"chance ({chance:.2f})")
    ax1.axhline(SEED_AGREEMENT, color="red", linestyle=":", linewidth=1,
                label=f"seed 003's BKT ({SEED_AGREEMENT:.3f})")
    short = {"priors": "priors", "fitted": "fitted", "fitted_wide": "fitted wide"}
    labels = [f"budget {b}\n{short.get(p, p)}" for b, p in groups]
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(labels, fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    ax1.set_title("concept chosen = the rule's choice on true knowledge")
    ax1.set_ylabel("agreement")
    ax2.set_title("post-test gain over random concept selection (same learners, 95% CI)")
    ax2.set_ylabel("gain difference (expected correctness)")
    plotting.save(fig, folder, "selection_accuracy.png")


def main():
    folder, res = plotting.load()
    rmse_plot(folder, res)
    perturbation_plot(folder, res)
    selection_plot(folder, res)


if __name__ == "__main__":
    main()
