"""The argument check that nn's layers, losses, optimizers and helpers share."""

import numbers


def check_int(value, name, owner, minimum=1):
    """`value` (a size or a count) as an int >= `minimum`.

    A TypeError for anything but an int (a bool or a float is not a size, even
    2.0), a ValueError below `minimum`; both name `owner` and the argument.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)
