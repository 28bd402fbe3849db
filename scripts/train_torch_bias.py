#!/usr/bin/python3
"""Trains the TorchScript metacognitive bias model and exports it.

    /usr/bin/python3 scripts/train_torch_bias.py train --out DIR
        [--per-class 3000] [--hidden 32] [--epochs 40] [--seed 1] [--threads 1]
    /usr/bin/python3 scripts/train_torch_bias.py sample --out FILE.jsonl
        [--per-class 5] [--seed 1]

`train` writes into --out:
  model.pt     the model, torch.jit.script'ed: float32 [batch, 15] raw bias
               features in (tutorcore's bias_feature_vector(), in
               bias_feature_names() order), logits [batch, 4] out. The
               training set's mean and standard deviation are buffers of
               the module, so tutorcore passes the features unscaled.
  labels.json  the manifest tutorcore reads (metacog/model.hpp):
               {"schema_version":1,"task":"metacog.bias",
               "input":"bias_features_v1","feature_names":[...],
               "labels":["no_bias","confirmation","anchoring",
               "overconfidence"],"model":{...},"training":{...}}
`sample` writes generated windows (events, counts, vector, label) as JSON
lines, to look at what the generators make.

The labelled set is synthetic: students simulated by class-conditional
generators, each producing a stream of interaction events (problem started,
hint requested, answer changed, submitted) whose last 20 form the window,
counted into features by `features()` below, the Python twin of
tutorcore's bias_features() (metacog/metacog.hpp, MetacogConfig defaults:
fast submit < 7500 ms, anchored revision = similarity >= 0.6). Answers are
abstract: (family, variant) pairs; the same pair is an equivalent answer,
the same family with another variant a revision close to it (anchored), a
new family a different answer; family 0 is the correct answer.

The generators follow seed 000's definitions of the biases (and the rules
in metacog.hpp that read them):
  no_bias         a plain student: mostly right at first (p 0.55..0.95),
                  thinks (submits after 15..60 s, rarely fast), sometimes
                  asks a hint or changes the answer, after a wrong answer
                  retries something different or moves on; confidence,
                  when reported, follows correctness. 10% of these are cold
                  starts: the last 1..4 events only.
  confirmation    "seeking what confirms the current answer": wrong at
                  first (p right 0..0.3), gets evidence against it (a wrong
                  verdict, hints after it with p 0.2..0.9) and submits the
                  same wrong answer again (p 0.7..1), 3..6 attempts.
  anchoring       "over-relying on the first information": changes the
                  answer before submitting (p 0.5..1, 1..3 changes) and
                  revises to answers close to the first one (p 0.75..1),
                  mostly wrong, 2..4 attempts, no repeats.
  overconfidence  "submitting too quickly without verification": speed
                  (50%): submits within 0.5..6 s (p 0.7..1) with no hint or
                  change, mostly wrong, often moves on; gap (30%): reports
                  confidence 0.8..1 while right only 5..45% of the time;
                  both (20%).
Each class draws its student's parameters uniformly from those ranges,
then 2..8 problems. Labels are the generator's class, not the rules'
verdict; the script reports how often the two agree.

The model: standardisation (training-set mean and std as buffers), then a
2-layer MLP (15 -> hidden -> 4), trained with cross-entropy and label
smoothing 0.05 (so clear windows get about 0.96, not 1.0). Seeded and single-threaded by default:
the same seed gives the same weights.

Standard library and torch only (Debian: python3-torch).
"""
import argparse
import json
import os
import random
import sys
import time

TASK = "metacog.bias"
INPUT = "bias_features_v1"
LABELS = ["no_bias", "confirmation", "anchoring", "overconfidence"]
# tutorcore's bias_feature_names(), in order; tutorcore refuses a manifest
# whose names differ.
FEATURE_NAMES = [
    "events", "problems", "submits", "accuracy", "hints_per_problem", "changes_per_submit",
    "fast_share", "fast_unverified_wrong_share", "mean_submit_latency_s", "confidence_reports",
    "confidence_gap", "challenged_submits", "repeated_wrong_share", "revisions", "anchored_share",
]
WINDOW = 20            # MetacogConfig::window_events
FAST_MS = 7500.0       # MetacogConfig::fast_submit_ms
EVIDENCE_PRIOR = 1.0   # MetacogConfig::evidence_prior
GAP_FULL = 0.5         # MetacogConfig::confidence_gap_full
THRESHOLD = 0.65       # MetacogConfig::threshold
CORRECT = (0, 0)

# --------------------------------------------------------------------------
# The features: the twin of bias_features() and bias_feature_vector()
# --------------------------------------------------------------------------


def features(window):
    """Counts over a window of events (dicts: kind, problem, t (s), answer,
    correct, latency_ms, confidence), as tutorcore's BiasFeatures."""
    f = dict(events=0, problems=0, submits=0, correct_submits=0, hints=0, changes=0,
             timed_submits=0, fast_submits=0, fast_unverified_wrong=0,
             mean_submit_latency_ms=0.0, confidence_reports=0, mean_confidence=0.0,
             confidence_gap=0.0, challenged_submits=0, repeated_wrong=0, revisions=0,
             anchored_revisions=0)
    tracks, order = {}, []
    latency_sum = confidence_sum = 0.0
    confident_correct = 0

    def revise(p, a):
        if p["first"] is None:
            p["first"] = a
            return
        if a == p["first"]:
            return
        p["revisions"] += 1
        if a[0] == p["first"][0]:
            p["anchored"] += 1

    for ev in window:
        f["events"] += 1
        if ev["problem"] not in tracks:
            order.append(ev["problem"])
            tracks[ev["problem"]] = dict(started=False, start=0.0, solved=False, verified=False,
                                         hint_since_submit=False, wrong_seen=False, first=None,
                                         wrongs=[], revisions=0, anchored=0)
        p = tracks[ev["problem"]]
        kind = ev["kind"]
        if kind == "start":
            p["started"] = True
            p["start"] = ev["t"]
        elif kind == "hint":
            f["hints"] += 1
            p["verified"] = True
            p["hint_since_submit"] = True
        elif kind == "change":
            f["changes"] += 1
            p["verified"] = True
            if ev["answer"] is not None and not p["solved"]:
                revise(p, ev["answer"])
        else:  # submit
            f["submits"] += 1
            if ev["correct"]:
                f["correct_submits"] += 1
            latency = ev["latency_ms"]
            if latency is None and p["started"]:
                latency = (ev["t"] - p["start"]) * 1e3
            fast = False
            if latency is not None:
                f["timed_submits"] += 1
                latency_sum += latency
                fast = latency < FAST_MS
                if fast:
                    f["fast_submits"] += 1
            if fast and not ev["correct"] and not p["verified"]:
                f["fast_unverified_wrong"] += 1
            if ev["confidence"] is not None:
                f["confidence_reports"] += 1
                confidence_sum += ev["confidence"]
                if ev["correct"]:
                    confident_correct += 1
            a = ev["answer"]
            if p["wrong_seen"] or p["hint_since_submit"]:
                f["challenged_submits"] += 1
                if a is not None and a in p["wrongs"]:
                    f["repeated_wrong"] += 1
            if a is not None and not p["solved"] and not ev["correct"]:
                revise(p, a)
            if ev["correct"]:
                p["solved"] = True
            else:
                p["wrong_seen"] = True
                if a is not None:
                    p["wrongs"].append(a)
            p["hint_since_submit"] = False
    f["problems"] = len(order)
    for pid in order:
        p = tracks[pid]
        if not p["solved"]:
            f["revisions"] += p["revisions"]
            f["anchored_revisions"] += p["anchored"]
    if f["timed_submits"]:
        f["mean_submit_latency_ms"] = latency_sum / f["timed_submits"]
    if f["confidence_reports"]:
        f["mean_confidence"] = confidence_sum / f["confidence_reports"]
        f["confidence_gap"] = f["mean_confidence"] - confident_correct / f["confidence_reports"]
    return f


def feature_vector(f):
    def share(a, b):
        return a / b if b else 0.0
    return [float(f["events"]), float(f["problems"]), float(f["submits"]),
            share(f["correct_submits"], f["submits"]), share(f["hints"], f["problems"]),
            share(f["changes"], f["submits"]), share(f["fast_submits"], f["timed_submits"]),
            share(f["fast_unverified_wrong"], f["submits"]), f["mean_submit_latency_ms"] / 1e3,
            float(f["confidence_reports"]), f["confidence_gap"], float(f["challenged_submits"]),
            share(f["repeated_wrong"], f["challenged_submits"]), float(f["revisions"]),
            share(f["anchored_revisions"], f["revisions"])]


def rules(f):
    """tutorcore's detect_bias_rules(): (label, confidence)."""
    def shrink(s, n):
        return s * n / (n + EVIDENCE_PRIOR) if n > 0 else 0.0
    c = shrink(f["repeated_wrong"] / f["challenged_submits"] if f["challenged_submits"] else 0.0,
               f["challenged_submits"])
    a = shrink(f["anchored_revisions"] / f["revisions"] if f["revisions"] else 0.0,
               f["revisions"])
    speed = shrink(f["fast_unverified_wrong"] / f["submits"] if f["submits"] else 0.0,
                   f["submits"])
    gap = shrink(min(1.0, max(0.0, f["confidence_gap"] / GAP_FULL)), f["confidence_reports"])
    scores = [0.0, c, a, max(speed, gap)]
    scores[0] = (1.0 - max(scores[1:])) * shrink(1.0, f["events"])
    best = 0
    for i in range(1, 4):
        if scores[i] > scores[best]:
            best = i
    return LABELS[best], scores[best]

# --------------------------------------------------------------------------
# The class-conditional generators
# --------------------------------------------------------------------------


def student_params(rng, label):
    u = rng.uniform
    p = dict(p_correct=u(0.55, 0.95), p_correct_retry=u(0.4, 0.8), p_fast=u(0.0, 0.1),
             think_s=u(15.0, 60.0), p_hint_before=u(0.0, 0.3), p_change_before=u(0.0, 0.4),
             max_changes=2, p_anchor=u(0.0, 0.4), p_give_up=u(0.1, 0.5), p_hint_after=u(0.2, 0.8),
             p_repeat=u(0.0, 0.1), max_attempts=3, p_report=0.5 if rng.random() < 0.5 else 0.0,
             overconfident=False, p_latency=0.5, mode="plain")
    if label == "confirmation":
        p.update(p_correct=u(0.0, 0.3), p_correct_retry=u(0.0, 0.2), p_fast=u(0.0, 0.15),
                 think_s=u(10.0, 45.0), p_change_before=u(0.0, 0.15), p_give_up=u(0.0, 0.15),
                 p_hint_after=u(0.2, 0.9), p_repeat=u(0.7, 1.0), max_attempts=rng.randint(3, 6),
                 p_report=0.3 if rng.random() < 0.5 else 0.0)
    elif label == "anchoring":
        p.update(p_correct=u(0.0, 0.3), p_correct_retry=u(0.0, 0.25), p_fast=u(0.0, 0.15),
                 think_s=u(15.0, 60.0), p_change_before=u(0.5, 1.0), max_changes=3,
                 p_anchor=u(0.75, 1.0), p_give_up=u(0.0, 0.3), p_hint_after=u(0.0, 0.5),
                 p_repeat=u(0.0, 0.1), max_attempts=rng.randint(2, 4))
    elif label == "overconfidence":
        mode = rng.choices(["speed", "gap", "both"], [0.5, 0.3, 0.2])[0]
        p["mode"] = mode
        if mode in ("speed", "both"):
            p.update(p_correct=u(0.0, 0.4), p_correct_retry=u(0.0, 0.4), p_fast=u(0.7, 1.0),
                     p_hint_before=u(0.0, 0.1), p_change_before=u(0.0, 0.1),
                     p_anchor=u(0.0, 0.3), p_give_up=u(0.4, 0.9), p_hint_after=u(0.0, 0.2),
                     p_repeat=u(0.0, 0.2))
        if mode in ("gap", "both"):
            p.update(p_report=1.0, overconfident=True)
        if mode == "gap":
            p.update(p_correct=u(0.05, 0.45), p_correct_retry=u(0.05, 0.45), p_fast=u(0.0, 0.3),
                     think_s=u(8.0, 30.0), p_hint_before=u(0.0, 0.2), p_hint_after=u(0.0, 0.3))
    return p


def simulate(rng, label):
    """One student's event stream; the window is its last WINDOW events."""
    sp = student_params(rng, label)
    events = []
    clock = 0.0
    reports_latency = rng.random() < sp["p_latency"]
    family = 1

    def delay(submit):
        if rng.random() < sp["p_fast"]:
            return rng.uniform(0.5, 3.0) if submit else rng.uniform(0.3, 1.5)
        m = sp["think_s"] * (1.0 if submit else 0.5)
        return max(1.0, rng.gauss(m, 0.35 * m))

    for k in range(rng.randint(2, 8)):
        if len(events) >= WINDOW + 10:
            break
        pid = f"p{k}"
        clock += rng.uniform(2.0, 20.0)
        shown = clock
        events.append(dict(kind="start", problem=pid, t=clock))
        first = None   # the anchor: the first answer given on the problem
        last_wrong = None
        for attempt in range(sp["max_attempts"]):
            p_hint = sp["p_hint_before"] if attempt == 0 else sp["p_hint_after"]
            if rng.random() < p_hint:
                clock += delay(False)
                events.append(dict(kind="hint", problem=pid, t=clock))
            if rng.random() < sp["p_change_before"]:
                for _ in range(rng.randint(1, sp["max_changes"])):
                    if first is None:
                        first = (family, 0)
                        family += 1
                        a = first
                    elif rng.random() < sp["p_anchor"]:
                        a = (first[0], rng.randint(1, 1 << 30))
                    else:
                        a = (family, 0)
                        family += 1
                    clock += delay(False)
                    events.append(dict(kind="change", problem=pid, t=clock, answer=a))
            right = rng.random() < (sp["p_correct"] if attempt == 0 else sp["p_correct_retry"])
            if right:
                a = CORRECT
            elif last_wrong is not None and rng.random() < sp["p_repeat"]:
                a = last_wrong
            elif first is not None and rng.random() < sp["p_anchor"]:
                a = (first[0], rng.randint(1, 1 << 30))
            else:
                a = (family, 0)
                family += 1
            if first is None and not right:
                first = a
            clock += delay(True)
            conf = None
            if rng.random() < sp["p_report"]:
                if sp["overconfident"]:
                    conf = rng.uniform(0.8, 1.0)
                else:
                    conf = rng.uniform(0.6, 1.0) if right else rng.uniform(0.1, 0.6)
            events.append(dict(kind="submit", problem=pid, t=clock, answer=a, correct=right,
                               latency_ms=(clock - shown) * 1e3 if reports_latency else None,
                               confidence=conf))
            if right:
                break
            last_wrong = a
            if rng.random() < sp["p_give_up"]:
                break
    for ev in events:
        ev.setdefault("answer", None)
        ev.setdefault("correct", False)
        ev.setdefault("latency_ms", None)
        ev.setdefault("confidence", None)
    window = events[-WINDOW:]
    if label == "no_bias" and rng.random() < 0.1:  # a cold start
        window = window[-rng.randint(1, 4):]
    return window, sp["mode"]


def build_set(rng, per_class):
    rows = []
    for label in LABELS:
        for _ in range(per_class):
            window, mode = simulate(rng, label)
            f = features(window)
            rows.append(dict(label=label, mode=mode, counts=f, x=feature_vector(f),
                             rules=rules(f)))
    rng.shuffle(rows)
    return rows

# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def cmd_train(args):
    import torch

    torch.set_num_threads(max(1, args.threads))
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    t0 = time.time()
    rng = random.Random(args.seed)
    train = build_set(rng, args.per_class)
    heldout = build_set(random.Random(args.seed + 1000003), max(1, args.per_class // 4))
    index = {l: i for i, l in enumerate(LABELS)}

    def tensors(rows):
        x = torch.tensor([r["x"] for r in rows], dtype=torch.float32)
        y = torch.tensor([index[r["label"]] for r in rows], dtype=torch.long)
        return x, y

    train_x, train_y = tensors(train)
    held_x, held_y = tensors(heldout)
    mean = train_x.mean(0)
    std = train_x.std(0).clamp_min(1e-6)

    class BiasMLP(torch.nn.Module):
        """Raw bias features -> standardised -> 2-layer MLP -> logits."""

        def __init__(self, mean: torch.Tensor, std: torch.Tensor, hidden: int, n: int):
            super().__init__()
            self.register_buffer("mean", mean.clone())
            self.register_buffer("std", std.clone())
            self.hidden = torch.nn.Linear(mean.numel(), hidden)
            self.out = torch.nn.Linear(hidden, n)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            z = (x - self.mean) / self.std
            return self.out(torch.relu(self.hidden(z)))

    model = BiasMLP(mean, std, args.hidden, len(LABELS))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    # Label smoothing keeps the softmax off 1.0, so a confidence still says
    # something on clear windows (the detector's threshold reads it).
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=args.smoothing)
    n = len(train)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for b in range(0, n, args.batch):
            idx = perm[b:b + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        if args.verbose:
            print(f"epoch {epoch + 1}: loss {total / n:.4f}", file=sys.stderr)
    model.eval()

    def evaluate(x, y, rows):
        with torch.no_grad():
            p = torch.softmax(model(x), 1)
        conf, pred = p.max(1)
        acc = float((pred == y).float().mean())
        per_class = {}
        for i, l in enumerate(LABELS):
            mask = y == i
            per_class[l] = round(float((pred[mask] == y[mask]).float().mean()), 4)
        agree = sum(LABELS[int(pred[k])] == rows[k]["rules"][0] for k in range(len(rows)))
        sure = [k for k in range(len(rows)) if rows[k]["rules"][1] >= THRESHOLD]
        agree_sure = sum(LABELS[int(pred[k])] == rows[k]["rules"][0] for k in sure)
        rules_acc = sum(rows[k]["rules"][0] == rows[k]["label"] for k in range(len(rows)))
        return dict(accuracy=round(acc, 4), per_class=per_class,
                    rules_accuracy=round(rules_acc / len(rows), 4),
                    agreement_with_rules=round(agree / len(rows), 4),
                    agreement_where_rules_reach_threshold=round(agree_sure / max(1, len(sure)), 4),
                    windows_where_rules_reach_threshold=len(sure))

    train_eval = evaluate(train_x, train_y, train)
    held_eval = evaluate(held_x, held_y, heldout)
    os.makedirs(args.out, exist_ok=True)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(args.out, "model.pt"))
    seconds = time.time() - t0
    manifest = {
        "schema_version": 1,
        "kind": "tutorcore.bias_model",
        "task": TASK,
        "input": INPUT,
        "feature_names": FEATURE_NAMES,
        "labels": LABELS,
        "model": {"file": "model.pt", "architecture": "standardise + mlp",
                  "hidden": args.hidden, "output": "logits", "label_smoothing": args.smoothing,
                  "mean": [round(float(v), 6) for v in mean],
                  "std": [round(float(v), 6) for v in std]},
        "training": {"seed": args.seed, "generator": "class-conditional simulation "
                     "(scripts/train_torch_bias.py)", "per_class": args.per_class,
                     "examples": n, "epochs": args.epochs, "train": train_eval,
                     "heldout_examples": len(heldout), "heldout": held_eval,
                     "torch": torch.__version__, "seconds": round(seconds, 1)},
    }
    with open(os.path.join(args.out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"trained the bias model: {n} windows, train accuracy {train_eval['accuracy']:.3f}, "
          f"held-out accuracy {held_eval['accuracy']:.3f} on {len(heldout)} windows "
          f"(per class {held_eval['per_class']}; the rules on the same windows "
          f"{held_eval['rules_accuracy']:.3f}; agreement with the rules "
          f"{held_eval['agreement_with_rules']:.3f}, "
          f"{held_eval['agreement_where_rules_reach_threshold']:.3f} where they reach "
          f"{THRESHOLD}), {seconds:.1f} s (torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads) -> {args.out}")


def cmd_sample(args):
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out:
        for row in build_set(rng, args.per_class):
            out.write(json.dumps({"label": row["label"], "mode": row["mode"],
                                  "rules": row["rules"], "counts": row["counts"],
                                  "features": dict(zip(FEATURE_NAMES, row["x"]))}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train and export the bias model")
    t.add_argument("--out", required=True, help="where model.pt and labels.json go")
    t.add_argument("--per-class", type=int, default=3000, help="training windows per label")
    t.add_argument("--hidden", type=int, default=32)
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--lr", type=float, default=3e-3)
    t.add_argument("--smoothing", type=float, default=0.05, help="label smoothing")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=1, help="torch threads (1: reproducible)")
    t.add_argument("--verbose", action="store_true")
    s = sub.add_parser("sample", help="generated windows as JSON lines")
    s.add_argument("--out", required=True)
    s.add_argument("--per-class", type=int, default=5)
    s.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "train":
        cmd_train(args)
    else:
        cmd_sample(args)


if __name__ == "__main__":
    main()
