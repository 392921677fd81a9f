"""tools/count_any.py: explicit Any counted in annotations, not elsewhere."""

import importlib.util
import pathlib

_PATH = pathlib.Path(__file__).resolve().parents[2] / "tools" / "count_any.py"
_SPEC = importlib.util.spec_from_file_location("count_any", _PATH)
count_any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(count_any)


def test_count_any_counts_parameters_returns_variables_and_forward_references():
    source = (
        "import typing\n"
        "def f(x: Any, *args: Any, **kw: typing.Any) -> dict[str, Any]:\n"
        "    y: 'list[Any]' = []\n"
        "    z = Any\n"
        "    return {}\n"
    )
    assert count_any.count_any(source) == 5


def test_count_any_ignores_literal_strings_that_are_not_types():
    assert count_any.count_any("x: Literal['a b', 'Any value'] = 'a b'") == 0
