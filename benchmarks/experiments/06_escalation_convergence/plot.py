"""Plots of experiment 06 (escalation state machine as an absorbing Markov chain).

Usage: plot.py RESULTS_DIR  (reads results.json, writes the three PNGs beside it)
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import plotting  # noqa: E402


def main():
    folder, r = plotting.load()
    sweep = r["sweep"]
    n = r["episodes"]
    ps = [s["p_resolve"] for s in sweep]
    a = [s["analytic"] for s in sweep]
    mc = [s["monte_carlo"] for s in sweep]
    q = r["assumptions"]["p_prereq_low"]
    m = r["assumptions"]["max_modality_attempts"]

    # Absorption probabilities against the per-assessment resolution probability.
    fig, ax = plotting.figure(
        f"Where episodes end (max {m} modality attempts, q = {q:.2f})",
        "per-assessment resolution probability p",
        "absorption probability",
    )
    for key, label, color in (
        ("p_resolved", "resolved", "tab:green"),
        ("p_teacher_conference", "teacher_conference", "tab:red"),
    ):
        ax.plot(ps, [x[key] for x in a], color=color, label=f"{label} (analytic)")
        se = [3 * math.sqrt(max(x[key] * (1 - x[key]), 0) / n) for x in a]
        ax.errorbar(ps, [x[key] for x in mc], yerr=se, fmt="o", ms=4, color=color,
                    capsize=2, label=f"{label} (Monte Carlo, ±3 SE)")
    ax.plot(ps, [s["p_resolved_no_prereq"] for s in sweep], "--", color="tab:gray",
            label=f"resolved without remediation, 1-(1-p)^{m}")
    ax.plot(ps, [s["with_conferences"]["p_iep_referral"] for s in sweep], ":",
            color="tab:purple",
            label="iep_referral (conferences modelled, c = "
                  f"{r['assumptions']['p_conference_full_chain']:.2f})")
    ax.axhline(0.9, color="black", lw=0.8, ls="-.", label="seed: 90% at p = 0.50")
    ax.axvline(0.5, color="black", lw=0.5, alpha=0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7, loc="center right")
    plotting.save(fig, folder, "absorption_probabilities.png")

    # Expected steps, assessments and modalities tried.
    fig, ax = plotting.figure("Expected length of an episode until absorption",
                              "per-assessment resolution probability p", "expected count")
    ax.plot(ps, [x["e_steps"] for x in a], color="tab:blue",
            label="E[steps] (engine triggers, analytic)")
    ax.errorbar(ps, [x["mean_steps"] for x in mc],
                yerr=[3 * x["sd_steps"] / math.sqrt(n) for x in a], fmt="o", ms=4,
                color="tab:blue", capsize=2, label="steps (Monte Carlo, ±3 SE)")
    ax.plot(ps, [x["e_assessments"] for x in a], color="tab:orange",
            label="E[assessments] (3 responses each)")
    ax.plot(ps, [x["e_modalities"] for x in a], color="tab:green",
            label="E[distinct modalities tried]")
    ax.plot(ps, [x["mean_modalities"] for x in mc], "o", ms=4, color="tab:green",
            label="modalities (Monte Carlo)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    plotting.save(fig, folder, "expected_steps.png")

    # The design axis: attempts allowed before escalation.
    fig, ax = plotting.figure(f"P(resolved before escalation) by attempts allowed (q = {q:.2f})",
                              "modality attempts allowed before escalation",
                              "P(resolved)")
    axis = r["attempts_axis"]
    for i, p in enumerate(sorted({x["p_resolve"] for x in axis})):
        rows = sorted((x for x in axis if x["p_resolve"] == p),
                      key=lambda x: x["max_modality_attempts"])
        xs = [x["max_modality_attempts"] for x in rows]
        color = f"C{i}"
        ax.plot(xs, [x["p_resolved"] for x in rows], "o-", color=color, label=f"p = {p:.2f}")
        ax.plot(xs, [x["p_resolved_no_prereq"] for x in rows], "--", color=color, alpha=0.6)
    ax.axvline(m, color="black", lw=0.5, alpha=0.5)
    ax.axhline(0.9, color="black", lw=0.8, ls="-.")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, title="solid: q = %.2f, dashed: q = 0" % q, title_fontsize=8)
    plotting.save(fig, folder, "attempts_vs_resolution.png")


if __name__ == "__main__":
    main()
