"""Cells that leave the system in a spreadsheet (CSV or XLSX): one home for what makes a value
a formula, used to refuse such names at input (`services.rules`) and to neutralise any that
reach a file anyway (the reports' downloads, the import's rejected rows)."""

# What starts a formula in a spreadsheet (OWASP, "CSV Injection"), with the full-width forms
# that some spreadsheets read the same way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(value) -> bool:
    """A text a spreadsheet would run: it starts with a formula character (a tab or a carriage
    return included), or does after leading white space."""
    return isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)
    )


def plain(value):
    """A cell as files take it: numbers stay numbers, anything else (a lazy translation
    included) becomes a str; an unknown value stays empty."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return str(value)


def neutral(value):
    """A cell that no spreadsheet runs as a formula: a text starting with =, +, -, @, a tab or
    a carriage return (after any spaces) gets a leading apostrophe, as OWASP's CSV-injection
    guidance says. Numbers stay numbers, a negative one included."""
    value = plain(value)
    if looks_like_formula(value):
        return "'" + value
    return value
