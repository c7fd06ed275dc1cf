"""Rebuild data/first-names.txt: the distinct ASCII first names of every Faker person provider.

Faker (https://github.com/joke2k/faker) is MIT licensed. Run with `pip install faker`, then
`python data/build_names.py`. The result is sorted and lower-cased, one name per line, as
makemore's names.txt is.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import faker.providers.person as person

NAME_LISTS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def first_names() -> set[str]:
    names: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module_info.name}").Provider
        for attribute in NAME_LISTS:
            # Class attributes only: some providers define these lists as properties.
            values = next(
                (k.__dict__[attribute] for k in provider.__mro__ if attribute in k.__dict__), ()
            )
            if isinstance(values, property):
                continue
            names.update(n.lower() for n in values if n.isascii() and n.isalpha())
    return names


if __name__ == "__main__":
    target = Path(__file__).with_name("first-names.txt")
    names = sorted(first_names())
    target.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names):,} names to {target}")
