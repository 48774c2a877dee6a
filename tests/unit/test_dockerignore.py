""".dockerignore patterns as Docker reads them."""

from __future__ import annotations

import pytest

from skiff.api.dockerignore import Matcher, parse

IGNORE = """\
# build output
/build
*.log
**/node_modules
docs/**/*.tmp
!important.log
secret?.txt
[abc].bin
.git
vendor
!vendor/keep/
"""


@pytest.mark.parametrize(("path", "excluded"), [
    ("build", True), ("build/out/a.o", True), ("src/build", False),
    ("x.log", True), ("important.log", False), ("sub/x.log", False),
    ("node_modules/a", True), ("web/app/node_modules/b/c", True),
    ("docs/a.tmp", True), ("docs/x/y/a.tmp", True), ("docs/a.txt", False),
    ("secret1.txt", True), ("secret12.txt", False), ("a.bin", True), ("d.bin", False),
    (".git/HEAD", True), (".gitignore", False),
    ("vendor/x", True), ("vendor/keep", False), ("vendor/keep/file", False),
    ("./x.log", True), ("Dockerfile", False),
])
def test_paths_are_decided_by_the_last_matching_pattern(path: str, excluded: bool) -> None:
    assert Matcher(parse(IGNORE)).excluded(path) is excluded


def test_comments_blank_lines_and_bare_bangs_are_not_patterns() -> None:
    patterns = parse("\n# a comment\n   \n!\n ./a/../b/ \n")
    assert [(p.text, p.exception) for p in patterns] == [("b", False)]


def test_a_walk_goes_into_an_excluded_directory_only_for_an_exception() -> None:
    matcher = Matcher(parse(IGNORE))
    assert matcher.may_keep_inside("vendor")
    assert not Matcher(parse("vendor\n")).may_keep_inside("vendor")
