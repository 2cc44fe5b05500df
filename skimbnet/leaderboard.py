"""The result of ``skimbnet compare``: a :class:`Leaderboard`, as text, JSON or a figure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

__all__ = ["METRICS", "METRIC_LABELS", "Leaderboard"]

#: the leaderboard's metrics, each a mean over the folds (greater is better)
METRICS = ("balanced_accuracy", "f1_macro", "average_precision", "rare_recall")
#: column headings of :meth:`Leaderboard.table`
METRIC_LABELS = {
    "balanced_accuracy": "bal.acc",
    "f1_macro": "macro-F1",
    "average_precision": "avg.prec",
    "rare_recall": "rare recall",
    "fit_time": "fit s",
}


@dataclass
class Leaderboard:
    """The result of :func:`skimbnet.compare.run_comparison`.

    ``dataset`` describes the data (name, rows, features, classes, their
    counts, the rare class); ``rows`` holds one dict per strategy, best first
    (``key``, ``name``, ``code`` and either ``metrics``, ``{metric: {"mean",
    "std", "folds"}}``, or ``error``); ``winner`` the best strategy's key, name
    and code with its imports; ``oof`` each strategy's out-of-fold probability
    of the rare class (for :meth:`plot`).
    """

    dataset: dict
    cv: int
    rank_by: str
    rows: list[dict]
    notes: list[str]
    winner: dict | None
    oof: dict = field(default_factory=dict, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)

    def table(self) -> str:
        """The leaderboard as text (mean +- std over the folds), best first."""
        cols = (*METRICS, "fit_time")
        width = max([len(r["name"]) for r in self.rows] + [8]) + 5
        head = f"{'strategy':{width}s}" + "".join(f"{METRIC_LABELS[c]:>15s}" for c in cols)
        lines = [head, "-" * len(head)]
        for rank, row in enumerate(self.rows, 1):
            label = f"{rank:2d}. {row['name']}".ljust(width)
            if row.get("error"):
                # the whole first line: the end of a message often says how to fix it
                lines.append(f"{label}failed: {row['error'].splitlines()[0]}")
                continue
            cells = []
            for c in cols:
                m = row["metrics"][c]
                digits = 1 if c == "fit_time" else 3
                cells.append(f"{m['mean']:.{digits}f} ± {m['std']:.{digits}f}".rjust(15))
            lines.append(label + "".join(cells))
        return "\n".join(lines)

    def winner_code(self) -> str:
        """The Python code that builds the winner (empty when no strategy finished)."""
        return self.winner["code"] if self.winner else ""

    def to_dict(self) -> dict:
        """The leaderboard as JSON-ready data (what :meth:`write_json` writes)."""
        return {
            "dataset": self.dataset,
            "cv": self.cv,
            "rank_by": self.rank_by,
            "notes": self.notes,
            "leaderboard": [dict(r) for r in self.rows],
            "winner": self.winner,
        }

    def write_json(self, path) -> None:
        """Write :meth:`to_dict` as indented JSON."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2)
            fh.write("\n")

    def plot(self, path) -> None:
        """Bar chart with error bars + the winner's out-of-fold precision-recall curve."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import average_precision_score, precision_recall_curve

        rows = [r for r in self.rows if not r.get("error")]
        fig, (ax_bar, ax_pr) = plt.subplots(
            1, 2, figsize=(13, 0.45 * len(rows) + 2.5), gridspec_kw={"width_ratios": [1.4, 1]}
        )
        pos = np.arange(len(rows))
        height = 0.38
        for offset, metric, color in (
            (-height / 2, self.rank_by, "tab:blue"),
            (height / 2, "average_precision", "tab:orange"),
        ):
            if offset > 0 and metric == self.rank_by:
                metric = "balanced_accuracy"
            ax_bar.barh(
                pos + offset,
                [r["metrics"][metric]["mean"] for r in rows],
                height,
                xerr=[r["metrics"][metric]["std"] for r in rows],
                color=color,
                capsize=3,
                label=METRIC_LABELS[metric],
            )
        ax_bar.set_yticks(pos, [r["name"] for r in rows])
        ax_bar.invert_yaxis()
        ax_bar.set_xlim(0, 1)
        ax_bar.set_xlabel(f"mean ± std over {self.cv} folds")
        ax_bar.legend(loc="lower right")
        ax_bar.set_title(f"{self.dataset['name']}: strategies (best first)")
        rare = self.dataset["rare_class"]
        y_bin = np.asarray(self.y).astype(str) == str(rare)
        prevalence = y_bin.mean()
        shown = rows[:1] + [r for r in rows[1:] if r["key"] == "plain"][:1]
        for r, style in zip(shown, ("-", "--")):
            scores = self.oof.get(r["key"])
            if scores is None:
                continue
            precision, recall, _ = precision_recall_curve(y_bin, scores)
            label = ("winner: " if r is rows[0] else "") + r["name"]
            # the curve's own AP (the rare class's, out of fold): with more than two
            # classes the table's avg.prec is the macro mean over classes
            label += f" (AP {average_precision_score(y_bin, scores):.2f})"
            ax_pr.plot(recall, precision, style, label=label)
        ax_pr.axhline(prevalence, color="grey", lw=0.8, ls=":", label="no skill")
        ax_pr.set_xlabel(f"recall of rare class {rare!r}")
        ax_pr.set_ylabel("precision")
        ax_pr.set_xlim(0, 1)
        ax_pr.set_ylim(0, 1.02)
        ax_pr.set_title("precision-recall, out-of-fold")
        ax_pr.legend(loc="upper right")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
