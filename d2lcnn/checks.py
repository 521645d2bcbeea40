"""Argument checks that say what was wrong: shared by the layer arithmetic, the layers and the
model builders (pure Python, no MXNet)."""

__all__ = ["check_int", "check_size", "check_groups", "check_rate"]


def check_int(value, name, minimum=1):
    """`value` if it is a whole number >= `minimum`, else a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return value


def check_size(value, name, minimum=1):
    """An int or an (h, w) pair of ints >= `minimum`, as an (h, w) tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a whole number or an (h, w) pair; got {value!r}")
        return tuple(check_int(v, name, minimum) for v in value)
    v = check_int(value, name, minimum)
    return (v, v)


def check_groups(in_channels, channels, groups):
    """A grouped convolution splits its input and output channels evenly: `groups` must divide
    both (an `in_channels` of 0 is not known yet and is checked by MXNet later)."""
    check_int(groups, "groups")
    odd = [f"{name}={c}" for name, c in (("in_channels", in_channels), ("channels", channels))
           if c and c % groups]
    if odd:
        raise ValueError(f"groups={groups} must divide the input and output channels; "
                         f"{' and '.join(odd)} do not split into {groups} groups")


def check_rate(value, name):
    """A dropout rate: a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} is a dropout rate, a number in [0, 1); got {value!r}")
    return value
