"""Container names: Docker's validation and ``adjective_surname`` generation."""

from __future__ import annotations

import random
import re

from skiff.errdefs import InvalidParameter

VALID = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

_ADJECTIVES = (
    "agile", "amber", "ardent", "bold", "brave", "bright", "calm", "candid", "careful",
    "cheerful", "clever", "cosmic", "curious", "daring", "deft", "eager", "earnest", "fearless",
    "festive", "gallant", "gentle", "glad", "graceful", "hardy", "hopeful", "humble", "jolly",
    "keen", "kind", "lively", "loyal", "lucid", "merry", "mindful", "modest", "nimble", "noble",
    "patient", "placid", "plucky", "polite", "proud", "quiet", "quirky", "radiant", "rapid",
    "serene", "sharp", "sincere", "spry", "steady", "sturdy", "sunny", "swift", "tender",
    "tidy", "trusty", "upbeat", "vivid", "warm", "wise", "witty", "zealous", "zesty",
)

# People who shaped computing, mathematics and science.
_SURNAMES = (
    "agnesi", "babbage", "bartik", "bell", "boole", "borg", "cantor", "cerf", "church",
    "curie", "darwin", "dijkstra", "easley", "euler", "faraday", "fermat", "feynman",
    "franklin", "galois", "gauss", "goldberg", "hamilton", "hopper", "hypatia", "jackson",
    "johnson", "kahan", "keller", "knuth", "kowalevski", "lamarr", "lamport", "leavitt",
    "liskov", "lovelace", "maxwell", "mcclintock", "meitner", "mirzakhani", "neumann",
    "noether", "pascal", "perlman", "poincare", "ramanujan", "riemann", "ritchie", "shannon",
    "sinoussi", "somerville", "stallman", "tesla", "thompson", "torvalds", "turing", "wiles",
    "wing", "wozniak", "wu", "yalow",
)


def generate(taken: set[str], rng: random.Random | None = None) -> str:
    """A free ``adjective_surname`` name; a digit is appended after a collision."""
    rng = rng or random.SystemRandom()
    for attempt in range(20):
        name = f"{rng.choice(_ADJECTIVES)}_{rng.choice(_SURNAMES)}"
        if attempt:
            name += str(rng.randint(0, 9))
        if name not in taken:
            return name
    raise InvalidParameter("could not generate a free container name")


def validate(name: str) -> str:
    """Return the name without its leading slash; refuse what Docker refuses."""
    if not VALID.match(name):
        raise InvalidParameter(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.lstrip("/")
