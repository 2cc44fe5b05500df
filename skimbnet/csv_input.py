"""Reading a CSV table for ``skimbnet compare``: :func:`load_csv`.

Categorical columns are one-hot encoded and missing values imputed inside each
fold's pipeline (:class:`Preprocessing` writes that pipeline as code); bad
input raises :class:`CompareInputError`, which the command reports with exit
code 2.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MAX_CATEGORIES", "CompareInputError", "Preprocessing", "load_csv"]

#: non-numeric columns with more distinct values than this are not one-hot encoded
MAX_CATEGORIES = 50


class CompareInputError(ValueError):
    """Bad input to the comparison (the command exits with code 2)."""


@dataclass
class Preprocessing:
    """How a table's columns are made numeric (inside each fold's pipeline)."""

    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    impute_numeric: bool = False
    impute_categorical: bool = False

    @property
    def needed(self) -> bool:
        return bool(self.categorical) or self.impute_numeric

    def code(self) -> str:
        parts = []
        if self.categorical:
            encoder = "OneHotEncoder(handle_unknown='ignore', sparse_output=False)"
            if self.impute_categorical:
                encoder = f"make_pipeline(SimpleImputer(strategy='most_frequent'), {encoder})"
            parts.append(f"({encoder}, {self.categorical!r})")
        if self.numeric:
            num = "SimpleImputer(strategy='median')" if self.impute_numeric else "'passthrough'"
            parts.append(f"({num}, {self.numeric!r})")
        return "make_column_transformer(" + ", ".join(parts) + ")"

    def imports(self) -> tuple[str, ...]:
        imports = ["from sklearn.compose import make_column_transformer"]
        if self.categorical:
            imports.append("from sklearn.preprocessing import OneHotEncoder")
        if self.impute_numeric or self.impute_categorical:
            imports.append("from sklearn.impute import SimpleImputer")
        if self.impute_categorical:
            imports.append("from sklearn.pipeline import make_pipeline")
        return tuple(imports)


#: cell values that mark a missing number (UCI's "?", R's "NA", ...)
MISSING_MARKERS = frozenset({"?", "-", "--", "na", "n/a", "nan", "null", "none", "missing"})


def load_csv(path, target: str):
    """Read a CSV for the comparison: ``(X, y, preprocessing, notes)``.

    Categorical (non-numeric) columns are one-hot encoded and missing values
    imputed inside each fold's pipeline; ``notes`` says what was done. Raises
    :class:`CompareInputError` for a missing file or target column, a target
    with fewer than two classes, or a column that cannot be encoded.
    """
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CompareInputError(
            'reading a CSV needs pandas: pip install "skimbnet[datasets]"'
        ) from exc
    path = os.fspath(path)
    if os.path.isdir(path):
        raise CompareInputError(f"{path} is a folder; give the path of a CSV file")
    if not os.path.isfile(path):
        raise CompareInputError(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CompareInputError(f"cannot read {path} as CSV: {exc}") from exc
    notes = []
    if target not in frame.columns and len(frame.columns) == 1:
        # one column: perhaps another separator (";" or a tab); let pandas sniff it
        try:
            sniffed = pd.read_csv(path, sep=None, engine="python")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error):
            sniffed = None
        if sniffed is not None and target in sniffed.columns:
            frame = sniffed
            notes.append("read with the separator found in the file (not a comma)")
    if target not in frame.columns:
        columns = ", ".join(repr(str(c)) for c in frame.columns[:20])
        raise CompareInputError(
            f"target column {target!r} not in {path} (columns: {columns}"
            f"{', ...' if len(frame.columns) > 20 else ''})"
            + (
                "; the first row looks like data: the file needs a header row of column names"
                if _all_numbers(frame.columns)
                else ""
            )
        )
    first = frame.columns[0]
    if first == "Unnamed: 0" and first != target:
        if np.array_equal(frame[first].to_numpy(), np.arange(len(frame))):
            # the row numbers DataFrame.to_csv writes by default: a feature that, on a
            # sorted file, predicts the class
            frame = frame.drop(columns=[first])
            notes.append("dropped column 'Unnamed: 0' (the row numbers DataFrame.to_csv writes)")
    n_missing_target = int(frame[target].isna().sum())
    if n_missing_target:
        frame = frame[frame[target].notna()]
        notes.append(f"dropped {n_missing_target} row(s) with no target value")
    y = frame[target].to_numpy()
    classes = np.unique(y.astype(str)) if y.dtype == object else np.unique(y)
    if len(classes) < 2:
        raise CompareInputError(
            f"target column {target!r} has {len(classes)} class"
            f"{'' if len(classes) == 1 else 'es'}; a classifier needs at least two"
        )
    if y.dtype == object:
        y = y.astype(str)
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CompareInputError(f"{path} has no feature columns besides {target!r}")
    X.columns = [str(c) for c in X.columns]
    prep = Preprocessing()
    for col in X.columns:
        series = X[col]
        if series.dtype == bool:
            X[col] = series.astype(float)
            prep.numeric.append(col)
        elif pd.api.types.is_numeric_dtype(series):
            if series.isna().all():
                # the imputer would drop it, and every strategy would then fail
                raise CompareInputError(f"column {col!r} has no values; drop it")
            prep.numeric.append(col)
        else:
            values = series.dropna().astype(str)
            n_levels = values.nunique()
            if n_levels == 0:
                raise CompareInputError(f"column {col!r} is empty; drop it")
            numbers = pd.to_numeric(values, errors="coerce")
            odd = sorted(set(values[numbers.isna()]))
            if numbers.notna().mean() > 0.5 and all(
                v.strip().lower() in MISSING_MARKERS for v in odd
            ):
                # numbers with a missing-value marker ("?" in UCI files): not categories
                raise CompareInputError(
                    f"column {col!r} holds numbers but also {len(odd)} value(s) that are not "
                    f"({', '.join(repr(v) for v in odd[:5])}); make them empty cells "
                    "(missing values are imputed) or fix them"
                )
            if n_levels > MAX_CATEGORIES or (n_levels > 10 and n_levels > 0.5 * len(values)):
                raise CompareInputError(
                    f"cannot encode column {col!r}: {n_levels} distinct non-numeric values "
                    "(an identifier, a date or free text?); drop it or make it numeric"
                )
            X[col] = series.astype(object).where(series.notna(), np.nan)
            X.loc[series.notna(), col] = values
            prep.categorical.append(col)
    if prep.categorical:
        notes.append(
            f"one-hot encoded {len(prep.categorical)} categorical column(s): "
            + ", ".join(prep.categorical)
        )
    missing = X.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        prep.impute_numeric = any(c in prep.numeric for c in missing.index)
        prep.impute_categorical = any(c in prep.categorical for c in missing.index)
        n_rows = int(X.isna().any(axis=1).sum())
        notes.append(
            f"imputed missing values in {n_rows} row(s), column(s) "
            + ", ".join(f"{c} ({n})" for c, n in missing.items())
            + " (median for numbers, most frequent for categories, fitted per fold)"
        )
    for col in prep.numeric:
        if not np.isfinite(X[col].to_numpy(dtype=float)[X[col].notna().to_numpy()]).all():
            raise CompareInputError(f"column {col!r} has infinite values")
    if not prep.needed:
        X = X.to_numpy(dtype=np.float64)
    return X, y, prep, notes


def _all_numbers(names) -> bool:
    """Whether every column name reads as a number (a file without a header row)."""
    try:
        [float(str(name)) for name in names]
    except ValueError:
        return False
    return True
