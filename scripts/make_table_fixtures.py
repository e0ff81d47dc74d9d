"""Writes the small synthetic tables the table tests read (committed; rerun to regenerate).

penguins_small.csv: 60 penguin-like rows (not real measurements): an id and a date column to
ignore, a text category (island), an integer category (year), numbers and a text target
(species) that the numbers and the island separate. linear.csv: y = 300 + 40*a - 25*b exactly,
for the target-scaling round trip. A fixed linear congruential generator keeps the files the
same on every Python.
"""
import pathlib

state = 12345


def rand():
    global state
    state = (1103515245 * state + 12345) % 2**31
    return state / 2**31


out = pathlib.Path(__file__).resolve().parent.parent / "crates/shrink-cli/tests/data"
species = {"Adelie": (38.8, 190.0, "Torgersen"), "Chinstrap": (48.8, 196.0, "Dream"), "Gentoo": (47.5, 217.0, "Biscoe")}
islands = ["Biscoe", "Dream", "Torgersen"]
rows = ["id,date,island,year,bill_length_mm,flipper_length_mm,species"]
for i in range(60):
    name = sorted(species)[i % 3]
    bill, flipper, home = species[name]
    island = home if rand() < 0.8 else islands[int(rand() * 3)]
    year = 2007 + int(rand() * 3)
    rows.append(
        f"P{i + 1:03d},{year}-{1 + int(rand() * 12):02d}-{1 + int(rand() * 28):02d},{island},{year},"
        f"{bill + (rand() - 0.5) * 4:.1f},{flipper + (rand() - 0.5) * 10:.0f},{name}"
    )
(out / "penguins_small.csv").write_text("\n".join(rows) + "\n")

rows = ["a,b,y"]
for i in range(40):
    a, b = round(rand() * 10, 2), round(rand() * 10, 2)
    rows.append(f"{a},{b},{300 + 40 * a - 25 * b:.4f}")
(out / "linear.csv").write_text("\n".join(rows) + "\n")
