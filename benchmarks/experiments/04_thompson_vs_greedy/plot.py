"""Experiment 04's plots: plot.py RESULTS_DIR (holding exp_04's results.json).

resolution_curves.png  cumulative resolution rate per interaction, 95% bands (k = 5)
regret_curves.png      cumulative expected regret, linear and log-log with the
                       power fits, and the long horizon
scalability.png        resolution after 50 interactions and regret against k
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import plotting  # noqa: E402

Z95 = 1.959963984540054
STYLE = {
    "oracle": dict(color="black", linestyle=":"),
    "thompson": dict(color="tab:blue"),
    "greedy": dict(color="tab:orange"),
    "uniform": dict(color="tab:gray"),
    "thompson_plain": dict(color="tab:blue", linestyle="--", alpha=0.7),
    "greedy_plain": dict(color="tab:orange", linestyle="--", alpha=0.7),
}
LABEL = {
    "oracle": "oracle (true best)",
    "thompson": "Thompson (engine)",
    "greedy": "greedy (engine)",
    "uniform": "uniform (engine)",
    "thompson_plain": "Thompson, Beta(s+1, f+1)",
    "greedy_plain": "greedy, Beta(s+1, f+1) mean",
}


def main():
    folder, res = plotting.load()
    main_ = res["main"]
    policies = res["design"]["policies"]
    T = main_["interactions"]
    n = list(range(1, T + 1))

    fig, ax = plotting.figure(
        f"Experiment 04: cumulative resolution rate (k = {main_['k']}, "
        f"{main_['students']} students, 95% bands)",
        "interactions per student",
        "cumulative resolution rate",
    )
    for p in policies:
        c = main_["policies"][p]["curves"]
        m, se = c["cumulative_resolution"], c["cumulative_resolution_se"]
        ax.plot(n, m, label=LABEL[p], **STYLE[p])
        ax.fill_between(
            n,
            [a - Z95 * s for a, s in zip(m, se)],
            [a + Z95 * s for a, s in zip(m, se)],
            color=STYLE[p]["color"],
            alpha=0.12,
            linewidth=0,
        )
    ax.axvline(15, color="gray", linewidth=0.8, linestyle="-.")
    ax.text(15.5, 0.02, "15", color="gray", transform=ax.get_xaxis_transform())
    ax.set_xlim(1, T)
    ax.legend(fontsize=8, loc="lower right")
    plotting.save(fig, folder, "resolution_curves.png")

    fig, (ax1, ax2, ax3) = plotting.plt.subplots(1, 3, figsize=(15, 4.5), dpi=100)
    ax1.set_title(f"cumulative expected regret (k = {main_['k']})")
    ax2.set_title("log-log, with fits c n^b over n = 1..%d" % T)
    long_ = res["long_horizon"]
    ax3.set_title(f"long horizon: {long_['students']} students x {long_['interactions']}")
    for p in policies:
        if p == "oracle":
            continue
        pol = main_["policies"][p]
        c = pol["curves"]
        m, se = c["cumulative_regret"], c["cumulative_regret_se"]
        ax1.plot(n, m, label=LABEL[p], **STYLE[p])
        ax1.fill_between(
            n,
            [a - Z95 * s for a, s in zip(m, se)],
            [a + Z95 * s for a, s in zip(m, se)],
            color=STYLE[p]["color"],
            alpha=0.12,
            linewidth=0,
        )
        fit = pol["regret_fits"][0]
        ax2.loglog(n, m, label=f"{LABEL[p]}: b = {fit['exponent']:.2f}", **STYLE[p])
        ax2.loglog(
            n,
            [fit["coefficient"] * x ** fit["exponent"] for x in n],
            color=STYLE[p]["color"],
            linewidth=0.6,
            alpha=0.6,
        )
        lc = long_["policies"][p]["cumulative_regret"]
        lfit = long_["policies"][p]["regret_fits"][1]
        ax3.loglog(
            range(1, len(lc) + 1),
            lc,
            label=f"{LABEL[p]}: b = {lfit['exponent']:.2f} (n {lfit['from']}..{lfit['to']})",
            **STYLE[p],
        )
    ref = [x**0.5 for x in n]
    ax2.loglog(n, ref, color="red", linewidth=0.8, linestyle="-.", label="sqrt(n)")
    lref = list(range(1, long_["interactions"] + 1))
    ax3.loglog(lref, [x**0.5 for x in lref], color="red", linewidth=0.8, linestyle="-.",
               label="sqrt(n)")
    for ax, xl in ((ax1, "interactions"), (ax2, "interactions"), (ax3, "interactions")):
        ax.set_xlabel(xl)
        ax.set_ylabel("expected resolutions lost to the oracle")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize=7)
    plotting.save(fig, folder, "regret_curves.png")

    rows = res["scalability"]
    ks = [r["k"] for r in rows]
    fig, (ax1, ax2) = plotting.plt.subplots(1, 2, figsize=(12, 4.5), dpi=100)
    ax1.set_title(f"resolution rate over {T} interactions vs k (95% CI)")
    ax2.set_title(f"cumulative regret after {T} interactions vs k (95% CI)")
    for p in policies:
        res_ = [r["policies"][p]["resolution"] for r in rows]
        ax1.errorbar(ks, [e["mean"] for e in res_], yerr=[Z95 * e["se"] for e in res_],
                     marker="o", capsize=3, label=LABEL[p], **STYLE[p])
        if p != "oracle":
            reg = [r["policies"][p]["regret"] for r in rows]
            ax2.errorbar(ks, [e["mean"] for e in reg], yerr=[Z95 * e["se"] for e in reg],
                         marker="o", capsize=3, label=LABEL[p], **STYLE[p])
    for ax, yl in ((ax1, "cumulative resolution rate"), (ax2, "expected resolutions lost")):
        ax.set_xlabel("modalities k")
        ax.set_ylabel(yl)
        ax.set_xticks(ks)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    plotting.save(fig, folder, "scalability.png")


if __name__ == "__main__":
    main()
