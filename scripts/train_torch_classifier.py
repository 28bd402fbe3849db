#!/usr/bin/python3
"""Trains the TorchScript answer classifier of a domain and exports it.

    /usr/bin/python3 scripts/train_torch_classifier.py train --domain DIR --out DIR
        [--dim 4096] [--hidden 128] [--epochs 30] [--seed 1] [--instances 64]
        [--noisy 2] [--unknown 2] [--holdout-mod 5] [--threads N]
        [--reviewed EXPORT.jsonl [--include-unreviewed]]
    /usr/bin/python3 scripts/train_torch_classifier.py featurize --in CASES.jsonl
        --out VECTORS.jsonl [--dim 4096]

`train` writes into --out:
  model.pt             the model, torch.jit.script'ed: float32 [batch, dim]
                       tc_hash_v1 vectors in, logits [batch, labels] out
  labels.json          the label map tutorcore reads (classify/model.hpp):
                       labels[i] names output column i; the featurizer and
                       its size; the concepts trained on; training figures
  heldout.jsonl        the held-out examples with their labels
  features_sample.jsonl  256 training inputs with their Python vectors, for
                       the test that the plugin's C++ featurizer agrees

The labelled set comes from the domain directory alone: for each problem of
the bank its correct answer ("correct"), the wrong answer it lists for each
misconception (and its template's wrong-answer formulas when it names a
template and its values), `--unknown` wrong answers that match none of
those ("unknown"); for each template, up to `--instances` parameter draws
rendered like tutorcore's template engine (integer formulas, exact
division, no int64 overflow; a draw where a misconception's answer equals
the right one is dropped); `--noisy` label-preserving variants of each
right or misconception answer ("5.0", "+5", "x = 5", spacing, case); and,
with --reviewed, the answers teachers confirmed or corrected in a
tc_tutor_export_labels export (the review loop's data set).
Template instances whose id ("<template>:<name>=<value>,...") hashes to 0
modulo --holdout-mod (64-bit FNV-1a) are held out for evaluation; the torch
tests classify the same instances through tutorcore.

`featurize` reads JSON lines {"answer","problem_text","correct_answer",
"concept_id"} and writes one line per input with the non-zero entries of
its vector as [index, float32 bits]; the C++ featurizer must agree bit for
bit.

The featurizer tc_hash_v1 is defined in plugins/torch/featurize.hpp and
docs/pipeline.md; `features()` below is its Python twin.

Standard library and torch only (Debian: python3-torch).
"""
import argparse
import ast
import json
import math
import os
import random
import re
import struct
import sys
import time

FEATURIZER = "tc_hash_v1"
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1
MAX_DIGITS = 15
MAX_NUMBERS = 4
INT64_MAX = (1 << 63) - 1

# --------------------------------------------------------------------------
# The featurizer tc_hash_v1 (plugins/torch/featurize.hpp has the rules)
# --------------------------------------------------------------------------


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & MASK64
    return h


def norm(s):
    s = s.replace("\u2212", "-").replace("\u2013", "-").replace("\u00d7", "*").replace("\u00f7", "/")
    b = s.encode("utf-8").lower()  # bytes.lower: A-Z only
    return b" ".join(b.split())  # bytes.split: space \t \n \v \f \r


def compact(normed):
    return normed.replace(b" ", b"")


_NUM = rb"[0-9]+(?:\.[0-9]+)?"
_VALUE = re.compile(rb"^([+-]?)(" + _NUM + rb")(?:/(" + _NUM + rb"))?([a-z%]*)$")
_NUMBER = re.compile(_NUM)
_WORD = re.compile(rb"[a-z0-9\x80-\xff]+")
_DIGITS = re.compile(rb"[0-9]+")
_OPS = frozenset(b"+-*/^=()<>%")
_SIGN_BEFORE = frozenset(b" ([{=,:;")


def _digits(num):
    return len(num) - num.count(b".")


def value_of(compacted):
    t = compacted
    if len(t) >= 2 and 0x61 <= t[0] <= 0x7A and t[1:2] == b"=":
        t = t[2:]
    m = _VALUE.match(t)
    if not m:
        return None
    sign, num, den, _unit = m.groups()
    if _digits(num) > MAX_DIGITS or (den is not None and _digits(den) > MAX_DIGITS):
        return None
    v = float(num.decode())
    if den is not None:
        d = float(den.decode())
        if d == 0.0:
            return None
        v = v / d
    return -v if sign == b"-" else v


def numbers_of(normed):
    out = []
    for m in _NUMBER.finditer(normed):
        if len(out) >= MAX_NUMBERS:
            break
        if _digits(m.group()) > MAX_DIGITS:
            continue
        v = float(m.group().decode())
        i = m.start()
        negative = i >= 1 and normed[i - 1] == 0x2D and (i == 1 or normed[i - 2] in _SIGN_BEFORE)
        out.append(-v if negative else v)
    return out


def near(x, y):
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def tokens(answer, problem_text, correct_answer, concept_id):
    """The tokens of one input, as bytes (their order does not matter)."""
    concept = concept_id.encode("utf-8")
    out = [b"b", b"k:" + concept]
    a = compact(norm(answer))
    g = b"^" + a + b"$"
    for n in (1, 2, 3):
        out.extend(b"a:" + g[i:i + n] for i in range(len(g) - n + 1))
    shape = _DIGITS.sub(b"0", g)
    for n in (1, 2, 3, 4):
        out.extend(b"s:" + shape[i:i + n] for i in range(len(shape) - n + 1))
    p = norm(problem_text)
    for w in _WORD.findall(p):
        out.append(b"w:#" if w.isdigit() else b"w:" + w)
    out.extend(b"o:" + bytes([c]) for c in p if c in _OPS)

    rel = []
    c_text = compact(norm(correct_answer))
    if a == c_text:
        rel.append(b"r:same")
    x = value_of(a)
    if x is None:
        rel.append(b"v:none")
    else:
        rel.append(b"v:num")
        c = value_of(c_text)
        if c is not None:
            if near(x, c):
                rel.append(b"c:eq")
            if c != 0.0 and near(x, -c):
                rel.append(b"c:neg")
            if near(x, c + 1.0):
                rel.append(b"c:p1")
            if near(x, c - 1.0):
                rel.append(b"c:m1")
            if c != 0.0 and near(x, 2.0 * c):
                rel.append(b"c:dbl")
            if c != 0.0 and near(x, c / 2.0):
                rel.append(b"c:half")
            if c != 0.0 and near(x, 1.0 / c):
                rel.append(b"c:inv")
        ns = numbers_of(p)
        for i, v in enumerate(ns):
            if near(x, v):
                rel += [b"n:eq:%d" % i, b"n:eq"]
        for i in range(len(ns)):
            for j in range(len(ns)):
                if i == j:
                    continue
                if i < j and near(x, ns[i] + ns[j]):
                    rel += [b"p:add:%d%d" % (i, j), b"p:add"]
                if i < j and near(x, ns[i] * ns[j]):
                    rel += [b"p:mul:%d%d" % (i, j), b"p:mul"]
                if near(x, ns[i] - ns[j]):
                    rel += [b"p:sub:%d%d" % (i, j), b"p:sub"]
                if ns[j] != 0.0 and near(x, ns[i] / ns[j]):
                    rel += [b"p:div:%d%d" % (i, j), b"p:div"]
    for r in rel:
        out.append(r)
        out.append(b"k:" + concept + b"|" + r)
    return out


class Featurizer:
    def __init__(self, dim):
        if dim < 2 or dim & (dim - 1):
            raise ValueError(f"dim {dim} is not a power of two")
        self.dim = dim
        self._slots = {}  # token -> (index, sign)

    def sparse(self, answer, problem_text, correct_answer, concept_id):
        """{index: float32 value} of the non-zero entries."""
        acc = {}
        for t in tokens(answer, problem_text, correct_answer, concept_id):
            slot = self._slots.get(t)
            if slot is None:
                h = fnv1a64(t)
                slot = (h & (self.dim - 1), -1.0 if h >> 63 else 1.0)
                self._slots[t] = slot
            acc[slot[0]] = acc.get(slot[0], 0.0) + slot[1]
        s = sum(v * v for v in acc.values())  # integers: exact in any order
        if s == 0.0:
            return {}
        n = math.sqrt(s)
        out = {}
        for i, v in acc.items():
            if v != 0.0:
                out[i] = struct.unpack("<f", struct.pack("<f", v / n))[0]
        return out


def float_bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


# --------------------------------------------------------------------------
# The domain and its templates
# --------------------------------------------------------------------------


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def formula_value(expr, values):
    """tutorcore's template formula: int64 + - * /, unary minus, parentheses,
    exact division. None when a rule is broken."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise ValueError(f"formula '{expr}' names '{node.id}', which has no value")
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            v = ev(node.operand)
            return None if v is None else -v
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            a, b = ev(node.left), ev(node.right)
            if a is None or b is None:
                return None
            if isinstance(node.op, ast.Add):
                v = a + b
            elif isinstance(node.op, ast.Sub):
                v = a - b
            elif isinstance(node.op, ast.Mult):
                v = a * b
            else:
                if b == 0 or a % b != 0:
                    return None
                v = a // b
            return v if -INT64_MAX - 1 <= v <= INT64_MAX else None
        raise ValueError(f"formula '{expr}': unsupported syntax")

    return ev(ast.parse(expr.strip(), mode="eval"))


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def fill(text, values):
    broken = []

    def sub(m):
        v = formula_value(m.group(1), values)
        if v is None:
            broken.append(m.group(1))
            return ""
        return str(v)

    out = _PLACEHOLDER.sub(sub, text)
    return None if broken else out


def instance_id(template, values):
    return template["template_id"] + ":" + ",".join(f"{k}={values[k]}" for k in template["params"])


def template_instances(template, count, rng):
    """Up to `count` instances: the whole grid when it is that small, else
    distinct random draws. Each: (id, text, answer, {mid: wrong})."""
    names = list(template["params"])
    ranges = [(template["params"][k]["min"], template["params"][k]["max"]) for k in names]
    size = 1
    for lo, hi in ranges:
        size *= hi - lo + 1
    if size <= count:
        grid = [[]]
        for lo, hi in ranges:
            grid = [g + [v] for g in grid for v in range(lo, hi + 1)]
        draws = grid
    else:
        seen, draws = set(), []
        for _ in range(count * 20):
            d = tuple(rng.randint(lo, hi) for lo, hi in ranges)
            if d not in seen:
                seen.add(d)
                draws.append(list(d))
            if len(draws) >= count:
                break
    out = []
    for d in draws:
        values = dict(zip(names, d))
        text = fill(template["text"], values)
        answer = fill(template["answer"], values)
        if text is None or answer is None:
            continue
        wrong = {}
        ok = True
        for mid, formula in template.get("misconception_answers", {}).items():
            w = fill(formula, values)
            if w is None:
                ok = False
                break
            if compact(norm(w)) == compact(norm(answer)):
                ok = False  # tutorcore redraws such an instance
                break
            wrong[mid] = w
        if ok:
            out.append((instance_id(template, values), text, answer, wrong))
    return out


def noisy_variants(answer, rng, k):
    """Up to k label-preserving variants of an answer."""
    t = answer.strip()
    cands = [" " + t + " ", t.upper() if t.upper() != t else "  " + t, re.sub(r"\s+", "  ", t)]
    if re.fullmatch(r"[+-]?[0-9]+", t):
        v = int(t)
        cands += [f"{v}.0", f"x = {v}", f"x={v}"]
        if v > 0:
            cands.append(f"+{v}")
    else:
        spaced = re.sub(r"\s*([+\-*/=])\s*", r" \1 ", t).strip()
        tight = re.sub(r"\s+", "", t)
        cands += [spaced, tight]
    cands = [c for c in dict.fromkeys(cands) if c != answer and c.strip()]
    rng.shuffle(cands)
    return cands[:k]


def unknown_answers(correct, known, rng, k):
    """k wrong answers that match neither the right answer nor a known wrong one."""
    known_c = {compact(norm(x)) for x in known}
    known_v = {v for v in (value_of(compact(norm(x))) for x in known) if v is not None}
    c = value_of(compact(norm(correct)))
    out = []
    for _ in range(k * 20):
        if len(out) >= k:
            break
        if c is not None and rng.random() < 0.8:
            base = int(c) if c == int(c) else round(c)
            cand = str(base + rng.choice([d for d in range(-12, 13) if d not in (0,)]))
        else:
            s = list(correct) or ["x"]
            i = rng.randrange(len(s))
            op = rng.random()
            if op < 0.4 and len(s) > 1:
                del s[i]
            elif op < 0.7:
                s.insert(i, rng.choice("0123456789x+-"))
            else:
                s[i] = rng.choice("0123456789xy")
            cand = "".join(s)
        cc = compact(norm(cand))
        if not cc or cc in known_c:
            continue
        v = value_of(cc)
        if v is not None and any(near(v, kv) for kv in known_v):
            continue
        known_c.add(cc)
        out.append(cand)
    return out


def reviewed_examples(path, bank, templates, misconceptions, include_unreviewed):
    """The answers of a tc_tutor_export_labels export (JSON lines) as training
    rows: corrected and confirmed ones, and unreviewed ones when asked."""
    problems = {p["problem_id"]: p for p in bank["problems"]}
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("source") == "unreviewed" and not include_unreviewed:
                continue
            label = r.get("label", "")
            if label not in ("correct", "unknown") and label not in misconceptions:
                continue
            pid = r.get("problem_id", "")
            p = problems.get(pid)
            if p is not None:
                text, correct, concept = p["problem_text"], p["correct_answer"], p["concept"]
            else:
                tid, _, assigns = pid.partition(":")
                t = templates.get(tid)
                if t is None or not assigns:
                    continue
                try:
                    values = {k: int(v) for k, v in (a.split("=", 1) for a in assigns.split(","))}
                except ValueError:
                    continue
                text, correct, concept = fill(t["text"], values), fill(t["answer"], values), \
                    t["concept"]
                if text is None or correct is None:
                    continue
            rows.append({"answer": r.get("answer", ""), "problem_text": r.get("problem", text),
                         "correct_answer": correct, "concept_id": concept, "label": label,
                         "source": "reviewed:" + r.get("source", "")})
    return rows


def build_examples(domain_dir, args, rng):
    kg = load_json(os.path.join(domain_dir, "knowledge_graph.json"))
    tax = load_json(os.path.join(domain_dir, "taxonomy.json"))
    bank = load_json(os.path.join(domain_dir, "problem_bank.json"))
    misconceptions = [m["id"] for concept in tax["misconceptions"].values() for m in concept]
    templates = {t["template_id"]: t for t in bank.get("templates", [])}

    train, heldout = [], []

    def add(rows, answer, text, correct, concept, label, source):
        rows.append({"answer": answer, "problem_text": text, "correct_answer": correct,
                     "concept_id": concept, "label": label, "source": source})

    def add_problem(rows, text, correct, concept, wrong, source, noisy):
        add(rows, correct, text, correct, concept, "correct", source)
        for v in noisy_variants(correct, rng, noisy):
            add(rows, v, text, correct, concept, "correct", source + "+noise")
        for mid, w in wrong.items():
            add(rows, w, text, correct, concept, mid, source)
            for v in noisy_variants(w, rng, noisy):
                add(rows, v, text, correct, concept, mid, source + "+noise")
        for u in unknown_answers(correct, [correct] + list(wrong.values()), rng, args.unknown):
            add(rows, u, text, correct, concept, "unknown", source)

    for p in bank["problems"]:
        wrong = {mid: w for mid, w in p.get("misconception_answers", {}).items()
                 if compact(norm(w)) != compact(norm(p["correct_answer"]))}
        t = templates.get(p.get("template_id", ""))
        params = p.get("template_params")
        if t is not None and isinstance(params, dict):
            for mid, formula in t.get("misconception_answers", {}).items():
                w = fill(formula, params) if all(k in params for k in t["params"]) else None
                if w is not None and mid not in wrong and \
                        compact(norm(w)) != compact(norm(p["correct_answer"])):
                    wrong[mid] = w
        add_problem(train, p["problem_text"], p["correct_answer"], p["concept"], wrong, "bank",
                    args.noisy)

    for t in bank.get("templates", []):
        for iid, text, answer, wrong in template_instances(t, args.instances, rng):
            if fnv1a64(iid.encode()) % args.holdout_mod == 0:
                rows = []
                add_problem(rows, text, answer, t["concept"], wrong, "template", 0)
                for r in rows:
                    if r["label"] != "unknown":
                        r["problem_id"] = iid
                        heldout.append(r)
            else:
                add_problem(train, text, answer, t["concept"], wrong, "template", args.noisy)

    for path in args.reviewed:
        train.extend(reviewed_examples(path, bank, templates, set(misconceptions),
                                       args.include_unreviewed))

    used = {r["label"] for r in train}
    labels = ["correct", "unknown"] + [m for m in misconceptions if m in used]
    concepts = [c["id"] for c in kg["concepts"] if any(r["concept_id"] == c["id"] for r in train)]
    return kg.get("domain", ""), labels, concepts, train, heldout


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def cmd_train(args):
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.time()
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    domain, labels, concepts, train, heldout = build_examples(args.domain, args, rng)
    if not train:
        sys.exit(f"{args.domain}: no labelled examples")
    index = {l: i for i, l in enumerate(labels)}
    fz = Featurizer(args.dim)

    def encode(rows):
        feats = [fz.sparse(r["answer"], r["problem_text"], r["correct_answer"], r["concept_id"])
                 for r in rows]
        return feats, torch.tensor([index.get(r["label"], 1) for r in rows], dtype=torch.long)

    def dense(feats):
        rows, cols, vals = [], [], []
        for k, f in enumerate(feats):
            rows.extend([k] * len(f))
            cols.extend(f.keys())
            vals.extend(f.values())
        return torch.sparse_coo_tensor([rows, cols], torch.tensor(vals, dtype=torch.float32),
                                       (len(feats), args.dim)).to_dense()

    train_f, train_y = encode(train)
    held_f, held_y = encode(heldout)
    t_features = time.time() - t0

    class Classifier(torch.nn.Module):
        """tc_hash_v1 vector -> logits over the label map: a 2-layer MLP."""

        def __init__(self, dim: int, hidden: int, n: int):
            super().__init__()
            self.hidden = torch.nn.Linear(dim, hidden)
            self.dropout = torch.nn.Dropout(0.1)
            self.out = torch.nn.Linear(hidden, n)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out(self.dropout(torch.relu(self.hidden(x))))

    model = Classifier(args.dim, args.hidden, len(labels))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(train_f)
    order = list(range(n))
    # The whole set as one dense matrix when it fits in 1 GiB, else batch by batch.
    train_x = dense(train_f) if n * args.dim * 4 <= (1 << 30) else None
    for epoch in range(args.epochs):
        model.train()
        rng.shuffle(order)
        total = 0.0
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            x = train_x[idx] if train_x is not None else dense([train_f[i] for i in idx])
            y = train_y[idx]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        if args.verbose:
            print(f"epoch {epoch + 1}: loss {total / n:.4f}", file=sys.stderr)

    model.eval()

    def accuracy(feats, y):
        if not feats:
            return None
        right = 0
        with torch.no_grad():
            for b in range(0, len(feats), 1024):
                pred = model(dense(feats[b:b + 1024])).argmax(1)
                right += int((pred == y[b:b + 1024]).sum())
        return right / len(feats)

    train_acc = accuracy(train_f, train_y)
    held_acc = accuracy(held_f, held_y)
    os.makedirs(args.out, exist_ok=True)
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(args.out, "model.pt"))
    seconds = time.time() - t0
    label_map = {
        "schema_version": 1,
        "kind": "tutorcore.model_labels",
        "domain": domain,
        "labels": labels,
        "concepts": concepts,
        "featurizer": {"name": FEATURIZER, "dim": args.dim},
        "model": {"file": "model.pt", "architecture": "mlp", "hidden": args.hidden,
                  "output": "logits"},
        "training": {"seed": args.seed, "examples": n, "epochs": args.epochs,
                     "train_accuracy": train_acc, "heldout_examples": len(heldout),
                     "heldout_accuracy": held_acc,
                     "holdout": f"template instances with fnv1a64(id) % {args.holdout_mod} == 0",
                     "torch": torch.__version__, "seconds": round(seconds, 1)},
    }
    with open(os.path.join(args.out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(label_map, f, indent=1)
        f.write("\n")
    with open(os.path.join(args.out, "heldout.jsonl"), "w", encoding="utf-8") as f:
        for r in heldout:
            f.write(json.dumps(r) + "\n")
    sample = random.Random(args.seed + 1).sample(range(n), min(256, n))
    with open(os.path.join(args.out, "features_sample.jsonl"), "w", encoding="utf-8") as f:
        for i in sample:
            r = train[i]
            f.write(json.dumps({k: r[k] for k in ("answer", "problem_text", "correct_answer",
                                                  "concept_id")} |
                               {"dim": args.dim,
                                "features": [[k, float_bits(v)] for k, v in sorted(train_f[i].items())]})
                    + "\n")
    held = "n/a" if held_acc is None else f"{held_acc:.3f}"
    print(f"trained {domain}: {len(labels)} labels, {n} examples, train accuracy {train_acc:.3f}, "
          f"held-out accuracy {held} on {len(heldout)} examples, {seconds:.1f} s "
          f"({t_features:.1f} s featurizing; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads) -> {args.out}")


def cmd_featurize(args):
    fz = Featurizer(args.dim)
    with open(args.input, encoding="utf-8") as f, open(args.out, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            v = fz.sparse(r.get("answer", ""), r.get("problem_text", ""),
                          r.get("correct_answer", ""), r.get("concept_id", ""))
            out.write(json.dumps({"dim": args.dim,
                                  "features": [[k, float_bits(x)] for k, x in sorted(v.items())]})
                      + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train and export a domain's model")
    t.add_argument("--domain", required=True, help="the domain directory")
    t.add_argument("--out", required=True, help="where model.pt and labels.json go")
    t.add_argument("--dim", type=int, default=4096, help="feature vector size (a power of two)")
    t.add_argument("--hidden", type=int, default=128)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--instances", type=int, default=64, help="draws per template")
    t.add_argument("--noisy", type=int, default=2, help="noisy variants per right/wrong answer")
    t.add_argument("--unknown", type=int, default=2, help="unknown wrong answers per problem")
    t.add_argument("--holdout-mod", type=int, default=5)
    t.add_argument("--reviewed", action="append", default=[], metavar="FILE",
                   help="a tc_tutor_export_labels export (JSON lines) whose teacher-reviewed "
                        "answers are added to the training set (repeatable)")
    t.add_argument("--include-unreviewed", action="store_true",
                   help="with --reviewed, also the answers no teacher reviewed")
    t.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    t.add_argument("--verbose", action="store_true")
    f = sub.add_parser("featurize", help="tc_hash_v1 vectors of JSON-lines inputs")
    f.add_argument("--in", dest="input", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--dim", type=int, default=4096)
    args = ap.parse_args()
    if args.cmd == "train":
        cmd_train(args)
    else:
        cmd_featurize(args)


if __name__ == "__main__":
    main()
