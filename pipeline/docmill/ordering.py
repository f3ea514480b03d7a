"""``[order]``: the order a hook's implementations run in, as the user configured it.

``docmill.toml`` may list plugin names per hook (``[order] extract = ["a", "...",
"b"]``); the listed plugins run first in the listed order, the others after them
in pluggy's order (last registered first, ``tryfirst``/``trylast`` applied) — or
where ``"..."`` stands. :func:`apply_order` computes it; :func:`problems` names
what in the configuration matches nothing, for the manager to warn about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from docmill.hookcheck import suggest

#: In an ``[order]`` list, where the plugins not listed go.
REST = "..."


def apply_order(names: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """``names`` (pluggy's order) rearranged by ``wanted``.

    Names in ``wanted`` that are not in ``names`` are ignored here (see
    :func:`problems`); names not in ``wanted`` keep their relative order.
    """
    if not wanted:
        return list(names)
    present = set(names)
    listed = set(wanted)
    rest = [n for n in names if n not in listed]
    if REST in wanted:
        i = list(wanted).index(REST)
        before, after = wanted[:i], wanted[i + 1 :]
    else:
        before, after = wanted, []
    pick = [n for n in before if n in present and n != REST]
    pick_after = [n for n in after if n in present and n != REST]
    return pick + rest + pick_after


def problems(
    order: Mapping[str, Sequence[str]],
    taking_part: Mapping[str, Collection[str]],
    status: Callable[[str], str],
) -> list[str]:
    """What in ``order`` matches nothing: hooks that do not exist, plugins not taking part.

    ``taking_part`` maps every docmill hook to the plugins implementing it;
    ``status`` gives a plugin's status ("disabled", "failed", "not installed", ...).
    """
    found = []
    for hook_name, wanted in sorted(order.items()):
        if hook_name not in taking_part:
            hint = suggest(hook_name, sorted(taking_part), "hooks")
            found.append(f"[order] names {hook_name!r}, which is not a docmill hook {hint}")
            continue
        for name in wanted:
            if name != REST and name not in taking_part[hook_name]:
                found.append(
                    f"[order] of {hook_name!r} names {name!r}, which does not take part "
                    f"in it ({status(name)})"
                )
    return found
